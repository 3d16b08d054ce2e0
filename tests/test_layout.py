"""The package's shape: no import cycles among its modules (function-level imports included), stages that import only downwards, every package installed."""

import ast

import pytest
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGES = (("summarize", "summarize"), ("eval", "summarize_eval"))


def _modules() -> dict[str, Path]:
    found = {}
    for directory, package in PACKAGES:
        for path in (ROOT / directory).rglob("*.py"):
            parts = list(path.relative_to(ROOT / directory).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([package, *parts])] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of the package that ``name`` imports anywhere in its file (a package's ``from . import x`` is x)."""
    targets = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else [])) if node.level else node.module or ""
            subs = {f"{base}.{a.name}" for a in node.names} & set(modules)
            targets |= subs or ({base} & set(modules))
        elif isinstance(node, ast.Import):
            targets |= {a.name for a in node.names} & set(modules)
    return targets - {name}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles():
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_every_package_is_installed():
    # A subpackage missing from pyproject's list works in an editable install and is absent from a wheel.
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = set()
    for directory, package in PACKAGES:
        for init in (ROOT / directory).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / directory).parts
            found.add(".".join([package, *parts]))
    assert found == listed


# The stages, bottom up (docs/design.md draws them): a module may import its
# own stage and those below it, never one above. eval/ sits on top of all.
LAYERS = (
    ("errors", "_version", "_moved"),
    ("languages",),
    ("presets", "summary", "faithfulness", "extractive", "inputs"),
    ("checkpoints", "generation", "backends"),
    ("options",),
    ("summarizer",),
    ("hf_pipeline", "jobs"),
    ("server", "console", "cli", "__main__", "", "testing", "records", "rows", "outputs", "webpages", "executors", "distributed"),
)


def _stage(module: str) -> int:
    if module.startswith("summarize_eval"):
        return len(LAYERS)
    name = module.split(".")[1] if "." in module else ""
    return next(i for i, names in enumerate(LAYERS) if name in names)


def test_stages_import_only_downwards():
    modules = _modules()
    upward = sorted(
        f"{name} imports {target}"
        for name, path in modules.items() for target in _imports(name, path, modules)
        if _stage(target) > _stage(name)
    )
    assert not upward, upward


def test_every_module_has_a_stage():
    for name in _modules():
        _stage(name)  # StopIteration names a module no stage holds: add it to LAYERS and docs/design.md


# Every member the API reference documented at the old paths, before the layout by stage.
MOVED = {
    "summarize.records": ["read_records", "Record", "infer_input_format", "read_text_file", "read_jsonl", "read_table", "decode_text"],
    "summarize.rows": ["RESULT_FIELDS", "result_row", "error_kind", "error_message", "result_table"],
    "summarize.executors": ["run_job", "open_output", "DeferredSummarizer"],
    "summarize.outputs": ["ResultWriter", "ShardWriter", "scan_jsonl", "scan_shards"],
    "summarize.distributed": ["summarize_dataset"],
    "summarize.webpages": ["Article", "article_from_html", "read_document", "is_private", "check_address"],
}


@pytest.mark.parametrize("old, name", [(old, name) for old, names in MOVED.items() for name in names])
def test_a_moved_public_name_still_imports_from_its_old_path_with_a_warning(old, name):
    import importlib

    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match=rf"{old} moved to summarize\.\w+(\.\w+)?; import {name} from there"):
        value = getattr(module, name)
    assert value is not None
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        module.nothing_here
