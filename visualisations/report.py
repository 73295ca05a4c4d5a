"""`ccb report`: a briefing (:func:`queries.report.brief`) as one self-contained HTML file or as Markdown.

The HTML inlines its map and chart as SVG and fetches nothing (its
Content-Security-Policy allows no script and no request); it prints to PDF
from a browser. Markdown writes the two figures beside it as SVG files.
Both come from the templates in ``visualisations/templates`` through one
Jinja environment; HTML is autoescaped, and Markdown cells have their
table and markup characters escaped. The same brief gives the same bytes.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from queries.report import Brief
from queries.terms import rows_legend
from visualisations import charts, maps
from visualisations.errors import VizError
from visualisations.export import atomic_write_all
from visualisations.terminal import cell

FORMATS = ("html", "md")
TEMPLATES = Path(__file__).parent / "templates"
SUPPORT_COLUMNS = (
    "funder",
    "funder_name",
    "country",
    "country_name",
    "countries",
    "programmes",
    "naming_countries",
    "regional",
    "global",
    "programme_ids",
    "themes",
    "implementers",
    "amount",
    "contributed",
    "budget",
    "programme_money",
)
IDEA_COLUMNS = (
    "theme",
    "org",
    "name",
    "score",
    "a_name",
    "b_name",
    "peer",
    "peer_name",
    "similarity",
    "shared_countries",
    "shared_themes",
    "shared_regions",
    "peer_only_countries",
    "explanation",
)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")  # what starts markup in a line or ends a table cell


def _md(value: Any) -> str:
    """Text safe in a Markdown table cell or line: markup characters escaped, lines joined."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


_URL = re.compile(r"https?://[^\s<>\"')]*[^\s<>\"'),.;:]")  # a sentence's comma or full stop is not part of it
# A source a Markdown reader may follow: http(s) only, and nothing that ends an autolink or starts markup (no
# whitespace of any kind, tabs included, no < > " ' ` \\ or control characters)
_SAFE_URL = re.compile(r"^https?://[^\s<>\"'`\\\x00-\x1f\x7f]+$")


def _md_link(value: Any) -> str:
    r"""A source in Markdown: ``<url>`` (an autolink) when it is a plain http(s) address, else escaped text.

    >>> _md_link("https://www.coe.int/en/web/cybercrime/glacy")
    '<https://www.coe.int/en/web/cybercrime/glacy>'
    >>> print(_md_link("http://x/<img\tsrc=x\tonerror=alert(1)>"))
    http://x/\<img src=x onerror=alert(1)\>
    >>> _md_link("javascript:alert(1)")
    'javascript:alert(1)'
    """
    text = str(value)
    return f"<{text}>" if _SAFE_URL.match(text) else _md(text)


def _md_file(name: str) -> str:
    """A local file beside the report, as a Markdown link destination: percent-encoded, so no name breaks out."""
    return quote(name, safe="")


def _links(value: Any) -> Markup:
    """Text with every http(s) address in it made a link; the rest escaped."""
    text, out, at = str(value), [], 0
    for m in _URL.finditer(text):
        out += [escape(text[at : m.start()]), Markup('<a href="{0}">{0}</a>').format(m.group())]
        at = m.end()
    out.append(escape(text[at:]))
    return Markup("").join(out)


LINKED = {  # column -> the page its values name
    **dict.fromkeys(("iso3", "country", "countries", "shared_countries", "peer_only_countries", "top_countries"), "country"),
    **dict.fromkeys(
        (
            "org",
            "funder",
            "a",
            "b",
            "peer",
            "top_funders",
            "agencies",
            "implementers",
            "cofunders",
            "members",
            "funders",
            "id",
            "donors",
            "part_of",
        ),
        "organisation",
    ),
    **dict.fromkeys(("programme", "programme_ids", "umbrella", "components"), "programme"),
}
_ISO3 = re.compile(r"^[A-Z]{3}$")
_KEYED = re.compile(r"^(\S+)( \(.*\))?$", re.DOTALL)  # an id, and perhaps its reason in brackets


