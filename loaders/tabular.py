"""The tabular loader: curated YAML, JSON, JSON Lines and CSV files.

The format (see ``docs/format.md``) has one section per node label and
relationship type, named as in the schema: ``countries``, ``organisations``,
``programmes``, ``funds``, ``implements``, ``targets``, ``partners_with``,
``member_of``. Relationships name their ends with ``from`` and ``to`` keys.

- YAML / JSON: a mapping of section name to a list of records.
- JSON Lines: one record a line, its section in a ``"type"`` field
  (``"programmes"``, or the label/type itself: ``"Programme"``, ``"FUNDS"``).
- CSV: one record a row; the section from a ``type`` column, or else from
  the file name (``funds.csv``, ``2024.programmes.csv``); list cells are
  separated by ``;``; an empty cell is an unknown value.

Every record is validated and every reference resolved before anything is
written, so a file loads whole or not at all; ``dry_run`` reports every
problem of a file at once. A load checks plain JSON Lines a column at a time
(:mod:`loaders.columnar`, twice pydantic's rate, and the tables are what the
store COPYs); on any doubt the records go to pydantic one by one, which
words every problem.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import marshal
import pickle
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import islice, repeat
from operator import attrgetter, itemgetter
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any, NamedTuple, TypeVar, cast

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from graph import cypher, schema
from graph.errors import LoadError, Problem
from graph.model import Node, Programme, Relationship, error_message
from graph.names import suggest
from graph.store import Batch, RowBatch, Store, TableBatch, WriteSummary, gc_paused
from loaders import columnar

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
SHEETS = (".xlsx", ".xls", ".xlsm", ".ods", ".numbers")  # a spreadsheet is loaded as the CSV it saves
_ALIASES = {s.model.section: s.model.section for s in schema.sections().values()}
_ALIASES |= {s.label: s.model.section for s in schema.nodes().values()}
_ALIASES |= {s.rel_type: s.model.section for s in schema.rels().values()}
_ALIASES |= {k.lower(): v for k, v in list(_ALIASES.items())}


class RawRecord(NamedTuple):
    """One record of an input file before validation, with where it was found (a tuple: a file makes 660k)."""

    section: str  # a key of schema.sections()
    data: dict[str, Any]
    location: str  # "line 4", "programmes[2] (line 31)"


@dataclass(frozen=True)
class LoadReport:
    """What loading one file did: the records read, and what the write changed."""

    file: str
    records: int
    summary: WriteSummary | None  # None for a dry run


def load_file(store: Store, path: str | Path, *, dry_run: bool = False, stream_bytes: int | None = None) -> LoadReport:
    """Validate ``path`` whole, then write it to ``store`` in one transaction.

    A JSON Lines or CSV file larger than ``stream_bytes`` (default
    :data:`STREAM_BYTES`) is checked and written a chunk at a
    time (:func:`check_streamed`), with the same promises and messages.
    Raises :class:`LoadError` listing every problem found; nothing is written then.
    """
    path = Path(path)
    with gc_paused():  # the write builds as many objects again as the read
        if _streams(path, STREAM_BYTES if stream_bytes is None else stream_bytes):
            records, summary = _load_streamed(store, path, dry_run=dry_run)
            return LoadReport(str(path), records, summary)
        batch = read_batch(path, store, columns=True)
        summary = None if dry_run else store.write(batch)
    return LoadReport(str(path), len(batch), summary)


def read_batch(path: str | Path, store: Store | None = None, *, check_references: bool = True, columns: bool = False) -> Batch:
    """Parse and validate ``path``; references are resolved in the file and in ``store``.

    ``columns``: the batch may be a :class:`TableBatch` of rows checked in
    columns (:func:`columnar_batch`) instead of model records: what a write
    needs, at twice the rate. A file it cannot vouch for is validated record
    by record, with the same result and the same messages.
    """
    path = Path(path)
    problems: list[Problem] = []
    batch = Batch()
    first: dict[tuple[str, Any], str] = {}  # identity -> where it was first seen, filled only on a duplicate
    found: list[tuple[int, Problem]] = []  # (position in the file, problem)
    with gc_paused():
        if columns and check_references and FORMATS.get(path.suffix.lower()) == "jsonl":
            if (fast := _columnar_jsonl(path, store)) is not None:
                return fast
            columns = False  # not plain: the reader below names what is wrong
        raws = list(_read(path, problems))
        if columns and check_references and not problems and (fast := columnar_batch(raws, store)) is not None:
            return fast
        recs = _validate(path, raws, found)
        if not _add_unique(batch, recs):  # a key given twice: record by record, to name each repeat
            batch = Batch()
            for i, rec in enumerate(recs):
                if rec is None:
                    continue
                if batch.has(rec):
                    found.append((i, _duplicate(path, i, raws, recs, first)))
                    continue
                batch.add(rec)
        problems.extend(p for _, p in sorted(found, key=lambda f: f[0]))  # in file order
        if check_references:  # the records are walked again only to name a problem's place (zip is lazy)
            refs = (
                (raw, cast(Relationship, rec))
                for raw, rec in zip(raws, recs)
                if rec is not None and not rec.is_node and batch.holds(rec)
            )
            problems.extend(dangling_references(path, batch, refs, store))
            blocs = (
                (raw, rec) for raw, rec in zip(raws, recs) if isinstance(rec, Programme) and rec.scope_blocs and batch.holds(rec)
            )
            problems.extend(unknown_blocs(path, batch, blocs, store))
            links = (
                (raw, rec)
                for raw, rec in zip(raws, recs)
                if isinstance(rec, Relationship) and rec.type in TREES and batch.holds(rec)
            )
            problems.extend(hierarchy_problems(path, batch, links, store))
    if not problems and not len(batch):
        problems.append(Problem(str(path), "file", "", "holds no records"))
    if problems:
        raise LoadError(problems)
    return batch


def columnar_batch(raws: list[RawRecord], store: Store | None) -> TableBatch | None:
    """``raws`` checked a column at a time (:mod:`loaders.columnar`), with every check between records; None on any
    doubt (a record pydantic would refuse or change, a key twice, an end nowhere, an unknown bloc, a cycle), for the
    record-by-record path to name each problem.
    """
    return _vouched(_chunk_tables(raws) if raws else None, store)


def _vouched(tables: dict[str, pa.Table] | None, store: Store | None) -> TableBatch | None:
    """``tables`` as a batch, if the checks between their records pass: the streamed reader's index
    (:class:`_Index`: a key twice, an end that is nowhere, an unknown bloc, a cycle), over the whole file at once."""
    if not tables:
        return None
    index = _Index(store)
    index.add_tables(tables)
    return None if index.doubtful() else TableBatch(tables)


def _bloc_trouble(wanted: set[str], orgs: set[str], groups: set[str], store: Store | None) -> tuple[set[str], set[str]]:
    """Of the blocs ``wanted``, those that name no organisation in the file (``orgs``) or the store, and those that
    have no member country (MEMBER_OF ends in the file, ``groups``, or the store): a group has members."""
    named = wanted - orgs
    if named and store:
        named -= store.existing_keys("Organisation", named)
    lonely = wanted - named - groups
    if lonely and store:
        lonely -= {r["id"] for r in store.query(cypher.GROUPS_WITH_MEMBERS, {"ids": sorted(lonely)})}
    return named, lonely


def _cycles(trees: dict[str, set[tuple[str, str]]], store: Store | None) -> bool:
    """Whether the PART_OF / COMPONENT_OF pairs ``trees``, with the store's, make a cycle or a second parent."""
    if not any(trees.values()):
        return False
    batch = Batch(rels={t: dict.fromkeys(pairs) for t, pairs in trees.items()})  # type: ignore[misc]
    links = [(RawRecord(t, {}, ""), SimpleNamespace(type=t, src=a, dst=b)) for t, pairs in trees.items() for a, b in pairs]
    return bool(hierarchy_problems(Path(""), batch, links, store))  # type: ignore[arg-type]


