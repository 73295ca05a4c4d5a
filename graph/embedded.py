"""The embedded store: LadybugDB, in-process, no server.

Writes go through Arrow tables, never through ``UNWIND`` of dicts: the
engine matches dict rows by key position and types a column from its first
values, so an all-null column of a DOUBLE property fails to bind. Per label,
the keys already present are looked up (``LOAD FROM``), new rows are
inserted and existing rows updated in place (``LOAD FROM ... MATCH ...
SET``), all inside one transaction.

Atomic whatever instant the process dies. LadybugDB 0.22 does not recover a
transaction that mixes ``COPY`` with other writes: killed during its COMMIT,
the store came back with the SETs applied and the COPYed rows gone (measured:
every kill between 1 and 80 ms into the COMMIT of a rename-plus-new-rows
load). ``COPY`` (~200k rows/s) is therefore used only when the store was empty
when the transaction began, where nothing can be updated; into a store that
holds data, new rows go in by ``CREATE``, which the WAL replays with the
SETs, all or nothing. A crash can also leave a torn last WAL record; the
store is then opened replaying up to it (that last transaction never
committed), and says so in :attr:`EmbeddedStore.recovered`.
"""

from __future__ import annotations

import contextlib
import re
import resource
import shutil
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import ladybug
import pyarrow as pa
import pyarrow.compute as pc

from graph import cypher, schema
from graph.errors import ConnectionFailed, QueryError, ReadOnlyViolation, StoreError, TooManyRows
from graph.store import STREAM_ROWS, Batch, Rows, Store, WritePlan, WriteSummary, merged, node_ident, rel_ident

QUERY_TIMEOUT_MS = 120_000  # unbounded patterns can run for minutes: stop them
_ARROW = {
    "STRING": pa.string(),
    "DOUBLE": pa.float64(),
    "INT64": pa.int64(),
    "BOOLEAN": pa.bool_(),
    "STRING[]": pa.list_(pa.string()),
}
# Checked tables are COPYed in units of this many rows: fewer, larger statements. Measured on the 6.7M-row XL
# file (2026-12-04): 100k-row units wrote in 23.9 s and peaked at 2,952 MiB, 1M-row units in 16.8 s and 2,371 MiB.
TABLE_ROWS = 1_000_000
# A unit of at least 1/SCAN_SHARE of its table's rows reads what the store holds by a scan, not by key
# (EmbeddedStore._scan_rather): past about 3 % a scan is also the faster (0.5 s for 1.6M relationships at XL
# against 12 us a row looked up).
SCAN_SHARE = 20
_LOCK = re.compile(r"Could not set lock on file.*?(PID \d+)?", re.S)


def _ddl() -> list[str]:
    out = []
    for spec in schema.nodes().values():
        cols = ", ".join(f"{p.name} {p.db_type}" + (" PRIMARY KEY" if p.name == spec.key else "") for p in spec.props)
        out.append(f"CREATE NODE TABLE IF NOT EXISTS {spec.label}({cols})")
    for rspec in schema.rels().values():
        cols = "".join(f", {p.name} {p.db_type}" for p in rspec.props)
        out.append(f"CREATE REL TABLE IF NOT EXISTS {rspec.rel_type}(FROM {rspec.src} TO {rspec.dst}{cols})")
    return out


def _arrow(rows: Sequence[dict[str, Any]], columns: list[tuple[str, str]]) -> pa.Table:
    """An Arrow table with the schema's column types, in the schema's order (the rows' own table, if they have one)."""
    want = pa.schema([(name, _ARROW[t]) for name, t in columns])
    if isinstance(rows, Rows):  # checked in columns: the table is the row set, no dicts made
        return rows.table.select(want.names).cast(want)
    # from_pylist walks the dicts in C++ and ignores keys not in the schema
    return pa.Table.from_pylist(rows, schema=want)


def _pair_key(src: pa.Array | pa.ChunkedArray, dst: pa.Array | pa.ChunkedArray) -> Any:
    """One string per (src, dst) pair, to match a relationship's ends in Arrow (keys hold no control characters)."""
    return pc.binary_join_element_wise(src, dst, "\x1f")


def _column(rows: Sequence[dict[str, Any]], name: str) -> pa.Array:
    """One column of ``rows`` as strings (keys and ends, for look-ups)."""
    if isinstance(rows, Rows):
        return rows.table.column(name)
    return pa.array([r[name] for r in rows], pa.string())


