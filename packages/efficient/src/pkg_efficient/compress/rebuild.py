"""Entry point used by ``engine.modelio.load_model`` for compressed checkpoints."""

from pkg_efficient.compress.apply import rebuild

__all__ = ["rebuild"]