def link_of(column: str, value: Any) -> list[tuple[str, str, str]]:
    """``(id, href, reason)`` for each id in a cell whose column names countries, organisations or programmes; else [].

    An id may carry its reason in brackets, as a plan's implementers do: the id is the link and the reason follows
    it as text (the whole "ega (experience 9 ...)" was the link, to a page that does not exist).

    >>> link_of("implementers", ["ega (experience 9)", "itu"])
    [('ega', '/organisation/ega', ' (experience 9)'), ('itu', '/organisation/itu', '')]
    >>> link_of("country", "Eritrea"), link_of("org", "World Bank")
    ([], [])
    """
    kind = LINKED.get(column)
    values = value if isinstance(value, list) else [value]
    if kind is None or not values or not all(isinstance(v, str) and v for v in values):
        return []
    keyed = [_KEYED.match(v) for v in values]
    if not all(keyed):
        return []  # a name, not an id: ids have no spaces
    ids = [(m[1], m[2] or "") for m in keyed if m]
    if kind == "country" and not all(_ISO3.match(key) for key, _ in ids):
        return []  # a country's name, not its code
    return [(key, f"/{kind}/{quote(key, safe='')}", reason) for key, reason in ids]


def site(url: str) -> str:
    """A source's site, as a link's text in a table (the whole address is the link and its tooltip).

    >>> site("https://www.interpol.int/en/Crimes/Cybercrime"), site("http://example.org")
    ('interpol.int', 'example.org')
    """
    host = url.split("://", 1)[-1].split("/", 1)[0]
    return host.removeprefix("www.")


def rows_columns(rows: list[dict[str, Any]]) -> list[str]:
    """Every key of ``rows``, in first-seen order (a table's columns)."""
    return list(dict.fromkeys(k for r in rows for k in r))


