"""Shared fixtures: tiny checkpoints built once, and an offline Hugging Face cache.

Tests never touch the network. The hub cache is pointed at a fresh temporary
directory and hub access is switched off *before* transformers is imported
(huggingface_hub reads both once, at import), so that presets resolve to tiny
stand-ins placed in that cache: the same loading path a downloaded model takes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

_HF_HOME = tempfile.mkdtemp(prefix="summarize-tests-hf-")
os.environ["HF_HOME"] = _HF_HOME
os.environ["HF_HUB_CACHE"] = os.path.join(_HF_HOME, "hub")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# CTranslate2 conversions (the default backend) go to a temporary cache, not ~/.cache.
os.environ["SUMMARIZE_CACHE"] = os.path.join(_HF_HOME, "summarize")

import importlib.abc  # noqa: E402
import importlib.util  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

from summarize.presets import PRESETS  # noqa: E402
from summarize.testing import build_tiny_checkpoint  # noqa: E402

FAKE_COMMIT = "0123456789abcdef0123456789abcdef01234567"
DATA = Path(__file__).parent / "data"
EVAL = Path(__file__).resolve().parent.parent / "eval"


class _EvalBesideTheTests(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``summarize_eval.X`` is the module ``eval.X`` of the ``eval/`` folder beside these tests: one module, two names.

    The harness installs as ``summarize_eval``, from ``eval/``. In a copy of
    the tree (mutmut's ``mutants/``) the installed name leads back to the
    original, so the tests would never run the copy's code. The copy is
    imported under its folder's name because that is the name mutmut gives
    its mutants (``eval.compare.x_check_comparable__mutmut_3``) and compares
    with a function's ``__module__`` before running one.
    """

    def find_spec(self, fullname: str, path: object = None, target: object = None):
        if fullname.partition(".")[0] != "summarize_eval":
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return importlib.import_module("eval" + spec.name.removeprefix("summarize_eval"))

    def exec_module(self, module) -> None:
        pass  # run already, when it was imported as eval.X


def _import_eval_beside_the_tests() -> None:
    """Where the installed ``summarize_eval`` is another folder than ``eval/`` beside these tests, import that one."""
    installed = importlib.util.find_spec("summarize_eval")
    if installed is not None and Path(installed.origin).resolve().parent == EVAL:
        return  # the editable install of this tree: nothing to do
    if EVAL.parent.name != "mutants":
        return  # a test run against an installed wheel tests the wheel (a file missing from it must fail)
    spec = importlib.util.spec_from_file_location("eval", EVAL / "__init__.py", submodule_search_locations=[str(EVAL)])
    package = importlib.util.module_from_spec(spec)
    sys.modules["eval"] = package
    spec.loader.exec_module(package)
    sys.meta_path.insert(0, _EvalBesideTheTests())


_import_eval_beside_the_tests()

# Short news-like passages written for these tests, one per language.
TEXTS = {
    "en": (
        "The city council approved a new budget on Tuesday. Officials said the money "
        "would repair roads and schools before winter. Energy prices rose by 13.5 percent "
        "in October. Dr. Jane Smith warned that inflation could slow growth next year."
    ),
    "uk": (
        "Міська рада у вівторок ухвалила новий бюджет. Посадовці заявили, що кошти підуть "
        "на ремонт доріг і шкіл до зими. Ціни на енергоносії у жовтні зросли на 13,5 "
        "відсотка. Економістка попередила, що інфляція може сповільнити зростання."
    ),
    "ru": (
        "Городской совет во вторник утвердил новый бюджет. Чиновники заявили, что средства "
        "пойдут на ремонт дорог и школ до зимы. Цены на энергоносители в октябре выросли "
        "на 13,5 процента. Экономист предупредила, что инфляция может замедлить рост."
    ),
}


def pytest_collection_modifyitems(config, items):
    # Starting a local Ray takes seconds, and its tests tens of seconds.
    for item in items:
        if "local_ray" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


def pytest_terminal_summary(terminalreporter):
    # A skipped module is one "s" in -q output: say why, and what brings them.
    import importlib.util

    if importlib.util.find_spec("ray") is None:
        terminalreporter.write_line("Ray is not installed: the Ray tests were skipped (pip install -e '.[ray]' runs them)")


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_HF_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> str:
    """A tiny mT5 checkpoint directory; its model takes 64 input tokens."""
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny"), max_input_tokens=64)


@pytest.fixture(scope="session")
def tiny_crosslingual(tmp_path_factory) -> str:
    """A tiny mT5 with a CrossSum-style langid_map."""
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny-cross"), cross_lingual=True, max_input_tokens=64)


@pytest.fixture(scope="session")
def bart_family(tmp_path_factory) -> dict[str, str]:
    """Tiny BART, mBART and Pegasus checkpoints, by architecture."""
    from summarize.testing import build_tiny_bart_family

    return {arch: build_tiny_bart_family(tmp_path_factory.mktemp(arch), arch) for arch in ("bart", "mbart", "pegasus")}


def install_in_hub_cache(repo_id: str, source: str) -> None:
    """Place a checkpoint in the offline hub cache as if downloaded from repo_id."""
    base = Path(os.environ["HF_HUB_CACHE"]) / f"models--{repo_id.replace('/', '--')}"
    snapshot = base / "snapshots" / FAKE_COMMIT
    if snapshot.exists():
        return
    shutil.copytree(source, snapshot)
    (base / "refs").mkdir(parents=True, exist_ok=True)
    (base / "refs" / "main").write_text(FAKE_COMMIT)


@pytest.fixture(scope="session")
def preset_standins(tiny_model, tiny_crosslingual) -> dict[str, str]:
    """Every preset's hub id resolves, offline, to a tiny stand-in.

    The stand-ins are mT5-shaped whatever the real architecture (BART for
    bart-cnn, mBART for gazeta): what is tested is the preset's settings and
    language rules, not the architecture.
    """
    for name, preset in PRESETS.items():
        install_in_hub_cache(preset.model_id, tiny_crosslingual if preset.cross_lingual else tiny_model)
    return {name: preset.model_id for name, preset in PRESETS.items()}
