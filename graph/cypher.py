"""The stores' own Cypher, generated from the schema.

Labels, types and property names come only from :mod:`graph.schema`, never
from users; values travel only as parameters. Statements here keep to the
subset LadybugDB and Neo4j share; a store that needs a variant builds it
itself (LadybugDB's ``COPY`` and ``LOAD FROM`` live in
:mod:`graph.embedded`, Neo4j's constraints in :mod:`graph.neo4j_store`).
"""

from __future__ import annotations

import functools
import re

from graph.errors import QueryError, ReadOnlyViolation
from graph.schema import NodeSpec, RelSpec


def _sets(var: str, row: str, names: list[str]) -> str:
    return ", ".join(f"{var}.{n} = {row}.{n}" for n in names)


def merge_nodes(spec: NodeSpec) -> str:
    """Upsert one batch ``$rows`` of ``spec`` nodes by key.

    Examples
    --------
    >>> from graph import schema
    >>> merge_nodes(schema.node("Organisation")).split(" SET ")
    ['UNWIND $rows AS r MERGE (n:Organisation {id: r.id})', 'n.source = r.source, n.as_of = r.as_of, n.name = r.name, n.aliases = r.aliases, n.kind = r.kind, n.country = r.country']
    """
    rest = [c for c in spec.columns if c != spec.key]
    return f"UNWIND $rows AS r MERGE (n:{spec.label} {{{spec.key}: r.{spec.key}}}) SET {_sets('n', 'r', rest)}"


def merge_rels(spec: RelSpec, src_key: str, dst_key: str, verb: str = "MERGE") -> str:
    """Upsert one batch ``$rows`` (``src``, ``dst``, properties) of ``spec`` relationships.

    Returns the number of rows written, so a caller can tell a dangling
    endpoint (MATCH finds nothing, the row vanishes) from success. With
    ``verb="CREATE"``, for rows known not to exist (no lookup per row).
    The pattern is matched from the relationship's anchor: a programme has
    few funders, a funder many programmes.

    Examples
    --------
    >>> from graph import schema
    >>> text = merge_rels(schema.rel("FUNDS"), "id", "id")
    >>> text.split(" SET ")[0]
    'UNWIND $rows AS r MATCH (b:Programme {id: r.dst}) MATCH (a:Organisation {id: r.src}) MERGE (b)<-[e:FUNDS]-(a)'
    >>> text[-20:]
    'RETURN count(e) AS n'
    """
    a, b = f"MATCH (a:{spec.src} {{{src_key}: r.src}})", f"MATCH (b:{spec.dst} {{{dst_key}: r.dst}})"
    first, second = (b, a) if spec.model.anchor == "dst" else (a, b)
    merge = "(b)<-[e:{t}]-(a)" if spec.model.anchor == "dst" else "(a)-[e:{t}]->(b)"
    return (
        f"UNWIND $rows AS r {first} {second} "
        f"{verb} {merge.format(t=spec.rel_type)} SET {_sets('e', 'r', spec.columns)} RETURN count(e) AS n"
    )


def create_nodes(spec: NodeSpec) -> str:
    """Create one batch ``$rows`` of ``spec`` nodes known not to exist (no MERGE lookup per row)."""
    rest = [c for c in spec.columns if c != spec.key]
    return f"UNWIND $rows AS r CREATE (n:{spec.label} {{{spec.key}: r.{spec.key}}}) SET {_sets('n', 'r', rest)}"


def any_node(label: str) -> str:
    """One ``label`` node, whole (to read back a record's shape)."""
    return f"MATCH (n:{label}) RETURN n LIMIT 1"


def find_keys(spec: NodeSpec) -> str:
    """Which of ``$keys`` exist as ``spec`` nodes."""
    return f"UNWIND $keys AS k MATCH (n:{spec.label} {{{spec.key}: k}}) RETURN n.{spec.key} AS k"


def find_nodes(spec: NodeSpec) -> str:
    """The stored properties of those of ``$keys`` that exist (to skip unchanged rows)."""
    cols = ", ".join(f"n.{c} AS {c}" for c in spec.columns)
    return f"UNWIND $keys AS k MATCH (n:{spec.label} {{{spec.key}: k}}) RETURN {cols}"


def find_rels(spec: RelSpec, src_key: str, dst_key: str) -> str:
    """The stored properties of those of ``$pairs`` (``src``, ``dst``) that exist."""
    cols = "".join(f", e.{c} AS {c}" for c in spec.columns)
    return f"UNWIND $pairs AS r MATCH {spec.pattern(src_key, dst_key, 'r.src', 'r.dst')} RETURN r.src AS src, r.dst AS dst{cols}"


def node_table(spec: NodeSpec, *, ordered: bool = True) -> str:
    """Every ``spec`` node, one column per property, sorted by key (unless not ``ordered``: the caller sorts)."""
    cols = ", ".join(f"n.{c} AS {c}" for c in spec.columns)
    return f"MATCH (n:{spec.label}) RETURN {cols}" + (f" ORDER BY n.{spec.key}" if ordered else "")