def legend(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """The legend of the GFCE theme letters a table shows in ``columns`` (as the CLI's tables give it), or ""."""
    return rows_legend(rows, hidden={k for r in rows for k in r} - set(columns))


def environment(fmt: str) -> jinja2.Environment:
    """The one Jinja environment of reports and app pages: HTML autoescaped, the shared filters and helpers."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=fmt == "html",
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["cell"] = cell
    env.filters["md"] = _md
    env.filters["md_link"] = _md_link
    env.filters["md_file"] = _md_file
    env.filters["links"] = _links
    env.filters["site"] = site
    env.globals |= {"link_of": link_of, "rows_columns": rows_columns, "theme_legend": legend}
    return env


def _columns(rows: list[dict[str, Any]], wanted: tuple[str, ...]) -> list[str]:
    present = {k for r in rows for k, v in r.items() if v not in (None, "", [])}
    return [c for c in wanted if c in present]


def figures(b: Brief) -> tuple[str, str, str | None]:
    """The map's title and SVG, and the coverage-over-time heatmap's SVG (None when nothing has a start date)."""
    if b.kind == "plan":  # the graph after the plan, the planned countries in colour
        data = maps.from_gaps(
            b.all_gaps,
            "priority",
            source=f"Source: CCB Graph gaps analysis with the plan; need: {b.weights}",
            not_ranked=b.not_ranked,
        )
        data.focus, data.outside = frozenset(r["iso3"] for r in b.gaps), "not in the plan"
        title = "Priority after the plan: the planned countries in colour"
    elif b.kind == "donor":
        counts = {r["country"]: r for r in b.supports}
        rows = [{**g, "programmes": counts[g["iso3"]]["programmes"], "funders": 1} for g in b.all_gaps if g["iso3"] in counts]
        data = maps.from_gaps(rows, "programmes", source=f"Source: CCB Graph; programmes funded by {b.title}")
        # by this donor: a fact, not a gap in the data; "reached" it was not, where its regional programmes' scope
        # takes the country in (Eritrea, in three of the UK's)
        data.missing = "named by none of its programmes"
        title = f"Countries named by {b.title}'s programmes: programmes per country"
    else:
        area = b.key if b.kind == "region" else None  # a country's map is its region's
        if b.kind == "country":
            area = next((r["region"] for r in b.all_gaps if r["iso3"] == b.key), None)
        rows = [r for r in b.all_gaps if b.kind == "world" or (area and area in (r["region"], r["subregion"]))]
        data = maps.from_gaps(
            rows, "priority", source=f"Source: CCB Graph gaps analysis; need: {b.weights}", not_ranked=b.not_ranked
        )
        if area:
            data.focus = frozenset(r["iso3"] for r in rows)  # zoomed to the region, the rest a plain background
            data.outside = f"outside {area}"
        title = "Priority by country: need against support"
    map_svg = maps.svg(data)
    heat = None
    if any(r["active"] or r["end_unknown"] for r in b.timeline.rows):
        import matplotlib  # as charts does: imported where a figure is drawn, not at every command's start

        fig = charts.heatmap(b.timeline, top=25, title=f"Programmes active per year, by {b.timeline_by}")
        buf = io.StringIO()
        # text as text (small, selectable, escaped by matplotlib); ids from a fixed salt, so the same data gives the same bytes
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "ccb-graph"}):
            fig.savefig(buf, format="svg", metadata={"Date": None})
        heat = buf.getvalue()
        heat = heat[heat.index("<svg") :]  # inline: no XML prologue or doctype inside HTML
    return title, map_svg[map_svg.index("<svg") :], heat


def render(b: Brief, fmt: str, *, stem: str = "report") -> tuple[str, dict[str, str]]:
    """The report text, and the side files it names (Markdown only: the figures as SVG)."""
    if fmt not in FORMATS:
        raise VizError(f"unknown report format {fmt!r}", f"formats: {', '.join(FORMATS)}")
    map_title, map_svg, heat = figures(b)
    side: dict[str, str] = {}
    context: dict[str, Any] = {
        "b": b,
        "map_title": map_title,
        "support_columns": _columns(b.supports, SUPPORT_COLUMNS),
        "idea_columns": _columns(b.ideas, IDEA_COLUMNS),
        "empty_gaps": "No ranked recipient state in this scope (high-income countries, territories and states of unknown "
        "need are not ranked).",
        # a country no programme names had its empty heatmap explained as "no start date"
        "empty_timeline": "No programme here has a start date."
        if any(b.timeline.members.values()) or len(b.timeline.members) != 1
        else "No programme counts here.",
    }
    if fmt == "html":
        context |= {"map_svg": map_svg, "timeline_svg": heat}
    else:
        side[f"{stem}.map.svg"] = map_svg
        context |= {"map_file": f"{stem}.map.svg", "timeline_file": f"{stem}.timeline.svg" if heat else None}
        if heat:
            side[f"{stem}.timeline.svg"] = heat
    text = environment(fmt).get_template(f"report.{fmt}.j2").render(**context)
    return text, side


def write_report(b: Brief, path: str | Path, fmt: str | None = None) -> list[Path]:
    """Write the report to ``path`` (format from ``fmt`` or the suffix: .html, .md) and its side files; all or nothing."""
    path = Path(path)
    fmt = fmt or {".html": "html", ".htm": "html", ".md": "md"}.get(path.suffix.lower())
    if fmt is None:
        raise VizError(f"cannot tell the format of {path.name}", "name the file .html or .md, or pass --format")
    if not path.parent.is_dir():
        raise VizError(f"no directory {path.parent}", "create it first, or choose another -o path")
    text, side = render(b, fmt, stem=path.stem)
    files = {path: text} | {path.with_name(name): body for name, body in side.items()}
    atomic_write_all([(p, lambda tmp, body=body: tmp.write_text(body, encoding="utf-8")) for p, body in files.items()])
    return list(files)
