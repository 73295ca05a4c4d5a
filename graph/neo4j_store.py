"""The Neo4j store, through the official driver.

Every key has a uniqueness constraint (which also indexes it, so each
``MERGE`` and ``MATCH`` on a key is an index lookup). A batch is written as
``UNWIND $rows`` statements of :data:`BATCH_ROWS` rows inside one managed
write transaction: a file loads whole or not at all.

Read-only queries run in ``execute_read`` (Neo4j refuses writes there) and
are rolled back if their summary reports a write or schema query or counts
any update: some servers speak Bolt but ignore the access mode (ArcadeDB,
used in tests, lets ``execute_read`` write, and its ``EXPLAIN`` calls every
query a write, so a plan check cannot be used).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import neo4j
from neo4j import GraphDatabase
from neo4j import exceptions as nx_err

from graph import cypher, schema
from graph.errors import ConnectionFailed, QueryError, ReadOnlyViolation, StoreError, TooManyRows
from graph.store import (
    STREAM_ROWS,
    Batch,
    Store,
    WritePlan,
    WriteSummary,
    chunks,
    merged,
    node_ident,
    redact,
    rel_ident,
    shown_uri,
    split_credentials,
)

# The driver logs a failed connection ("Unable to retrieve routing information") as well as raising it; with no
# handler configured Python prints that to stderr above the one error line the CLI gives. A library leaves logging
# to its application: a NullHandler keeps the driver's records for a handler the user sets up.
logging.getLogger("neo4j").addHandler(logging.NullHandler())

BATCH_ROWS = 5_000
# A unit of relationships that is at least 1/SCAN_SHARE of its type's stored rows reads what the store holds of it by
# scanning the type, not by look-ups (_stored_rels). A look-up walks its anchor's relationships, and a hub's grow with
# the graph (ArcadeDB, PARTNERS_WITH: 3.8 ms a row at L, 27 ms at XL); elsewhere a look-up costs ~30 us a row and a
# scan ~17 us a stored row plus the filter (L: 164k FUNDS in 4.9 s by key, 4.7 s by scan; a tenth of them in 0.85 s
# by key, 2.8 s by scan), so scanning for a unit much smaller than its type would slow every other load.
SCAN_SHARE = 2
# A smaller unit looks up PROBE_ROWS pairs first and times them: where a look-up walks a hub (measured 27 ms a row at
# XL, against ~30 us elsewhere), the rest of the unit reads the type by a scan instead, costed at the scan rate this
# transaction measured for the type, else SCAN_SECONDS a stored row (ArcadeDB, L: 164k FUNDS scanned in 2.8 s). So
# the smaller part of a hub type that straddles two streamed units, or a delta of one, is not looked up row by row.
PROBE_ROWS = 200
SCAN_SECONDS = 17e-6


def constraints() -> list[str]:
    """The uniqueness constraint on each label's key (which also indexes it)."""
    return [
        f"CREATE CONSTRAINT {s.label.lower()}_{s.key} IF NOT EXISTS FOR (n:{s.label}) REQUIRE n.{s.key} IS UNIQUE"
        for s in schema.nodes().values()
    ]