def rel_table(spec: RelSpec, src_key: str, dst_key: str, *, ordered: bool = True) -> str:
    """Every ``spec`` relationship as ``src``, ``dst`` and properties, sorted (unless not ``ordered``)."""
    cols = "".join(f", e.{c} AS {c}" for c in spec.columns)
    return f"MATCH (a:{spec.src})-[e:{spec.rel_type}]->(b:{spec.dst}) RETURN a.{src_key} AS src, b.{dst_key} AS dst{cols}" + (
        " ORDER BY src, dst" if ordered else ""
    )


def rel_groups(spec: RelSpec, src_key: str, dst_key: str) -> str:
    """Every ``spec`` relationship grouped by its start node: ``src``, and ``out``, a list of maps of ``dst`` and properties.

    The same data as :func:`rel_table` in a row per start node: over Bolt a
    row costs the driver far more than an item of a list (1.9 s against
    5.2 s for 164k relationships), and the caller sorts.

    >>> from graph import schema
    >>> rel_groups(schema.rel("PART_OF"), "id", "id")  # doctest: +NORMALIZE_WHITESPACE
    'MATCH (a:Organisation)-[e:PART_OF]->(b:Organisation) RETURN a.id AS src,
     collect({dst: b.id, source: e.source, as_of: e.as_of, valid_from: e.valid_from, valid_to: e.valid_to}) AS out'
    """
    assert "dst" not in spec.columns  # the map's own key
    cols = "".join(f", {c}: e.{c}" for c in spec.columns)
    return (
        f"MATCH (a:{spec.src})-[e:{spec.rel_type}]->(b:{spec.dst}) "
        f"RETURN a.{src_key} AS src, collect({{dst: b.{dst_key}{cols}}}) AS out"
    )


def count_nodes(label: str) -> str:
    """How many ``label`` nodes there are, as ``n``."""
    return f"MATCH (n:{label}) RETURN count(n) AS n"


def count_rels(spec: RelSpec) -> str:
    """How many ``spec`` relationships there are, as ``n``.

    >>> from graph import schema
    >>> count_rels(schema.rel("TARGETS"))
    'MATCH (:Programme)-[e:TARGETS]->(:Country) RETURN count(e) AS n'
    """
    return f"MATCH (:{spec.src})-[e:{spec.rel_type}]->(:{spec.dst}) RETURN count(e) AS n"


def delete_all(label: str) -> str:
    """Delete every ``label`` node and its relationships."""
    return f"MATCH (n:{label}) DETACH DELETE n"


# -- what a read-only query may be ------------------------------------------------------

# A read-only query is a graph read: it starts with one of these clauses. The stores'
# read-only transactions stop graph writes; this stops what they let through, the
# clauses that read or write files or run procedures (LOAD FROM / LOAD CSV, COPY ... TO,
# EXPORT / IMPORT DATABASE, CALL, ATTACH, INSTALL).
READ_STARTS = frozenset({"MATCH", "OPTIONAL", "WITH", "UNWIND", "RETURN"})
SIDE_EFFECTS = frozenset(
    {
        "LOAD",
        "COPY",
        "EXPORT",
        "IMPORT",
        "CALL",
        "ATTACH",
        "DETACH",
        "INSTALL",
        "USE",
        "CHECKPOINT",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
    }
)
_LITERALS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.S)
_WORD = re.compile(r"(?<![.\w$])[A-Za-z_]\w*")


def without_literals(text: str) -> str:
    """``text`` with its strings, backticked names and comments blanked (the same length), leaving the code.

    >>> without_literals("MATCH (n {name: 'a {.b}'}) RETURN n // [x IN y | z]")
    'MATCH (n {name: ________}) RETURN n _______________'
    """
    return _LITERALS.sub(lambda m: "_" * len(m.group()), text)


_OPEN, _CLOSE = "([{", ")]}"
_RETURN_ENDS = re.compile(r"(?<![.\w$])(?:ORDER\s+BY|SKIP|LIMIT)\b|;", re.I)  # n.limit is a property
_ALIAS = re.compile(r"\s+AS\s+([A-Za-z_]\w*)\s*$", re.I | re.S)  # a backticked alias is masked to underscores


def _top_level(masked: str) -> list[int]:
    """For each character of ``masked`` (literals already blanked), how deep it sits in brackets."""
    depth, out = 0, []
    for ch in masked:
        if ch in _CLOSE:
            depth = max(0, depth - 1)
        out.append(depth)
        if ch in _OPEN:
            depth += 1
    return out