def _add_unique(batch: Batch, recs: list[Node | Relationship | None]) -> bool:
    """Add ``recs`` (None: invalid, skipped) to ``batch`` a label or type at a time, in file order; False, and
    nothing added, if a key comes twice.

    Keys are read with ``attrgetter`` and tables built by ``dict(zip(...))``: in C, where
    :meth:`Batch.add` is a Python call per record (1.2 s of a 660k-record file).
    """
    groups: dict[type[Node] | type[Relationship], list[Any]] = defaultdict(list)
    for rec in recs:
        if rec is not None:
            groups[type(rec)].append(rec)
    nodes: dict[str, dict[Any, Any]] = {}
    rels: dict[str, dict[Any, Any]] = {}
    for model, group in groups.items():
        table: dict[Any, Any]
        if issubclass(model, Node):
            table = nodes.setdefault(model.label, {})
            keys: Iterable[Any] = map(attrgetter(model.key), group)
        else:
            table = rels.setdefault(model.type, {})
            keys = zip(map(attrgetter("src"), group), map(attrgetter("dst"), group))
        before = len(table)
        table.update(zip(keys, group))
        if len(table) != before + len(group):
            return False
    for label, table in nodes.items():
        batch.nodes.setdefault(label, {}).update(table)
    for type_, rtable in rels.items():
        batch.rels.setdefault(type_, {}).update(rtable)
    return True


@cache
def _list_adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def validate_all(
    model: type[BaseModel], datas: list[dict[str, Any]], on_error: Callable[[int, ValidationError], None]
) -> list[Any]:
    """``datas`` as ``model`` records, None where invalid (``on_error(index, error)`` is told).

    One call into pydantic-core for the whole list; only a list with an
    error is validated again record by record, to name each problem.

    Examples
    --------
    >>> from graph.model import Organisation
    >>> bad = []
    >>> rows = [{"id": "eu", "name": "European Union", "source": "s"}, {"id": "Not A Key", "name": "x", "source": "s"}]
    >>> [r.id if r else None for r in validate_all(Organisation, rows, lambda i, e: bad.append(i))], bad
    (['eu', None], [1])
    """
    try:
        records: list[Any] = _list_adapter(model).validate_python(datas)
        return records
    except ValidationError:
        pass
    out: list[Any] = []
    for i, data in enumerate(datas):
        try:
            out.append(model.model_validate(data))
        except ValidationError as e:
            out.append(None)
            on_error(i, e)
    return out


def _validate(path: Path, raws: list[RawRecord], found: list[tuple[int, Problem]]) -> list[Node | Relationship | None]:
    """Each raw record as a model (None where invalid; its problems go to ``found`` with its position).

    A section's records are validated together (:func:`validate_all`).
    """
    sections = schema.sections()
    by_section: dict[str, list[int]] = {}
    for i, raw in enumerate(raws):
        by_section.setdefault(raw.section, []).append(i)
    out: list[Node | Relationship | None] = [None] * len(raws)
    for section, idx in by_section.items():
        model = sections[section].model

        def bad(k: int, e: ValidationError, idx: list[int] = idx, model: type = model) -> None:
            found.extend((idx[k], p) for p in validation_problems(path, raws[idx[k]], model, e))

        for i, rec in zip(idx, validate_all(model, [raws[i].data for i in idx], bad)):
            out[i] = rec
    return out


def _ident(rec: Node | Relationship) -> Any:
    return getattr(rec, rec.key) if rec.is_node else (rec.src, rec.dst)  # type: ignore[union-attr]


