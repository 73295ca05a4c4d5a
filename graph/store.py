"""The store interface shared by the embedded (LadybugDB) and Neo4j stores.

A store writes a :class:`Batch` atomically (all of it or none of it), runs
parameterised Cypher, counts, clears, and exports to NetworkX. Which store a
``--db`` value means is decided once, in :func:`graph.open.open_store`.
"""

from __future__ import annotations

import gc
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast, overload
from urllib.parse import unquote

import networkx as nx
import pyarrow as pa

from graph import cypher, schema
from graph.model import Node, Relationship

# A stream's batches are written in merged units of this many rows: inside one
# LadybugDB transaction memory grows with each statement (a 100 MB IATI file in
# 50 batches of 7.5k rows peaked at 4.1 GB; merged to 100k rows, 1.1 GB).
STREAM_ROWS = 100_000
NEO4J_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")


@dataclass
class Batch:
    """Validated records to write together, grouped by label and type.

    Rows are de-duplicated by key (the last record of a key wins, as in
    Neo4j's MERGE; LadybugDB would keep the first).
    """

    nodes: dict[str, dict[str, Node]] = field(default_factory=dict)
    rels: dict[str, dict[tuple[str, str], Relationship]] = field(default_factory=dict)

    def add(self, record: Node | Relationship) -> None:
        """Add one record; a record with the same identity replaces the earlier one."""
        if record.is_node:
            node = cast(Node, record)  # is_node: cheaper than isinstance() on a pydantic class
            self.nodes.setdefault(node.label, {})[getattr(node, node.key)] = node
        else:
            rel = cast(Relationship, record)
            self.rels.setdefault(rel.type, {})[(rel.src, rel.dst)] = rel

    def has(self, record: Node | Relationship) -> bool:
        """Whether a record with the same identity is already in the batch."""
        if record.is_node:
            return getattr(record, record.key) in self.nodes.get(record.label, ())  # type: ignore[union-attr]
        return (record.src, record.dst) in self.rels.get(record.type, ())  # type: ignore[union-attr]

    def holds(self, record: Node | Relationship) -> bool:
        """Whether ``record`` itself, not only a record of its identity, is the one the batch keeps."""
        if record.is_node:
            return self.nodes.get(record.label, {}).get(getattr(record, record.key)) is record  # type: ignore[union-attr]
        return self.rels.get(record.type, {}).get((record.src, record.dst)) is record  # type: ignore[union-attr]

    def extend(self, records: Iterable[Node | Relationship]) -> Batch:
        """Add every record of ``records``; returns the batch, for chaining."""
        for r in records:
            self.add(r)
        return self

    def update(self, other: Batch) -> Batch:
        """Add every record of ``other``; where both hold a key, ``other``'s record wins."""
        for label, nodes in other.nodes.items():
            self.nodes.setdefault(label, {}).update(nodes)
        for type_, rels in other.rels.items():
            self.rels.setdefault(type_, {}).update(rels)
        return self

    def __len__(self) -> int:
        return sum(map(len, self.nodes.values())) + sum(map(len, self.rels.values()))

    # A frozen model's own field dict is the row: its fields are the schema's columns
    # (a test checks it), and not copying it saves a sixth of a 660k-row load.
    def node_rows(self, label: str) -> list[dict[str, Any]]:
        """Rows of ``label``: one dict per record with every column of the schema (read-only)."""
        return [rec.__dict__ for rec in self.nodes.get(label, {}).values()]

    def rel_rows(self, type_: str) -> list[dict[str, Any]]:
        """Rows of relationship ``type_``: ``src``, ``dst`` and every property (read-only)."""
        return [rec.__dict__ for rec in self.rels.get(type_, {}).values()]


class RowBatch(Batch):
    """A batch of rows already validated: each row a record's field dict (what a checked file spilled to disk).

    >>> b = RowBatch.of({"Programme": [{"id": "p1", "name": "One"}]}, {})
    >>> b.node_rows("Programme"), len(b)
    ([{'id': 'p1', 'name': 'One'}], 1)
    """

    @classmethod
    def of(cls, nodes: dict[str, list[dict[str, Any]]], rels: dict[str, list[dict[str, Any]]]) -> RowBatch:
        """The rows of each label and type (relationship rows carry ``src`` and ``dst``)."""
        out = cls()
        for label, rows in nodes.items():
            key = schema.node(label).key
            out.nodes.setdefault(label, {}).update((r[key], r) for r in rows)  # type: ignore[misc]
        for type_, rows in rels.items():
            out.rels.setdefault(type_, {}).update(((r["src"], r["dst"]), r) for r in rows)  # type: ignore[misc]
        return out

    def node_rows(self, label: str) -> list[dict[str, Any]]:
        """Rows of ``label`` (read-only)."""
        return list(self.nodes.get(label, {}).values())  # type: ignore[arg-type]

    def rel_rows(self, type_: str) -> list[dict[str, Any]]:
        """Rows of relationship ``type_`` (read-only)."""
        return list(self.rels.get(type_, {}).values())  # type: ignore[arg-type]


