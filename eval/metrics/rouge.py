"""ROUGE-1/2/L/Lsum with bootstrap confidence intervals and signatures.

The n-gram and LCS arithmetic is ``rouge-score``'s (Google's reimplementation
of ROUGE-1.5.5), driven with this package's tokenisation schemes
(:mod:`summarize_eval.tokenizers`). For ROUGE-Lsum, summaries are split into
sentences (one a line) with the library's sentence splitter first.

Corpus scores are means over examples (x100). The 95% interval comes from a
seeded bootstrap over examples (``numpy.random.Generator``), so the same
signature on the same inputs gives the same numbers.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from summarize import __version__
from summarize.errors import InvalidInputError, InvalidOptionError, choices
from summarize.languages import get_language, split_sentences

from ..tokenizers import get_tokenizer
from .signature import RougeSignature

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")


@dataclass(frozen=True)
class RougeScore:
    """One ROUGE type over a corpus. F1, precision and recall are x100.

    ``low``/``mid``/``high`` are the 2.5th, 50th and 97.5th percentiles of the
    bootstrap distribution of the mean F1.
    """

    name: str
    f1: float
    precision: float
    recall: float
    low: float
    mid: float
    high: float
    n: int
    signature: str  # as text, as scores.json holds it: RougeSignature.parse reads it back

    def __str__(self) -> str:
        return f"{self.name} = {self.f1:.2f} (95% CI {self.low:.2f}-{self.high:.2f}, n={self.n}) {self.signature}"


@dataclass
class RougeResult:
    """Corpus scores by ROUGE type, and the per-example (P, R, F1) in x100."""

    scores: dict[str, RougeScore]
    per_example: list[dict[str, tuple[float, float, float]]]

    def __getitem__(self, name: str) -> RougeScore:
        return self.scores[name]

    def to_dict(self) -> dict[str, Any]:
        return {name: asdict(score) for name, score in self.scores.items()}


class Rouge:
    """A configured ROUGE scorer.

    Args:
        lang: language of the summaries (``"en"``, ``"uk"``, ``"ru"``).
        tokenizer: ``"xlsum"`` (default), ``"google"`` or ``"unicode"``.
        rouge_types: which of ``rouge1 rouge2 rougeL rougeLsum``.
        n_bootstrap: bootstrap resamples for the interval (0: none).
        seed: bootstrap seed.

    >>> rouge = Rouge(lang="ru", n_bootstrap=100)
    >>> res = rouge.score(predictions=["Цены выросли"], references=["Цены резко выросли"])
    >>> round(res["rouge1"].f1, 2), res["rouge1"].signature
    (80.0, 'rouge1|lang:ru|tok:xlsum|stem:snowball>3|bs:100|seed:0|v:0.1.0')
    """

    def __init__(
        self,
        lang: str,
        *,
        tokenizer: str = "xlsum",
        rouge_types: Sequence[str] = ROUGE_TYPES,
        n_bootstrap: int = 1000,
        seed: int = 0,
    ):
        get_language(lang)
        unknown = [t for t in rouge_types if t not in ROUGE_TYPES]
        if unknown or not rouge_types:
            raise InvalidOptionError(f"unknown ROUGE type(s) {unknown or rouge_types!r}; valid types are {choices(ROUGE_TYPES)}")
        if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, int) or n_bootstrap < 0:
            raise InvalidOptionError(f"n_bootstrap must be an integer >= 0, got {n_bootstrap!r}")
        from rouge_score import rouge_scorer

        self.lang = lang
        self.tokenizer = get_tokenizer(tokenizer, lang)
        if tokenizer == "google" and get_language(lang).script != "latin":
            warnings.warn(
                f"the google tokenizer keeps only a-z and 0-9: {get_language(lang).name.title()} words vanish and only "
                "digits and Latin words are scored; use tokenizer='xlsum' (the papers') or 'unicode'",
                UserWarning, stacklevel=2,
            )
        self.rouge_types = tuple(rouge_types)
        self.n_bootstrap = n_bootstrap
        self.seed = seed
        self._references = _ReferenceCache(self.tokenizer)
        self._scorer = rouge_scorer.RougeScorer(list(self.rouge_types), tokenizer=self._references)

    def signature(self, rouge_type: str) -> RougeSignature:
        """What produced a score of this type.

        >>> print(Rouge(lang="uk").signature("rouge1"))
        rouge1|lang:uk|tok:xlsum|stem:none|bs:1000|seed:0|v:0.1.0
        """
        return RougeSignature(
            name=rouge_type, lang=self.lang, tokenizer=self.tokenizer.name, stemming=self.tokenizer.stemming,
            bootstrap=self.n_bootstrap, seed=self.seed, version=__version__,
        )

    def score_pair(self, *, prediction: str, reference: str) -> dict[str, tuple[float, float, float]]:
        """(precision, recall, F1) x100 for one prediction against one reference.

        A reference's sentences and tokens are computed once per scorer: a
        run scores several systems against the same references.
        """
        if "rougeLsum" in self.rouge_types:
            prediction = "\n".join(split_sentences(prediction))
            reference = self._references.sentences(reference)
        # rouge-score takes (target, prediction): the reverse of what most
        # people type, hence the keyword-only arguments here.
        raw = self._scorer.score(reference, prediction)
        return {k: (v.precision * 100, v.recall * 100, v.fmeasure * 100) for k, v in raw.items()}

    def score(self, *, predictions: Sequence[str], references: Sequence[str]) -> RougeResult:
        """Score a corpus: predictions[i] against references[i].

        Raises:
            InvalidInputError: the lists differ in length, are empty, or hold
                something other than strings; a reference is empty.
        """
        predictions, references = list(predictions), list(references)
        if len(predictions) != len(references):
            raise InvalidInputError(
                f"mismatch in the number of predictions ({len(predictions)}) and references ({len(references)})"
            )
        if not predictions:
            raise InvalidInputError("nothing to score: no predictions and no references")
        for kind, items in (("prediction", predictions), ("reference", references)):
            for i, item in enumerate(items):
                if not isinstance(item, str):
                    raise InvalidInputError(f"{kind} {i} is a {type(item).__name__}, not a string")
        empty = [i for i, r in enumerate(references) if not r.strip()]
        if empty:
            raise InvalidInputError(
                f"{len(empty)} reference(s) are empty (first: {empty[0]}); an empty reference cannot be scored"
            )
        self._references.remember(*references)
        per_example = [self.score_pair(prediction=p, reference=r) for p, r in zip(predictions, references)]
        scores = {t: self._aggregate(t, [e[t] for e in per_example]) for t in self.rouge_types}
        return RougeResult(scores, per_example)

    def _aggregate(self, rouge_type: str, values: list[tuple[float, float, float]]) -> RougeScore:
        import numpy as np

        arr = np.asarray(values, dtype=np.float64)
        precision, recall, f1 = arr.mean(axis=0)
        low = mid = high = float(f1)
        if self.n_bootstrap:
            rng = np.random.default_rng(self.seed)
            n = len(arr)
            means = np.empty(self.n_bootstrap)
            # In blocks, so that memory stays bounded on large corpora.
            block = max(1, 2_000_000 // n)
            for start in range(0, self.n_bootstrap, block):
                stop = min(self.n_bootstrap, start + block)
                idx = rng.integers(0, n, size=(stop - start, n))
                means[start:stop] = arr[idx, 2].mean(axis=1)
            low, mid, high = (float(x) for x in np.percentile(means, [2.5, 50, 97.5]))
        return RougeScore(
            name=rouge_type,
            f1=float(f1),
            precision=float(precision),
            recall=float(recall),
            low=low,
            mid=mid,
            high=high,
            n=len(arr),
            signature=self.signature(rouge_type).format(),
        )


class _ReferenceCache:
    """The scheme's tokenizer, remembering what it made of each reference (and of its sentences).

    Texts marked with :meth:`remember` are tokenised once; anything else
    afresh. Memory is bounded: past ``limit`` texts it starts again.
    """

    def __init__(self, tokenizer: Any, limit: int = 200_000):
        self.tokenizer = tokenizer
        self.limit = limit
        self.calls = 0  # tokenisations made: what the cache saves is visible
        self._split: dict[str, str] = {}
        self._tokens: dict[str, list[str] | None] = {}

    def remember(self, *texts: str) -> None:
        if len(self._tokens) + len(texts) > self.limit:
            self._split.clear()
            self._tokens.clear()
        for text in texts:
            self._tokens.setdefault(text, None)

    def sentences(self, reference: str) -> str:
        """The reference one sentence a line, as ROUGE-Lsum reads it; remembered."""
        joined = self._split.get(reference)
        if joined is None:
            joined = self._split[reference] = "\n".join(split_sentences(reference))
            self.remember(joined, *joined.split("\n"))
        return joined

    def tokenize(self, text: str) -> list[str]:
        found = self._tokens.get(text)
        if found is None:
            self.calls += 1
            found = self.tokenizer.tokenize(text)
            if text in self._tokens:
                self._tokens[text] = found
        return list(found)
