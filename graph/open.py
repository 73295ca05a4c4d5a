"""Opening a store: what a ``--db`` value (or ``CCB_DB``) names, decided in this one place.

The stores import :mod:`graph.store`; this module imports the stores; no
module imports back, so there is no import circle. The environment is read
here and nowhere else: ``CCB_DB`` for the store, ``NEO4J_USERNAME``,
``NEO4J_PASSWORD`` and ``NEO4J_DATABASE`` for Neo4j, ``XDG_DATA_HOME`` for
the default path.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from graph.embedded import EmbeddedStore
from graph.errors import StoreError
from graph.store import Store, is_neo4j_uri


def default_db_path() -> Path:
    """Where the embedded store lives when neither ``--db`` nor ``CCB_DB`` says."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "ccb" / "graph.lbdb"


def chosen(db: str | os.PathLike[str] | None = None) -> str | None:
    """``db`` as given, else ``$CCB_DB``, else None (the caller's default)."""
    return str(db) if db else os.environ.get("CCB_DB") or None


def target(db: str | os.PathLike[str] | None = None) -> str:
    """The store ``db`` names: a Neo4j URI as it is, a path with ``~`` expanded; ``CCB_DB`` then the default path."""
    name = chosen(db) or str(default_db_path())
    return name if is_neo4j_uri(name) else os.path.expanduser(name)  # "~/..." from Python or a quoted shell argument


def open_store(db: str | os.PathLike[str] | None = None, *, read_only: bool = False, create: bool = True) -> Store:
    """Open the store ``db`` names: a ``bolt://``/``neo4j://`` URI or a path.

    ``None`` means ``$CCB_DB``, then :func:`default_db_path`. Neo4j takes its
    credentials from ``NEO4J_USERNAME`` / ``NEO4J_PASSWORD`` and its database
    from ``NEO4J_DATABASE``. Without ``create``, an embedded path that does
    not exist is an error (a typo must not become a new, empty store).

    >>> import tempfile
    >>> with open_store(os.path.join(tempfile.mkdtemp(), "g.lbdb")) as s:
    ...     s.kind
    'embedded'
    """
    db = target(db)
    if is_neo4j_uri(db):
        from graph.neo4j_store import Neo4jStore  # here, not at the top: the driver costs every embedded command 0.3 s

        return Neo4jStore(
            db,
            user=os.environ.get("NEO4J_USERNAME", "neo4j"),
            password=os.environ.get("NEO4J_PASSWORD", ""),
            database=os.environ.get("NEO4J_DATABASE") or None,
        )
    if re.match(r"[a-z][a-z0-9+.-]*://", str(db)):  # http://localhost:7474 is Neo4j's browser, not a path to create
        raise StoreError(f"{db} is not a store address", "Neo4j is reached over Bolt: bolt://HOST:7687 or neo4j://HOST:7687")
    if not create and not Path(db).exists():
        raise StoreError(f"no store at {db}", "create one with `ccb init` (or `ccb demo` for the bundled data), or pass --db")
    return EmbeddedStore(db, read_only=read_only)