def return_names(text: str) -> list[str] | None:
    """The column names Neo4j gives the items of a query's last RETURN: an item's alias, else its text as written.

    LadybugDB names an unaliased column by its own plan (``COUNT(n._ID)`` for ``count(n)``); the embedded store
    renames its columns with these, so one query gives the same keys on both engines. ``None`` when the names
    cannot be read from the text alone (``RETURN *``, ``UNION``, a comment inside the clause, no RETURN).

    >>> return_names("MATCH (n) RETURN count(n), n.name AS `the name`, max(n.x) + 1 ORDER BY n.name LIMIT 2")
    ['count(n)', 'the name', 'max(n.x) + 1']
    >>> return_names("MATCH (n) WITH n, {a: 1, b: [1, 2]} AS m RETURN DISTINCT n.id, m.a, 'x, y' AS s")
    ['n.id', 'm.a', 's']
    >>> return_names("MATCH (n) RETURN n.limit, n.return ORDER BY n.limit SKIP 1")
    ['n.limit', 'n.return']
    >>> return_names("MATCH (n) RETURN cast(n.x AS STRING), cast(n.x AS STRING) AS s")  # AS inside a call is no alias
    ['cast(n.x AS STRING)', 's']
    >>> return_names("MATCH (n) RETURN *"), return_names("RETURN 1 AS a UNION RETURN 2 AS a")
    (None, None)
    """
    names = _cached_names(text) if len(text) <= 4096 else _return_names(text)  # a long text is not kept
    return list(names) if names is not None else None


def _return_names(text: str) -> tuple[str, ...] | None:
    masked = without_literals(text)
    depth = _top_level(masked)
    top = [m for m in re.finditer(r"(?<![.\w$])(RETURN|UNION)\b", masked, re.I) if depth[m.start()] == 0]
    if not top or top[-1].group(1).upper() != "RETURN" or any(m.group(1).upper() == "UNION" for m in top):
        return None
    start = top[-1].end()
    if distinct := re.match(r"\s*DISTINCT\b", masked[start:], re.I):
        start += distinct.end()
    end = next((m.start() for m in _RETURN_ENDS.finditer(masked, start) if depth[m.start()] == 0), len(text))
    if re.search(r"//|/\*", text[start:end]):
        return None
    body = masked[start:end]
    cuts = [i for i, ch in enumerate(body) if ch == "," and depth[start + i] == 0]
    names = []
    for a, b in zip([-1, *cuts], [*cuts, len(body)], strict=True):
        item = text[start + a + 1 : start + b]
        if (alias := _ALIAS.search(body[a + 1 : b])) is not None and depth[start + a + 1 + alias.start()] == 0:
            names.append(item[alias.start(1) : alias.end(1)].strip("`"))
        elif (name := item.strip()) and name != "*":
            names.append(name)
        else:
            return None
    return tuple(names) if len(set(names)) == len(names) else None


_cached_names = functools.lru_cache(maxsize=512)(_return_names)  # the analyses run the same named queries many times


GRAPH_WRITES = frozenset({"CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "DROP", "ALTER"})


def check_read_only(text: str) -> None:
    """Raise :class:`ReadOnlyViolation` unless ``text`` is a plain graph read.

    A graph write gets the usual "writes to the graph" refusal; a clause that
    reaches outside the graph gets one naming it. Words inside strings,
    comments and property names (``c.load``) are data, not clauses.

    >>> check_read_only("MATCH (c:Country {name: 'LOAD FROM x'}) RETURN c.load AS load_")
    >>> check_read_only("COPY (RETURN 1) TO '/tmp/x.csv'")
    Traceback (most recent call last):
    ...
    graph.errors.ReadOnlyViolation: not a read-only query: COPY reads or writes outside the graph; nothing was run (pass --write to allow it)
    >>> check_read_only("MATCH (c) SET c.x = 1")
    Traceback (most recent call last):
    ...
    graph.errors.ReadOnlyViolation: this query writes to the graph; nothing was changed (pass --write to allow writes)
    >>> check_read_only(" ; // nothing")
    Traceback (most recent call last):
    ...
    graph.errors.QueryError: the query is empty (give a Cypher statement, as MATCH (c:Country) RETURN count(c) AS n)
    """
    words = [w.upper() for w in _WORD.findall(_LITERALS.sub(" ", text))]
    if not words:  # blank, a lone ";" or a comment: nothing to refuse, and --write would not help
        raise QueryError("the query is empty", "give a Cypher statement, as MATCH (c:Country) RETURN count(c) AS n")
    for i, w in enumerate(words):
        if w in SIDE_EFFECTS and not (w == "DETACH" and words[i + 1 : i + 2] == ["DELETE"]):
            raise ReadOnlyViolation(f"{w} reads or writes outside the graph")
    if any(w in GRAPH_WRITES for w in words):
        raise ReadOnlyViolation()
    if words[0] not in READ_STARTS:
        raise ReadOnlyViolation(f"a read-only query starts with MATCH, OPTIONAL MATCH, WITH, UNWIND or RETURN, not {words[0]}")


# Reads the loaders make: the stored countries (whole), and the organisations' names for identity resolution.
COUNTRY_ROWS = "MATCH (c:Country) RETURN c"
ORGANISATION_NAMES = """
MATCH (o:Organisation)
RETURN o.id AS id, o.name AS name, o.aliases AS aliases, o.country AS country
"""

# The groups among $ids that have a member country: what a programme's scope_blocs may name.
GROUPS_WITH_MEMBERS = "MATCH (:Country)-[:MEMBER_OF]->(o:Organisation) WHERE o.id IN $ids RETURN DISTINCT o.id AS id"