def _duplicate(
    path: Path, i: int, raws: list[RawRecord], recs: list[Node | Relationship | None], first: dict[tuple[str, Any], str]
) -> Problem:
    """The problem for record ``i``, whose identity came earlier in the file (``first`` is filled on the first call)."""
    if not first:
        for raw, rec in zip(raws, recs):
            if rec is not None:
                first.setdefault((raw.section, _ident(rec)), raw.location)
    rec, raw = recs[i], raws[i]
    field = rec.key if rec.is_node else "from/to"  # type: ignore[union-attr]
    return Problem(str(path), raw.location, field, f"duplicate of {first[(raw.section, _ident(rec))]}: {_ident(rec)!r}")  # type: ignore[arg-type]


def unknown_blocs(path: Path, batch: Batch, blocs: Iterable[tuple[RawRecord, Programme]], store: Store | None) -> list[Problem]:
    """Problems for ``scope_blocs`` that name no organisation in the file or the store.

    ``blocs`` (the programmes that name blocs, with where each was read) is
    walked only when one names an unknown bloc.
    """
    programmes = batch.nodes.get("Programme", {}).values()
    wanted = {b for p in programmes for b in p.scope_blocs}  # type: ignore[attr-defined]
    if not wanted:
        return []
    orgs, groups = set(batch.nodes.get("Organisation", {})), {r[1] for r in batch.rels.get("MEMBER_OF", [])}
    named, lonely = _bloc_trouble(wanted, orgs, groups, store)
    if not named and not lonely:
        return []
    why = {b: f"no Organisation {b!r} in this file or the store (a group with MEMBER_OF links)" for b in named}
    why |= {b: f"{b!r} has no member country in this file or the store: it is not a group (MEMBER_OF links)" for b in lonely}
    return [Problem(str(path), raw.location, "scope_blocs", why[b]) for raw, p in blocs for b in p.scope_blocs if b in why]


# Relationships that must form trees, and whether a node may have one parent only: an agency belongs to one state or
# bloc (two would count it for both donors); a programme may sit in two umbrellas, but never in itself.
TREES = {"PART_OF": True, "COMPONENT_OF": False}


def hierarchy_problems(
    path: Path, batch: Batch, links: Iterable[tuple[RawRecord, Relationship]], store: Store | None
) -> list[Problem]:
    """Problems for PART_OF and COMPONENT_OF links that, with the store's, make a cycle, or give an organisation a
    second parent. ``links`` is walked only when one is wrong.

    >>> from graph.model import PartOf
    >>> links = [PartOf(src="a", dst="b", source="s"), PartOf(src="b", dst="a", source="s")]
    >>> raws = [RawRecord("part_of", {}, "line 1"), RawRecord("part_of", {}, "line 2")]
    >>> [p.message for p in hierarchy_problems(Path("f.yaml"), Batch().extend(links), zip(raws, links), None)]
    ['PART_OF a -> b makes a cycle (a -> b -> a)', 'PART_OF b -> a makes a cycle (b -> a -> b)']
    """
    wrong: dict[tuple[str, str, str], str] = {}
    for rel_type, one_parent in TREES.items():
        rows = batch.rels.get(rel_type)
        if not rows:
            continue
        new = {(r[0], r[1]) for r in rows}
        spec = schema.rel(rel_type)
        key_src, key_dst = schema.node(spec.src).key, schema.node(spec.dst).key
        old = {(r["src"], r["dst"]) for r in store.query(cypher.rel_table(spec, key_src, key_dst))} if store else set()
        up: dict[str, set[str]] = defaultdict(set)
        for a, b in new | old:
            up[a].add(b)
        for a, b in sorted(new):
            if one_parent and len(up[a]) > 1:
                others = ", ".join(sorted(up[a] - {b}))
                wrong[(rel_type, a, b)] = f"{a} is part of {others} too (in this file or the store): one state or bloc only"
            elif loop := _path_back(up, b, a):
                wrong[(rel_type, a, b)] = f"{rel_type} {a} -> {b} makes a cycle ({' -> '.join([a, *loop])})"
    if not wrong:
        return []
    return [
        Problem(str(path), raw.location, "to", wrong[(rec.type, rec.src, rec.dst)])
        for raw, rec in links
        if (rec.type, rec.src, rec.dst) in wrong
    ]


def _path_back(up: dict[str, set[str]], start: str, goal: str) -> list[str] | None:
    """The nodes from ``start`` up to ``goal`` (both included) following ``up``, or None: a cycle's way home."""
    stack, seen = [(start, [start])], {start}
    while stack:
        node, trail = stack.pop()
        if node == goal:
            return trail
        for nxt in sorted(up.get(node, ())):
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*trail, nxt]))
    return None


def dangling_references(
    path: Path, batch: Batch, refs: Iterable[tuple[RawRecord, Relationship]], store: Store | None
) -> list[Problem]:
    """Problems for relationship ends that are neither in the file nor in the store.

    ``refs`` (the relationships, with where each was read) is walked only
    when an end is missing.
    """
    wanted: dict[str, set[str]] = {}
    for spec in schema.rels().values():
        if rows := batch.rels.get(spec.rel_type):
            wanted.setdefault(spec.src, set()).update(map(itemgetter(0), rows))
            wanted.setdefault(spec.dst, set()).update(map(itemgetter(1), rows))
    missing: dict[str, set[str]] = {}
    for label, keys in wanted.items():
        absent = keys - batch.nodes.get(label, {}).keys()
        if absent and store:
            absent -= store.existing_keys(label, absent)
        if absent:
            missing[label] = absent
    if not missing:  # the common case: one pass over sets, none over the records
        return []
    out = []
    for raw, rec in refs:
        for field, label, key in (("from", rec.src_label, rec.src), ("to", rec.dst_label, rec.dst)):
            if key in missing.get(label, ()):
                out.append(Problem(str(path), raw.location, field, f"no {label} with key {key!r} in this file or the store"))
    return out