class Neo4jStore(Store):
    """The graph in a Neo4j (or other Bolt + Cypher) server, through the official driver."""

    kind = "neo4j"

    def __init__(self, uri: str, *, user: str, password: str, database: str | None = None) -> None:
        """Connect to ``uri``; a user and password in it (``bolt://user:password@host``, percent-encoded or not) win
        over ``user`` and ``password``, and are taken out of it before the driver or any message sees it."""
        shown = shown_uri(uri)  # never print a password
        uri, in_user, in_password = split_credentials(uri)
        user = in_user or user
        password = in_password if in_password is not None else password
        self.location = shown + (f" (database {database})" if database else "")
        self._database = database
        try:
            self._driver = GraphDatabase.driver(uri, auth=(user, password), connection_timeout=10)
            self._driver.verify_connectivity()
            with self._session() as s:
                for stmt in constraints():
                    s.run(stmt).consume()
        except nx_err.AuthError:
            self._close_quietly()
            raise ConnectionFailed(
                f"Neo4j at {shown} refused the credentials of user {user!r}", "set NEO4J_USERNAME and NEO4J_PASSWORD"
            ) from None
        except (nx_err.ServiceUnavailable, OSError) as e:
            self._close_quietly()
            raise ConnectionFailed(
                f"cannot reach Neo4j at {shown}: {_first_line(e)}", "is the server running? `docker compose up -d` starts one"
            ) from None
        except nx_err.ClientError as e:
            self._close_quietly()
            if e.code and "DatabaseNotFound" in e.code:
                raise ConnectionFailed(
                    f"database {database!r} does not exist on {shown}", "set NEO4J_DATABASE to an existing database"
                ) from None
            raise ConnectionFailed(f"Neo4j at {shown} refused to start a session: {e.message}") from None
        except ValueError as e:  # malformed URI
            raise ConnectionFailed(f"bad Neo4j URI {shown!r}: {redact(str(e))}") from None
        except (nx_err.Neo4jError, nx_err.DriverError) as e:  # a server that answers garbage, a protocol error...
            self._close_quietly()
            raise ConnectionFailed(f"Neo4j at {shown} failed: {type(e).__name__}: {redact(_first_line(e))}") from None

    def _session(self, **kw: Any) -> neo4j.Session:
        return self._driver.session(database=self._database, **kw)

    def _close_quietly(self) -> None:
        driver = getattr(self, "_driver", None)
        if driver is not None:
            driver.close()

    # -- writing ---------------------------------------------------------------

    def write(self, batch: Batch) -> WriteSummary:
        """Write ``batch`` in one managed transaction (the driver retries it on a transient error: a list can be replayed)."""

        def work(tx: neo4j.ManagedTransaction) -> WriteSummary:
            summary = WriteSummary()
            _write_batch(tx, batch, summary, _Held())
            return summary

        with self._session() as s, _errors():
            return s.execute_write(work)

    def write_stream(self, batches: Iterable[Batch], *, merge_rows: int | None = None, unique: bool = False) -> WriteSummary:
        """Write ``batches`` in one explicit transaction (a stream cannot be replayed, so no retry).

        ``unique``: no key comes in two batches, so a relationship type that was empty when the transaction began has
        nothing to look up in any batch (nodes are looked up by their constraint's index, which costs little).
        """
        summary = WriteSummary()
        held = _Held(unique)
        with self._session() as s, _errors(), s.begin_transaction() as tx:
            for batch in merged(batches, merge_rows or STREAM_ROWS):
                _write_batch(tx, batch, summary, held)
            tx.commit()
        return summary

    @staticmethod
    def _existing(tx: neo4j.ManagedTransaction, spec: schema.NodeSpec, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for part in chunks(keys, BATCH_ROWS):
            found.update(r["k"] for r in tx.run(cypher.find_keys(spec), keys=part))
        return found

    def existing_keys(self, label: str, keys: Iterable[str]) -> set[str]:
        """The subset of ``keys`` present as ``label`` nodes, asked in batches."""
        spec = schema.node(label)
        keys = list(keys)
        with self._session() as s, _errors():
            return s.execute_read(lambda tx: self._existing(tx, spec, keys))

    def clear(self) -> None:
        """Delete every node and relationship in one transaction; constraints stay."""

        def work(tx: neo4j.ManagedTransaction) -> None:
            for label in schema.nodes():
                tx.run(cypher.delete_all(label)).consume()

        with self._session() as s, _errors():
            s.execute_write(work)

    # -- reading ---------------------------------------------------------------

    def query(
        self, cypher_text: str, params: dict[str, Any] | None = None, *, write: bool = False, max_rows: int | None = None
    ) -> list[dict[str, Any]]:
        """Rows of ``cypher_text``: in a read transaction, checked read-only, unless ``write``."""
        params = params or {}
        with self._session() as s, _errors():
            if write:
                return s.execute_write(lambda tx: _records(tx.run(cypher_text, params)))
            cypher.check_read_only(cypher_text)  # LOAD CSV and procedures run in read transactions
            return s.execute_read(_read_only, cypher_text, params, max_rows)

    # Whole tables cross Bolt as few rows as they can: the driver's cost is per row, not per value.
    def _node_rows(self, spec: schema.NodeSpec) -> list[dict[str, Any]]:
        rows = self.query(cypher.node_table(spec, ordered=False))  # sorted here: cheaper than on the server
        return sorted(rows, key=lambda r: r[spec.key])

    def _rel_rows(self, spec: schema.RelSpec, src_key: str, dst_key: str) -> list[dict[str, Any]]:
        cols = ["dst", *spec.columns]  # a map's keys come in the server's order: put them in the schema's
        rows = [
            {"src": g["src"]} | {c: e.get(c) for c in cols}
            for g in self.query(cypher.rel_groups(spec, src_key, dst_key))
            for e in g["out"]
        ]
        return sorted(rows, key=lambda r: (r["src"], r["dst"]))

    def close(self) -> None:
        """Close the driver and its connections."""
        self._driver.close()


QUERY_TIMEOUT_S = 120  # as the embedded store: a read that runs for minutes (an unbounded pattern) is stopped


@neo4j.unit_of_work(timeout=QUERY_TIMEOUT_S)
def _read_only(
    tx: neo4j.ManagedTransaction, text: str, params: dict[str, Any], max_rows: int | None = None
) -> list[dict[str, Any]]:
    result = tx.run(text, params)
    rows = _records(result, max_rows)
    summary = result.consume()
    if summary.query_type not in (None, "r") or summary.counters.contains_updates:
        raise ReadOnlyViolation()  # raising inside the managed transaction rolls it back
    return rows


def _records(result: neo4j.Result, max_rows: int | None = None) -> list[dict[str, Any]]:
    keys = result.keys()
    if max_rows is None:
        return [{k: _plain(v) for k, v in zip(keys, rec)} for rec in result]
    rows: list[dict[str, Any]] = []  # the driver fetches in batches: stopping here leaves the rest on the server
    for rec in result:
        if len(rows) == max_rows:
            raise TooManyRows(None, max_rows)
        rows.append({k: _plain(v) for k, v in zip(keys, rec)})
    return rows


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    """Driver values as plain Python: nodes and relationships as property dicts."""
    if type(value) in _SCALARS:  # most values: one set lookup, not five isinstance calls
        return value
    if isinstance(value, neo4j.graph.Node):
        return {"_label": ":".join(sorted(value.labels))} | {k: _plain(v) for k, v in value.items()}
    if isinstance(value, neo4j.graph.Relationship):
        return {"_label": value.type} | {k: _plain(v) for k, v in value.items()}
    if isinstance(value, neo4j.graph.Path):  # its nodes and relationships in turn, as the embedded store gives it
        return [_plain(x) for pair in zip(value.nodes, [*value.relationships, None], strict=True) for x in pair if x is not None]
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):  # neo4j.time.Date / DateTime / Duration
        return value.iso_format()
    return value


