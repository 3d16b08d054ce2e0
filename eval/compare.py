"""``summarize-eval compare``: is the difference between systems real?

Systems from several runs over the same examples are compared with the
first (the baseline), metric by metric, by two paired tests on the
examples' own numbers (``per_example.jsonl``; nothing is scored again):

* **paired bootstrap resampling** (Koehn, 2004; sacrebleu's ``--paired-bs``):
  the examples are resampled with replacement, ``resamples`` times, and the
  mean difference is taken on each resample. Its 2.5th and 97.5th
  percentiles are the 95% interval of the difference; the p-value is the
  share of resampled differences, shifted to a mean of zero (the null
  hypothesis), at least as far from zero as the observed one.
* **approximate randomization** (Noreen, 1989; sacrebleu's ``--paired-ar``):
  each example's pair of numbers is swapped between the systems with
  probability 1/2, ``trials`` times; the p-value is the share of trials
  whose absolute difference is at least the observed one.

Both p-values add one to the count and to the total (so neither is ever 0),
and both count "at least as large", so a system compared with itself has
p = 1 (sacrebleu counts "larger", which gives a system and itself a tiny
p-value). ROUGE scores here are means over examples, so these tests are
exact for them: a resample's score is the mean of its examples' scores.
The faithfulness numbers (the share of a summary's facts that its article
supports, and whether it has an unsupported one) are compared the same way.

Runs are refused, with the reason, when what their numbers measure differs:
the language, the data read (dataset, commit, config and split, sample), the
scoring (tokenisation, stemming; their ROUGE signatures say both) or the
examples. What a comparison compares is shown, not refused: the library's
version and what generated the summaries (backend, compute type, vocabulary).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summarize import __version__
from summarize.errors import InvalidInputError

from .metrics.signature import RougeSignature, Signature, key
from .scoring import PER_EXAMPLE, read_per_example

ROUGE_METRICS = ("rouge1", "rouge2", "rougeL", "rougeLsum")
FAITHFULNESS_METRICS = ("faithfulness", "flagged")
HIGHER_IS_BETTER = {**{m: True for m in ROUGE_METRICS}, "faithfulness": True, "flagged": False}
LABELS = {"rouge1": "ROUGE-1", "rouge2": "ROUGE-2", "rougeL": "ROUGE-L", "rougeLsum": "ROUGE-Lsum",
          "faithfulness": "facts supported (%)", "flagged": "with an unsupported fact (%)"}
# What a difference between runs' ROUGE signatures means, by key. These change what the numbers
# measure (the scoring, the data), so the runs are refused:
REFUSED = ("lang", "tok", "stem", "data", "sample")
# These are what one compares (the library before and after a change, another backend or compute
# type), so they are shown:
SHOWN = {"v": "the library's version", "gen": "what generated the summaries"}
# These shape only a score's interval, which the paired tests do not read:
INTERVAL = ("bs", "seed")


@dataclass(frozen=True, kw_only=True)
class PairedSignature(Signature):
    """What produced a comparison, e.g. ``paired|bs:1000|ar:10000|seed:0|alpha:0.05|v:0.1.0``."""

    name: str = key("name", default="paired")
    resamples: int = key("bs", int)
    trials: int = key("ar", int)
    seed: int = key("seed", int)
    alpha: float = key("alpha", float)
    version: str = key("v")


@dataclass(frozen=True)
class Run:
    """A run directory: its metadata, its systems' scores, its own system and how it was scored, each example's numbers."""

    path: Path
    meta: dict[str, Any]
    systems: dict[str, Any]
    per_example: dict[str, dict[str, dict[str, float]]]
    ids: frozenset[str]
    system: str  # the run's own (the model, or the method of an extractive run)
    signature: RougeSignature  # its system's ROUGE-1 signature: how the run was scored, on what data


def read_run(path: str | Path) -> Run:
    path = Path(path)
    scores_file = path / "scores.json"
    if not scores_file.is_file():
        raise InvalidInputError(f"{path}: not a run directory (no scores.json); give directories written by summarize-eval run")
    if not (path / PER_EXAMPLE).is_file():
        raise InvalidInputError(
            f"{path}: has no {PER_EXAMPLE} (written by an older version): rerun its summarize-eval run command "
            "with --resume, which rescores without generating again")
    scores = json.loads(scores_file.read_text(encoding="utf-8"))
    ids = set()
    predictions = path / "predictions.jsonl"
    if predictions.is_file():
        with open(predictions, encoding="utf-8") as f:
            ids = {str(json.loads(line)["id"]) for line in f if line.strip()}
    per_example = read_per_example(path)
    system = scores["run"].get("system") or next(iter(scores["systems"]))
    try:
        signature = RougeSignature.parse(scores["systems"][system]["rouge1"]["signature"])
    except InvalidInputError as exc:
        raise InvalidInputError(f"{scores_file}: {exc}") from None
    return Run(path, scores["run"], scores["systems"], per_example, frozenset(ids or per_example), system, signature)


def check_comparable(runs: list[Run]) -> None:
    """Raise, with the reason, unless every run is over the same examples, language, data and scoring."""
    first = runs[0]
    for run in runs[1:]:
        a, b = first.meta, run.meta
        if (a["lang"], a["target_lang"]) != (b["lang"], b["target_lang"]):
            raise InvalidInputError(
                f"runs differ in language: {first.path} is {a['lang']}→{a['target_lang']}, {run.path} is {b['lang']}→{b['target_lang']}")
        sig_a, sig_b = first.signature.as_dict(), run.signature.as_dict()
        for k in REFUSED:
            if sig_a[k] != sig_b[k]:
                raise InvalidInputError(
                    f"runs differ in their ROUGE signature's {k}: {first.path} has {_value(sig_a[k])}, "
                    f"{run.path} has {_value(sig_b[k])}; compare runs scored the same way on the same data")
        if first.ids != run.ids:
            only_a, only_b = sorted(first.ids - run.ids), sorted(run.ids - first.ids)
            raise InvalidInputError(
                f"runs are over different examples: {len(only_a)} of {first.path}'s are not in {run.path}, "
                f"{len(only_b)} the other way (first: {(only_a or only_b)[0]!r}); use the same --limit and --seed")


def paired_tests(baseline: list[float], system: list[float], *, resamples: int, trials: int, seed: int) -> dict[str, Any]:
    """The two tests on paired per-example numbers: the mean difference, its 95% interval, two p-values.

    >>> r = paired_tests([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], resamples=100, trials=100, seed=0)
    >>> r["difference"], r["p_bootstrap"], r["p_randomization"]
    (0.0, 1.0, 1.0)
    """
    import numpy as np

    d = np.asarray(system, dtype=np.float64) - np.asarray(baseline, dtype=np.float64)
    n = len(d)
    observed = float(d.mean())
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    block = max(1, 2_000_000 // n)
    for start in range(0, resamples, block):
        stop = min(resamples, start + block)
        means[start:stop] = d[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    low, high = (float(x) for x in np.percentile(means, [2.5, 97.5]))
    tolerance = 1e-9  # equal up to float error counts as equal
    p_bs = (int(np.sum(np.abs(means - means.mean()) >= abs(observed) - tolerance)) + 1) / (resamples + 1)
    shuffled = np.empty(trials)
    for start in range(0, trials, block):
        stop = min(trials, start + block)
        signs = rng.integers(0, 2, size=(stop - start, n)) * 2 - 1
        shuffled[start:stop] = np.abs((signs * d).mean(axis=1))
    p_ar = (int(np.sum(shuffled >= abs(observed) - tolerance)) + 1) / (trials + 1)
    return {"difference": observed, "ci95": [low, high], "p_bootstrap": p_bs, "p_randomization": p_ar}


def compare_runs(paths: list[str | Path], *, with_baselines: bool = False, resamples: int = 1000,
                 trials: int = 10000, seed: int = 0, alpha: float = 0.05) -> dict[str, Any]:
    """Compare each run's system (and the first run's baselines, if asked) with the first run's."""
    if len(paths) < 2 and not with_baselines:
        raise InvalidInputError("give at least two run directories (or one with --with-baselines)")
    for name, value, least in (("--resamples", resamples, 1), ("--trials", trials, 1)):
        if value < least:
            raise InvalidInputError(f"{name} must be >= {least}, got {value}")
    runs = [read_run(p) for p in paths]
    check_comparable(runs)
    names = _names(runs)
    systems = {names[i]: (run, run.system) for i, run in enumerate(runs)}
    if with_baselines:
        for baseline in runs[0].systems:
            if baseline != runs[0].system:
                systems[baseline] = (runs[0], baseline)
    shared = sorted(set.intersection(*(set(run.per_example) for run in runs)))
    if not shared:
        raise InvalidInputError("no example has a prediction in every run")
    # Every number is on one scale, x100: ROUGE F1, the share of supported facts, and "flagged"
    # (0 or 1 per example) as a percentage of summaries with an unsupported fact.
    values = {
        name: {m: [run.per_example[i][system][m] * (100 if m == "flagged" else 1) for i in shared]
               for m in (*ROUGE_METRICS, *FAITHFULNESS_METRICS)
               if all(m in run.per_example[i].get(system, {}) for i in shared)}
        for name, (run, system) in systems.items()
    }
    baseline_name = names[0]
    comparisons = []
    for metric in (*ROUGE_METRICS, *FAITHFULNESS_METRICS):
        if metric not in values[baseline_name]:
            continue
        base = values[baseline_name][metric]
        for name in systems:
            if name == baseline_name or metric not in values[name]:
                continue
            tests = paired_tests(base, values[name][metric], resamples=resamples, trials=trials, seed=seed)
            better = tests["difference"] > 0 if HIGHER_IS_BETTER[metric] else tests["difference"] < 0
            significant = max(tests["p_bootstrap"], tests["p_randomization"]) < alpha
            comparisons.append({
                "metric": metric, "system": name, "baseline": baseline_name,
                "score": sum(values[name][metric]) / len(shared), "baseline_score": sum(base) / len(shared),
                **tests, "significant": significant,
                "verdict": ("better" if better else "worse") if significant else "no significant difference",
            })
    meta = runs[0].meta
    return {
        "baseline": baseline_name,
        "systems": {name: {"run": str(run.path), "system": system} for name, (run, system) in systems.items()},
        "examples": len(shared),
        "left_out": len(runs[0].ids) - len(shared),
        "lang": meta["lang"], "target_lang": meta["target_lang"], "dataset": meta["dataset"],
        "data_signature": runs[0].signature.format(omit=("name", *INTERVAL)),
        "signature": PairedSignature(resamples=resamples, trials=trials, seed=seed, alpha=alpha, version=__version__).format(),
        "signature_differences": signature_differences(runs, names),
        "comparisons": comparisons,
    }