class Rows(Sequence[dict[str, Any]]):
    """The rows of an Arrow table as dicts, made only when read: a store that takes the table whole never pays for them.

    >>> rows = Rows(pa.table({"id": ["a", "b"]}))
    >>> len(rows), rows.table.num_rows, rows[1], list(rows)
    (2, 2, {'id': 'b'}, [{'id': 'a'}, {'id': 'b'}])
    """

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self._rows: list[dict[str, Any]] | None = None

    def _made(self) -> list[dict[str, Any]]:
        if self._rows is None:
            self._rows = self.table.to_pylist()
        return self._rows

    def __len__(self) -> int:
        return int(self.table.num_rows)

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self._made()[i]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._made())


class TableBatch(Batch):
    """A batch of checked rows held as Arrow tables, one per label or type, each key once (a file checked in columns).

    Node tables have the schema's columns; relationship tables ``src``, ``dst`` and the properties.

    >>> b = TableBatch({"Programme": pa.table({"id": ["p1"], "name": ["One"]})})
    >>> len(b), b.node_rows("Programme")[0], len(b.rel_rows("FUNDS"))
    (1, {'id': 'p1', 'name': 'One'}, 0)
    """

    def __init__(self, tables: dict[str, pa.Table] | None = None) -> None:
        super().__init__()
        self.tables: dict[str, pa.Table] = dict(tables or {})

    def node_rows(self, label: str) -> Rows:  # type: ignore[override]
        """Rows of ``label`` (read-only; ``.table`` is the table)."""
        return Rows(self.tables.get(label, _EMPTY))

    def rel_rows(self, type_: str) -> Rows:  # type: ignore[override]
        """Rows of relationship ``type_`` (read-only; ``.table`` is the table)."""
        return Rows(self.tables.get(type_, _EMPTY))

    def update(self, other: Batch) -> Batch:
        """Append ``other``'s tables (a checked file's chunks: no key comes twice)."""
        if not isinstance(other, TableBatch):
            raise TypeError("a TableBatch takes only another TableBatch's tables")
        for name, table in other.tables.items():
            self.tables[name] = pa.concat_tables([self.tables[name], table]) if name in self.tables else table
        return self

    def __len__(self) -> int:
        return sum(t.num_rows for t in self.tables.values())


_EMPTY = pa.table({})


