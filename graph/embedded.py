"""The embedded store: LadybugDB, in-process, no server.

Writes go through Arrow tables, never through ``UNWIND`` of dicts: the
engine matches dict rows by key position and types a column from its first
values, so an all-null column of a DOUBLE property fails to bind. Per label,
the keys already present are looked up (``LOAD FROM``), new rows are bulk
copied (``COPY``, ~200k rows/s) and existing rows updated in place
(``LOAD FROM ... MATCH ... SET``), all inside one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ladybug
import pyarrow as pa

from graph import cypher, schema
from graph.errors import ConnectionFailed, QueryError, ReadOnlyViolation, StoreError
from graph.store import STREAM_ROWS, Batch, Store, WritePlan, WriteSummary, merged, node_ident, rel_ident

QUERY_TIMEOUT_MS = 120_000  # unbounded patterns can run for minutes: stop them
_ARROW = {"STRING": pa.string(), "DOUBLE": pa.float64(), "INT64": pa.int64(), "BOOLEAN": pa.bool_(), "STRING[]": pa.list_(pa.string())}
_LOCK = re.compile(r"Could not set lock on file.*?(PID \d+)?", re.S)


def _ddl() -> list[str]:
    out = []
    for spec in schema.nodes().values():
        cols = ", ".join(f"{p.name} {p.type}" + (" PRIMARY KEY" if p.name == spec.key else "") for p in spec.props)
        out.append(f"CREATE NODE TABLE IF NOT EXISTS {spec.label}({cols})")
    for spec in schema.rels().values():
        cols = "".join(f", {p.name} {p.type}" for p in spec.props)
        out.append(f"CREATE REL TABLE IF NOT EXISTS {spec.type}(FROM {spec.src} TO {spec.dst}{cols})")
    return out


def _arrow(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> pa.Table:
    """An Arrow table with the schema's column types, in the schema's order."""
    # from_pylist walks the dicts in C++ and ignores keys not in the schema
    return pa.Table.from_pylist(rows, schema=pa.schema([(name, _ARROW[t]) for name, t in columns]))


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
        try:
            self._db = ladybug.Database(str(p), read_only=read_only)
        except RuntimeError as e:
            raise _open_error(p, e) from None
        self._conn = ladybug.Connection(self._db)
        self._conn.set_query_timeout(QUERY_TIMEOUT_MS)
        if not read_only:
            for stmt in _ddl():
                self._run(stmt)
            self._add_new_columns()

    def _add_new_columns(self) -> None:
        """Add properties the schema gained since this store was made (new model fields go last, so COPY order holds)."""
        specs = [(s.label, s.props) for s in schema.nodes().values()] + [(s.type, s.props) for s in schema.rels().values()]
        for table, props in specs:
            have = {r["name"] for r in self._arrow_rows(f"CALL table_info('{table}') RETURN name", {})}
            for p in props:
                if p.name not in have:
                    self._run(f"ALTER TABLE {table} ADD {p.name} {p.type}")

    # -- writing ---------------------------------------------------------------

    def write_stream(self, batches: Iterable[Batch], *, merge_rows: int = STREAM_ROWS) -> WriteSummary:
        summary = WriteSummary()
        copied: set[str] = set()  # node tables COPYed into in this transaction
        self._run("BEGIN TRANSACTION")
        try:
            for batch in merged(batches, merge_rows):
                for label in schema.nodes():
                    if rows := batch.node_rows(label):
                        summary.add(label, self._write_nodes(schema.node(label), rows, copied))
                for type_ in schema.rels():
                    if rows := batch.rel_rows(type_):
                        summary.add(type_, self._write_rels(schema.rel(type_), rows))
            self._run("COMMIT")
        except BaseException:
            self._rollback()
            raise
        return summary

    def _write_nodes(self, spec: schema.NodeSpec, rows: list[dict[str, Any]], copied: set[str]) -> WritePlan:
        cols = [(p.name, p.type) for p in spec.props]
        # LOAD FROM binds columns as variables by name: prefix them so no
        # property name (end, from...) is read as a keyword.
        keys = pa.table({"_k": pa.array([r[spec.key] for r in rows], pa.string())})
        found = f"LOAD FROM $t MATCH (n:{spec.label} {{{spec.key}: _k}}) RETURN " + ", ".join(f"n.{c} AS {c}" for c, _ in cols)
        stored = {r[spec.key]: r for r in self._arrow_rows(found, {"t": keys})}
        plan = WritePlan.of(rows, stored, node_ident(spec.key))
        if plan.new and spec.label not in copied:
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

    def _write_rels(self, spec: schema.RelSpec, rows: list[dict[str, Any]]) -> WritePlan:
        sk, dk = schema.node(spec.src).key, schema.node(spec.dst).key
        pattern = spec.pattern(sk, dk, "_src", "_dst")
        pairs = pa.table({"_src": [r["src"] for r in rows], "_dst": [r["dst"] for r in rows]})
        found = f"LOAD FROM $t MATCH {pattern} RETURN _src AS src, _dst AS dst" + "".join(f", e.{p.name} AS {p.name}" for p in spec.props)
        stored = {(r["src"], r["dst"]): r for r in self._arrow_rows(found, {"t": pairs})}
        plan = WritePlan.of(rows, stored, rel_ident)
        cols = [("src", "STRING"), ("dst", "STRING")] + [(p.name, p.type) for p in spec.props]
        if plan.new:
            t = _arrow(plan.new, cols).rename_columns(["from", "to"] + [p.name for p in spec.props])
            self._run(f"COPY {spec.type} FROM $t", {"t": t})
        types = dict(cols)
        # Slow per row (~4k rows/s: the engine expands each pattern), which
        # is why unchanged rows and columns are never sent here.
        for differing, rows_ in plan.changed_by_columns().items():
            group = [("src", "STRING"), ("dst", "STRING")] + [(c, types[c]) for c in differing]
            sets = ", ".join(f"e.{c} = _{c}" for c in differing)
            t = _arrow(rows_, group).rename_columns([f"_{c}" for c, _ in group])
            self._run(f"LOAD FROM $t MATCH {pattern} SET {sets}", {"t": t})
        return plan

    def _arrow_rows(self, statement: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self._run(statement, params).get_as_arrow().to_pylist()

    def existing_keys(self, label: str, keys: Iterable[str]) -> set[str]:
        spec = schema.node(label)
        keys = list(keys)
        if not keys:
            return set()
        res = self._conn.execute(
            f"LOAD FROM $t MATCH (n:{spec.label} {{{spec.key}: _k}}) RETURN _k", {"t": pa.table({"_k": pa.array(keys, pa.string())})}
        )
        return set(res.get_as_arrow().column(0).to_pylist())

    def clear(self) -> None:
        self._run("BEGIN TRANSACTION")
        try:
            for label in schema.nodes():
                self._run(cypher.delete_all(label))
            self._run("COMMIT")
        except BaseException:
            self._rollback()
            raise

    # -- reading ---------------------------------------------------------------

    def query(self, cypher_text: str, params: dict[str, Any] | None = None, *, write: bool = False) -> list[dict[str, Any]]:
        params = params or {}
        if write:
            return _rows(self._run(cypher_text, params))
        cypher.check_read_only(cypher_text)
        # A prepared statement is one statement: "COMMIT; CREATE ..." would
        # otherwise end the read-only transaction and write.
        with _errors(cypher_text):
            stmt = self._conn.prepare(cypher_text)
        if not stmt.is_success():
            raise _query_error(cypher_text, stmt.get_error_message())
        stmt.close()
        self._run("BEGIN TRANSACTION READ ONLY")
        try:
            # The text, not the prepared statement: a prepared write inside a
            # read-only transaction is silently skipped instead of refused.
            result = self._run(cypher_text, params)
            rows = _rows(result)
            self._run("COMMIT")
        except BaseException:
            self._rollback()
            raise
        return rows

    def _table(self, cypher_text: str) -> list[dict[str, Any]]:
        # Arrow is ~6x faster than row iteration for whole tables.
        return self._conn.execute(cypher_text).get_as_arrow().to_pylist()

    def close(self) -> None:
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


def _rows(result: Any) -> list[dict[str, Any]]:
    if isinstance(result, list):
        raise QueryError("only one Cypher statement at a time is accepted")
    names = result.get_column_names()
    if not names or not result.has_next():
        return []  # get_as_arrow() fails on an empty or column-less result
    # Through Arrow: several times faster than get_next() on large results.
    table = result.get_as_arrow()
    nested = [f.name for f in table.schema if pa.types.is_struct(f.type) or pa.types.is_map(f.type) or pa.types.is_list(f.type)
              and pa.types.is_struct(f.type.value_type)]
    rows = table.to_pylist()
    for row in rows if nested else ():  # only nodes and relationships carry engine-internal ids
        for k in nested:
            row[k] = _plain(row[k])
    return rows


def _plain(value: Any) -> Any:
    """Nodes and relationships as property dicts (engine-internal ids dropped)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k not in ("_ID", "_id", "_SRC", "_DST", "_src", "_dst")}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class _errors:
    """Turn the engine's RuntimeErrors into the project's errors."""

    def __init__(self, statement: str) -> None:
        self.statement = statement

    def __enter__(self) -> None:
        return None

    def __exit__(self, typ: type | None, exc: BaseException | None, tb: object) -> bool:
        if isinstance(exc, RuntimeError):
            raise _query_error(self.statement, str(exc)) from None
        return False


def _query_error(statement: str, message: str) -> StoreError:
    text = message.strip().splitlines()[0] if message.strip() else "query failed"
    if "read-only transaction" in text or "read only" in text.lower() and "write" in text.lower():
        return ReadOnlyViolation()
    if "interrupted" in text.lower() or "timeout" in text.lower():
        return QueryError(f"query stopped after {QUERY_TIMEOUT_MS // 1000} s: {text}", "bound variable-length patterns, e.g. [*1..4]")
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
