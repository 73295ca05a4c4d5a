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
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx

from graph.errors import CCBError

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


def _scalars(d: dict[str, Any]) -> dict[str, Any]:
    return {_RENAMED.get(k, k): "; ".join(map(str, v)) if isinstance(v, list) else v for k, v in d.items()}


def flat(g: nx.MultiDiGraph, *, timeline: bool = False) -> nx.MultiDiGraph:
    """A copy whose attributes are scalars (lists joined with '; '), with edge ids, and optionally start/end."""
    out = nx.MultiDiGraph(name="CCB Graph")
    programme_period = {n: (d.get("start_date"), d.get("end_date")) for n, d in g.nodes(data=True) if d.get("label") == "Programme"}
    for n, d in sorted(g.nodes(data=True)):
        attrs = _scalars(d)
        attrs["label"] = d.get("name") or n  # what Gephi and yEd display
        if timeline and n in programme_period:
            _set_period(attrs, *programme_period[n])
        out.add_node(n, **attrs)
    for u, v, k, d in sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], e[2])):
        attrs = _scalars(d)
        attrs["relationship"] = attrs.pop("type", k)  # GEXF reserves an edge's "type" (directed/undirected)
        if timeline:
            period = programme_period.get(v if d.get("type") in ("FUNDS", "IMPLEMENTS") else u, (None, None))
            _set_period(attrs, d.get("valid_from") or period[0], d.get("valid_to") or period[1])
        out.add_edge(u, v, key=k, id=f"{k}:{u}->{v}", **attrs)
    return out


def _set_period(attrs: dict[str, Any], start: str | None, end: str | None) -> None:
    if start:
        attrs["start"] = full_date(start, end=False)
    if end:
        attrs["end"] = full_date(end, end=True)


def _gexf(g: nx.MultiDiGraph, path: Path) -> None:
    nx.write_gexf(flat(g, timeline=True), path)


def _graphml(g: nx.MultiDiGraph, path: Path) -> None:
    nx.write_graphml(flat(g), path)


def _json(g: nx.MultiDiGraph, path: Path) -> None:
    renamed = nx.relabel_nodes(g, {}, copy=True)
    for _, d in renamed.nodes(data=True):
        if "source" in d:
            d["provenance"] = d.pop("source")
    for _, _, d in renamed.edges(data=True):
        if "source" in d:
            d["provenance"] = d.pop("source")
    data = nx.node_link_data(renamed, edges="links")
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def _csv_nodes(g: nx.MultiDiGraph, path: Path) -> None:
    rows = []
    for n, d in flat(g).nodes(data=True):
        d = dict(d)
        rows.append({"Id": n, "Label": d.pop("label"), **d})
    _csv_rows(path, rows)


def _csv_edges(g: nx.MultiDiGraph, path: Path) -> None:
    rows = []
    for u, v, d in flat(g).edges(data=True):
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
    "gexf": [("", _gexf)], "graphml": [("", _graphml)], "json": [("", _json)],
    "csv": [("", _csv_nodes), (".edges.csv", _csv_edges)],
}


def atomic_write(path: Path, write_to: Callable[[Path], None]) -> None:
    """Have ``write_to`` write a temporary file beside ``path``, then rename it into place (nothing left on failure)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as e:
        raise ExportError(f"cannot write in {path.parent}: {e.strerror}", "choose another -o path") from None
    os.close(fd)
    try:
        write_to(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; an export is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write(g: nx.MultiDiGraph, fmt: str, path: str | Path) -> list[Path]:
    """Write ``g`` as ``fmt`` to ``path`` (CSV: the edges go to ``<stem>.edges.csv``); return the files written.

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
    if not path.parent.is_dir():
        raise ExportError(f"no directory {path.parent}", "create it first, or choose another -o path")
    written = []
    for suffix, writer in WRITERS[fmt]:
        target = path.with_name(path.stem + suffix) if suffix else path
        atomic_write(target, lambda tmp, w=writer: w(g, tmp))
        written.append(target)
    return written
