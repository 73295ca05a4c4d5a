"""CCB Graph's core: the domain model, the schema read from it, and the stores."""

from graph.errors import CCBError, LoadError, Problem
from graph.store import Batch, Store, open_store

__all__ = ["Batch", "CCBError", "LoadError", "Problem", "Store", "open_store"]