def validation_problems(path: Path, raw: RawRecord, model: type[BaseModel], err: ValidationError) -> list[Problem]:
    """A validation error of ``raw`` as problems naming the file, its place and each field."""
    out = []
    for e in err.errors():
        field = ".".join(str(p) for p in e["loc"]) or ""
        if e["type"] == "extra_forbidden":
            allowed = [f.alias or n for n, f in model.model_fields.items()]
            msg = "unknown field; " + suggest(field, allowed, f"expected one of: {', '.join(allowed)}")
        else:
            msg = error_message(e)
        out.append(Problem(str(path), raw.location, field, msg))
    return out


# -- reading files -----------------------------------------------------------------


def _other(path: Path) -> str:
    """What to do with a file of another kind that people try to load: a spreadsheet, an IATI file."""
    if path.suffix.lower() in SHEETS:
        return "; save each sheet as CSV UTF-8 (docs/format.md, CSV)"
    if path.suffix.lower() == ".xml":
        return "; an IATI activity file loads with `ccb load-iati`"
    return ""


# A YAML or JSON file is parsed whole: 19 MB of YAML took 17 s and 540 MB, so a few hundred MB would fill memory.
WHOLE_BYTES = 128 << 20


def _too_big(size: int, fmt: str) -> str:
    """Why a YAML or JSON file of ``size`` bytes is not read, and what to write instead.

    >>> _too_big(300 << 20, "yaml")
    '300 MB of YAML is more than the 128 MB read whole (YAML and JSON are parsed whole, at some 25 times their size \
in memory); save it as JSON Lines (.jsonl) or CSV, which load a chunk at a time'
    """
    return (
        f"{size >> 20:,} MB of {fmt.upper()} is more than the {WHOLE_BYTES >> 20} MB read whole (YAML and JSON are parsed "
        "whole, at some 25 times their size in memory); save it as JSON Lines (.jsonl) or CSV, which load a chunk at a time"
    )


def _read(path: Path, problems: list[Problem]) -> Iterator[RawRecord]:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        problems.append(Problem(str(path), "file", "", f"unknown file type; expected one of {', '.join(FORMATS)}{_other(path)}"))
        return
    try:
        if fmt in ("yaml", "json") and (size := path.stat().st_size) > WHOLE_BYTES:
            problems.append(Problem(str(path), "file", "", _too_big(size, fmt)))
            return
        data = path.read_bytes()
    except OSError as e:
        problems.append(Problem(str(path), "file", "", f"cannot read: {e.strerror}"))
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        problems.append(Problem(str(path), f"line {line}", "", f"not UTF-8 (byte 0x{data[e.start]:02x}); save the file as UTF-8"))
        return
    if not text.strip():
        problems.append(Problem(str(path), "file", "", "is empty"))
        return
    yield from {"yaml": _yaml, "json": _json, "jsonl": _jsonl, "csv": _csv}[fmt](path, text, problems)


def _section(name: Any) -> str | None:
    return _ALIASES.get(name) if isinstance(name, str) else None


def _sections_doc(path: Path, doc: Any, problems: list[Problem], line_of: Any) -> Iterator[RawRecord]:
    """Records of a YAML/JSON document: ``{section: [record, ...], ...}``."""
    if not isinstance(doc, dict):
        problems.append(Problem(str(path), "document", "", f"expected a mapping of sections ({', '.join(schema.sections())})"))
        return
    for name, items in doc.items():
        section = _section(name)
        if section is None:
            problems.append(
                Problem(
                    str(path), line_of(doc, name), str(name), f"unknown section; expected one of {', '.join(schema.sections())}"
                )
            )
            continue
        if not isinstance(items, list):
            problems.append(Problem(str(path), line_of(doc, name), str(name), "expected a list of records"))
            continue
        for i, item in enumerate(items):
            where = f"{name}[{i}]" + (f" (line {item.line})" if isinstance(item, _LineDict) else "")
            if not isinstance(item, dict):
                problems.append(Problem(str(path), where, "", "expected a record (a mapping of field to value)"))
                continue
            yield RawRecord(section, dict(item), where)


class _LineDict(dict[Any, Any]):
    line: int = 0


MAX_DEPTH = 32  # a curated file nests 4 deep (sections, records, fields, list items)


class _LineLoader(yaml.SafeLoader):
    """A safe loader whose mappings remember the line they start on.

    It refuses what a curated file never needs and an attacker would use:
    aliases (``*name``, the billion-laughs bomb expands them), nesting deeper
    than :data:`MAX_DEPTH` (a RecursionError otherwise) and a key given twice
    in one mapping (YAML keeps the last silently).
    """

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.events.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]  # untyped in types-PyYAML
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in a curated file; write the value out", mark
            )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {str(key)[:60]!r} given twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        mapping = _LineDict(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_mapping)
# Dates stay the strings the curator wrote: YAML would turn 2016-03-01 into a date object.
_LineLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _yaml(path: Path, text: str, problems: list[Problem]) -> Iterator[RawRecord]:
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        problems.append(Problem(str(path), where, "", f"malformed YAML: {getattr(e, 'problem', None) or e}"))
        return
    yield from _sections_doc(path, doc, problems, lambda d, k: f"line {getattr(d, 'line', '?')}")


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)
        out[k] = v
    return out


def _finite_only(name: str) -> float:
    raise ValueError(f"{name} is not a number this format accepts")


def _strict_json(text: str) -> Any:
    """json.loads refusing NaN/Infinity and a key given twice in one object."""
    return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_finite_only)


