"""An interactive network page that works offline: one HTML file, nothing fetched.

pyvis builds the node and edge data; the page is this module's own
template, because pyvis 0.3.2's loads Bootstrap and tom-select from a CDN
even with ``cdn_resources="in_line"``. vis-network's script and style are
inlined from the copies pyvis ships. Data reaches the page only as JSON
inside a script element, with ``<`` escaped, and vis-network shows string
titles as text: a name such as ``<img src=x onerror=alert(1)>`` is shown,
never run.

Colours are the Okabe-Ito palette (safe for colour-blind readers), with a
different shape per kind as well. The layout is computed here, before the
page is written (a seeded force-directed layout in igraph's C core), and
ships as fixed positions: the browser draws the first frame as the final
one instead of simulating physics for seconds (18.7 s for 2,000 nodes).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import textwrap
from collections import Counter
from html import escape as html_escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np

from queries import terms
from queries.analysis import Window
from queries.network import collaboration_weights, seeded
from queries.terms import Terms, UnknownName
from visualisations.errors import VizError
from visualisations.export import atomic_write

if TYPE_CHECKING:  # pyvis, igraph and scipy are imported where a page is drawn: together 1 s at every command's start
    from pyvis.network import Network

    from graph.store import Store

MAX_NODES = 1_500  # above this, programmes are folded into funder -> country edges and the top edges kept
FAVICON = Path(__file__).parent / "static" / "favicon.svg"
SYMBOLS = {"dot": "\u25cf", "diamond": "\u25c6", "triangle": "\u25b2", "square": "\u25a0"}  # the legend draws each shape
KINDS = {  # kind: (colour, shape, legend text)
    "country": ("#56B4E9", "dot", "Country"),
    "funder": ("#E69F00", "diamond", "Funder"),
    "implementer": ("#009E73", "triangle", "Implementer / other organisation"),
    "programme": ("#CC79A7", "square", "Programme"),
    "indicator": ("#999999", "dot", "Index"),
}
EDGE_COLOURS = {
    "FUNDS": "#E69F00",
    "IMPLEMENTS": "#009E73",
    "TARGETS": "#56B4E9",
    "PARTNERS_WITH": "#D55E00",
    "MEMBER_OF": "#BBBBBB",
    "MEASURED": "#999999",
    "SUPPORTS": "#E69F00",
    "COLLABORATES": "#0072B2",
    "PART_OF": "#000000",
    "COMPONENT_OF": "#CC79A7",
}
# what each edge's colour means, in the legend beside the kinds (an orange arrow from the GFCE to the African
# Capacity Building Foundation said nothing: a partnership, or funding?)
EDGE_TEXT = {
    "FUNDS": "funds",
    "IMPLEMENTS": "implements",
    "TARGETS": "names the country",
    "PARTNERS_WITH": "partners with",
    "MEMBER_OF": "member of",
    "MEASURED": "measured by",
    "SUPPORTS": "funds programmes naming",
    "COLLABORATES": "shares programmes with",
    "PART_OF": "part of",
    "COMPONENT_OF": "component of",
}


LABELS = ("Country", "Organisation", "Programme")
# PART_OF too: Italy funds through its foreign ministry, and a state's view drew nothing without the link to it
TYPES = ("FUNDS", "IMPLEMENTS", "TARGETS", "PARTNERS_WITH", "PART_OF")


def graph_of(store: Store) -> nx.MultiDiGraph:
    """What the network pages draw: countries, organisations and programmes with the links between them, agencies
    linked to their state or bloc; what has no programme to show dropped (:func:`without_idle`)."""
    return without_idle(store.to_networkx(labels=list(LABELS), types=list(TYPES)))


def parts(g: nx.MultiDiGraph, node: str) -> set[str]:
    """The organisations PART_OF ``node``, at any depth (its agencies); not ``node`` itself.

    >>> g = nx.MultiDiGraph([("fcdo", "uk", {"type": "PART_OF"}), ("fcdo", "p", {"type": "FUNDS"})])
    >>> sorted(parts(g, "uk")), sorted(parts(g, "fcdo"))
    (['fcdo'], [])
    """
    found: set[str] = set()
    todo = [node]
    while todo:
        for u, _, d in g.in_edges(todo.pop(), data=True):
            if d.get("type") == "PART_OF" and u not in found and u != node:
                found.add(u)
                todo.append(u)
    return found


def without_idle(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """``g`` without the nodes that have no programme to show: those linked to nothing, and a state and its agencies
    linked only to one another (PART_OF) once a filter leaves none of their programmes."""
    busy = {n for u, v, d in g.edges(data=True) if d.get("type") != "PART_OF" for n in (u, v)}
    family = nx.Graph([(u, v) for u, v, d in g.edges(data=True) if d.get("type") == "PART_OF"])
    keep = busy | {n for group in nx.connected_components(family) if group & busy for n in group}
    g.remove_nodes_from([n for n in list(g.nodes) if n not in keep])
    return g


def kind_of(g: nx.MultiDiGraph, node: str) -> str:
    """How the page draws ``node``: funder (an organisation that funds, itself or through its agencies), implementer,
    country, programme or indicator."""
    label = g.nodes[node].get("label", "")
    if label == "Organisation":
        funds = any(d.get("type") == "FUNDS" for n in {node} | parts(g, node) for _, _, d in g.out_edges(n, data=True))
        return "funder" if funds else "implementer"
    return {"Country": "country", "Programme": "programme", "Indicator": "indicator"}.get(label, "implementer")


def find_node(g: nx.MultiDiGraph, name: str) -> str:
    """The node ``name`` names, by the rules of :mod:`queries.terms` (a country by code or name, an organisation by
    id, name or alias), else a programme by id or name; or one clear error with the closest names."""

    def rows(label: str) -> list[dict[str, Any]]:
        return [d for _, d in sorted(g.nodes(data=True)) if d.get("label") == label]

    try:
        kind, key = Terms.from_rows(rows("Country"), rows("Organisation")).actor(name)
        return f"{'Country' if kind == 'country' else 'Organisation'}:{key}"
    except UnknownName:
        want = name.casefold()
        for d in rows("Programme"):
            if want in (str(d.get("id", "")).casefold(), str(d.get("name", "")).casefold()):
                return f"Programme:{d['id']}"
        raise


def _actor(names: Terms | None, name: str) -> tuple[str, str] | None:
    """(key, display name) of the country or organisation ``name`` names in the store, else None."""
    if names is None:
        return None
    try:
        kind, key = names.actor(name)
    except UnknownName:
        return None
    return key, (names.country_names if kind == "country" else names.org_names).get(key, key)


def ego(g: nx.MultiDiGraph, name: str, depth: int, names: Terms | None = None) -> nx.MultiDiGraph:
    """The part of ``g`` within ``depth`` steps of ``name``, whatever the direction; an organisation's agencies are
    where it stands too (a donor counted once, as every analysis counts it), so Italy's view at depth 1 shows what
    its foreign ministry funds.

    ``names`` (the store's) tells a country or organisation with no link in ``g`` from a name the graph does not
    hold: Eritrea, which no programme names, got "no country or organisation 'ERI' in the graph".
    """
    if depth < 1:
        raise VizError("--depth must be at least 1")
    try:
        centre = find_node(g, name)
    except UnknownName:
        held = _actor(names, name)
        if held is None:
            raise
        key, title = held
        raise VizError(
            f"nothing to draw around {title} ({key}): no programme in this view names it, is funded by it or is run by it",
            f"widen the filters, or see its page (`ccb profile {key}`) for the regional programmes that reach it",
        ) from None
    keep = nx.multi_source_dijkstra_path_length(g.to_undirected(as_view=True), {centre} | parts(g, centre), cutoff=depth)
    return g.subgraph(sorted(keep)).copy()


def _funder_country_weights(g: nx.MultiDiGraph) -> Counter[tuple[str, str]]:
    weight: Counter[tuple[str, str]] = Counter()
    for p, d in g.nodes(data=True):
        if d.get("label") != "Programme":
            continue
        funders = [u for u, _, e in g.in_edges(p, data=True) if e.get("type") == "FUNDS"]
        countries = [  # the countries it serves: a participant in a drill is not a funder's recipient
            v
            for _, v, e in g.out_edges(p, data=True)
            if e.get("type") == "TARGETS"
            and e.get("role", "beneficiary") != "participant"
            and e.get("role", "beneficiary") != "host"
        ]
        for f in funders:
            for c in countries:
                weight[(f, c)] += 1
    return weight


def funder_country_view(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Programmes folded away: funder -> country links weighted by the programmes between them."""
    out = nx.MultiDiGraph()
    for (f, c), w in sorted(_funder_country_weights(g).items()):
        out.add_node(f, **g.nodes[f])
        out.add_node(c, **g.nodes[c])
        out.add_edge(f, c, key="SUPPORTS", type="SUPPORTS", programmes=w)
    return out


def collaboration_view(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Organisations only, each as itself, linked as `ccb brokers --agencies` links them
    (:func:`queries.network.collaboration_weights`)."""
    members = {
        p: sorted({u for u, _, e in g.in_edges(p, data=True) if e.get("type") in ("FUNDS", "IMPLEMENTS")})
        for p, d in g.nodes(data=True)
        if d.get("label") == "Programme"
    }
    partners = [(u, v) for u, v, e in g.edges(data=True) if e.get("type") == "PARTNERS_WITH"]
    out = nx.MultiDiGraph()
    for (a, b), w in collaboration_weights(members, partners).items():
        out.add_node(a, **g.nodes[a])
        out.add_node(b, **g.nodes[b])
        out.add_edge(a, b, key="COLLABORATES", type="COLLABORATES", programmes=w)
    return out


def filtered(
    g: nx.MultiDiGraph, *, theme: str | None = None, region: str | None = None, window: Window = Window()
) -> nx.MultiDiGraph:
    """Programmes on ``theme`` active in ``window``, countries in ``region`` (region or sub-region); isolated nodes dropped."""
    theme, region = terms.theme(theme), terms.region(region)
    drop = [
        n
        for n, d in g.nodes(data=True)
        if (
            d.get("label") == "Programme"
            and ((theme and theme not in (d.get("themes") or [])) or not window.overlaps(d.get("start_date"), d.get("end_date")))
            or d.get("label") == "Country"
            and region
            and region not in (d.get("region"), d.get("subregion"))
        )
    ]
    out = g.copy()
    out.remove_nodes_from(drop)
    return without_idle(out)


def fold_programmes(g: nx.MultiDiGraph, max_nodes: int = MAX_NODES) -> tuple[nx.MultiDiGraph, str | None]:
    """Above ``max_nodes``: funder -> country edges weighted by programmes, the heaviest kept. Returns (graph, note)."""
    if g.number_of_nodes() <= max_nodes:
        return g, None
    top = sorted(_funder_country_weights(g).items(), key=lambda kv: (-kv[1], kv[0]))
    out = nx.MultiDiGraph()
    for (f, c), w in top:
        if out.number_of_nodes() >= max_nodes and not (f in out and c in out):
            continue
        for n in (f, c):
            out.add_node(n, **g.nodes[n])
        out.add_edge(f, c, key="SUPPORTS", type="SUPPORTS", programmes=w)
    note = (
        f"{g.number_of_nodes():,} nodes is more than a browser lays out smoothly: programmes are folded into "
        f"funder-to-country links weighted by programme count, and the {out.number_of_edges():,} heaviest links "
        f"({out.number_of_nodes():,} nodes) are shown."
    )
    return out, note


def _title(d: dict[str, Any]) -> str:
    """A plain-text tooltip: one 'field: value' line per known property."""
    skip = {"label", "id", "iso3"}
    lines = [str(d.get("name", d.get("id", "")))]
    for k, v in d.items():
        if k not in skip and k != "name" and v not in (None, "", []):
            lines.append(f"{k}: {'; '.join(map(str, v)) if isinstance(v, list) else v}")
    return "\n".join(lines)


def _label(name: str, width: int = 22) -> str:
    """A node label wrapped at word boundaries onto lines of about ``width`` characters: never cut."""
    return "\n".join(textwrap.wrap(name, width, break_long_words=False, break_on_hyphens=False)) or name


def build(g: nx.MultiDiGraph, *, kinds: dict[str, str] | None = None, focus: str | None = None) -> Network:
    """A pyvis network of ``g``: kinds coloured and shaped, sized by degree, edges styled by type.

    ``kinds`` gives each node's kind when ``g`` is a derived view that has
    lost the edges the kind is read from (the collaboration view has no
    FUNDS edges, yet its funders are still funders); ``focus`` is drawn
    larger, with a dark border.
    """
    from pyvis.network import Network

    net = Network(directed=True, cdn_resources="remote")
    degree = dict(g.degree())
    for n in sorted(g.nodes):
        d = g.nodes[n]
        kind = (kinds or {}).get(n) or kind_of(g, n)
        colour, shape, _ = KINDS[kind]
        size = 8 + min(30, 3 * degree[n] ** 0.5)
        look: dict[str, Any] = {"color": colour}
        if n == focus:
            size += 12
            look = {"color": {"background": colour, "border": "#000000"}, "borderWidth": 4, "font": {"size": 16}}
        name = str(d.get("name", n))
        net.add_node(n, label=_label(name), title=_title(d), shape=shape, size=size, kind=kind, name=name, **look)
    for u, v, k, d in sorted(g.edges(keys=True, data=True), key=lambda e: (e[0], e[1], str(e[2]))):
        t = d.get("type", k)
        width = 1 + min(8, d.get("programmes", 1) - 1)
        net.add_edge(
            u,
            v,
            title=_title({"name": t, **{a: x for a, x in d.items() if a != "type"}}),
            color=EDGE_COLOURS.get(t, "#888888"),
            width=width,
            arrows="to",
            type=t,  # the legend names the types drawn
        )
    return net


LARGE_PAGE_EDGES = 4_000
EDGE_PX = 110  # the median edge's length on the page, in pixels: room for a label between two nodes
# the median node's nearest neighbour on the page, in pixels: about a wrapped label's width (22 characters of 12 px
# type), so labels drawn at full size do not pile on one another; a star of 22 programmes around Kenya drew them
# 31 px apart, illegible at any zoom (type and distances scale together); zoomed out, labels under 9 px are not drawn
LABEL_PX = 120


def positions(g: nx.MultiDiGraph, seed: int = 42) -> dict[str, tuple[float, float]]:
    """Fixed page positions of ``g``'s nodes, in pixels: Fruchterman-Reingold, seeded, in igraph.

    The same graph gives the same picture every time; the scale puts the
    median edge at :data:`EDGE_PX` at least, and the median distance from a
    node to its nearest neighbour at :data:`LABEL_PX` at least (whichever
    spreads the drawing more), so labels have room at full size.

    Examples
    --------
    >>> g = nx.MultiDiGraph([("a", "b"), ("b", "c")])
    >>> p = positions(g)
    >>> sorted(p) == ["a", "b", "c"] and p == positions(g)
    True
    """
    import igraph as ig
    from scipy.spatial import cKDTree

    nodes = sorted(g.nodes)
    if len(nodes) == 1:
        return {nodes[0]: (0.0, 0.0)}
    index = {v: i for i, v in enumerate(nodes)}
    pairs = sorted({tuple(sorted((index[u], index[v]))) for u, v in g.edges() if u != v})
    h = ig.Graph(n=len(nodes), edges=pairs, directed=False)
    with seeded(seed):
        coords = h.layout_fruchterman_reingold(niter=500).coords
    lengths = sorted(((coords[a][0] - coords[b][0]) ** 2 + (coords[a][1] - coords[b][1]) ** 2) ** 0.5 for a, b in pairs)
    scale = EDGE_PX / (lengths[len(lengths) // 2] or 1.0) if lengths else EDGE_PX
    nearest = float(np.median(cKDTree(coords).query(coords, k=2)[0][:, 1]))  # k=2: the first is the node itself
    if nearest > 0:
        scale = max(scale, LABEL_PX / nearest)
    return {v: (round(coords[i][0] * scale, 1), round(coords[i][1] * scale, 1)) for v, i in index.items()}


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<title>CCB Graph network</title>
<link rel="icon" href="{favicon}">
<style>{vis_css}</style>
<style>
 body {{ font-family: system-ui, sans-serif; margin: 0; }}
 header {{ padding: 8px 12px; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; border-bottom: 1px solid #ddd; }}
 #graph {{ width: 100vw; height: calc(100vh - 60px); }}
 .legend {{ display: flex; flex-wrap: wrap; gap: 2px 12px; }}  /* each kind whole, the list wrapping on a phone */
 .legend span {{ white-space: nowrap; }}
 .shape {{ font-size: 16px; }}
 #note {{ color: #a33; }}
</style>
</head>
<body>
<header>
 <h1 style="font-size: 16px; margin: 0">CCB Graph network</h1>{nav}
 <label>Find <input id="search" list="names" placeholder="name or code"></label>
 <datalist id="names"></datalist>
 <span class="legend">{legend}</span>
 <span id="note"></span>
 <span id="status">drawing...</span>
</header>
<main><div id="graph" role="img" aria-label="The network: pan and zoom with the mouse; find a node by name above"></div></main>
<script>{vis_js}</script>
<script id="data" type="application/json">{data}</script>
<script>
(function () {{
  var data = JSON.parse(document.getElementById("data").textContent);
  var nodes = new vis.DataSet(data.nodes), edges = new vis.DataSet(data.edges);
  var network = new vis.Network(document.getElementById("graph"), {{nodes: nodes, edges: edges}}, data.options);
  window.ccbNetwork = network; window.ccbNodes = nodes; window.ccbEdges = edges;
  document.getElementById("note").textContent = data.note || "";
  if (data.focus) {{ network.selectNodes([data.focus]); window.ccbFocused = data.focus; }}
  var list = document.getElementById("names");
  nodes.forEach(function (n) {{ var o = document.createElement("option"); o.value = n.name; list.appendChild(o); }});
  network.once("afterDrawing", function () {{  // positions are fixed: the first frame is the final one
    window.ccbStable = true;
    document.getElementById("status").textContent = "";
  }});
  document.getElementById("search").addEventListener("change", function (e) {{
    var q = e.target.value.toLowerCase();
    var hit = nodes.get({{filter: function (n) {{ return n.name.toLowerCase() === q || String(n.id).toLowerCase() === q; }}}})[0];
    if (hit) {{ network.selectNodes([hit.id]); network.focus(hit.id, {{scale: 1.2, animation: false}}); window.ccbFocused = hit.id; }}
  }});
}})();
</script>
</body>
</html>
"""


def page(
    g: nx.MultiDiGraph,
    *,
    note: str | None = None,
    kinds: dict[str, str] | None = None,
    focus: str | None = None,
    nav: list[tuple[str, str]] | None = None,
) -> str:
    """The HTML of an offline, interactive page of ``g``; the legend lists the kinds drawn, each in its shape and colour;
    ``nav`` links (text, href) in its header lead back to the app. A label is drawn only where its type is at least
    9 px at the current zoom: zoomed out, the shapes show the structure and the labels do not pile up."""
    import pyvis  # here, not at the top: with igraph and scipy, 1 s at every command's start

    net = build(g, kinds=kinds, focus=focus)
    nodes, edges, *_ = net.get_network_data()
    at = positions(g)
    for node in nodes:
        node["x"], node["y"] = at[node["id"]]
    options = {
        "layout": {"improvedLayout": False},
        "physics": {"enabled": False},
        # Past a few thousand edges, drawing them is most of a frame: hidden while the view moves, so it follows the hand.
        "interaction": {
            "hover": True,
            "tooltipDelay": 150,
            "hideEdgesOnDrag": len(edges) > LARGE_PAGE_EDGES,
            "hideEdgesOnZoom": len(edges) > LARGE_PAGE_EDGES,
        },
        "nodes": {"font": {"size": 12}, "scaling": {"label": {"enabled": False, "drawThreshold": 9}}},
        "edges": {"smooth": False},
    }
    data = json.dumps({"nodes": nodes, "edges": edges, "options": options, "note": note, "focus": focus}, ensure_ascii=False)
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")  # no value can end the script
    drawn = {n["kind"] for n in nodes}
    legend = "".join(
        f'<span data-kind="{k}" data-shape="{shape}"><b class="shape" style="color:{c}">{SYMBOLS[shape]}</b> {text}</span>'
        for k, (c, shape, text) in KINDS.items()
        if k in drawn
    )
    types = {e.get("type") for e in edges}
    legend += "".join(
        f'<span data-edge="{t}"><b class="shape" style="color:{EDGE_COLOURS[t]}">\u2192</b> {EDGE_TEXT[t]}</span>'
        for t in EDGE_TEXT
        if t in types
    )
    vis = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2"  # the vis-network copy pyvis ships
    html = PAGE.format(
        vis_css=(vis / "vis-network.css").read_text(),
        vis_js=(vis / "vis-network.min.js").read_text(),
        legend=legend,
        favicon="data:image/svg+xml;base64," + base64.b64encode(FAVICON.read_bytes()).decode(),
        nav="".join(f' <a href="{html_escape(href)}">{html_escape(text)}</a>' for text, href in nav or []),
        data=data,
        policy="{policy}",
    )
    return html.replace('content="{policy}"', f'content="{policy(html)}"', 1)


_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def policy(html: str) -> str:
    """The page's Content-Security-Policy: its own inline scripts, by hash, and nothing else runs.

    The data travels in a ``type="application/json"`` element, which is never run.

    >>> policy('<script>go()</script><script type="application/json">{}</script>').split("; ")[1]
    "script-src 'sha256-5KYv+PUboo5h+0+YAtGRPbwv5d/QxzHslP4YGnUaxRw='"
    """
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in _INLINE_SCRIPT.findall(html)
    )
    return f"default-src 'none'; script-src {hashes}; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"


VIEWS = {"whole": lambda g: g, "collaboration": collaboration_view, "funder-country": funder_country_view}


def write_network(
    g: nx.MultiDiGraph,
    path: str | Path,
    *,
    around: str | None = None,
    depth: int = 1,
    view: str = "whole",
    theme: str | None = None,
    region: str | None = None,
    window: Window = Window(),
    max_nodes: int = MAX_NODES,
    names: Terms | None = None,
) -> str | None:
    """Write the page of ``g`` (filtered, seen as ``view``, around ``around``) to ``path``; return the folding note, if
    any. ``names``, the store's, lets a country or organisation with nothing to draw say so (:func:`ego`)."""
    if view not in VIEWS:
        raise VizError(f"unknown view {view!r}", f"views: {', '.join(VIEWS)}")
    g = filtered(g, theme=theme, region=region, window=window)
    kinds = {n: kind_of(g, n) for n in g.nodes}  # read before a view drops the edges they come from
    g = VIEWS[view](g)
    focus = None
    if around is not None:
        g = ego(g, around, depth, names)
        focus = find_node(g, around)
    if g.number_of_nodes() == 0:
        raise VizError("nothing to draw: the graph (or the filtered part) is empty", "load data, or widen the filters")
    path = Path(path)
    if not path.parent.is_dir():
        raise VizError(f"no directory {path.parent}", "create it first, or choose another -o path")
    g, note = fold_programmes(g, max_nodes)
    html = page(g, note=note, kinds=kinds, focus=focus if focus in g else None)
    atomic_write(path, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    return note


OVERVIEW_ROW = 26  # px between two labels of a column: above the 13 px type's line height, so none can overlap
OVERVIEW_LABEL = 40  # characters of a label at most (the whole name is its tooltip)


def overview_svg(
    flows: list[dict[str, Any]],
    *,
    left_href: Any = None,
    right_href: Any = None,
    top: int = 30,
    title: str = "Programmes by donor and area reached",
) -> str:
    """A static, readable overview: donors on the left, areas on the right, a band per donor and area as wide as
    its programmes. Labels sit in two columns one :data:`OVERVIEW_ROW` apart, so no label is drawn on another at any
    size; names past :data:`OVERVIEW_LABEL` characters are shortened (the full name is the tooltip). The ``top``
    donors by programmes are drawn, the rest folded into one row. ``left_href`` and ``right_href`` give each label
    its link. Every value is escaped; the SVG has no script.

    Examples
    --------
    >>> svg = overview_svg([{"donor": "eu", "donor_name": "European Union", "area": "Africa", "programmes": 3}])
    >>> svg.count("<text"), "European Union (3)" in svg, "<script" in svg
    (2, True, False)
    """
    from html import escape

    per_donor: Counter[str] = Counter()
    per_area: Counter[str] = Counter()
    names: dict[str, str] = {}
    for f in flows:  # distinct programmes per donor and per area, as the rows state them
        per_donor[f["donor"]] = f.get("donor_programmes", per_donor[f["donor"]] + f["programmes"])
        per_area[f["area"]] = f.get("area_programmes", per_area[f["area"]] + f["programmes"])
        names[f["donor"]] = f["donor_name"]
    donors = [d for d, _ in sorted(per_donor.items(), key=lambda kv: (-kv[1], names[kv[0]].casefold()))]
    shown, folded = donors[:top], set(donors[top:])
    other = f"{len(folded)} other donors" if folded else None
    left = shown + ([other] if other else [])
    areas = sorted(per_area, key=lambda a: (-per_area[a], a))
    width, lx, rx, pad = 1000, 350, 650, 30
    rows = max(len(left), len(areas), 1)
    height = pad * 2 + rows * OVERVIEW_ROW
    ly = {d: pad + (i + 0.5) * (rows * OVERVIEW_ROW / len(left)) for i, d in enumerate(left)}
    ry = {a: pad + (i + 0.5) * (rows * OVERVIEW_ROW / len(areas)) for i, a in enumerate(areas)}
    bands: Counter[tuple[str, str]] = Counter()
    for f in flows:
        bands[(other if f["donor"] in folded else f["donor"], f["area"])] += f["programmes"]  # type: ignore[index]
    biggest = max(bands.values(), default=1)

    def short(text: str) -> str:
        return text if len(text) <= OVERVIEW_LABEL else text[: OVERVIEW_LABEL - 1] + "…"

    def label(x: float, y: float, text: str, full: str, anchor: str, href: str | None) -> str:
        body = f'<text x="{x}" y="{y + 4:.1f}" text-anchor="{anchor}"><title>{escape(full)}</title>{escape(text)}</text>'
        return f'<a href="{escape(href)}">{body}</a>' if href else body

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="group" aria-labelledby="overview-title" class="overview" font-family="system-ui, sans-serif" font-size="13">',
        f'<title id="overview-title">{escape(title)}</title>',
    ]
    for (d, a), n in sorted(bands.items(), key=lambda kv: (kv[1], kv[0])):
        y1, y2, w = ly[d], ry[a], 1 + 11 * n / biggest
        who = other if d == other else names[d]
        out.append(
            f'<path d="M{lx},{y1:.1f} C{(lx + rx) / 2},{y1:.1f} {(lx + rx) / 2},{y2:.1f} {rx},{y2:.1f}" fill="none" '
            f'stroke="#0072B2" stroke-opacity="0.35" stroke-width="{w:.1f}"><title>{escape(f"{who} → {a}: {n} programmes")}</title></path>'
        )
    for d in left:
        full = other if d == other else names[d]
        n = sum(per_donor[x] for x in folded) if d == other else per_donor[d]  # folded: a sum, one programme may be in two
        out.append(f'<circle cx="{lx}" cy="{ly[d]:.1f}" r="4" fill="#E69F00"/>')
        href = None if d == other or not left_href else left_href(d)
        out.append(label(lx - 10, ly[d], f"{short(full)} ({n})", f"{full}: {n} programmes", "end", href))  # type: ignore[arg-type]
    for a in areas:
        out.append(f'<circle cx="{rx}" cy="{ry[a]:.1f}" r="4" fill="#56B4E9"/>')
        href = right_href(a) if right_href else None
        out.append(label(rx + 10, ry[a], f"{short(a)} ({per_area[a]})", f"{a}: {per_area[a]} programmes", "start", href))
    out.append("</svg>")
    return "".join(out)
