"""From generated ids to a :class:`~summarize.Summary`: decode the hypotheses, check each, choose one.

With ``faithfulness="check"`` the model's one hypothesis is checked against
its document; with ``"rerank"`` every hypothesis of the beam is, and the one
with the fewest unsupported facts is returned (:func:`choose_hypothesis`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ..errors import InvalidInputError, SummarizeError
from ..summary import Summary

logger = logging.getLogger(__name__)


def check_against(doc: Any, text: str) -> Any:
    """The faithfulness report of ``text`` against its document, or ``None`` if it cannot be checked."""
    from ..faithfulness import check_faithfulness

    try:
        return check_faithfulness(doc.text, text, source_lang=doc.source, summary_lang=doc.target)
    except InvalidInputError:
        # A summary in another script than its language (the model wrote in
        # another script): check it as what it is.
        try:
            return check_faithfulness(doc.text, text)
        except SummarizeError as exc:
            logger.debug("%s: no faithfulness check: %s", doc.name, exc)
            return None


def choose_hypothesis(reports: Sequence[Any]) -> int:
    """The hypothesis ``faithfulness="rerank"`` returns: fewest unsupported facts, ties to the model's order.

    A hypothesis that could not be checked (``None``) comes after every
    checked one. With one hypothesis (``"check"``) this is always 0.

    >>> from types import SimpleNamespace as R
    >>> choose_hypothesis([R(unsupported=[1, 2]), R(unsupported=[]), R(unsupported=[3])])
    1
    >>> choose_hypothesis([R(unsupported=[1]), R(unsupported=[2])]), choose_hypothesis([None, R(unsupported=[1])])
    (0, 1)
    """
    return min(range(len(reports)), key=lambda i: (len(reports[i].unsupported) if reports[i] is not None else float("inf"), i))


def summary_from_job(job: Any, checkpoint: Any, backend: Any, faithfulness: str) -> Summary | BaseException:
    """The :class:`~summarize.Summary` of one document's finished job (or its error)."""
    if job.error is not None:
        return job.error
    tok = checkpoint.tokenizer
    candidates = job.output  # the backend contract: every input gets its hypotheses, best first
    texts = [tok.decode(c, skip_special_tokens=True).strip() for c in candidates]
    chosen, report = 0, None
    if faithfulness != "off":
        reports = [check_against(job.doc, t) for t in texts]
        chosen = choose_hypothesis(reports)
        report = reports[chosen]
    rerank = faithfulness == "rerank"
    return Summary(
        text=texts[chosen],
        faithfulness=report,
        reranked=rerank and chosen != 0,
        first_choice=texts[0] if rerank else None,
        source_lang=job.doc.source,
        target_lang=job.doc.target,
        lang_detected=job.doc.detected,
        method="abstractive",
        title=job.doc.title,
        model=checkpoint.name,
        revision=checkpoint.revision,
        backend=backend.name,
        input_tokens=job.input_tokens,
        output_tokens=len(candidates[chosen]),
        vocabulary=backend.vocabulary_used,
        chunked=job.chunked,
        truncated=job.truncated,
        chunks=job.chunks,
        seconds=job.seconds,
    )