def _any(tx: neo4j.ManagedTransaction | neo4j.Transaction, text: str) -> bool:
    return tx.run(text).peek() is not None


def _stored(tx: neo4j.ManagedTransaction | neo4j.Transaction, text: str, name: str, values: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for part in chunks(values, BATCH_ROWS):
        out.extend(r.data() for r in tx.run(text, {name: part}))
    return out


def _first_line(e: BaseException) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


class _errors:
    """Turn driver errors raised while working into the project's errors."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, typ: type | None, exc: BaseException | None, tb: object) -> None:
        if exc is None or isinstance(exc, StoreError):
            return
        if isinstance(exc, nx_err.ConstraintError):
            raise StoreError(f"a key is already taken: {exc.message}", "keys must be unique per label") from None
        if isinstance(exc, nx_err.Neo4jError) and exc.code and "AccessMode" in exc.code:
            raise ReadOnlyViolation() from None
        if isinstance(exc, nx_err.Neo4jError) and exc.code and "Timed" in exc.code:  # TransactionTimedOut(ClientConfiguration)
            raise QueryError(
                f"query stopped after {QUERY_TIMEOUT_S} s: {_first_line(Exception(exc.message or exc))}",
                "bound variable-length patterns, e.g. [*1..4]",
            ) from None
        if isinstance(exc, nx_err.Neo4jError):
            hint = "check the Cypher; labels and types are listed by `ccb stats`"
            raise QueryError(f"query failed: {_first_line(Exception(exc.message or exc))}", hint) from None
        if isinstance(exc, (nx_err.ServiceUnavailable, nx_err.SessionExpired)):
            raise ConnectionFailed(f"lost the connection to Neo4j: {_first_line(exc)}") from None


def _now() -> float:
    return time.perf_counter()


class _Held:
    """The relationships of each type a write transaction has in the store: counted once, then kept up to date."""

    def __init__(self, unique: bool = False, clock: Callable[[], float] | None = None) -> None:
        self.unique = unique  # no key comes twice in this transaction's batches
        self.count: dict[str, int] = {}
        self.began_empty: set[str] = set()
        self.scan_seconds: dict[str, float] = {}  # per stored row, as measured by a scan of the type
        self.clock = clock or _now  # the probes' timer (a test gives its own)

    def comparable(self, tx: neo4j.ManagedTransaction | neo4j.Transaction, spec: schema.RelSpec) -> int:
        """How many stored ``spec`` relationships a batch's rows could match (none: nothing to look up)."""
        if spec.rel_type not in self.count:
            self.count[spec.rel_type] = tx.run(cypher.count_rels(spec)).single(strict=True)["n"]
            if not self.count[spec.rel_type]:
                self.began_empty.add(spec.rel_type)
        return 0 if self.unique and spec.rel_type in self.began_empty else self.count[spec.rel_type]


def _write_batch(tx: neo4j.ManagedTransaction | neo4j.Transaction, batch: Batch, summary: WriteSummary, held: _Held) -> None:
    """Write one batch inside ``tx``: nodes, then relationships; only new and changed rows are sent."""
    for label, spec in schema.nodes().items():
        if rows := batch.node_rows(label):
            # An empty label needs no lookup; rows known to be new are CREATEd, not MERGEd.
            stored = (
                _stored(tx, cypher.find_nodes(spec), "keys", [r[spec.key] for r in rows])
                if _any(tx, cypher.any_node(label))
                else []
            )
            plan = WritePlan.of(rows, {r[spec.key]: r for r in stored}, node_ident(spec.key))
            for text, todo in ((cypher.create_nodes(spec), plan.new), (cypher.merge_nodes(spec), plan.changed)):
                for part in chunks(todo, BATCH_ROWS):
                    tx.run(text, rows=part).consume()
            summary.add(label, plan)
    for type_, rspec in schema.rels().items():
        if rows := batch.rel_rows(type_):
            sk, dk = schema.node(rspec.src).key, schema.node(rspec.dst).key
            stored = _stored_rels(tx, rspec, sk, dk, rows, held)
            plan = WritePlan.of(rows, {(r["src"], r["dst"]): r for r in stored}, rel_ident)
            for text, todo in (
                (cypher.merge_rels(rspec, sk, dk, verb="CREATE"), plan.new),
                (cypher.merge_rels(rspec, sk, dk), plan.changed),
            ):
                for part in chunks(todo, BATCH_ROWS):
                    record = tx.run(text, rows=part).single()
                    written = record["n"] if record is not None else 0
                    if written != len(part):
                        # An endpoint is missing: the loader checks references,
                        # so this is a race or a bug. Roll back rather than drop rows.
                        raise StoreError(f"{len(part) - written} {type_} rows name a node that does not exist")
            held.count[type_] += len(plan.new)
            summary.add(type_, plan)


def _stored_rels(
    tx: neo4j.ManagedTransaction | neo4j.Transaction,
    spec: schema.RelSpec,
    src_key: str,
    dst_key: str,
    rows: list[dict[str, Any]],
    held: _Held,
) -> list[dict[str, Any]]:
    """The stored ``spec`` relationships between the ends of ``rows``, of those the store holds (``held``).

    Read by scanning the type (filtered here) for a unit that is at least 1/:data:`SCAN_SHARE` of it: a look-up walks
    its anchor's relationships, which for a hub grow with the graph, and made the XL re-load over Bolt grow as the
    square of its PARTNERS_WITH rows. A smaller unit is looked up pair by pair, its first :data:`PROBE_ROWS` pairs
    timed: where the rest would cost more by key than a scan of the type, the rest is read by the scan.
    """
    stored = held.comparable(tx, spec)
    if not stored:
        return []
    table = cypher.rel_table(spec, src_key, dst_key, ordered=False)
    if len(rows) * SCAN_SHARE >= stored:
        return _scan_rels(tx, table, spec.rel_type, rows, held)
    text = cypher.find_rels(spec, src_key, dst_key)
    pairs = [{"src": r["src"], "dst": r["dst"]} for r in rows]
    if len(pairs) <= PROBE_ROWS:
        return _stored(tx, text, "pairs", pairs)
    start = held.clock()
    found = _stored(tx, text, "pairs", pairs[:PROBE_ROWS])
    per_row = (held.clock() - start) / PROBE_ROWS
    rest = rows[PROBE_ROWS:]
    if per_row * len(rest) > held.scan_seconds.get(spec.rel_type, SCAN_SECONDS) * stored:
        return found + _scan_rels(tx, table, spec.rel_type, rest, held)
    return found + _stored(tx, text, "pairs", pairs[PROBE_ROWS:])


def _scan_rels(
    tx: neo4j.ManagedTransaction | neo4j.Transaction, table: str, rel_type: str, rows: list[dict[str, Any]], held: _Held
) -> list[dict[str, Any]]:
    """The stored relationships between the ends of ``rows``, read by the scan ``table`` of their type; the scan's
    rate per stored row is kept for the transaction's later probes."""
    wanted = {(r["src"], r["dst"]) for r in rows}
    start, seen = held.clock(), 0
    out = []
    for r in tx.run(table):
        seen += 1
        if (r["src"], r["dst"]) in wanted:
            out.append(r.data())
    if seen:
        held.scan_seconds[rel_type] = (held.clock() - start) / seen
    return out