def _json_problem(e: Exception, text: str) -> tuple[str, str]:
    """(where, message) for a strict JSON parse failure."""
    if isinstance(e, json.JSONDecodeError):
        return f"line {e.lineno}", f"malformed JSON: {e.msg} (column {e.colno})"  # a file on one line needs the column
    if isinstance(e, _DuplicateKey):
        return "file", f"key {str(e)[:60]!r} given twice in one object"
    if isinstance(e, RecursionError):
        return "file", "nested too deeply"
    return "file", str(e)


def _json(path: Path, text: str, problems: list[Problem]) -> Iterator[RawRecord]:
    try:
        doc = _strict_json(text)
    except (json.JSONDecodeError, ValueError, RecursionError) as e:
        where, msg = _json_problem(e, text)
        problems.append(Problem(str(path), where, "", msg))
        return
    yield from _sections_doc(path, doc, problems, lambda d, k: f"section {k}")


def _jsonl(path: Path, text: str, problems: list[Problem]) -> Iterator[RawRecord]:
    # Lines end at "\n" only: U+2028 and the other breaks str.splitlines knows may stand inside a JSON string.
    yield from _jsonl_lines(path, [(n, line) for n, line in enumerate(text.split("\n"), 1) if line.strip()], problems)


def _jsonl_lines(path: Path, lines: list[tuple[int, str]], problems: list[Problem]) -> Iterator[RawRecord]:
    """The records of numbered, non-blank JSON Lines ``lines`` (a whole file, or a chunk of one)."""
    try:  # the whole file in one call into orjson; a line that fails sends us line by line, to name it
        items = orjson.loads("[" + ",".join(line for _, line in lines) + "]")
    except orjson.JSONDecodeError:
        items = None
    if items is None or len(items) != len(lines):  # (lines can join into fewer values: '{"a": 1' and '"b": 2}')
        for n, line in lines:
            if (rec := _jsonl_line(path, n, line, problems)) is not None:
                yield rec
        return
    aliases, count = _ALIASES, str.count  # the common case inlined: it runs once a line
    for (n, line), item in zip(lines, items):
        # not an object, or more key-like tokens than keys (a repeated key, or a nested or quoted one): look closer
        if type(item) is not dict or count(line, '":') != len(item):
            if (rec := _jsonl_line(path, n, line, problems, item)) is not None:
                yield rec
            continue
        kind = item.pop("type", None)
        if (section := aliases.get(kind) if type(kind) is str else None) is None:
            problems.append(Problem(str(path), f"line {n}", "type", f"expected one of {', '.join(schema.sections())}"))
            continue
        yield RawRecord(section, item, f"line {n}")


def _jsonl_line(path: Path, n: int, line: str, problems: list[Problem], item: Any = None) -> RawRecord | None:
    """Line ``n`` of a JSON Lines file as a record (``item``: the line already parsed), or None and a problem."""
    where = f"line {n}"
    if item is None:
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as e:
            problems.append(Problem(str(path), where, "", f"malformed JSON: {e.msg} (column {e.colno})"))
            return None
    if not isinstance(item, dict):
        problems.append(Problem(str(path), where, "", "expected a JSON object"))
        return None
    if line.count('":') != len(item):  # more key-like tokens than keys: a repeated key, or a nested or quoted one
        try:
            _strict_json(line)
        except (json.JSONDecodeError, ValueError, RecursionError) as e:
            problems.append(Problem(str(path), where, "", _json_problem(e, line)[1]))
            return None
    section = _section(item.pop("type", None))
    if section is None:
        problems.append(Problem(str(path), where, "type", f"expected one of {', '.join(schema.sections())}"))
        return None
    return RawRecord(section, item, where)


def plain_jsonl(lines: list[str]) -> dict[str, list[dict[str, Any]]] | None:
    """The records of non-blank JSON Lines by section, when every line is a plain record (an object, each key once,
    a known ``type``); else None, for :func:`_jsonl_lines` to name what is wrong, line by line.

    Each test runs over all lines at once in C (``map``), not a Python step per line as the reader's.

    >>> plain_jsonl(['{"type": "Programme", "id": "p1"}', '{"type": "funds", "from": "eu", "to": "p1"}'])
    {'programmes': [{'id': 'p1'}], 'funds': [{'from': 'eu', 'to': 'p1'}]}
    >>> plain_jsonl(['{"type": "Programme", "id": "p1", "id": "p2"}']) is None  # a key twice
    True
    """
    try:
        items = orjson.loads("[" + ",".join(lines) + "]")
    except orjson.JSONDecodeError:
        return None
    if len(items) != len(lines) or (items and set(map(type, items)) != {dict}):
        return None
    if list(map(str.count, lines, repeat('":'))) != list(map(len, items)):  # a key twice, or a nested or quoted one
        return None
    kinds = list(map(dict.pop, items, repeat("type"), repeat(None)))
    if kinds and set(map(type, kinds)) != {str}:
        return None
    sections = cast(list[str], list(map(_ALIASES.get, kinds)))
    if None in sections:
        return None
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for section, item in zip(sections, items):  # 0.13 s for 667k records; compress() a pass per section took 0.9 s
        out[section].append(item)
    return dict(out)


