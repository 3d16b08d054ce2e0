"""Checkpoints: finding and loading presets, hub ids and local directories (config and tokenizer)."""

from .loading import Checkpoint, load_checkpoint, resolve_model

__all__ = ["Checkpoint", "load_checkpoint", "resolve_model"]
