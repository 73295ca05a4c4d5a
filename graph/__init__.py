"""CCB Graph's core: the domain model, the schema read from it, and the stores."""

from typing import Any

from graph.errors import CCBError, LoadError, Problem
from graph.store import Batch, Store

__all__ = ["Batch", "CCBError", "LoadError", "Problem", "Store", "open_store"]


def __getattr__(name: str) -> Any:
    """``graph.open_store`` on first use: graph.open imports the stores, which import this package."""
    if name == "open_store":
        from graph.open import open_store

        return open_store
    raise AttributeError(f"module 'graph' has no attribute {name!r}")