@dataclass
class WriteSummary:
    """What a write did, per label or type: rows created, updated (changed) and unchanged."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, plan: WritePlan) -> None:
        """Count ``plan`` in (a streamed write adds one plan per batch and label)."""
        self.created[name] = self.created.get(name, 0) + len(plan.new)
        self.updated[name] = self.updated.get(name, 0) + len(plan.changed)
        self.unchanged[name] = self.unchanged.get(name, 0) + plan.unchanged


@dataclass(frozen=True)
class WritePlan:
    """Rows of one label or type split by what the store holds: only new and changed rows are written."""

    new: Sequence[dict[str, Any]]
    changed: list[dict[str, Any]]
    unchanged: int
    differing: list[tuple[str, ...]] = field(default_factory=list)  # per changed row: the columns that differ

    @classmethod
    def of(
        cls, rows: Sequence[dict[str, Any]], stored: dict[Any, dict[str, Any]], ident: Callable[[dict[str, Any]], Any]
    ) -> WritePlan:
        """Split ``rows`` against ``stored`` (identity -> stored row with the same columns)."""
        if not stored:  # a first load: nothing to compare (rows of a table stay unmade)
            return cls(rows, [], 0)
        new, changed, differing = [], [], []
        for r in rows:
            old = stored.get(ident(r))
            if old is None:
                new.append(r)
            elif r != old:  # dict equality first: in C, and true for most rows
                if cols := tuple(c for c in r if _differs(r[c], old.get(c))):
                    changed.append(r)
                    differing.append(cols)
        return cls(new, changed, len(rows) - len(new) - len(changed), differing)

    def changed_by_columns(self) -> dict[tuple[str, ...], list[dict[str, Any]]]:
        """Changed rows grouped by the columns that differ: a store can SET just those.

        >>> plan = WritePlan.of([{"id": "a", "x": 1, "y": 2}, {"id": "b", "x": 1, "y": 3}, {"id": "c", "x": 9, "y": 9}],
        ...                     {"a": {"id": "a", "x": 0, "y": 2}, "b": {"id": "b", "x": 0, "y": 2}}, node_ident("id"))
        >>> {cols: [r["id"] for r in rows] for cols, rows in plan.changed_by_columns().items()}
        {('x',): ['a'], ('x', 'y'): ['b']}
        """
        out: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for cols, r in zip(self.differing, self.changed):
            out.setdefault(cols, []).append(r)
        return out


def _differs(a: Any, b: Any) -> bool:
    # Stores return [] or None for an empty list property; a list comes back as a list.
    if isinstance(a, list) or isinstance(b, list):
        return list(a or []) != list(b or [])
    return bool(a != b)


def merged(batches: Iterable[Batch], rows: int, table_rows: int | None = None) -> Iterator[Batch]:
    """``batches`` merged in order into batches of at least ``rows`` rows (the last may be smaller); tables
    (:class:`TableBatch`) into units of ``table_rows`` if given.

    >>> from graph.model import Programme
    >>> parts = [Batch().extend([Programme(id=f"p{i}", name="x", source="s")]) for i in range(5)]
    >>> [len(b) for b in merged(parts, 2)]
    [2, 2, 1]
    """
    acc: Batch | None = None
    for batch in batches:
        if acc is not None and type(acc) is not type(batch):  # a unit holds one kind: tables, rows or records
            if len(acc):
                yield acc
            acc = None
        acc = acc or type(batch)()  # rows stay rows (RowBatch), records records, tables tables
        acc.update(batch)
        if len(acc) >= (table_rows or rows) if isinstance(acc, TableBatch) else len(acc) >= rows:
            yield acc
            acc = None
    if acc is not None and len(acc):
        yield acc


def node_ident(key: str) -> Callable[[dict[str, Any]], Any]:
    """The identity of a node row: its ``key`` value."""
    return lambda r: r[key]


def rel_ident(r: dict[str, Any]) -> tuple[Any, Any]:
    """The identity of a relationship row: its ``(src, dst)`` pair."""
    return (r["src"], r["dst"])


def chunks(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """``rows`` in consecutive lists of at most ``size``.

    >>> list(chunks([1, 2, 3, 4, 5], 2))
    [[1, 2], [3, 4], [5]]
    """
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


class Store(ABC):
    """A graph store. Use as a context manager, or call :meth:`close`."""

    kind: str  # "embedded" or "neo4j"
    location: str

    def write(self, batch: Batch) -> WriteSummary:
        """Upsert every record of ``batch`` in one transaction: all or nothing."""
        return self.write_stream([batch])

    @abstractmethod
    def write_stream(self, batches: Iterable[Batch], *, merge_rows: int | None = None, unique: bool = False) -> WriteSummary:
        """Upsert the batches in order, in one transaction: all of them, or none.

        ``unique`` is the caller's promise that no key comes in two batches
        (a file checked whole first): a store may then skip its look-ups.

        ``batches`` may be a generator that validates as it goes: if it
        raises, everything written so far is rolled back and the error
        passes on. Each batch's relationships may name nodes of its own or
        of earlier batches. Batches are merged, in order, into units of at
        least ``merge_rows`` rows before they are written (a key's last
        record wins), so the summary counts each key once per unit; by
        default :data:`STREAM_ROWS`, or the store's own size for checked
        tables (:class:`TableBatch`).
        """

    @abstractmethod
    def query(
        self, cypher_text: str, params: dict[str, Any] | None = None, *, write: bool = False, max_rows: int | None = None
    ) -> list[dict[str, Any]]:
        """Run one Cypher statement; read-only (and refused if it writes) unless ``write``.

        With ``max_rows``, a read that gives more rows raises :class:`~graph.errors.TooManyRows` before any row
        becomes Python (50 million rows of a cartesian product filled 22 GB as dicts).
        """

    @abstractmethod
    def existing_keys(self, label: str, keys: Iterable[str]) -> set[str]:
        """The subset of ``keys`` present as ``label`` nodes."""

    @abstractmethod
    def clear(self) -> None:
        """Delete every node and relationship; the schema stays."""

    @abstractmethod
    def close(self) -> None:
        """Release the store (files, connections); it cannot be used afterwards."""

    def _table(self, cypher_text: str) -> list[dict[str, Any]]:
        """Rows of a trusted, schema-generated read query (stores may do it faster)."""
        return self.query(cypher_text)

    def _node_rows(self, spec: schema.NodeSpec) -> list[dict[str, Any]]:
        """Every ``spec`` node as a row of its properties, by key."""
        return self._table(cypher.node_table(spec))

    def _rel_rows(self, spec: schema.RelSpec, src_key: str, dst_key: str) -> list[dict[str, Any]]:
        """Every ``spec`` relationship as ``src``, ``dst`` and its properties, by ``src`` then ``dst``."""
        return self._table(cypher.rel_table(spec, src_key, dst_key))

    def dump(self) -> Batch:
        """Every node and relationship as records, to copy the graph into another store (a scenario's, say).

        The rows were validated when they were written, so they come back
        unvalidated (:meth:`graph.model.Record.revive`).
        """
        batch = Batch()
        for spec in schema.nodes().values():
            batch.extend(spec.model.revive(self._node_rows(spec)))
        for rspec in schema.rels().values():
            sk, dk = schema.node(rspec.src).key, schema.node(rspec.dst).key
            batch.extend(rspec.model.revive(self._rel_rows(rspec, sk, dk)))
        return batch

    def counts(self) -> dict[str, int]:
        """Nodes per label and relationships per type, every one in the schema, zeros included."""
        out = {label: self._table(cypher.count_nodes(label))[0]["n"] for label in schema.nodes()}
        for spec in schema.rels().values():
            out[spec.rel_type] = self._table(cypher.count_rels(spec))[0]["n"]
        return {k: int(v) for k, v in out.items()}

    def to_networkx(self, labels: Iterable[str] | None = None, types: Iterable[str] | None = None) -> nx.MultiDiGraph[str]:
        """The graph (or the part with ``labels`` and ``types``) with every property.

        Node ids are ``"Label:key"``; each node carries ``label`` and its
        properties, each edge ``key`` (its type), ``type`` and its properties.
        A relationship is kept only when both its end labels are.
        """
        labels = sorted(schema.nodes()) if labels is None else [schema.node(lb).label for lb in labels]
        types = sorted(schema.rels()) if types is None else [schema.rel(t).rel_type for t in types]
        g: nx.MultiDiGraph[str] = nx.MultiDiGraph()
        for label in labels:
            spec = schema.node(label)
            # add_*_from with the attribute dicts built here: a third faster than a keyword call per item
            g.add_nodes_from((f"{label}:{row[spec.key]}", {"label": label, **_clean(row)}) for row in self._node_rows(spec))
        for type_ in types:
            rspec = schema.rel(type_)
            if rspec.src not in labels or rspec.dst not in labels:
                continue
            sk, dk = schema.node(rspec.src).key, schema.node(rspec.dst).key
            # (u, v, key, data) items: the stubs list 2- and 3-tuples only
            edges: Iterable[Any] = (
                (f"{rspec.src}:{row.pop('src')}", f"{rspec.dst}:{row.pop('dst')}", type_, {"type": type_, **_clean(row)})
                for row in self._rel_rows(rspec, sk, dk)
            )
            g.add_edges_from(edges)
        return g

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """Drop unset properties so exported graphs carry only known facts."""
    return {k: v for k, v in row.items() if v is not None and v != []}


class ReadCache:
    """A store whose read queries are each answered once: for analyses built from other analyses.

    ``profile`` runs ``supports``, ``country_gaps`` and ``concentration``,
    each of which reads the same flow table; behind a ``ReadCache`` it is
    read once. Rows are handed out as copies, so a caller cannot change
    another's. Use it for one composed call, not across writes: it never
    sees them.

    >>> import os, tempfile
    >>> from graph.embedded import EmbeddedStore
    >>> s = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "g.lbdb"))
    >>> cached = ReadCache(s)
    >>> cached.query("RETURN 1 AS one") == cached.query("RETURN 1 AS one") == [{"one": 1}]
    True
    >>> s.close()
    """

    read_cache = True  # what :func:`is_cached` asks: a proxy that forwards to a ReadCache answers it too

    def __init__(self, store: Store) -> None:
        self._store = store
        self._answers: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._made: dict[str, Any] = {}

    def memo(self, key: str, make: Callable[[], Any]) -> Any:
        """What ``make()`` builds from this cache's answers, built once per cache (the name index, say)."""
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def query(
        self, cypher_text: str, params: dict[str, Any] | None = None, *, write: bool = False, max_rows: int | None = None
    ) -> list[dict[str, Any]]:
        """Rows of a read query, each answered once per cache; a write is refused."""
        if write:
            raise ValueError("a ReadCache only reads")
        if max_rows is not None:  # a caller's own question, bounded: asked of the store, not kept
            return self._store.query(cypher_text, params, max_rows=max_rows)
        key = (cypher_text, repr(sorted((params or {}).items())))
        if key not in self._answers:
            self._answers[key] = self._store.query(cypher_text, params)
        return [dict(r) for r in self._answers[key]]

    def counts(self) -> dict[str, int]:
        """The store's counts, read once per cache (several analyses of one call print them)."""
        return dict(self.memo("counts", self._store.counts))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while millions of acyclic records, sets and lists pile up (a file's
    records, a whole-graph table): its full passes walk every object alive, so they grow with the heap (4 s of a
    660k-row read; 4 s of 13 for the activity table at size XL, where the build itself is linear)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def memo(store: Store, key: str, make: Callable[[], Any]) -> Any:
    """What ``make()`` builds, built once per cached store (:class:`ReadCache`, or a proxy of one), else each time.

    For tables derived from whole-graph reads that several analyses of one composed call ask again (a plan asks
    each of its rows who has worked where): treat the answer as read-only, it is shared.
    """
    kept = getattr(store, "memo", None)
    return kept(key, make) if kept is not None else make()