def _columnar_jsonl(path: Path, store: Store | None) -> TableBatch | None:
    """A JSON Lines file read and checked in columns (:func:`plain_jsonl`, :func:`_section_tables`), or None."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    plain = plain_jsonl([line for line in text.split("\n") if line.strip()])
    del text
    return _vouched(_section_tables(plain) if plain else None, store)


def _csv(path: Path, text: str, problems: list[Problem]) -> Iterator[RawRecord]:
    yield from _csv_lines(path, io.StringIO(text, newline=""), problems)


def _csv_lines(path: Path, lines: Iterable[str], problems: list[Problem]) -> Iterator[RawRecord]:
    """The records of CSV ``lines`` (each with its line ending, as ``io.StringIO(text, newline="")`` gives them)."""
    reader = csv.DictReader(lines, strict=True)
    file_section = _section(path.stem.rsplit(".", 1)[-1].lower())
    last_end = 1  # the line the previous record ended on: a failing record starts after it
    try:
        header = reader.fieldnames or []
        if wrong := other_separator(header):
            problems.append(Problem(str(path), "line 1", "", wrong))
            return
        twice = sorted({h for h in header if header.count(h) > 1})
        if twice:
            problems.append(Problem(str(path), "line 1", twice[0], "column given twice in the header"))
            return
        if "type" not in header and file_section is None:
            problems.append(
                Problem(
                    str(path),
                    "line 1",
                    "type",
                    f"no type column, and the file name names no section ({', '.join(schema.sections())})",
                )
            )
            return
        if trouble := _header_problem(header, file_section if "type" not in header else None):
            problems.append(Problem(str(path), "line 1", *trouble))
            return
        for row in reader:
            where = f"line {last_end + 1}"
            last_end = reader.line_num
            if None in row:
                problems.append(
                    Problem(str(path), where, "", f"{len(header) + len(row[None])} cells, the header has {len(header)}")
                )
                continue
            section = _section(row.pop("type")) if "type" in row else file_section
            if section is None:
                problems.append(Problem(str(path), where, "type", f"expected one of {', '.join(schema.sections())}"))
                continue
            yield RawRecord(section, _cells(section, row), where)
    except csv.Error as e:
        problems.append(Problem(str(path), f"line {last_end + 1}", "", f"malformed CSV: {e}"))


def other_separator(header: Sequence[str]) -> str | None:
    """What to do when a CSV header is one column holding the others, split by a semicolon or a tab (as a spreadsheet
    saves CSV where the decimal mark is a comma); None otherwise.

    >>> other_separator(["id;name;kind;source"])
    "the columns are separated by ';', not ',': save the file as comma-separated CSV (a spreadsheet's 'CSV UTF-8')"
    >>> other_separator(["id", "name"]) is None
    True
    """
    if len(header) != 1:
        return None
    found = next((sep for sep in (";", "\t") if sep in header[0]), None)
    if found is None:
        return None
    return f"the columns are separated by {found!r}, not ',': save the file as comma-separated CSV (a spreadsheet's 'CSV UTF-8')"


def _header_problem(header: Sequence[str], section: str | None) -> tuple[str, str] | None:
    """The first unknown or missing column of a CSV header, as (column, message); None if it is sound.

    Checked once, so a misspelt column is one error on line 1 rather than two on every row. ``section`` is the file's
    one section, or None when a ``type`` column names a section per row (then any section's column is known, and
    which are required depends on the row).
    """
    models = [schema.sections()[section].model] if section else [s.model for s in schema.sections().values()]
    known = {"type"} | {f.alias or n for m in models for n, f in m.model_fields.items()}
    for column in header:
        if column not in known:
            columns = [f.alias or n for n, f in models[0].model_fields.items()] if section else sorted(known)
            return column, "unknown column; " + suggest(column, known, f"expected any of: {', '.join(columns)}")
    if section:
        for n, f in models[0].model_fields.items():
            if f.is_required() and (f.alias or n) not in header:
                return f.alias or n, f"missing column: every row needs it (a required field of {section})"
    return None


def _cells(section: str, row: dict[str, str | None]) -> dict[str, Any]:
    """CSV cells as model input: empty means unknown, list columns split on ';'."""
    spec = schema.sections()[section]
    lists = {p.name for p in spec.props if p.db_type.endswith("[]")}
    out: dict[str, Any] = {}
    for k, v in row.items():
        if v is None or v.strip() == "":
            continue
        out[k] = [x.strip() for x in v.split(";") if x.strip()] if k in lists else v
    return out


# -- large files, a chunk at a time ---------------------------------------------------
# Large JSON Lines and CSV files, checked and written a chunk at a time.
#
# A file over :data:`STREAM_BYTES` is read twice. The first pass validates
# each chunk of :data:`CHUNK` records and keeps only what the checks across
# records need: a 64-bit hash per node key and per relationship identity,
# the relationship ends found neither in the file so far nor in the store,
# the blocs programmes name, and the (few) hierarchy links; it spills each
# valid chunk's rows to an unnamed temporary file. The write reads the spill
# back and hands its chunks to :meth:`Store.write_stream`, which writes them
# in one transaction. So the loader's own memory is one chunk and the hashes
# (16 bytes a record), not the file; a file still loads whole or not at all,
# and every problem is named with its line.
#
# When the first pass finds a record-level problem it reports it as the
# whole-file reader would (the same messages, in file order). When it finds
# a problem between records (a key given twice, an end that is nowhere, an
# unknown bloc, a cycle), or a hash collision makes it look so, the file is
# read whole by :func:`loaders.tabular.read_batch`, which names each
# problem's place exactly: an error path, so its memory is the file's.

STREAM_BYTES = 128 << 20  # ~1.1M records of a typical JSON Lines file: below it a file is read whole (faster, ~3 KB a record)
CHUNK = 50_000  # records validated, and written, together
_T = TypeVar("_T")


def _streams(path: Path, stream_bytes: int = STREAM_BYTES) -> bool:
    """Whether ``path`` is a JSON Lines or CSV file larger than ``stream_bytes``."""
    if FORMATS.get(path.suffix.lower()) not in ("jsonl", "csv"):
        return False
    try:
        return path.is_file() and path.stat().st_size > stream_bytes
    except OSError:
        return False


def _load_streamed(store: Store, path: Path, *, dry_run: bool = False) -> tuple[int, WriteSummary | None]:
    """Check ``path`` in chunks, then write it in one transaction: (records, summary; None for a dry run).

    The check spills each valid chunk's rows (marshalled, to an unnamed
    temporary file), and the write reads them back: the file is parsed and
    validated once. Raises :class:`LoadError` listing every problem; nothing
    is written then.
    """
    if not _plain_text(path):  # unreadable, not UTF-8 or empty: the whole-file reader says which, and where
        read_batch(path, store)
    with tempfile.TemporaryFile(prefix="ccb-load-") as spill:
        records = check_streamed(path, store, None if dry_run else spill)
        if dry_run:
            return records, None
        spill.seek(0)
        return records, store.write_stream(_spilled(spill), unique=True)


def check_streamed(path: Path, store: Store | None, spill: IO[bytes] | None = None) -> int:
    """The number of records of ``path``, every one valid and every reference resolved; else :class:`LoadError`.

    With ``spill``, each chunk's rows are written to it (until a problem is found), for :func:`_spilled`.
    """
    problems: list[Problem] = []
    found: list[tuple[int, Problem]] = []
    index = _Index(store)
    pos = 0
    for chunk in streamed_chunks(path, problems):
        raws, tables = None, None
        if not (found or problems):  # checked in columns, until a problem is found: then every record is named
            if chunk.plain is not None:
                tables = _section_tables(chunk.plain)
            else:  # a CSV chunk
                tables = _chunk_tables(raws := chunk.raws())
        if tables is not None:
            pos += sum(t.num_rows for t in tables.values())
            index.add_tables(tables)
            if spill is not None:
                _spill_tables(spill, tables)
            continue
        raws = chunk.raws() if raws is None else raws
        pos += len(raws)
        here: list[tuple[int, Problem]] = []
        recs = _validate(path, raws, here)
        found.extend((pos - len(raws) + i, p) for i, p in here)
        index.add(recs)
        if spill is not None and not (found or problems):
            _spill(spill, _rows(recs))
    if index.doubtful():  # a problem between records: the whole-file reader names each one's place
        return len(read_batch(path, store))
    problems.extend(p for _, p in sorted(found, key=lambda f: f[0]))
    if not problems and not index.records:
        problems.append(Problem(str(path), "file", "", "holds no records"))
    if problems:
        raise LoadError(problems)
    return index.records


def _chunk_tables(raws: list[RawRecord]) -> dict[str, pa.Table] | None:
    """A chunk's records as checked tables by label or type (:mod:`loaders.columnar`), or None: validate them one by one."""
    by_section: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for raw in raws:
        by_section[raw.section].append(raw.data)
    return _section_tables(by_section)


