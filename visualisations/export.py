"""Exports of the graph for Gephi and web tools: GEXF, GraphML, node-link JSON, CSV.

One entry point, :func:`write`, behind which each format is a function
taking a prepared graph and a path. Every file is written to a temporary
name beside the target and renamed into place, so a failed export leaves
no partial file.

GEXF marks time for Gephi's timeline: each relationship's ``valid_from`` /
``valid_to`` (else its programme's dates) become ``start`` / ``end``, and
each programme's ``start_date`` / ``end_date`` too. Gephi needs full dates,
so ``2016`` starts on 2016-01-01 and ends on 2016-12-31, ``2016-03`` ends
on 2016-03-31; the dates as the source gave them stay as attributes.

Names the formats reserve are renamed: the provenance attribute
``source`` is written as ``provenance`` (``source`` is an edge's start
node in node-link JSON and Gephi's import); in GEXF, GraphML and CSV a
node's key property ``id`` becomes ``ccb_key`` and its label (Country...)
``category``, and ``label`` holds its name, which Gephi displays; an
edge's ``type`` becomes ``relationship``. CSV uses
Gephi's headers: ``Id`` and ``Label`` for nodes; ``Source``, ``Target``
and ``Type`` (Directed) for edges, with the relationship type as
``relationship``.
"""

from __future__ import annotations

import calendar
import csv
import os
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

from graph.errors import CCBError
from visualisations.terminal import json_text

FORMATS = ("gexf", "graphml", "json", "csv")


class ExportError(CCBError):
    """The export could not be written."""


def full_date(value: str | None, *, end: bool) -> str | None:
    """An ISO date at day precision: the first day of the period, or its last.

    >>> full_date("2016", end=False), full_date("2016", end=True), full_date("2024-02", end=True)
    ('2016-01-01', '2016-12-31', '2024-02-29')
    """
    if not value:
        return None
    parts = value.split("-")
    if len(parts) == 3:
        return value
    year = int(parts[0])
    if len(parts) == 1:
        return f"{year}-12-31" if end else f"{year}-01-01"
    month = int(parts[1])
    return f"{value}-{calendar.monthrange(year, month)[1]:02d}" if end else f"{value}-01"


_RENAMED = {"source": "provenance", "id": "ccb_key", "label": "category"}
# XML 1.0 allows no C0 control but tab, newline and CR, no lone surrogate, not U+FFFE/U+FFFF: a value holding one
# (written to the store by `ccb query --write`, say) is written with it escaped, so GEXF and GraphML always parse.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# OWASP's CSV injection list: a spreadsheet runs a cell starting with these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def xml_safe(value: Any) -> Any:
    r"""``value`` with characters XML 1.0 cannot hold written as ``\xNN`` (other values unchanged).

    >>> xml_safe("a\x1b[31mb"), xml_safe(3)
    ('a\\x1b[31mb', 3)
    """
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", value) if isinstance(value, str) else value


