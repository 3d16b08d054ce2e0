"""Finding and loading checkpoints: presets, hub ids and local directories."""

from .loading import Checkpoint, load_checkpoint, resolve_model

__all__ = ["Checkpoint", "load_checkpoint", "resolve_model"]