def signature_differences(runs: list[Run], names: list[str]) -> dict[str, dict[str, str]]:
    """What the runs may differ in and do (:data:`SHOWN`): by signature key, each run's value by its name."""
    found = {}
    for k in SHOWN:
        values = {name: _value(run.signature.as_dict()[k]) for name, run in zip(names, runs)}
        if len(set(values.values())) > 1:
            found[k] = values
    return found


def _value(value: object) -> str:
    return "none" if value is None else str(value)


def _names(runs: list[Run]) -> list[str]:
    """Each run's system name, with its directory's name where two runs' systems share one."""
    plain = [run.system for run in runs]
    named = [f"{name} ({run.path.name})" if plain.count(name) > 1 else name for name, run in zip(plain, runs)]
    # The same directory twice (or two of one name): their position tells them apart.
    return [f"{name} #{i}" if named.count(name) > 1 else name for i, name in enumerate(named, start=1)]


def _p(value: float) -> str:
    return f"{value:.4f}" if value >= 0.0001 else f"{value:.1e}"


def format_comparison(result: dict[str, Any], fmt: str = "text") -> str:
    """The comparison as ``text`` (aligned columns), ``markdown`` or ``json``."""
    if fmt == "json":
        return json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    head = (f"Paired comparison with {result['baseline']} on {result['examples']} examples of {result['dataset']} "
            f"({result['lang']}→{result['target_lang']})"
            + (f"; {result['left_out']} left out (failed in some run)" if result["left_out"] else "") + ".")
    columns = ("metric", "system", "score", "baseline", "difference", "95% interval", "p (bootstrap)", "p (randomization)", "verdict")
    rows = [
        (LABELS[c["metric"]], c["system"], f"{c['score']:.2f}", f"{c['baseline_score']:.2f}", f"{c['difference']:+.2f}",
         f"[{c['ci95'][0]:+.2f}, {c['ci95'][1]:+.2f}]", _p(c["p_bootstrap"]), _p(c["p_randomization"]), c["verdict"])
        for c in result["comparisons"]
    ]
    foot = [f"Significant: both p-values below {PairedSignature.parse(result['signature']).alpha}. Higher is better, "
            "except for 'with an unsupported fact'.", f"Signature: {result['signature']}", f"Data: {result['data_signature']}"]
    foot += [f"The runs differ in {SHOWN[k]} ({k}): " + ", ".join(f"{name} {value}" for name, value in values.items()) + "."
             for k, values in result["signature_differences"].items()]
    if fmt == "markdown":
        lines = [head, "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join([*lines, "", *[f"{line}  " for line in foot]]) + "\n"
    widths = [max(len(str(x)) for x in column) for column in zip(columns, *rows)]
    lines = [head, "", "  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(str(x).ljust(w) for x, w in zip(row, widths)) for row in rows]
    return "\n".join([*lines, "", *foot]) + "\n"


def write_comparison_chart(result: dict[str, Any], path: Path) -> Path | None:
    """Each system's difference from the baseline with its 95% interval, one panel per metric (PNG)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    metrics = list(dict.fromkeys(c["metric"] for c in result["comparisons"]))
    if not metrics:
        return None
    systems = list(dict.fromkeys(c["system"] for c in result["comparisons"]))
    fig, axes = plt.subplots(1, len(metrics), figsize=(2.6 * len(metrics), 0.6 + 0.5 * len(systems)), squeeze=False, sharey=True)
    for ax, metric in zip(axes[0], metrics):
        rows = {c["system"]: c for c in result["comparisons"] if c["metric"] == metric}
        for y, name in enumerate(systems):
            c = rows.get(name)
            if c is None:
                continue
            color = "tab:green" if c["verdict"] == "better" else "tab:red" if c["verdict"] == "worse" else "tab:gray"
            ax.errorbar(c["difference"], y, xerr=[[c["difference"] - c["ci95"][0]], [c["ci95"][1] - c["difference"]]],
                        fmt="o", color=color, capsize=3)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(LABELS[metric], fontsize=9)
        ax.set_yticks(range(len(systems)), systems)
    fig.suptitle(f"difference from {result['baseline']} (95% interval)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