def _section_tables(by_section: dict[str, list[dict[str, Any]]]) -> dict[str, pa.Table] | None:
    """Records by section as checked tables by label or type, or None if one section's records are not all plain."""
    sections = schema.sections()
    out: dict[str, pa.Table] = {}
    for section, datas in by_section.items():
        spec = sections[section]
        if (table := columnar.check(spec.model, datas)) is None:
            return None
        out[spec.label if isinstance(spec, schema.NodeSpec) else spec.rel_type] = table
    return out


def _rows(recs: list[Node | Relationship | None]) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    """The field dicts of ``recs`` by label and by type (a frozen model's own dict is its row; see Batch.node_rows)."""
    nodes: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rels: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in recs:
        if rec is not None:
            (nodes[rec.label] if rec.is_node else rels[rec.type]).append(rec.__dict__)  # type: ignore[union-attr]
    return dict(nodes), dict(rels)


def _spill(spill: IO[bytes], rows: Any) -> None:
    """Append ``rows`` to ``spill``: marshal (rows hold only plain values; 2x pickle's rate), pickle otherwise."""
    try:
        data, kind = marshal.dumps(rows), b"m"
    except ValueError:
        data, kind = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL), b"p"
    spill.write(kind + len(data).to_bytes(8, "little") + data)


def _spill_tables(spill: IO[bytes], tables: dict[str, pa.Table]) -> None:
    """Append a chunk's tables (checked in columns) to ``spill`` as Arrow IPC streams, named."""
    for name, table in tables.items():
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        data = marshal.dumps((name, sink.getvalue().to_pybytes()))
        spill.write(b"a" + len(data).to_bytes(8, "little") + data)


def _spilled(spill: IO[bytes]) -> Iterator[Batch]:
    """The chunks :func:`check_streamed` spilled, in file order: rows, or tables where checked in columns."""
    while head := spill.read(9):
        data = spill.read(int.from_bytes(head[1:], "little"))
        if head[:1] == b"a":
            name, ipc = marshal.loads(data)
            yield TableBatch({name: pa.ipc.open_stream(ipc).read_all()})
            continue
        nodes, rels = marshal.loads(data) if head[:1] == b"m" else pickle.loads(data)  # noqa: S301 - our own temp file
        yield RowBatch.of(nodes, rels)


class Chunk(NamedTuple):
    """A chunk of a large file: its records by section when every line is a plain JSON record (:func:`plain_jsonl`),
    and its raw records, read when asked (numbered as the whole-file reader numbers them; problems reported then)."""

    plain: dict[str, list[dict[str, Any]]] | None
    raws: Callable[[], list[RawRecord]]


def streamed_chunks(path: Path, problems: list[Problem]) -> Iterator[Chunk]:
    """A JSON Lines or CSV file a chunk of :data:`CHUNK` lines or records at a time, read lazily."""
    if FORMATS[path.suffix.lower()] != "jsonl":
        for raws in _chunked(_csv_lines(path, _csv_pieces(path), problems), CHUNK):
            yield Chunk(None, lambda raws=raws: raws)  # type: ignore[misc]
        return
    with path.open("rb") as f:
        n = 0
        while raw := list(islice(f, CHUNK)):  # a chunk of lines decoded and split at once: no call per line
            lines = b"".join(raw).decode("utf-8").split("\n")
            if not n:
                lines[0] = lines[0].removeprefix("\ufeff")
            del lines[len(raw) :]
            plain = plain_jsonl(lines if "" not in lines else [x for x in lines if x.strip()])
            yield Chunk(plain, lambda lines=lines, n=n: list(_jsonl_lines(path, _numbered(lines, n), problems)))  # type: ignore[misc]
            n += len(raw)


