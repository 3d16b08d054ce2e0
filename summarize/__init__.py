"""Multilingual news summarisation: English, Ukrainian and Russian.

>>> import summarize
>>> summarize.Summarizer(method="lead", sentences=1).summarize("Ціни зросли. Уряд мовчить.").text
'Ціни зросли.'

Importing the package is cheap: torch and transformers are imported only when
an abstractive model is loaded.
"""

from ._version import __version__
from .errors import (
    InvalidInputError,
    InvalidOptionError,
    MissingDependencyError,
    ModelNotAvailableError,
    SummarizeError,
    UnsupportedLanguageError,
)
from .faithfulness import FaithfulnessReport, check_faithfulness
from .generation import GenerationSettings
from .options import CallOptions, SummarizerOptions
from .languages import detect_language, split_sentences
from .presets import PRESETS, Preset
from .generation.long_input import TruncationWarning
from .hf_pipeline import pipeline
from .summarizer import Summarizer, summarize
from .summary import Summary

__all__ = [
    "PRESETS",
    "CallOptions",
    "SummarizerOptions",
    "GenerationSettings",
    "FaithfulnessReport",
    "InvalidInputError",
    "InvalidOptionError",
    "MissingDependencyError",
    "ModelNotAvailableError",
    "Preset",
    "Summarizer",
    "Summary",
    "SummarizeError",
    "TruncationWarning",
    "UnsupportedLanguageError",
    "__version__",
    "check_faithfulness",
    "detect_language",
    "pipeline",
    "split_sentences",
    "summarize",
]