class EmbeddedStore(Store):
    """A LadybugDB database at ``path`` (a file; created with the schema on first use)."""

    kind = "embedded"

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.location = str(path)
        p = Path(path)
        if not read_only:
            p.parent.mkdir(parents=True, exist_ok=True)
        elif not p.exists():
            raise ConnectionFailed(f"no database at {p}", "run `ccb init` or `ccb load` first, or pass --db")
        self.recovered: str | None = None  # what recovery discarded on opening, if anything
        self._db = self._open(p, read_only)
        self._conn = ladybug.Connection(self._db)
        self._conn.set_query_timeout(QUERY_TIMEOUT_MS)
        if not read_only:
            for stmt in _ddl():
                self._run(stmt)
            self._add_new_columns()

    def _open(self, p: Path, read_only: bool) -> Any:
        try:
            return ladybug.Database(str(p), read_only=read_only)
        except RuntimeError as e:
            text = str(e)
        if read_only and "recovery is pending" in text:
            # A crashed writer left recovery to do, and only a read-write open does it: do it, then open read-only.
            try:
                ladybug.Database(str(p), throw_on_wal_replay_failure=False).close()
            except RuntimeError as e:
                raise _open_error(p, e) from None
            self.recovered = "the last write was interrupted; the store was recovered to its last complete commit"
            return self._open_plain(p, read_only)
        if _LOCK.search(text) or "does not match" in text:
            raise _open_error(p, RuntimeError(text)) from None
        # A kill -9 mid-COMMIT can tear the WAL's last record ("the WAL file is corrupted", "Reading past the end
        # of the file"): that transaction never committed. Replay the WAL up to it; if that fails too, say why.
        try:
            db = ladybug.Database(str(p), read_only=read_only, throw_on_wal_replay_failure=False)
        except RuntimeError:
            raise _open_error(p, RuntimeError(text)) from None
        # A reader cannot tell a writer at work in another process from one that was killed: both leave the WAL's
        # last record unfinished. Only a writer's open (the lock is then free) knows the write was interrupted.
        self.recovered = (
            "a write was not complete when this read opened the store (another process at work, or one that stopped): "
            "this read sees everything committed before it"
            if read_only
            else "the last write was interrupted mid-commit and was discarded; everything committed before it is intact"
        )
        return db

    @staticmethod
    def _open_plain(p: Path, read_only: bool) -> Any:
        try:
            return ladybug.Database(str(p), read_only=read_only)
        except RuntimeError as e:
            raise _open_error(p, e) from None

    def _add_new_columns(self) -> None:
        """Add properties the schema gained since this store was made (new model fields go last, so COPY order holds)."""
        specs = [(s.label, s.props) for s in schema.nodes().values()] + [(s.rel_type, s.props) for s in schema.rels().values()]
        for table, props in specs:
            have = {r["name"] for r in self._arrow_rows(f"CALL table_info('{table}') RETURN name", {})}
            for p in props:
                if p.name not in have:
                    self._run(f"ALTER TABLE {table} ADD {p.name} {p.db_type}")

    # -- writing ---------------------------------------------------------------

    def write_stream(self, batches: Iterable[Batch], *, merge_rows: int | None = None, unique: bool = False) -> WriteSummary:
        """Write ``batches`` in one transaction, merging small ones; COPY into an empty store, MERGE otherwise.

        ``unique``: no key comes in two batches (a checked file). Into an empty
        store every unit is then COPYed as it is, with no look-up of what is
        there: the engine's memory stays that of its buffer pool (a look-up
        joins against all that the transaction wrote so far).
        """
        summary = WriteSummary()
        copied: set[str] = set()  # node tables COPYed into in this transaction
        bulk = self._empty()  # COPY only into an empty store: nothing there to update, so no COPY beside a SET
        fresh = bulk and unique
        self._run("BEGIN TRANSACTION")
        try:
            for batch in merged(batches, merge_rows or STREAM_ROWS, merge_rows or TABLE_ROWS):
                for label in schema.nodes():
                    if rows := batch.node_rows(label):
                        summary.add(label, self._write_nodes(schema.node(label), rows, copied, bulk, fresh))
                for type_ in schema.rels():
                    if rows := batch.rel_rows(type_):
                        summary.add(type_, self._write_rels(schema.rel(type_), rows, bulk, fresh))
            try:
                self._run("COMMIT")
            except QueryError as e:
                if "checkpoint failed" not in str(e):
                    raise
                raise self._after_failed_checkpoint(summary, str(e)) from None
        except BaseException:
            self._rollback()
            if fresh and copied:
                self._rebuild()
            raise
        return summary

    def _rebuild(self) -> None:
        """Drop and re-create every table of a store that was empty before a failed write.

        LadybugDB 0.22: rolling back a transaction that COPYed twice into one
        node table leaves the rolled-back keys in its primary-key index, and
        the table refuses them ever after. The store held nothing, so nothing is lost.
        """
        for rspec in schema.rels().values():
            self._run(f"DROP TABLE IF EXISTS {rspec.rel_type}")
        for spec in schema.nodes().values():
            self._run(f"DROP TABLE IF EXISTS {spec.label}")
        for stmt in _ddl():
            self._run(stmt)

    def _after_failed_checkpoint(self, summary: WriteSummary, text: str) -> StoreError:
        """The engine said "committed, durable" but could not write its files (a full disk, a size limit).

        That claim did not hold for bulk-copied rows (gone on reopening), so the
        store is reopened, which runs recovery, and asked what it kept.
        """
        created = [(label, n) for label, n in summary.created.items() if n and label in schema.nodes()]
        before = self._count(created[0][0]) - created[0][1] if created else None
        with contextlib.suppress(Exception):
            self._conn.close()
            self._db.close()
        reason = "the disk filled (or a file-size limit was reached) while committing"
        try:
            self._db = self._open(Path(self.location), False)
            self._conn = ladybug.Connection(self._db)
            kept = created and self._count(created[0][0]) > (before or 0)
        except StoreError:
            return StoreError(
                f"{reason}; the store could not be reopened to check what it kept", "free disk space, then open it again"
            )
        if kept:
            return StoreError(
                f"{reason}: the write was kept, but the store could not finish writing its files",
                "free disk space; the store completes its checkpoint when next opened",
            )
        return StoreError(f"{reason}: nothing of this write was kept", "free disk space and load again")

    def check_room(self, needed: int) -> None:
        """Refuse a write that would not fit: LadybugDB aborts the whole process when a WAL write fails.

        ``needed`` is the caller's estimate in bytes. Free space on the store's
        file system and the process's file-size limit (RLIMIT_FSIZE) both count.
        """
        path = Path(self.location)
        room = shutil.disk_usage(path.parent).free
        soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
        if soft != resource.RLIM_INFINITY:
            biggest = max((f.stat().st_size for f in path.parent.glob(path.name + "*") if f.is_file()), default=0)
            room = min(room, soft - biggest)
        if room < needed:
            raise StoreError(
                f"not enough room to write {path}: {max(room, 0) / 1e6:.1f} MB available, this write needs about "
                f"{needed / 1e6:.1f} MB",
                "free disk space (or raise the file-size limit) and try again; nothing was written",
            )

    def _count(self, label: str) -> int:
        n: int = self._arrow_rows(cypher.count_nodes(label), {})[0]["n"]
        return n

    def _empty(self) -> bool:
        return not any(self._arrow_rows(f"MATCH (n:{label}) RETURN 1 AS x LIMIT 1", {}) for label in schema.nodes())

    def _write_nodes(
        self, spec: schema.NodeSpec, rows: Sequence[dict[str, Any]], copied: set[str], bulk: bool = False, fresh: bool = False
    ) -> WritePlan:
        cols = [(p.name, p.db_type) for p in spec.props]
        if fresh:  # new keys into a store that was empty: COPY, however many times (see write_stream)
            self._run(f"COPY {spec.label} FROM $t", {"t": _arrow(rows, cols)})
            copied.add(spec.label)
            return WritePlan(rows, [], 0)
        # LOAD FROM binds columns as variables by name: prefix them so no
        # property name (end, from...) is read as a keyword.
        keys = _column(rows, spec.key)
        if self._scan_rather(len(rows), cypher.count_nodes(spec.label)):
            table = self._arrow_table(cypher.node_table(spec, ordered=False))
            found_rows = table.filter(pc.is_in(table.column(spec.key), value_set=keys)).to_pylist()
        else:
            returned = ", ".join(f"n.{c} AS {c}" for c in spec.columns)
            found = f"LOAD FROM $t MATCH (n:{spec.label} {{{spec.key}: _k}}) RETURN {returned}"
            found_rows = self._arrow_rows(found, {"t": pa.table({"_k": keys})})
        stored = {r[spec.key]: r for r in found_rows}
        plan = WritePlan.of(rows, stored, node_ident(spec.key))
        if plan.new and bulk and spec.label not in copied:
            self._run(f"COPY {spec.label} FROM $t", {"t": _arrow(plan.new, cols)})
            copied.add(spec.label)
        elif plan.new:
            # LadybugDB 0.22: rolling back a transaction that COPYed twice into one node
            # table leaves the rolled-back keys in its primary-key index, and the store
            # refuses them ever after. CREATE rolls back cleanly (and is ~2.5x slower).
            props = ", ".join(f"{c}: _{c}" for c, _ in cols)
            t = _arrow(plan.new, cols).rename_columns([f"_{c}" for c, _ in cols])
            self._run(f"LOAD FROM $t CREATE (n:{spec.label} {{{props}}})", {"t": t})
        types = dict(cols)
        # Only the columns that differ: the engine is columnar, and a COMMIT costs per column touched.
        for differing, rows_ in plan.changed_by_columns().items():
            group = [(spec.key, types[spec.key])] + [(c, types[c]) for c in differing]
            sets = ", ".join(f"n.{c} = _{c}" for c in differing)
            t = _arrow(rows_, group).rename_columns([f"_{c}" for c, _ in group])
            self._run(f"LOAD FROM $t MATCH (n:{spec.label} {{{spec.key}: _{spec.key}}}) SET {sets}", {"t": t})
        return plan

    def _write_rels(
        self, spec: schema.RelSpec, rows: Sequence[dict[str, Any]], bulk: bool = False, fresh: bool = False
    ) -> WritePlan:
        cols = [("src", "STRING"), ("dst", "STRING")] + [(p.name, p.db_type) for p in spec.props]
        if fresh:
            t = _arrow(rows, cols).rename_columns(["from", "to"] + [p.name for p in spec.props])
            self._run(f"COPY {spec.rel_type} FROM $t", {"t": t})
            return WritePlan(rows, [], 0)
        sk, dk = schema.node(spec.src).key, schema.node(spec.dst).key
        pattern = spec.pattern(sk, dk, "_src", "_dst")
        src, dst = _column(rows, "src"), _column(rows, "dst")
        if self._scan_rather(len(rows), cypher.count_rels(spec)):
            table = self._arrow_table(cypher.rel_table(spec, sk, dk, ordered=False))
            mine = pc.is_in(_pair_key(table.column("src"), table.column("dst")), value_set=_pair_key(src, dst))
            found_rows = table.filter(mine).to_pylist()
        else:
            props = "".join(f", e.{c} AS {c}" for c in spec.columns)
            found = f"LOAD FROM $t MATCH {pattern} RETURN _src AS src, _dst AS dst{props}"
            found_rows = self._arrow_rows(found, {"t": pa.table({"_src": src, "_dst": dst})})
        stored = {(r["src"], r["dst"]): r for r in found_rows}
        plan = WritePlan.of(rows, stored, rel_ident)
        if plan.new and bulk:
            t = _arrow(plan.new, cols).rename_columns(["from", "to"] + [p.name for p in spec.props])
            self._run(f"COPY {spec.rel_type} FROM $t", {"t": t})
        elif plan.new:  # into a store that holds data: CREATE, which recovers with the SETs (see the module docstring)
            t = _arrow(plan.new, cols).rename_columns(["_src", "_dst"] + [f"_{p.name}" for p in spec.props])
            props = ", ".join(f"{p.name}: _{p.name}" for p in spec.props)
            # One MATCH per end: "MATCH (a ...), (b ...)" is planned as a cross product of the two
            # tables, which at 20k organisations x 100k programmes filled the buffer pool and failed.
            ends = f"MATCH (a:{spec.src} {{{sk}: _src}}) MATCH (b:{spec.dst} {{{dk}: _dst}})"
            made = self._arrow_rows(
                f"LOAD FROM $t {ends} CREATE (a)-[e:{spec.rel_type} {{{props}}}]->(b) RETURN count(e) AS c", {"t": t}
            )
            if made[0]["c"] != len(plan.new):  # MATCH skips a row whose end is missing, where COPY refuses it: refuse it too
                raise StoreError(self._dangling(spec, plan.new), "load the node first; nothing of this write was kept")
        types = dict(cols)
        # Slow per row (~4k rows/s: the engine expands each pattern), which
        # is why unchanged rows and columns are never sent here.
        for differing, rows_ in plan.changed_by_columns().items():
            group = [("src", "STRING"), ("dst", "STRING")] + [(c, types[c]) for c in differing]
            sets = ", ".join(f"e.{c} = _{c}" for c in differing)
            t = _arrow(rows_, group).rename_columns([f"_{c}" for c, _ in group])
            self._run(f"LOAD FROM $t MATCH {pattern} SET {sets}", {"t": t})
        return plan

    def _dangling(self, spec: schema.RelSpec, rows: Sequence[dict[str, Any]]) -> str:
        for end, label in (("src", spec.src), ("dst", spec.dst)):
            keys = {r[end] for r in rows}
            if missing := sorted(keys - self.existing_keys(label, keys)):
                return f"{spec.rel_type}: no {label} with key {missing[0]!r} in the store"
        return f"{spec.rel_type}: a relationship's end is missing"

    def _scan_rather(self, rows: int, count: str) -> bool:
        """Whether to read what the store holds of a unit of ``rows`` by scanning its whole table rather than by key.

        LadybugDB 0.22 keeps 1 to 3 KB of its buffer pool for every row it looked up by key, even read-only and
        across queries, and cannot free it: the XL re-load (6.7M look-ups) filled a 12 GiB pool and failed, where a
        scan of all 5.4M relationships took 1.5 s in 300 MiB. A unit that is a large share of its table is read by
        scanning, and filtered to its keys in Arrow; a few rows into a large store are still looked up by key.
        """
        held: int = self._arrow_rows(count, {})[0]["n"]
        return rows * SCAN_SHARE >= held

    def _arrow_table(self, statement: str, params: dict[str, Any] | None = None) -> pa.Table:
        table: pa.Table = self._run(statement, params).get_as_arrow()
        return table

    def _arrow_rows(self, statement: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self._arrow_table(statement, params).to_pylist()
        return rows

    def existing_keys(self, label: str, keys: Iterable[str]) -> set[str]:
        """The subset of ``keys`` present as ``label`` nodes, in one query."""
        spec = schema.node(label)
        keys = list(keys)
        if not keys:
            return set()
        res = self._run(
            f"LOAD FROM $t MATCH (n:{spec.label} {{{spec.key}: _k}}) RETURN _k",
            {"t": pa.table({"_k": pa.array(keys, pa.string())})},
        )
        return set(res.get_as_arrow().column(0).to_pylist())

    def clear(self) -> None:
        """Delete every node and relationship in one transaction; the schema stays."""
        self._run("BEGIN TRANSACTION")
        try:
            for label in schema.nodes():
                self._run(cypher.delete_all(label))
            self._run("COMMIT")
        except BaseException:
            self._rollback()
            raise

    # -- reading ---------------------------------------------------------------

    def query(
        self, cypher_text: str, params: dict[str, Any] | None = None, *, write: bool = False, max_rows: int | None = None
    ) -> list[dict[str, Any]]:
        """Rows of ``cypher_text``: in a read-only transaction unless ``write``; one statement only."""
        params = params or {}
        names = cypher.return_names(cypher_text)  # as written: labels(n) is named "labels(n)", as on Neo4j
        text = ladybug_form(cypher_text)
        if write:
            return _rows(self._run(text, params), names)
        cypher.check_read_only(cypher_text)
        # A prepared statement is one statement: "COMMIT; CREATE ..." would
        # otherwise end the read-only transaction and write.
        with _errors(cypher_text):
            stmt = self._conn.prepare(text)
        if not stmt.is_success():
            raise _query_error(cypher_text, stmt.get_error_message())
        stmt.close()
        self._run("BEGIN TRANSACTION READ ONLY")
        try:
            # The text, not the prepared statement: a prepared write inside a
            # read-only transaction is silently skipped instead of refused.
            result = self._run(text, params)
            rows = _rows(result, names, max_rows)
            self._run("COMMIT")
        except BaseException:
            self._rollback()
            raise
        return rows

    def _table(self, cypher_text: str) -> list[dict[str, Any]]:
        # Arrow is ~6x faster than row iteration for whole tables.
        rows: list[dict[str, Any]] = self._run(cypher_text).get_as_arrow().to_pylist()
        return rows

    def close(self) -> None:
        """Close the connection and the database (the file lock is released)."""
        self._conn.close()
        self._db.close()

    # -- plumbing --------------------------------------------------------------

    def _run(self, statement: Any, params: dict[str, Any] | None = None) -> Any:
        with _errors(statement if isinstance(statement, str) else ""):
            return self._conn.execute(statement, params or {})

    def _rollback(self) -> None:
        try:
            self._conn.execute("ROLLBACK")
        except RuntimeError:
            pass  # an error inside a transaction already rolled it back


MEMORY = ":memory:"  # LadybugDB's in-memory database: nothing reaches a disk


def memory_copy(store: Store, *extra: Batch) -> EmbeddedStore:
    """An in-memory embedded store holding everything ``store`` holds, then ``extra``: a scenario's graph.

    ``store`` is only read (either kind); close the copy when done.

    >>> from graph.examples import example_store, gaps_records
    >>> from graph.model import Programme
    >>> s = example_store(gaps_records())
    >>> copy = memory_copy(s, Batch().extend([Programme(id="planned", name="Planned", source="scenario")]))
    >>> copy.counts()["Programme"] - s.counts()["Programme"], copy.location
    (1, ':memory:')
    >>> copy.close(); s.close()
    """
    copy = EmbeddedStore(MEMORY)
    try:
        copy.write_stream([store.dump(), *extra])
    except BaseException:
        copy.close()
        raise
    return copy


def _rows(result: Any, names: list[str] | None = None, max_rows: int | None = None) -> list[dict[str, Any]]:
    """A result's rows; its columns named ``names`` (:func:`graph.cypher.return_names`) when there are as many.

    The engine holds a result compactly (50 million rows in under 1 GB); past ``max_rows`` it is not converted.

    With them, a query's columns are named as Neo4j names them: ``count(n)``, not LadybugDB's ``COUNT(n._ID)``,
    and two items that LadybugDB names alike (``cast(x AS STRING)`` and ``cast(x, 'STRING')``) stay two.
    """
    if isinstance(result, list):
        raise QueryError("only one Cypher statement at a time is accepted")
    if not result.get_column_names() or not result.has_next():
        return []  # get_as_arrow() fails on an empty or column-less result
    if max_rows is not None and (n := result.get_num_tuples()) > max_rows:
        raise TooManyRows(n, max_rows)
    # Through Arrow: several times faster than get_next() on large results.
    table = result.get_as_arrow()
    if names is not None and len(names) == table.num_columns:
        table = table.rename_columns(names)
    table = _numbers(table)
    nested = [
        f.name
        for f in table.schema
        if pa.types.is_struct(f.type)
        or pa.types.is_map(f.type)
        or pa.types.is_list(f.type)
        and pa.types.is_struct(f.type.value_type)
    ]
    rows: list[dict[str, Any]] = table.to_pylist()
    for row in rows if nested else ():  # only nodes and relationships carry engine-internal ids
        for k in nested:
            row[k] = _plain(row[k])
    return rows


def _numbers(table: pa.Table) -> pa.Table:
    """Decimal columns as the numbers Neo4j gives: LadybugDB's ``sum()`` over integers is a DECIMAL(38, 0), which
    JSON would carry as the text "354"; whole ones become integers (while they fit), others floats."""
    for i, f in enumerate(table.schema):
        if pa.types.is_decimal(f.type):
            try:
                column = table.column(i).cast(pa.int64() if f.type.scale == 0 else pa.float64())
            except pa.ArrowInvalid:  # a whole number beyond 64 bits
                column = table.column(i).cast(pa.float64())
            table = table.set_column(i, f.name, column)
    return table


def _plain(value: Any) -> Any:
    """Nodes and relationships in the shape the Neo4j store gives them: ``_label`` and the properties that are set
    (the engine's internal ids and its null columns dropped); a path as the list of its nodes and relationships in
    turn; other maps as they are."""
    if isinstance(value, dict) and "_NODES" in value and "_RELS" in value:  # a path: node, relationship, node...
        nodes, rels = value["_NODES"], value["_RELS"]
        return [_plain(x) for pair in zip(nodes, [*rels, None], strict=True) for x in pair if x is not None]
    if isinstance(value, dict):
        label = value.get("_LABEL", value.get("_label"))
        if label is not None and ("_ID" in value or "_id" in value):
            return {"_label": label} | {
                k: _plain(v)
                for k, v in value.items()
                if v is not None and k not in ("_LABEL", "_label", "_ID", "_id", "_SRC", "_DST", "_src", "_dst")
            }
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class _errors:
    """Turn the engine's RuntimeErrors into the project's errors."""

    def __init__(self, statement: str) -> None:
        self.statement = statement

    def __enter__(self) -> None:
        return None

    def __exit__(self, typ: type | None, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, RuntimeError):
            raise _query_error(self.statement, str(exc)) from None


# Neo4j's forms that LadybugDB reads otherwise, and answers otherwise rather than refusing: rewritten, so one query
# gives one answer on either store. LadybugDB's labels(n) is the one label as a string (Neo4j's size(labels(n))
# counted its letters; 'Country' IN labels(n) failed), and its substring counts from 1 (substring('abc', 0, 2)
# was '', Neo4j's 'ab').
_NEO4J_CALLS = re.compile(r"(?<![.\w$])(labels|type)\s*\(\s*([A-Za-z_]\w*)\s*\)", re.I)
_SUBSTRING = re.compile(r"(?<![.\w$])substring\s*\(", re.I)
_SPACES = re.compile(r"\s*")
_FOUND = re.compile(f"{_NEO4J_CALLS.pattern}|{_SUBSTRING.pattern}", re.I)


def ladybug_form(text: str) -> str:
    """``text`` with Neo4j's ``labels(n)`` as ``[label(n)]``, ``type(r)`` as ``label(r)`` and ``substring``'s
    start counted from 1; strings, comments and properties (``n.type``) untouched.

    >>> ladybug_form("MATCH (n)-[r]->() WHERE 'Country' IN labels(n) RETURN type( r ), r.type, 'labels(x)' AS s")
    "MATCH (n)-[r]->() WHERE 'Country' IN [label(n)] RETURN label(r), r.type, 'labels(x)' AS s"
    >>> ladybug_form("RETURN substring(n.name, 0, 2), substring(substring('a,b', 1), f(1, 2))")
    "RETURN substring(n.name, (0) + 1, 2), substring(substring('a,b', (1) + 1, 9223372036854775807), (f(1, 2)) + 1, \
9223372036854775807)"
    """
    if not _FOUND.search(text):  # the analyses' own queries: no second pass
        return text
    masked = cypher.without_literals(text)  # the same length: positions hold in ``text``
    edits = []  # (start, end, replacement), none overlapping
    for m in _NEO4J_CALLS.finditer(masked):
        var = text[m.start(2) : m.end(2)]
        edits.append((m.start(), m.end(), f"[label({var})]" if m.group(1).lower() == "labels" else f"label({var})"))
    if calls := [m.end() - 1 for m in _SUBSTRING.finditer(masked)]:
        close, commas = _brackets(masked)
        for at in calls:  # substring(s, start[, length]): the start plus one; no length is the rest of the string
            if at not in close or not commas[at]:
                continue  # unclosed or one argument: LadybugDB's error says so
            begin = _SPACES.match(masked, commas[at][0] + 1).end()  # type: ignore[union-attr]  # \s* always matches
            length = len(commas[at]) > 1
            end = commas[at][1] if length else close[at]
            edits += [(begin, begin, "("), (end, end, ") + 1" if length else ") + 1, 9223372036854775807")]
    out, last = [], 0
    for begin, end, new in sorted(edits):
        out += [text[last:begin], new]
        last = end
    return "".join(out) + text[last:]


def _brackets(masked: str) -> tuple[dict[int, int], dict[int, list[int]]]:
    """In one pass over ``masked``: each opening bracket's closing one, and the commas directly inside it."""
    close: dict[int, int] = {}
    commas: dict[int, list[int]] = defaultdict(list)
    stack: list[int] = []
    for i, ch in enumerate(masked):
        if ch in "([{":
            stack.append(i)
        elif ch in ")]}" and stack:
            close[stack.pop()] = i
        elif ch == "," and stack:
            commas[stack[-1]].append(i)
    return close, commas


# Neo4j's Cypher that LadybugDB writes otherwise (../shared/reference/stores.md): the hint a refused query gets
DIALECT = {
    "TYPE": "the embedded store writes type(r) as label(r)",
    "TOSTRING": "the embedded store writes toString(x) as cast(x AS STRING)",
    "TOINTEGER": "the embedded store writes toInteger(x) as to_int64(x)",
    "TOFLOAT": "the embedded store writes toFloat(x) as to_double(x)",
    "ELEMENTID": "the embedded store has no elementId(n): match on the node's key (n.id, c.iso3)",
    "SHORTESTPATH": "the embedded store writes shortestPath((a)-[*..4]-(b)) as (a)-[* SHORTEST 1..4]-(b)",
    "ALLSHORTESTPATHS": "the embedded store writes allShortestPaths((a)-[*..4]-(b)) as (a)-[* ALL SHORTEST 1..4]-(b)",
    "REDUCE": "the embedded store has no reduce(): aggregate with UNWIND and sum() instead",
    "HEAD": "the embedded store writes head(xs) as xs[1]: its lists count from 1",
    "LAST": "the embedded store writes last(xs) as xs[-1]",
    "TAIL": "the embedded store writes tail(xs) as xs[2:]: its lists count from 1",
    "SPLIT": "the embedded store writes split(s, ',') as string_split(s, ',')",
}
# Forms named by the statement itself, when the engine's error names neither (a parser's "Invalid input < {>")
# bounded (a comprehension is short), so a long hostile statement costs linear time on this error path
_COMPREHENSION = re.compile(r"\[\s{0,20}[A-Za-z_]\w{0,40}\s{1,20}IN\s[^\][]{0,400}?(?:\||\bWHERE\b)", re.I)
_PROJECTION = re.compile(r"\w\s*\{\s*\.\w")
_FORMS = (
    (_COMPREHENSION, "the embedded store writes [x IN xs WHERE p | e] as list_transform(list_filter(xs, x -> p), x -> e)"),
    (_PROJECTION, "the embedded store has no map projection n {.id}: return n.id AS id, n.name AS name"),
)
_FUNCTION = re.compile(r"function (\w+) does not exist|Invalid input <[^>]*?(\w+)\s*\(?>", re.I)


def _dialect_hint(statement: str, text: str) -> str | None:
    """The hint for Neo4j's Cypher that LadybugDB refuses, when ``text`` (its error) or the statement names it.

    >>> _dialect_hint("RETURN type(r)", "Catalog exception: function TYPE does not exist.")
    'the embedded store writes type(r) as label(r)'
    >>> _dialect_hint("MATCH p=shortestPath((a)-[*]-(b))", "Parser exception: Invalid input <MATCH p=shortestPath>")
    'the embedded store writes shortestPath((a)-[*..4]-(b)) as (a)-[* SHORTEST 1..4]-(b)'
    >>> _dialect_hint("MATCH (n) RETURN n {.id}", "Parser exception: Invalid input < {>")
    'the embedded store has no map projection n {.id}: return n.id AS id, n.name AS name'
    >>> _dialect_hint("RETURN [1, 2][0]", "Runtime exception: List extract takes 1-based position.")
    "the embedded store counts list positions from 1: Neo4j's xs[0] is xs[1] here"
    >>> _dialect_hint("MATCH (n) RETURN n.name", "Binder exception: Cannot find property name for n.") is None
    True
    """
    m = _FUNCTION.search(text)
    if m and (hint := DIALECT.get((m.group(1) or m.group(2)).upper())):
        return hint
    if "1-based" in text or "list_extract" in text:  # its lists count from 1 and refuse [0] and a position past
        # the end, where Neo4j gives null; an index cannot be rewritten safely (xs[i], slices)
        return "the embedded store counts list positions from 1: Neo4j's xs[0] is xs[1] here"
    if "Order by NODE" in text or "Order by REL" in text:  # RETURN o.id AS o ... ORDER BY o: o is still the node
        return "ORDER BY a property (o.id), or name the column apart from the variable (o.id AS org ... ORDER BY org)"
    code = cypher.without_literals(statement)
    return next((hint for form, hint in _FORMS if form.search(code)), None)


def _query_error(statement: str, message: str) -> StoreError:
    text = message.strip().splitlines()[0] if message.strip() else "query failed"
    if "read-only transaction" in text or "read only" in text.lower() and "write" in text.lower():
        return ReadOnlyViolation()
    if "interrupted" in text.lower() or "timeout" in text.lower():
        return QueryError(
            f"query stopped after {QUERY_TIMEOUT_MS // 1000} s: {text}", "bound variable-length patterns, e.g. [*1..4]"
        )
    if hint := _dialect_hint(statement, text):
        return QueryError(f"query failed: {text}", hint)
    return QueryError(f"query failed: {text}", "check the Cypher; labels and types are listed by `ccb stats`")


def _open_error(path: Path, e: RuntimeError) -> ConnectionFailed:
    text = str(e)
    if m := _LOCK.search(text):
        holder = f" ({m.group(1)})" if m.group(1) else ""
        return ConnectionFailed(
            f"the embedded store {path} is in use by another process{holder}",
            "close the other ccb command or notebook, or pass --db to use another store",
        )
    if "does not match" in text and "Database ID" in text:
        return ConnectionFailed(f"{path}.wal belongs to another database", f"move {path}.wal away and retry")
    return ConnectionFailed(f"cannot open the embedded store {path}: {text.splitlines()[0]}")