def _numbered(lines: list[str], after: int) -> list[tuple[int, str]]:
    """The non-blank ``lines`` with their line numbers, the first being ``after + 1``."""
    return [(after + i, x) for i, x in enumerate(lines, 1) if x.strip()]


def _csv_pieces(path: Path) -> Iterator[str]:
    """The file's lines with their endings, as ``io.StringIO(text, newline="")`` splits the whole text."""
    with path.open("rb") as f:
        for i, raw in enumerate(f):
            text = raw.decode("utf-8")
            yield from io.StringIO(text.removeprefix("\ufeff") if i == 0 else text, newline="")


def _plain_text(path: Path) -> bool:
    """Whether ``path`` reads as UTF-8 text with something in it but white space (a read in 1 MiB blocks)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    something = False
    try:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                something = something or bool(decoder.decode(block).strip())
            something = something or bool(decoder.decode(b"", final=True).strip())
    except (OSError, UnicodeDecodeError):
        return False
    return something


def _chunked(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _repeats(hashes: np.ndarray) -> bool:
    """Whether a value comes twice in ``hashes`` (sorted in place: 8x np.unique's time on 5M values)."""
    hashes.sort()
    return bool((hashes[1:] == hashes[:-1]).any())


class _Index:
    """What the checks between records need, kept as hashes and small sets while a file streams past."""

    def __init__(self, store: Store | None) -> None:
        self.store = store
        self.records = 0
        self.nodes: dict[str, set[int]] = defaultdict(set)  # label -> hashes of the keys in the file
        self.rels: list[np.ndarray] = []  # per chunk: hashes of (type, from, to)
        self.unresolved: dict[str, set[str]] = defaultdict(set)  # ends in neither the file so far nor the store
        self.blocs: set[str] = set()  # the blocs programmes name
        self.groups: set[str] = set()  # the ends of MEMBER_OF links
        self.trees: dict[str, set[tuple[str, str]]] = defaultdict(set)  # PART_OF / COMPONENT_OF pairs
        self.twice = False  # a node key seen twice (or two keys of one hash)

    def add(self, recs: list[Node | Relationship | None]) -> None:
        """Take in a chunk's valid records (None: invalid), a label or type at a time: in C, not a call per record."""
        groups: dict[Any, list[Any]] = defaultdict(list)  # model class -> its records
        for rec in recs:
            if rec is not None:
                groups[type(rec)].append(rec)
        ends: dict[str, set[str]] = defaultdict(set)
        for model, group in groups.items():
            if issubclass(model, Node):
                blocs = [b for p in group for b in p.scope_blocs] if model is Programme else []
                self._nodes(model.label, list(map(attrgetter(model.key), group)), blocs)
            else:
                self._rels(model, list(map(attrgetter("src"), group)), list(map(attrgetter("dst"), group)), ends)
        self._resolve(ends)

    def add_tables(self, tables: dict[str, pa.Table]) -> None:
        """Take in a chunk's tables, checked in columns (:func:`_chunk_tables`)."""
        ends: dict[str, set[str]] = defaultdict(set)
        for name, t in tables.items():
            if name in schema.nodes():
                spec = schema.node(name)
                blocs = pc.list_flatten(t.column("scope_blocs")).to_pylist() if spec.model is Programme else []
                self._nodes(name, t.column(spec.key).to_pylist(), blocs)
            else:
                self._rels(schema.rel(name).model, t.column("src").to_pylist(), t.column("dst").to_pylist(), ends)
        self._resolve(ends)

    def _nodes(self, label: str, keys: list[str], blocs: list[str]) -> None:
        self.records += len(keys)
        seen = self.nodes[label]
        before = len(seen)
        seen.update(map(hash, keys))
        self.twice = self.twice or len(seen) != before + len(keys)  # a key twice (or two keys of one hash)
        self.blocs.update(blocs)

    def _rels(self, model: type[Relationship], srcs: list[str], dsts: list[str], ends: dict[str, set[str]]) -> None:
        self.records += len(srcs)
        salt = hash(model.type)  # one table of hashes for every type: (type, from, to)
        self.rels.append(np.fromiter(map(hash, zip(repeat(salt), srcs, dsts)), np.int64, len(srcs)))
        ends[model.src_label].update(srcs)
        ends[model.dst_label].update(dsts)
        if model.type == "MEMBER_OF":
            self.groups.update(dsts)
        elif model.type in TREES:
            self.trees[model.type].update(zip(srcs, dsts))

    def _resolve(self, ends: dict[str, set[str]]) -> None:
        for label, keys in ends.items():  # the chunk's own nodes are in self.nodes already
            seen = self.nodes[label]
            by_hash = dict(zip(map(hash, keys), keys))
            if (away := {by_hash[h] for h in by_hash.keys() - seen}) and self.store:  # set algebra in C
                away -= self.store.existing_keys(label, away)
            self.unresolved[label] |= away

    def doubtful(self) -> bool:
        """Whether a check between records may fail: then the file is read whole to name each problem."""
        if self.twice:
            return True
        if self.rels and _repeats(np.concatenate(self.rels)):
            return True
        if any(hash(k) not in self.nodes[label] for label, keys in self.unresolved.items() for k in keys):
            return True
        return self._unknown_blocs() or self._cycles()

    def _unknown_blocs(self) -> bool:
        in_file = {b for b in self.blocs if hash(b) in self.nodes["Organisation"]}  # (a collision: read whole anyway)
        return any(_bloc_trouble(self.blocs, in_file, self.groups, self.store))

    def _cycles(self) -> bool:
        return _cycles(self.trees, self.store)