def cached(store: Store) -> Store:
    """``store`` behind a :class:`ReadCache` (once: an already cached store is returned as it is)."""
    return store if is_cached(store) else ReadCache(store)  # type: ignore[return-value]


def is_cached(store: Any) -> bool:
    """Whether ``store`` is a :class:`ReadCache`, or a proxy that forwards to one (the app's live store): wrapping
    it again would read every table afresh."""
    return isinstance(store, ReadCache) or getattr(store, "read_cache", False) is True


def is_neo4j_uri(db: str) -> bool:
    """Whether ``db`` names a Neo4j server (``bolt://``, ``neo4j://`` and their secure forms) rather than a path.

    >>> is_neo4j_uri("bolt://localhost:7687"), is_neo4j_uri("neo4j+s://graph.example.org"), is_neo4j_uri("ccb.lbdb")
    (True, True, False)
    """
    return db.startswith(NEO4J_SCHEMES)


_USERINFO = re.compile(r"([a-z][a-z0-9+.-]*://[^:/@\s'\"]*):[^@/\s'\"]*@", re.I)


_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*://)(.*)$", re.I | re.S)


def split_credentials(uri: str) -> tuple[str, str | None, str | None]:
    """``uri`` without its user and password, and them (percent-decoded), or None where it names none.

    The host never holds an ``@``, so the last one ends the credentials: a password may hold ``@ / ' ?`` or a space,
    written as is or percent-encoded.

    >>> split_credentials("bolt://neo4j:p%40ss@db.example:7687")
    ('bolt://db.example:7687', 'neo4j', 'p@ss')
    >>> split_credentials("bolt://neo4j:p@ss/w'rd? x@db.example:7687")
    ('bolt://db.example:7687', 'neo4j', "p@ss/w'rd? x")
    >>> split_credentials("neo4j://localhost")
    ('neo4j://localhost', None, None)
    """
    m = _SCHEME.match(uri)
    if not m or "@" not in m.group(2):
        return uri, None, None
    scheme, rest = m.groups()
    userinfo, _, host = rest.rpartition("@")
    user, sep, password = userinfo.partition(":")
    return scheme + host, unquote(user) or None, unquote(password) if sep else None


def shown_uri(uri: str) -> str:
    """``uri`` as every message shows it: its user kept, its password never.

    >>> shown_uri("bolt://neo4j:p@ss/w'rd? x@db.example:7687"), shown_uri("bolt://db:7687")
    ('bolt://neo4j:***@db.example:7687', 'bolt://db:7687')
    """
    clean, user, password = split_credentials(uri)
    if user is None and password is None:
        return clean
    scheme, host = _SCHEME.match(clean).groups()  # type: ignore[union-attr]
    return f"{scheme}{user or ''}:***@{host}"


def redact(uri: str) -> str:
    """``uri`` (or any text holding URIs) with each password in it replaced, for every message that shows it.

    >>> redact("bolt://neo4j:s3cret@db.example:7687")
    'bolt://neo4j:***@db.example:7687'
    >>> redact("bolt://localhost:7687")
    'bolt://localhost:7687'
    >>> redact("Given URI: 'neo4j+s://u:p@h:1'.")
    "Given URI: 'neo4j+s://u:***@h:1'."

    """
    return _USERINFO.sub(r"\1:***@", uri)
