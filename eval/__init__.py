"""summarize-eval: ROUGE that is right for Ukrainian and Russian, and whole evaluations.

Installed as ``summarize_eval`` (the folder is ``eval/``; a top-level module
named ``eval`` would shadow the builtin). Scoring imports neither torch nor
transformers.

>>> from summarize_eval import Rouge
>>> result = Rouge(lang="uk").score(predictions=["Ціни зросли"], references=["Ціни зросли"])
>>> result["rouge1"].f1
100.0
"""

from summarize import __version__

from .metrics.rouge import ROUGE_TYPES, Rouge, RougeResult, RougeScore
from .tokenizers import TOKENIZERS, get_tokenizer

__all__ = ["ROUGE_TYPES", "TOKENIZERS", "Rouge", "RougeResult", "RougeScore", "__version__", "get_tokenizer"]
