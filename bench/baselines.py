"""The two baselines the loader is measured against, on the same rows.

- ``copy_arrow``: LadybugDB's raw bulk path. The JSON Lines rows go
  straight into typed Arrow tables and ``COPY``: no validation, no diff, no
  references checked. It is the practical ceiling of the embedded store.
- ``per_row_merge``: what a simple script does. One parameterised ``MERGE``
  per row, each its own transaction, through the engine's own API. It is
  slow, so it runs on a proportional sample of the rows (``sample``), and
  its rate is rows written per second.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa

from graph import schema
from graph.embedded import _ARROW, EmbeddedStore
from graph.store import Store

Rows = dict[str, list[dict[str, Any]]]


def read_rows(path: Path) -> Rows:
    """The rows of a JSON Lines file by label or type, as plain dicts (no validation)."""
    out: Rows = defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            out[row.pop("type")].append(row)
    return dict(out)


def count(rows: Rows) -> int:
    return sum(len(v) for v in rows.values())


def count_lines(path: Path) -> int:
    """The records of a JSON Lines file (its non-blank lines), read a line at a time, never whole."""
    with open(path, "rb") as f:
        return sum(1 for line in f if line.strip())


def sample(rows: Rows, target: int) -> Rows:
    """About ``target`` rows: the same fraction of every label, and the relationships between the nodes kept."""
    frac = min(1.0, target / max(1, count(rows)))
    out: Rows = {}
    kept: set[tuple[str, str]] = set()
    for label, spec in schema.nodes().items():
        out[label] = rows.get(label, [])[: math.ceil(frac * len(rows.get(label, [])))]
        kept |= {(label, r[spec.key]) for r in out[label]}
    for type_, spec in schema.rels().items():
        out[type_] = [r for r in rows.get(type_, []) if (spec.src, r["from"]) in kept and (spec.dst, r["to"]) in kept]
    return out


def copy_arrow(path: Path, rows: Rows) -> int:
    """Bulk-copy ``rows`` into a new embedded store at ``path``, the engine's way; return the rows written."""
    store = EmbeddedStore(path)  # creates the schema
    conn = store._conn  # noqa: SLF001 - the baseline is the engine's own path, on purpose
    try:
        conn.execute("BEGIN TRANSACTION")
        for label, spec in schema.nodes().items():
            if rows.get(label):
                cols = {p.name: pa.array([r.get(p.name) for r in rows[label]], _ARROW[p.db_type]) for p in spec.props}
                conn.execute(f"COPY {label} FROM $t", {"t": pa.table(cols)})
        for type_, spec in schema.rels().items():
            if rows.get(type_):
                cols = {
                    "from": pa.array([r["from"] for r in rows[type_]], pa.string()),
                    "to": pa.array([r["to"] for r in rows[type_]], pa.string()),
                }
                cols |= {p.name: pa.array([r.get(p.name) for r in rows[type_]], _ARROW[p.db_type]) for p in spec.props}
                conn.execute(f"COPY {type_} FROM $t", {"t": pa.table(cols)})
        conn.execute("COMMIT")
    finally:
        store.close()
    return count(rows)


def _node_merge(spec: schema.NodeSpec) -> str:
    sets = ", ".join(f"n.{p.name} = ${p.name}" for p in spec.props if p.name != spec.key)
    return f"MERGE (n:{spec.label} {{{spec.key}: ${spec.key}}}) SET {sets}"


def _rel_merge(spec: schema.RelSpec) -> str:
    sk, dk = schema.node(spec.src).key, schema.node(spec.dst).key
    sets = ", ".join(f"r.{p.name} = ${p.name}" for p in spec.props)
    return (
        f"MATCH (a:{spec.src} {{{sk}: $from}}) MATCH (b:{spec.dst} {{{dk}: $to}}) MERGE (a)-[r:{spec.rel_type}]->(b) SET {sets}"
    )


def per_row_merge(store: Store, rows: Rows) -> int:
    """One MERGE per row, each committed on its own, into ``store``; return the rows sent."""
    run = _runner(store)
    n = 0
    for label, spec in schema.nodes().items():
        q = _node_merge(spec)
        for r in rows.get(label, []):
            run(q, {p.name: r.get(p.name) for p in spec.props})
            n += 1
    for type_, spec in schema.rels().items():
        q = _rel_merge(spec)
        for r in rows.get(type_, []):
            run(q, {"from": r["from"], "to": r["to"], **{p.name: r.get(p.name) for p in spec.props}})
            n += 1
    return n


def _runner(store: Store) -> Any:
    """A function running one auto-committed statement on the store's engine."""
    if isinstance(store, EmbeddedStore):
        conn = store._conn  # noqa: SLF001

        def run(q: str, params: dict[str, Any]) -> None:
            # LadybugDB cannot type a bare null parameter: leave unknown values out of SET instead
            known = {k: v for k, v in params.items() if v is not None}
            conn.execute(_drop_nulls(q, params), known)

        return run
    driver, database = store._driver, store._database  # type: ignore[attr-defined]  # noqa: SLF001

    def run_bolt(q: str, params: dict[str, Any]) -> None:
        with driver.session(database=database) as s:
            s.run(q, params).consume()

    return run_bolt


def _drop_nulls(q: str, params: dict[str, Any]) -> str:
    """``q`` without the ``SET`` items whose parameter is null (a first-write MERGE leaves them null anyway)."""
    head, _, sets = q.partition(" SET ")
    items = [s for s in sets.split(", ") if params.get(s.rsplit("$", 1)[1]) is not None]
    return head + (" SET " + ", ".join(items) if items else "")