def csv_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, prefixed with ``'`` (OWASP); other values unchanged.

    >>> csv_safe("=HYPERLINK(1)"), csv_safe("-5"), csv_safe(-5), csv_safe("Kenya")
    ("'=HYPERLINK(1)", "'-5", -5, 'Kenya')
    """
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def _scalars(d: dict[str, Any], clean: Callable[[Any], Any] = lambda v: v) -> dict[str, Any]:
    return {_RENAMED.get(k, k): clean("; ".join(map(str, v)) if isinstance(v, list) else v) for k, v in d.items()}


def flat(g: nx.MultiDiGraph, *, timeline: bool = False, clean: Callable[[Any], Any] = lambda v: v) -> nx.MultiDiGraph:
    """A copy whose attributes are scalars (lists joined with '; '), with edge ids, and optionally start/end.

    ``clean`` is applied to every node id and value (:func:`xml_safe` for the XML formats, :func:`csv_safe` for CSV).
    """
    out = nx.MultiDiGraph(name="CCB Graph")
    programme_period = {
        n: (d.get("start_date"), d.get("end_date")) for n, d in g.nodes(data=True) if d.get("label") == "Programme"
    }
    for n, d in sorted(g.nodes(data=True)):
        attrs = _scalars(d, clean)
        attrs["label"] = clean(d.get("name") or n)  # what Gephi and yEd display
        if timeline and n in programme_period:
            _set_period(attrs, *programme_period[n])
        out.add_node(clean(n), **attrs)
    for u, v, k, d in sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])):
        attrs = _scalars(d, clean)
        attrs["relationship"] = attrs.pop("type", k)  # GEXF reserves an edge's "type" (directed/undirected)
        if timeline:
            period = programme_period.get(v if d.get("type") in ("FUNDS", "IMPLEMENTS") else u, (None, None))
            _set_period(attrs, d.get("valid_from") or period[0], d.get("valid_to") or period[1])
        out.add_edge(clean(u), clean(v), key=k, id=clean(f"{k}:{u}->{v}"), **attrs)
    return out


def _set_period(attrs: dict[str, Any], start: str | None, end: str | None) -> None:
    if start:
        attrs["start"] = full_date(start, end=False)
    if end:
        attrs["end"] = full_date(end, end=True)


def _gexf(g: nx.MultiDiGraph, path: Path) -> None:
    nx.write_gexf(flat(g, timeline=True, clean=xml_safe), path)


def _graphml(g: nx.MultiDiGraph, path: Path) -> None:
    nx.write_graphml(flat(g, clean=xml_safe), path)


def _json(g: nx.MultiDiGraph, path: Path) -> None:
    renamed = nx.relabel_nodes(g, {}, copy=True)
    for _, d in renamed.nodes(data=True):
        if "source" in d:
            d["provenance"] = d.pop("source")
    for _, _, d in renamed.edges(data=True):
        if "source" in d:
            d["provenance"] = d.pop("source")
    data = nx.node_link_data(renamed, edges="links")
    path.write_text(json_text(data, indent=1), encoding="utf-8")


def _csv_nodes(g: nx.MultiDiGraph, path: Path, raw: bool = False) -> None:
    rows = []
    for n, d in flat(g, clean=(lambda v: v) if raw else csv_safe).nodes(data=True):
        d = dict(d)
        rows.append({"Id": n, "Label": d.pop("label"), **d})
    _csv_rows(path, rows)


def _csv_edges(g: nx.MultiDiGraph, path: Path, raw: bool = False) -> None:
    rows = []
    for u, v, d in flat(g, clean=(lambda v: v) if raw else csv_safe).edges(data=True):
        d = {k: x for k, x in d.items() if k != "id"}
        rows.append({"Source": u, "Target": v, "Type": "Directed", **d})
    _csv_rows(path, rows)


def _csv_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


# format -> (file suffix beside the -o path, writer); CSV is two files: the nodes at PATH, the edges beside it
WRITERS: dict[str, list[tuple[str, Callable[[nx.MultiDiGraph, Path], None]]]] = {
    "gexf": [("", _gexf)],
    "graphml": [("", _graphml)],
    "json": [("", _json)],
    "csv": [("", _csv_nodes), (".edges.csv", _csv_edges)],
}


NAME_MAX = 255  # bytes in one file name, on Linux's file systems (and macOS's, and Windows' in characters)


def shown(text: str, width: int = 60) -> str:
    """``text`` cut to ``width`` characters for one line of a message.

    >>> shown("a" * 300)[-5:], len(shown("a" * 300))
    ('aa...', 60)
    """
    return text if len(text) <= width else text[: width - 3] + "..."


def check_target(path: Path) -> None:
    """Refuse a path that is not (or would not become) a regular file: a link, a device, a FIFO, a directory.

    Writing there would replace a symbolic link (to /proc/self/fd/1, say) or a
    device node with an ordinary file, or block on a FIFO.
    """
    if len(path.name.encode()) > NAME_MAX:  # the OS says "File name too long" at some later step: say it first
        raise ExportError(
            f"the file name {shown(path.name)} is {len(path.name.encode())} bytes; at most {NAME_MAX}", "give a shorter -o name"
        )
    if path.is_symlink():
        raise ExportError(f"{path} is a symbolic link", "give the path of a regular file (or - for standard output)")
    if path.exists() and not path.is_file():
        kind = "a directory" if path.is_dir() else "a device, FIFO or other special file"
        raise ExportError(f"{path} is {kind}, not a regular file", "give the path of a regular file (or - for standard output)")


def atomic_write_all(jobs: list[tuple[Path, Callable[[Path], None]]]) -> None:
    """Write each (path, writer) to a temporary file beside its path, then rename them all into place.

    All or nothing: until every file is written, none is renamed, so a full
    disk or a failing writer leaves neither a partial file nor a partial set
    (CSV's nodes file without its edges file). An OS error is one line.
    """
    for path, _ in jobs:
        check_target(path)
    temps: list[Path] = []
    try:
        for path, write_to in jobs:
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:60]}.", dir=path.parent)  # a long name leaves room
            except OSError as e:
                raise ExportError(f"cannot write in {path.parent}: {e.strerror}", "choose another -o path") from None
            os.close(fd)
            temps.append(Path(tmp))
            try:
                write_to(Path(tmp))
            except OSError as e:
                raise ExportError(
                    f"cannot write {path}: {e.strerror or e}", "free some space, or choose another -o path"
                ) from None
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; an export is an ordinary file
        for (path, _), tmp in zip(jobs, temps):
            try:
                os.replace(tmp, path)
            except OSError as e:
                raise ExportError(f"cannot write {shown(str(path))}: {e.strerror or e}", "choose another -o path") from None
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)


def atomic_write(path: Path, write_to: Callable[[Path], None]) -> None:
    """Have ``write_to`` write a temporary file beside ``path``, then rename it into place (nothing left on failure)."""
    atomic_write_all([(path, write_to)])


def write(g: nx.MultiDiGraph, fmt: str, path: str | Path, *, raw: bool = False) -> list[Path]:
    """Write ``g`` as ``fmt`` to ``path`` (CSV: the edges go to ``<stem>.edges.csv``); return the files written.

    ``path`` ``-`` is standard output (one-file formats). CSV cells that a
    spreadsheet would run as formulas get a leading ``'`` unless ``raw``.

    Examples
    --------
    >>> import tempfile, os
    >>> g = nx.MultiDiGraph()
    >>> g.add_node("Country:KEN", label="Country", name="Kenya")
    >>> out = write(g, "graphml", os.path.join(tempfile.mkdtemp(), "g.graphml"))
    >>> nx.read_graphml(out[0]).nodes["Country:KEN"]["name"]
    'Kenya'
    """
    if fmt not in WRITERS:
        raise ExportError(f"unknown export format {fmt!r}", f"use one of {', '.join(FORMATS)}")
    path = Path(path)
    if g.number_of_nodes() == 0:
        raise ExportError("nothing to export: the graph (or the filtered part) is empty", "load data, or widen --label / --type")
    if str(path) == "-":
        return _to_stdout(g, fmt)
    if not path.parent.is_dir():
        raise ExportError(f"no directory {path.parent}", "create it first, or choose another -o path")
    jobs = [
        (
            path.with_name(path.stem + suffix) if suffix else path,
            (lambda tmp, w=writer: w(g, tmp, raw)) if fmt == "csv" else (lambda tmp, w=writer: w(g, tmp)),
        )
        for suffix, writer in WRITERS[fmt]
    ]
    atomic_write_all(jobs)
    return [target for target, _ in jobs]


def _to_stdout(g: nx.MultiDiGraph, fmt: str) -> list[Path]:
    """``-o -``: one file's content on standard output (CSV is two files, so it needs a path)."""
    if len(WRITERS[fmt]) > 1:
        raise ExportError(f"{fmt} writes two files (nodes and edges)", "give -o a file path")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d) / f"export.{fmt}"
        WRITERS[fmt][0][1](g, tmp)
        sys.stdout.buffer.write(tmp.read_bytes())
        sys.stdout.flush()
    return [Path("-")]


SCENARIO_HEAD = (
    "# A scenario written by `ccb plan`: planned programmes, not facts.\n"
    "# `ccb gaps --assume FILE` (and concentration, report, viz map, plan) answer as if they were in the graph,\n"
    "# in memory only; `ccb load FILE` would add them for real.\n"
)


def scenario_yaml(records: dict[str, list[dict[str, Any]]]) -> str:
    """A plan's planned programmes (:func:`queries.plan.scenario`) as a YAML file in the loader's format, saying at its
    top that it is a scenario."""
    return SCENARIO_HEAD + (yaml.safe_dump(records, sort_keys=False, allow_unicode=True, width=100) if records else "{}\n")
