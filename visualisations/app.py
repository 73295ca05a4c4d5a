"""`ccb serve`: a local, read-only web app over either store, from the report's templates.

Pages: home (the priority map and the top gaps); lists to browse by facet (programmes, organisations, countries:
:mod:`queries.catalogue`); full-text search (:mod:`queries.fulltext`); a page per country, organisation and
programme; the gaps table with filters, weights and pages; the network overview (donors to areas, a static
figure) and each actor's interactive network. Every table on a page downloads as CSV or JSON
(``?table=NAME&format=csv``), every list whole with its filters, and ``/api/...`` answers any page as JSON.
Nothing is fetched from the network: the stylesheet and icon are served from the package, app pages carry no
script at all, and the Content-Security-Policy says so (inline styles are allowed, for the SVG figures; the
interactive network, whose vis-network script is inlined, runs its own two scripts, named by hash, and nothing
else). Flask routes the requests; pages are rendered by the same Jinja environment as `ccb report`, autoescaped.
The store is opened read-only; requests take turns on it (one lock); answers are kept per store version
(:class:`Watch`) and what every page reads is computed before the app says it is ready.
"""

from __future__ import annotations

import functools
import gc
import io
import json
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from difflib import get_close_matches
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

from flask import Flask, Response, abort, request
from werkzeug.exceptions import NotFound

from graph.embedded import memory_copy
from graph.errors import CCBError
from graph.model import M49_AREAS, M49_REGIONS, THEMES
from graph.store import Store, cached
from queries import analysis, catalogue, facts, fulltext, lists, named, profile, terms, timeline
from queries import plan as plan_queries
from queries.need import DEFAULT_WEIGHTS
from queries.report import sources_of
from visualisations import charts, maps
from visualisations import network as network_viz
from visualisations.errors import VizError
from visualisations.export import csv_safe, scenario_yaml
from visualisations.report import environment
from visualisations.terminal import json_text, write_csv

STATIC = Path(__file__).parent / "static"
CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
# The questions a page can be asked: any other parameter changes nothing, so it is neither cached apart nor echoed.
PARAMS = (
    "q",
    "region",
    "theme",
    "income",
    "from",
    "to",
    "sort",
    "desc",
    "around",
    "depth",
    "view",
    "table",
    "format",
    "budget",
    "donor",
    "grant",
    "page",
    "subregion",
    "country",
    "implementer",
    "status",
    "scope",
    "kind",
    "role",
    "ranked",
    "absent",
    *(f"w_{name}" for name in DEFAULT_WEIGHTS),
)
SHOW_ROWS = 100  # rows of a table a page shows (a page of 28 MB took 16 s to render at size L); downloads hold all
CACHE_BYTES = 64 * 2**20  # answers kept, in all: a bound by size, whatever the number of URLs asked
CACHE_ENTRY = 8 * 2**20  # an answer larger than this is computed again when asked again, never kept
IDLE_SECONDS = 15  # an idle connection is closed after this: idle sockets cannot hold the app
CONNECTIONS = 1000  # open connections at most (waitress's default, 100, let idle sockets stop every answer)


def question(path: str, args: Any) -> str:
    """The normalised question a request asks: its path and its known parameters, sorted, empty ones dropped.

    >>> from werkzeug.datastructures import MultiDict
    >>> question("/gaps", MultiDict([("theme", "C"), ("junk", "1"), ("region", "Africa"), ("q", "")]))
    '/gaps?region=Africa&theme=C'
    """
    known = sorted((k, v) for k, v in args.items(multi=True) if k in PARAMS and v != "")
    return path + ("?" + urlencode(known) if known else "")


GAP_COLUMNS = ("iso3", "country", "region", "subregion", "income_group", "need", "programmes", "regional", "funders", "priority")

Row = dict[str, Any]


def _section(
    sid: str,
    title: str,
    rows: list[Row],
    empty: str,
    *,
    notes: list[str] | None = None,
    figure: str | None = None,
    sort: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    query = {k: v for k, v in request.args.items() if k in PARAMS and k not in ("table", "format")}
    download = "?" + urlencode({**query, "table": sid}) + "&"
    return {
        "id": sid,
        "title": title,
        "rows": rows,
        "empty": empty,
        "notes": notes or [],
        "figure": figure,
        "download": download,
        "sort": sort,
        "columns": None,  # the columns shown, where not every column of the rows
    }


def _svg(fig: Any) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "ccb-graph"}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]


LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def host_name(header: str) -> str:
    """The name in a Host header, without its port or IPv6 brackets, lower case.

    >>> host_name("LocalHost:8765"), host_name("[::1]:8765"), host_name("127.0.0.1")
    ('localhost', '::1', '127.0.0.1')
    """
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


@dataclass
class Watch:
    """How the app notices that another process wrote to its store, and opens it again: ``version`` is cheap and
    changes with every write; ``reopen`` opens the store read-only."""

    version: Callable[[], Any]
    reopen: Callable[[], Store]


def embedded_watch(path: str | Path) -> Watch:
    """The :class:`Watch` of an embedded store: its file and its write-ahead log, by size and modification time."""
    files = [Path(path), Path(f"{path}.wal")]

    def version() -> tuple[tuple[int, int] | None, ...]:
        out = []
        for f in files:
            try:
                st = f.stat()
                out.append((st.st_mtime_ns, st.st_size))
            except OSError:
                out.append(None)
        return tuple(out)

    from graph.embedded import EmbeddedStore

    return Watch(version, lambda: EmbeddedStore(path, read_only=True))


def bolt_watch(store: Store, every: float = 2.0) -> Watch:
    """The :class:`Watch` of a Neo4j store: its nodes per label and relationships per type (the store's counts), read
    at most once every ``every`` seconds. A load that adds or removes records is seen within that time; an edit made
    outside ccb that changes properties alone is not (restart the app after one). Its reads are current, so "opening
    again" is the same store behind a fresh cache."""
    seen: dict[str, Any] = {"at": float("-inf"), "version": None}

    def version() -> Any:
        now = time.monotonic()
        if now - seen["at"] >= every:
            seen["at"], seen["version"] = now, tuple(sorted(store.counts().items()))
        return seen["version"]

    return Watch(version, lambda: store)


class _Live:
    """The store the app reads, which a newer snapshot can replace under every page at once."""

    def __init__(self, target: Store) -> None:
        self.target = target

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)


class StoreChanging(CCBError):
    """The store changed and could not be opened again yet (a writer is at work): try again in a moment."""


def _nearest_page(path: str, rules: list[str]) -> str | None:
    """The address a mistyped one meant: the nearest page of as many parts, the parts it takes kept as given.

    >>> _nearest_page("/countries/KEN", ["/country/<code>", "/countries", "/gaps"])
    '/country/KEN'
    >>> _nearest_page("/api/countrys/KEN", ["/api/country/<code>", "/country/<code>"])
    '/api/country/KEN'
    >>> _nearest_page("/gap", ["/country/<code>", "/gaps"]), _nearest_page("/zzz", ["/gaps"])
    ('/gaps', None)
    """
    parts = path.strip("/").split("/")
    pages = [
        "/" + "/".join(given if want.startswith("<") else want for want, given in zip(r.strip("/").split("/"), parts))
        for r in rules
        if r.count("/") == len(parts)
    ]
    close = get_close_matches(path, pages, n=1, cutoff=0.75)
    return close[0] if close else None


def create_app(store: Store, allowed_hosts: frozenset[str] | set[str] = LOOPBACK, *, watch: Watch | None = None) -> Flask:
    """The app over ``store`` (opened read-only by the caller, closed by it too).

    It answers only requests whose Host header names one of ``allowed_hosts`` (loopback names by default): a
    web page elsewhere that rebinds its own name to this address (DNS rebinding) gets 421, never the graph.

    With ``watch``, a write by another process is noticed at the next request: the app opens the store again
    (a fresh read-only snapshot), drops every answer it kept, and answers from the new data; while the store cannot
    be opened, a page is 503 "being written, try again", never an engine error or stale data passed off as current.
    """
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    allowed = frozenset(host_name(h) for h in allowed_hosts)

    @app.before_request
    def only_known_hosts() -> Response | None:
        if host_name(request.headers.get("Host", "")) not in allowed:
            return Response(
                "misdirected request: this app answers only to " + ", ".join(sorted(allowed)) + "\n",
                status=421,
                mimetype="text/plain",
            )
        return None

    env = environment("html")
    live = _Live(cached(store))
    store = cast(Store, live)  # every page reads through it: a reopened snapshot replaces it for all of them
    lock = threading.Lock()
    seen = {"version": watch.version() if watch else None}
    resets: list[Any] = []  # the app's own memos, dropped with the answers when the store changes

    answers: OrderedDict[str, tuple[bytes, int, list[tuple[str, str]]]] = OrderedDict()  # a read-only graph: answers keep
    held = {"bytes": 0}
    cache_lock = threading.Lock()  # the answers kept: held for a dict operation, never while computing
    app.config["CCB_CACHE"] = (answers, held)

    def keep(key: str, answer: tuple[bytes, int, list[tuple[str, str]]]) -> None:
        size = len(answer[0])
        if size > CACHE_ENTRY:
            return
        with cache_lock:
            if key in answers:
                return
            answers[key] = answer
            held["bytes"] += size
            while held["bytes"] > CACHE_BYTES:  # the oldest answers go first
                _, (body, _, _) = answers.popitem(last=False)
                held["bytes"] -= len(body)

    def locked(fn: Callable[..., Any]) -> Callable[..., Any]:
        """Each normalised question computed once and kept (within :data:`CACHE_BYTES`); a kept answer is served at
        once, while another question is being computed; computing takes the store, one request at a time."""

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            refresh()
            key = question(request.path, request.args)
            with cache_lock:
                answer = answers.get(key)
                if answer is not None:
                    answers.move_to_end(key)
            if answer is None:
                with lock:
                    with cache_lock:
                        answer = answers.get(key)  # asked meanwhile by another client
                    if answer is None:
                        resp = fn(*args, **kwargs)
                        answer = (resp.get_data(), resp.status_code, list(resp.headers.items()))
                        keep(key, answer)
            body, status, headers = answer
            return Response(body, status=status, headers=headers)  # a new response each time: nothing shared between threads

        return run

    def refresh() -> None:
        """Open the store again when another process has written to it (``watch``), dropping what was kept."""
        if watch is None or watch.version() == seen["version"]:
            return
        with lock:  # no page computes meanwhile
            now = watch.version()
            if now == seen["version"]:
                return
            try:
                fresh = watch.reopen()
            except CCBError as e:
                raise StoreChanging(f"the store is being written ({e}); try again in a moment") from None
            old, live.target, seen["version"] = live.target, cached(fresh), now
            with cache_lock:
                answers.clear()
                held["bytes"] = 0
            for memo in resets:
                memo.cache_clear()
            if not given(old):  # the caller's own store is the caller's to close
                old.close()

    store_given = live.target

    def given(s: Any) -> bool:
        """Whether ``s`` is the caller's store (behind any of the app's caches): a Neo4j watch hands it back again."""
        return getattr(s, "_store", s) is getattr(store_given, "_store", store_given)

    def close_current() -> None:
        """Close the snapshot the app opened itself, if any (the caller closes the store it gave)."""
        if not given(live.target):
            live.target.close()

    app.config["CCB_CLOSE"] = close_current

    @functools.lru_cache(maxsize=1)
    def names() -> terms.Terms:
        return terms.Terms.of(store)

    @functools.lru_cache(maxsize=1)
    def gaps_report() -> analysis.Gaps:
        return analysis.gaps(store)

    def page(
        title: str,
        sections: list[dict[str, Any]],
        *,
        intro: list[str] | None = None,
        figure: str | None = None,
        form: dict[str, Any] | None = None,
        sources: list[Row] | None = None,
        downloads: list[tuple[str, str]] | None = None,
        related: list[tuple[str, str]] | None = None,
        pager: list[tuple[str, str, bool]] | None = None,
    ) -> Response:
        """The page, or one of its tables as CSV or JSON (``?table=&format=``), or all of them as JSON under /api/."""
        fmt, which = request.args.get("format"), request.args.get("table")
        # an HTML page for format=xml looked like an answer in that format; /plan's yaml refusal is its form, saying why
        if fmt not in (None, "", "csv", "json") and not (fmt == "yaml" and request.path == "/plan"):
            abort(400, f"format {fmt!r}: a table downloads as format=csv or format=json")
        if request.path.startswith("/api/") or fmt == "json" and not which:
            return _json({"title": title, "intro": intro or [], **{s["id"]: s["rows"] for s in sections}})
        if fmt in ("csv", "json"):
            found = next((s for s in sections if s["id"] == which), None)
            if found is None:
                tables = ", ".join(s["id"] for s in sections)
                if not which:
                    abort(400, f"format={fmt} downloads one table: add table=NAME, one of {tables}")
                abort(404, f"no table {which!r} on this page; tables: {tables}")
            return _json(found["rows"]) if fmt == "json" else _csv(found["rows"], f"{found['id']}.csv")
        if sources and len(sources) > SHOW_ROWS:
            sources = [
                *sources[:SHOW_ROWS],
                {"what": f"and {len(sources) - SHOW_ROWS:,} more", "url": "each programme's own page names its sources"},
            ]
        shown = []
        for s in sections:  # a page shows a table's first rows; its downloads carry them all
            if len(s["rows"]) > SHOW_ROWS:
                more = f"{len(s['rows']):,} rows, the first {SHOW_ROWS} shown: download the table for all of them."
                s = s | {"rows": s["rows"][:SHOW_ROWS], "notes": [more, *s["notes"]]}
            shown.append(s)
        html = env.get_template("app_page.html.j2").render(
            title=title,
            sections=shown,
            intro=intro or [],
            figure=figure,
            form=form,
            sources=sources or [],
            downloads=downloads or [],
            related=related or [],
            pager=pager or [],
            q=request.args.get("q"),
        )
        return Response(html, mimetype="text/html")

    @app.after_request
    def headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        return resp

    @app.errorhandler(CCBError)
    def known(e: CCBError) -> Response:
        return _error(404, _on_a_page(e))

    @app.errorhandler(StoreChanging)
    def changing(e: StoreChanging) -> Response:
        return _error(503, str(e))

    @app.errorhandler(404)
    def missing(e: Any) -> Response:
        message = getattr(e, "description", "not found")
        if message == NotFound.description:  # no page at this address, not a page's own answer
            near = _nearest_page(request.path, [r.rule for r in app.url_map.iter_rules() if r.endpoint != "static"])
            message = f"no page at {request.path}" + (f": did you mean {near}?" if near else "; the pages are listed at /api")
        return _error(404, message)

    @app.errorhandler(400)
    def bad(e: Any) -> Response:
        return _error(400, getattr(e, "description", "bad request"))

    def _error(status: int, message: str) -> Response:
        if request.path.startswith("/api/") or request.args.get("format") in ("csv", "json"):
            return Response(json.dumps({"error": message}), status=status, mimetype="application/json")
        html = env.get_template("app_page.html.j2").render(
            title={404: "Not found", 503: "Try again in a moment"}.get(status, "Bad request"),
            sections=[],
            intro=[message],
            figure=None,
            form=None,
            sources=[],
            downloads=[],
            related=[],
            pager=[],
            q=request.args.get("q"),
        )
        return Response(html, status=status, mimetype="text/html")

    @app.get("/")
    @app.get("/api/home")
    @locked
    def home() -> Response:
        report = gaps_report()
        ranked = [{k: r[k] for k in GAP_COLUMNS} for r in report.rows if r["priority"] is not None]
        data = maps.from_gaps(
            report.rows,
            "priority",
            source=f"Source: CCB Graph gaps analysis; need: {analysis.need.describe(report.weights)}",
            not_ranked=report.not_ranked,
        )
        svg = maps.svg(data)
        counts = store.counts()
        intro = [
            f"{counts.get('Programme', 0)} programmes, {counts.get('Organisation', 0)} organisations and "
            f"{counts.get('Country', 0)} countries and territories. Priority = need / (1 + programmes that name the country)."
        ]
        return page(
            "Where support is missing",
            [_section("top_gaps", "Top 20 by priority", ranked[:20], "No ranked country.", notes=report.notes(cli=False))],
            intro=intro,
            figure=svg[svg.index("<svg") :],
        )

    def _subregion(iso3: str) -> str:
        return next((c["subregion"] or "" for c in catalogue.countries(store) if c["iso3"] == iso3), "")

    def list_page(kind: str, title: str, intro: str) -> Response:
        """A list to browse (``kind``: programmes, organisations, countries) with its facets, as every list is."""
        a = request.args
        facets = catalogue.FACETS[kind]
        sorts = catalogue.SORTS[kind]
        if a.get("sort") and a["sort"] not in sorts:
            abort(400, f"cannot sort {kind} by {a['sort']!r}: sort by {', '.join(sorts)}")
        sort = a.get("sort") or "name"
        desc = a.get("desc") == "1"
        text = (a.get("q") or "").strip()
        # a value no row could hold is said, not answered with an empty list: a download refuses it; a page shows the
        # list with the rest of the choice, and its facets to choose again from
        found = lists.listing(
            store,
            kind,
            {f.name: [v for v in a.getlist(f.name) if v] for f in facets},
            text=text,
            window=_window(a, "'active from'"),
            sort=sort,
            desc=desc,
            page=_int(a.get("page"), "a page number") or 1,
            lenient=True,
        )
        b, chosen, said, dropped = found.browse, found.chosen, found.refused, found.notes
        if said and (request.path.startswith("/api/") or a.get("format") in ("csv", "json")):
            abort(400, _on_a_page(said[0]))
        refused = "; ".join(_on_a_page(e) for e in said)
        columns = catalogue.COLUMNS[kind]
        fmt = "json" if request.path.startswith("/api/") else a.get("format")
        if fmt in ("csv", "json"):  # the whole filtered list, raw values, each row with its page (as the commands give it)
            every = found.records(kind)
            return _json(every) if fmt == "json" else _csv(every, f"{kind}.csv")
        # the question as the facets hold it (theme=cybercrime is theme=C), so a chosen value's link clears it
        facet_params = {f.name for f in facets}
        base = [
            (k, v) for k, v in a.items(multi=True) if k in PARAMS and k not in ("page", "format", "table", *facet_params) and v
        ] + [(name, v) for name, values in chosen.items() for v in values]

        def href(pairs: list[tuple[str, str]]) -> str:
            return f"/{kind}" + ("?" + urlencode(pairs) if pairs else "")

        for f in b.facets:
            for v in f["values"]:
                pairs = [p for p in base if p != (f["name"], v["value"])] if v["chosen"] else [*base, (f["name"], v["value"])]
                v["href"] = href(pairs)
        pager = []
        if b.pages > 1:
            for n in sorted({1, b.page - 2, b.page - 1, b.page, b.page + 1, b.page + 2, b.pages} & set(range(1, b.pages + 1))):
                if pager and n - int(str(pager[-1][0]).split()[-1]) > 1:
                    pager.append(("…", None, False))
                pager.append((f"page {n}" if n == 1 or n == b.pages else str(n), href([*base, ("page", str(n))]), n == b.page))
            if b.page < b.pages:
                pager.append(("next →", href([*base, ("page", str(b.page + 1))]), False))
        shown = [{c: r.get(c) for c in columns if c not in ("regions", "budget_currency")} for r in b.rows]
        if kind == "programmes":
            for r, full in zip(shown, b.rows, strict=True):
                r["countries"] = len(full["countries"])
                r["budget"] = f"{full['budget_currency']} {full['budget']:,.0f}" if full["budget"] is not None else None
        first = (b.page - 1) * catalogue.PER_PAGE + 1
        summary = (
            f"{b.total:,} {kind} match; {first:,}-{first + len(b.rows) - 1:,} shown, page {b.page} of {b.pages}"
            if b.rows
            else f"No {catalogue.ONE_OF[kind]} matches these filters."
        )
        sort_choices = [(s, s.replace("_", " ")) for s in sorts]
        form = {
            "action": f"/{kind}",
            "hidden": [(f.name, chosen[f.name]) for f in facets],
            "fields": [
                {"name": "q", "label": "words", "value": text, "size": 16, "placeholder": "cybercrime, Kenya"},
                *(
                    [
                        {"name": "from", "label": "active from", "value": a.get("from")},
                        {"name": "to", "label": "to", "value": a.get("to")},
                    ]
                    if kind == "programmes"
                    else []
                ),
                {"name": "sort", "label": "sort by", "value": sort, "choices": sort_choices},
                {
                    "name": "desc",
                    "label": "order",
                    "value": "1" if desc else "0",
                    "choices": [("0", "ascending"), ("1", "descending")],
                },
            ],
        }
        section = _section(
            kind, title, shown, f"No {catalogue.ONE_OF[kind]} matches these filters.", notes=[facts.completeness(store)]
        )
        section["download"] = "?" + urlencode(base) + ("&" if base else "")
        html = env.get_template("app_list.html.j2").render(
            title=title,
            intro=([f"Not applied: {refused}; choose a value from the facets.", intro] if refused else [intro]) + dropped,
            facets=b.facets,
            facet_limit=12,
            cleared=f"/{kind}" if base else None,
            form=form,
            summary=summary,
            section=section,
            pager=pager,
            q=None,
        )
        return Response(html, status=400 if refused else 200, mimetype="text/html")

    @app.get("/programmes")
    @app.get("/api/programmes")
    @locked
    def programme_list() -> Response:
        return list_page(
            "programmes",
            "Programmes",
            "Every programme in the graph. Choose values among the facets (a value's count is what choosing it would give); "
            "status is from each programme's dates, today; scope says whether it names countries or works across a "
            "region or the world. An umbrella and each of its components are listed as records, so a count here can "
            "exceed the analyses' (gaps, breakdown, the network overview), which count a family once.",
        )

    @app.get("/organisations")
    @app.get("/api/organisations")
    @locked
    def organisation_list() -> Response:
        return list_page(
            "organisations",
            "Organisations",
            "Funders, implementers and the bodies they belong to. An agency's donor is the state or bloc it is part of.",
        )

    @app.get("/countries")
    @app.get("/api/countries")
    @locked
    def country_list() -> Response:
        return list_page(
            "countries",
            "Countries and territories",
            "Programmes count those that name a country; regional those whose stated scope reaches it. Donors, territories "
            "and restricted states are not ranked.",
        )

    @app.get("/search")
    @app.get("/api/search")
    @locked
    def search() -> Response:
        q = (request.args.get("q") or "").strip()
        found = fulltext.search(store, q)

        def more(kind: str, plural: str) -> list[str]:
            extra = found.totals[kind] - len(found.rows[kind])
            link = f"/{plural}?" + urlencode({"q": q})
            return [f"{extra} more: see them all in the list, {link}"] if extra > 0 else []

        return page(
            f"Search: {q}" if q else "Search",
            [
                _section(
                    "countries", "Countries", found.rows["country"], "No country matches.", notes=more("country", "countries")
                ),
                _section(
                    "programmes",
                    "Programmes",
                    found.rows["programme"],
                    "No programme matches.",
                    notes=more("programme", "programmes"),
                ),
                _section(
                    "organisations",
                    "Organisations",
                    found.rows["organisation"],
                    "No organisation matches.",
                    notes=more("organisation", "organisations"),
                ),
            ],
            intro=[
                f"{found.totals['country']} countries, {found.totals['programme']} programmes and "
                f"{found.totals['organisation']} organisations match. Names, aliases, descriptions, themes, countries "
                "reached, donors and implementers are searched, and ranked: first what the words name (a theme, a "
                "country, an organisation), then names, then anywhere; «» mark the match.",
                *fulltext.dropped_note(found.dropped),
            ]
            if q
            else ["Type words above: a theme, a country, a donor, a programme's name or words from its description."],
        )

    def profile_sections(key: str, name: str) -> tuple[list[dict[str, Any]], list[str]]:
        """The sections of ``ccb profile`` for a country or an organisation, each table downloadable, and the lines
        that open it (:func:`queries.profile.in_short`)."""

        def empty(title: str) -> str:  # why, as the command says it ("no funded programme targets Eritrea")
            why = profile.empty_because(store, key, title, name)
            return why[:1].upper() + why[1:] + "."

        # why a section is empty is worked out only where it is (a gaps model for a country's Gap section)
        raw = profile.profile(store, key)
        sections = [_section(_id(title), title, rows, "" if rows else empty(title)) for title, rows in raw]
        for s in sections:  # an index's source is the same on each of its rows: named once, under Sources
            if s["id"] == "need_indicators" and s["rows"]:
                s["columns"] = [c for c in s["rows"][0] if c != "source"]
                s["notes"].append("Each index's source is under Sources; the downloads give it on every row.")
            if s["id"] == "gap" and s["rows"]:  # its priority alone does not say whether that is high
                s["notes"].append(profile.standing(store, key) + ".")
        return sections, profile.in_short(store, raw)

    @app.get("/country/<code>")
    @app.get("/api/country/<code>")
    @locked
    def country(code: str) -> Response:
        iso3 = names().country(code)
        sections, lead = profile_sections(iso3, names().country_names[iso3])
        themes = analysis.theme_gaps(store, min_need=0, all_countries=True, country=iso3)
        sections.append(
            _section("theme_gaps", "Gaps by GFCE theme", themes, "No need value for the themes (no GCI pillar scores).")
        )
        helpers = profile.match(store, iso3)
        sections.append(
            _section(
                "matches",
                "Who could help, theme by theme",
                helpers,
                "Every GFCE theme has a programme here.",
                notes=profile.unranked_note(store, iso3, helpers),
            )
        )
        t = timeline.coverage(store, by="country", only=iso3)
        heat = _svg(charts.heatmap(t, top=1)) if any(r["active"] or r["end_unknown"] for r in t.rows) else None
        sections.append(
            _section(
                "timeline", "Coverage over time", t.rows, "No dated programme names this country.", notes=t.notes(), figure=heat
            )
        )
        listed = catalogue.country_programmes(store, iso3)
        counted = sum(r["counted_as"] == "programmes" for r in listed)
        sections.insert(
            min(3, len(sections)),
            _section(
                "programmes",
                "Every programme that reaches it",
                listed,
                "No programme names or reaches it in the graph.",
                notes=[
                    f"{counted} counted in its gaps row as programmes (a family once), "
                    f"{sum('regional' in r['counted_as'] for r in listed)} as regional (a stated region or bloc reaches "
                    "it; a programme can be both); participants and hosts are not support."
                ],
            ),
        )
        progs = {r["programme"] for r in listed}
        # a programme names it (a regional one reaches it with no link to draw): Eritrea's link led nowhere
        linked = any({a.strip() for a in r["counted_as"].split(";")} - {"regional"} for r in listed)
        return page(
            names().country_names[iso3],
            sections,
            intro=lead,
            sources=sources_of(store, progs, {iso3}),
            related=[
                # only where there is something to draw: Eritrea's link led to a page with no Eritrea on it
                *([("Network around it", "/network?" + urlencode({"around": iso3, "depth": 2}))] if linked else []),
                # the programmes naming it, to filter by theme, donor, status (only where a programme names it)
                *([("Its programmes, to filter", "/programmes?" + urlencode({"country": iso3}))] if linked else []),
                ("Its gaps by theme", "#theme_gaps"),
                ("Other countries of its sub-region", "/countries?" + urlencode({"subregion": _subregion(iso3)})),
            ],
        )

    @app.get("/organisation/<oid>")
    @app.get("/api/organisation/<oid>")
    @locked
    def organisation(oid: str) -> Response:
        key = names().organisation(oid)
        sections, lead = profile_sections(key, names().org_names[key])
        funded = analysis.supports(store, funder=key, by="country", agencies=True)
        sections.append(
            _section("funds_in", "Countries its funding reaches", funded, "It funds no programme that names a country.")
        )
        progs = {r["programme"] for s in sections if s["id"] == "programmes" for r in s["rows"]}
        sections.insert(
            2,
            _section(
                "by_year",
                "What it funds and implements, by start year and theme",
                catalogue.organisation_activity(store, key),
                "It funds and implements no programme in the graph.",
            ),
        )
        sections.insert(
            1,
            _section(
                "family",
                "Part of, and its parts",
                store.query(named.ONE_ORGANISATION_FAMILY, {"id": key}),
                "It is part of no other organisation here, and none is part of it.",
            ),
        )
        org = next(r for r in store.query(named.ORGANISATIONS) if r["id"] == key)
        sources = [{"what": "organisation", "url": org["source"]}] if org.get("source") else []
        donor = facts.family(key, facts.donors(store))
        return page(
            names().org_names[key],
            sections,
            intro=lead,
            sources=sources + sources_of(store, progs, set(), indices=False),  # it shows no need or priority
            related=[
                ("Network around it", "/network?" + urlencode({"around": key, "depth": 1})),
                ("Programmes its donor funds", "/programmes?" + urlencode({"donor": donor})),
                ("Programmes it implements", "/programmes?" + urlencode({"implementer": key})),
            ],
        )

    @app.get("/programme/<pid>")
    @app.get("/api/programme/<pid>")
    @locked
    def programme(pid: str) -> Response:
        p = next((r for r in catalogue.programmes(store) if r["programme"] == pid), None)
        if p is None:
            abort(404, f"no programme {pid!r} in the graph; search for it by name at /search")
        sections = catalogue.programme_page(store, pid)
        empty = {
            "funders": "No funder stated on the pages read.",
            "implementers": "No implementer stated.",
            "countries": f"It names no country: {profile.scope_said(p, names().org_names)}.",
            "family": "It is neither an umbrella nor a component of one.",
            "years": "No start date stated.",
        }
        notes = {
            "about": [
                f"Status from its dates on {date.today().isoformat()}, unknown where it has no end date and its "
                f"source is {facts.STALE_YEARS} years old or more; stated_status is what its source said, on its as_of day."
            ],
            "funders": ["Amounts are as stated on each link's page; an umbrella's money is never added to its components'."],
        }
        sources = [{"what": "programme", "url": p["source"]}] if p["source"] else []
        seen = {p["source"]}
        for sid, _, rows in sections:
            for r in rows:
                if r.get("source") and r["source"] not in seen:
                    seen.add(r["source"])
                    sources.append(
                        {
                            "what": {"funders": "funding", "implementers": "implementer", "countries": "countries"}.get(sid, sid),
                            "url": r["source"],
                        }
                    )
        return page(
            p["name"],
            [_section(sid, title, rows, empty.get(sid, ""), notes=notes.get(sid)) for sid, title, rows in sections],
            intro=[p["description"] or "No description stated."],
            sources=sources,
            related=[("Network around it", "/network?" + urlencode({"around": pid, "depth": 2}))]
            + ([("Its umbrella", f"/programme/{p['umbrella']}")] if p["umbrella"] else []),
        )

    @app.get("/gaps")
    @app.get("/api/gaps")
    @locked
    def gaps() -> Response:
        a = request.args
        window = _window(a, "'from'")
        incomes = sorted({r["income_group"] for r in gaps_report().rows if r["income_group"]})
        region, theme, income = a.get("region") or None, a.get("theme") or None, a.get("income") or None
        form = {
            "action": "/gaps",
            "fields": [
                {"name": "region", "label": "region", "value": region, "choices": sorted(M49_AREAS)},
                {"name": "theme", "label": "theme", "value": theme, "choices": [(k, f"{k} {v}") for k, v in THEMES.items()]},
                {"name": "income", "label": "income group", "value": income, "choices": incomes},
                {"name": "donor", "label": "donor", "value": a.get("donor"), "size": 14, "placeholder": "UK, EU, Japan"},
                {
                    "name": "absent",
                    "label": "donor absent",
                    "value": a.get("absent"),
                    "choices": [("1", "only where it has none")],
                },
                {"name": "from", "label": "from", "value": a.get("from")},
                {"name": "to", "label": "to", "value": a.get("to")},
                *(
                    {
                        "name": f"w_{k}",
                        "label": f"weight: {k.replace('_', ' ')}",
                        "value": a.get(f"w_{k}"),
                        "placeholder": str(v),
                        "size": 5,
                    }
                    for k, v in DEFAULT_WEIGHTS.items()
                ),
            ],
        }
        given = [f"{k}={a[f'w_{k}']}" for k in DEFAULT_WEIGHTS if a.get(f"w_{k}")]
        try:
            region, theme = terms.region(region), terms.theme(theme)
            income = _one_of(income, incomes, "no ranked state has income group {!r}")
            weights = analysis.need.parse_weights(given)
            donor = names().organisation(a["donor"]) if a.get("donor") else None
            sort = _one_of(a.get("sort"), [*GAP_COLUMNS, *(["donor_programmes"] if donor else [])], "no column {!r} to sort by")
        except CCBError as e:  # the form again, saying what to change in it (not the command line's hint)
            why = _on_a_page(e) if isinstance(e, terms.UnknownName) else e.args[0].replace("expected ", "each weight is a ")
            refused = page("Coverage gaps", [], form=form, intro=[f"Not shown: {why}; change it in the form."])
            refused.status_code = 400
            return refused
        for f in form["fields"]:  # the form shows what was asked as the analysis read it (theme=cybercrime is C)
            f["value"] = {"region": region, "theme": theme, "income": income}.get(f["name"], f["value"])
        report = analysis.gaps(store, region=region, theme=theme, window=window, weights=weights)
        rows = [
            {k: r[k] for k in (*GAP_COLUMNS, "explanation")} for r in report.rows if not income or r["income_group"] == income
        ]
        if donor:  # how many of the donor's programmes (on the theme, in the years) name each country
            up = facts.donors(store)
            family = facts.family(donor, up)
            theirs: dict[str, int] = {}
            for p in catalogue.programmes(store):
                if (
                    family in p["donors"]
                    and (not theme or theme in p["themes"])
                    and window.overlaps(p["start_date"], p["end_date"])
                ):
                    for c in p["countries"]:
                        theirs[c] = theirs.get(c, 0) + 1
            rows = [r | {"donor_programmes": theirs.get(r["iso3"], 0)} for r in rows]
            if a.get("absent") == "1":
                rows = [r for r in rows if r["donor_programmes"] == 0]
        sort, desc = sort or "priority", a.get("desc", "1" if not a.get("sort") else "0") == "1"
        if rows:
            known = [r for r in rows if r[sort] is not None]
            rows = sorted(known, key=lambda r: (r[sort], r["iso3"]), reverse=desc) + [r for r in rows if r[sort] is None]
        keep = [
            (k, v) for k, v in a.items(multi=True) if k in PARAMS and k not in ("sort", "desc", "table", "format", "page") and v
        ]

        def sort_link(col: str) -> str:
            flip = "0" if col == sort and desc else "1"
            return "?" + urlencode([*keep, ("sort", col), ("desc", flip)])

        every = rows
        per = catalogue.PER_PAGE
        pages = max(1, -(-len(rows) // per))
        at = min(max(1, _int(a.get("page"), "a page number") or 1), pages)
        if not (request.path.startswith("/api/") or a.get("format")):
            rows = rows[(at - 1) * per : at * per]
        order = [("sort", sort), ("desc", "1" if desc else "0")] if a.get("sort") else []
        pager = (
            [(str(n), "?" + urlencode([*keep, *order, ("page", str(n))]), n == at) for n in range(1, pages + 1)]
            if pages > 1
            else []
        )
        intro = [
            "Priority = need / (1 + programmes). Need: " + analysis.need.describe(report.weights) + ". Set the weights in "
            "the form (need is their weighted mean, so only their ratios matter) and click a column to sort by it.",
        ]
        if donor:
            intro.append(
                f"donor_programmes: programmes that {names().org_names.get(donor, donor)} (with its agencies) funds and "
                "that name the country, on the theme and in the years chosen."
            )
        return page(
            "Coverage gaps",
            [
                _section(
                    "gaps",
                    f"Recipient states by priority ({len(every)})",
                    rows,
                    "No ranked recipient state for these filters.",
                    notes=list(dict.fromkeys([*report.notes(cli=False), facts.completeness(store)])),
                    sort=sort_link,
                )
            ],
            form=form,
            intro=intro,
            pager=pager,
        )

    @app.get("/network")
    @locked
    def network_page() -> Response:
        """The overview (donors to areas, a static figure that draws no label on another), or with ``around`` the
        interactive view of one country, organisation or programme at depth 1 or 2, or ``view=whole`` everything."""
        a = request.args
        around = a.get("around") or None
        if not around and a.get("view") != "whole":
            return network_overview()
        g = _graph()
        depth = max(1, min(3, _int(a.get("depth"), "a depth") or 1))
        if around:
            g = network_viz.ego(g, around, depth, names())
        g, note = network_viz.fold_programmes(g, network_viz.MAX_NODES)
        focus = network_viz.find_node(g, around) if around else None
        nav = [("Home", "/"), ("Overview", "/network")]
        if around:
            kind, key = ("programme", around) if around in catalogue.by_id(store) else names().actor(around)
            nav.append((f"{around}'s page", f"/{kind}/{key}"))
            nav += [(f"depth {d}", "/network?" + urlencode({"around": around, "depth": d})) for d in (1, 2) if d != depth]
        html = network_viz.page(g, note=note, focus=focus, nav=nav)
        resp = Response(html, mimetype="text/html")
        # its two scripts, by hash; and no other site frames it (a header only: browsers ignore frame-ancestors in a meta tag)
        resp.headers["Content-Security-Policy"] = network_viz.policy(html) + "; frame-ancestors 'none'"
        return resp

    def network_overview() -> Response:
        a = request.args
        try:  # a filter no programme could match is a bad request, said in the page's words
            region, theme = terms.region(a.get("region") or None), terms.theme(a.get("theme") or None)
            donor = names().organisation(a["donor"]) if a.get("donor") else None
        except terms.UnknownName as e:
            abort(400, _on_a_page(e))
        if donor:
            donor = facts.family(donor, facts.donors(store))
        flows = catalogue.donor_flows(store, theme=theme, region=region, donor=donor)
        keep = [(k, v) for k, v in a.items(multi=True) if k in ("theme", "donor") and v]

        def area_href(area: str) -> str:
            if area in M49_AREAS:
                return "/network?" + urlencode([*keep, ("region", area)])
            if len(area) == 3 and area.isupper():
                return f"/country/{area}"
            if area == catalogue.GLOBAL:
                return "/programmes?scope=global"
            return "/programmes?" + urlencode(
                {"scope": "regional", "region" if region in M49_REGIONS else "subregion": region or ""}
            )

        svg = network_viz.overview_svg(
            flows,
            left_href=lambda d: "/network?" + urlencode({"around": d, "depth": 1}) if d != catalogue.NO_DONOR else None,
            right_href=area_href,
            title=f"Programmes by donor and {'sub-region' if region in M49_REGIONS else 'country' if region else 'region'} reached",
        )
        form = {
            "action": "/network",
            "fields": [
                {"name": "theme", "label": "theme", "value": theme, "choices": [(k, f"{k} {v}") for k, v in THEMES.items()]},
                {"name": "region", "label": "region", "value": region, "choices": sorted(M49_AREAS)},
                {"name": "donor", "label": "donor", "value": a.get("donor"), "size": 14, "placeholder": "UK, EU, Japan"},
            ],
        }
        return page(
            "Network: who funds where",
            [
                _section(
                    "flows",
                    "Programmes by donor and area",
                    flows,
                    "No programme for these filters.",
                    notes=[
                        "A programme counts once per donor and area (agencies with their state); one reaching two areas "
                        "is drawn to both. (no funder stated) keeps the programmes whose funder no page states.",
                        facts.completeness(store),
                    ],
                )
            ],
            intro=[
                "Donors (left) and the regions their programmes reach (right), bands as wide as the programmes. Click a "
                "region to see its sub-regions, a sub-region for its countries, a donor for its own network."
            ],
            form=form,
            figure=svg,
            related=[("The whole network, interactive (dense)", "/network?view=whole")]
            + ([("Up to the whole world", "/network?" + urlencode(keep))] if region else []),
        )

    @functools.lru_cache(maxsize=1)
    def _graph() -> Any:
        return network_viz.graph_of(store)

    resets.extend([names, gaps_report, _graph])

    def warm(say: Callable[[str], None] = lambda line: None) -> None:
        """Compute what every page reads (the catalogue, the search index, the gaps, the names), saying each step:
        the first answer of any page after this is a page's own work, not the whole graph's."""
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("names", names),
            ("programmes", lambda: catalogue.programmes(store)),
            ("organisations", lambda: catalogue.organisations(store)),
            ("countries and gaps", lambda: (gaps_report(), catalogue.countries(store))),
            ("search index", lambda: fulltext.index(store)),
            ("network overview", lambda: catalogue.donor_flows(store)),
            (
                "facets",
                lambda: [catalogue.browse(rows(store), catalogue.FACETS[kind], {}) for kind, rows in catalogue.LISTS.items()],
            ),
        ]
        with lock:
            for i, (what, step) in enumerate(steps, 1):
                t0 = time.perf_counter()
                step()
                say(f"warming {i}/{len(steps)}: {what} ({time.perf_counter() - t0:.1f} s)")
        # The busiest country's and funder's pages: what they compute once for the whole graph (flows, timelines,
        # the collaboration graph and its ranking) every other country and organisation page reads.
        named = Counter(c for p in catalogue.programmes(store) for c in p["countries"])
        ranked = [c for c, _ in sorted(named.items(), key=lambda kv: (-kv[1], kv[0]))]
        funders = sorted(catalogue.organisations(store), key=lambda o: (-o["funds"], o["id"]))
        client = app.test_client()
        for path in [f"/country/{c}" for c in ranked[:1]] + [f"/organisation/{o['id']}" for o in funders[:1] if o["funds"]]:
            t0 = time.perf_counter()
            client.get(path, headers={"Host": "localhost"})
            say(f"warming: {path} ({time.perf_counter() - t0:.1f} s)")
        # What was built is kept for the store version: out of the collector's full passes, which at size L walked
        # millions of kept objects and added a second or two to whichever answer they fell in.
        gc.collect()
        gc.freeze()

    app.config["CCB_WARM"] = warm

    @app.get("/plan")
    @app.get("/api/plan")
    @locked
    def plan_page() -> Response:
        """A fund planned from the form's fields (a GET: the URL is the plan's permalink): the grants with their
        reasons, the change in priority with the maps before and after, and the plan as YAML for `--assume`."""
        a = request.args
        asked: str | None = None  # a theme or region the form cannot plan for, said on the form
        try:
            themes = [t for t in (terms.theme(x) for x in a.getlist("theme") if x) if t]
            region = terms.region(a.get("region") or None)
        except terms.UnknownName as e:
            themes, region, asked = [], None, _on_a_page(e)
        form = {
            "action": "/plan",
            "button": "Plan",
            "fields": [
                {"name": "budget", "label": "budget", "value": a.get("budget"), "size": 18, "placeholder": "GBP 2000000"},
                {"name": "donor", "label": "donor", "value": a.get("donor"), "size": 12, "placeholder": "UK"},
                {
                    "name": "theme",
                    "label": "themes",
                    "values": themes,
                    "choices": [(k, f"{k} {v}") for k, v in THEMES.items()],
                    "multiple": True,
                },
                {"name": "region", "label": "region", "value": region, "choices": sorted(M49_AREAS)},
                {"name": "grant", "label": "grant size", "value": a.get("grant"), "size": 10, "placeholder": "250000"},
            ],
        }
        intro = [
            "Give a budget (a currency code and an amount) to plan grants of one size where each does most: need / "
            "(1 + programmes) falls most, country by theme. The method is in docs/plan.md; this page's URL is the plan."
        ]
        if not a.get("budget") and not asked:
            return page("Plan a fund", [], form=form, intro=intro)
        try:
            if asked:
                raise terms.UnknownName(asked)
            grant = float(a["grant"]) if a.get("grant") else None
            p = plan_queries.plan(
                store, budget=a["budget"], donor=a.get("donor") or None, themes=themes or None, region=region, grant=grant
            )
        except (ValueError, CCBError) as e:  # the form again, saying what to change
            why = (
                f"grant size {a.get('grant')!r} is not a number"
                if isinstance(e, ValueError)
                else plan_queries.on_the_form(_on_a_page(e))
            )
            refused = page("Plan a fund", [], form=form, intro=[f"Not planned: {why}.", *intro])
            refused.status_code = 400
            return refused
        made = "ccb serve /plan?" + urlencode([(k, v) for k, v in a.items(multi=True) if k in PARAMS and k != "format"])
        records = plan_queries.scenario(p, made=made, today=date.today().isoformat())
        if a.get("format") == "yaml":
            return Response(
                scenario_yaml(records),
                mimetype="application/yaml",
                headers={"Content-Disposition": 'attachment; filename="plan.yaml"'},
            )
        before = gaps_report()
        after_store = memory_copy(store, plan_queries.scenario_batch(records))
        try:
            after = analysis.gaps(after_store)
        finally:
            after_store.close()
        old, new = {r["iso3"]: r for r in before.rows}, {r["iso3"]: r for r in after.rows}
        rank = {
            which: {r["iso3"]: i for i, r in enumerate((r for r in g.rows if r["priority"] is not None), 1)}
            for which, g in (("before", before), ("after", after))
        }
        planned = sorted({r["iso3"] for r in p.rows})
        change = [
            {
                "iso3": c,
                "country": old[c]["country"],
                "priority_before": old[c]["priority"],
                "priority_after": new[c]["priority"],
                "rank_before": rank["before"].get(c),
                "rank_after": rank["after"].get(c),
            }
            for c in planned
            if c in old and c in new
        ]
        weights = analysis.need.describe(before.weights)
        maps_html = "".join(
            f'<div class="map-half"><h3>{title}</h3>{maps.svg(maps.from_gaps(g.rows, "priority", source=src, not_ranked=g.not_ranked))}</div>'
            for title, g, src in (
                ("Before", before, f"Source: CCB Graph gaps analysis; need: {weights}"),
                ("After the plan", after, f"Source: CCB Graph gaps analysis with the planned grants; need: {weights}"),
            )
        )
        query = {k: v for k, v in a.items(multi=True) if k in PARAMS and k not in ("table", "format")}
        yaml_link = "?" + urlencode([*query.items(), ("format", "yaml")]) if query else "?format=yaml"
        rows = [{k: v for k, v in r.items()} for r in p.rows]
        return page(
            "Plan a fund",
            [
                _section(
                    "plan",
                    "The grants, with why, whom to ask and with whom to pool",
                    rows,
                    "No cell to allocate: the budget is below one grant, or the scope holds no ranked country.",
                    notes=[plan_queries.on_the_form(line) for line in p.summary()],
                ),
                _section(
                    "topups",
                    "Or top up a running programme already there (naming these countries, or by its stated regional scope)",
                    p.topups,
                    "No running programme names, or by its stated scope takes in, two or more of a theme's chosen countries on it.",
                ),
                _section(
                    "change",
                    "Priority before and after",
                    change,
                    "No planned country.",
                    figure=maps_html,
                    notes=["A scenario: the planned grants are not facts, and the store is unchanged."],
                ),
            ],
            form=form,
            intro=intro,
            downloads=[("YAML for --assume", yaml_link)],
        )

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return app.send_static_file("favicon.svg")

    @app.get("/api")
    def api() -> Response:
        return _json(
            {
                "pages": {
                    "/api/home": "the top 20 gaps and the weights",
                    "/api/search?q=TEXT": "countries, organisations and programmes matching TEXT (full text, ranked, "
                    "with the match in context)",
                    "/api/programmes?theme=&region=&subregion=&donor=&implementer=&status=&scope=&from=&to=&q=&sort=&desc=": (
                        "every programme matching the filters (a facet repeated: any of its values), raw values"
                    ),
                    "/api/organisations?kind=&role=&theme=&region=&q=": "every organisation matching the filters",
                    "/api/countries?region=&subregion=&income=&ranked=&q=": "every country and territory matching the filters",
                    "/api/country/ISO3": "a country's profile, supporters, gaps by theme, matches and timeline",
                    "/api/organisation/ID": "an organisation's profile, programmes, collaborators and reach",
                    "/api/programme/ID": "a programme: description, status, period, budget, funders with amounts, "
                    "implementers, countries by role, umbrella and components, years, each with its source",
                    "/api/gaps?region=&theme=&income=&donor=&absent=1&from=&to=&w_gci=&sort=&desc=": "the gaps table, "
                    "filtered, weighted and sorted (every row; the page shows 50 at a time)",
                    "/api/plan?budget=GBP+2000000&donor=&theme=&region=&grant=": "a fund planned: grants, reasons, "
                    "priority before and after (/plan?...&format=yaml: the plan for --assume)",
                    "any page?table=NAME&format=csv|json": "one table of any page",
                }
            }
        )

    return app


def _on_a_page(e: CCBError) -> str:
    """The error as a page words it: a hint that names a command (in backticks) gives way to the page that answers
    it; the rest of the hint is kept.

    >>> _on_a_page(terms.UnknownName("no organisation 'zz' in the graph", "see `ccb supports --by funder`"))
    "no organisation 'zz' in the graph (the organisations are listed at /organisations)"
    >>> _on_a_page(terms.UnknownName("no region 'zz'", "regions: Africa, Asia; sub-regions: `ccb gaps --by subregion` lists them"))
    "no region 'zz' (regions: Africa, Asia)"
    """
    hint = getattr(e, "hint", "")
    if "`" not in hint:
        return str(e)
    kept = "; ".join(part for part in hint.split("; ") if "`" not in part)
    if not kept:
        kept = "the organisations are listed at /organisations" if "organisation" in e.message else "search at /search"
    return f"{e.message} ({kept})"


def _one_of(text: str | None, values: list[str], refusal: str) -> str | None:
    """``text`` as one of ``values`` spells it, in any case; else an error, ``refusal`` with the text, naming them.

    >>> _one_of("low income", ["High income", "Low income"], "no ranked state has income group {!r}")
    'Low income'
    >>> _one_of("poor", ["High income", "Low income"], "no ranked state has income group {!r}")
    Traceback (most recent call last):
    ...
    queries.terms.UnknownName: no ranked state has income group 'poor' (give one of High income, Low income)
    """
    if text is None:
        return None
    found = next((v for v in values if v.casefold() == text.strip().casefold()), None)
    if found is None:
        raise terms.UnknownName(refusal.format(text), f"give one of {', '.join(values)}")
    return found


def _id(title: str) -> str:
    return "_".join(title.casefold().split())


def _int(text: str | None, what: str = "a year") -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        abort(400, f"{text!r} is not {what}")


def _window(args: Any, start: str) -> analysis.Window:
    """The years of a page's from and to fields (``start``: the first one's label); refused, in the form's words, as a
    bad request, where the command would name its --from and --to."""
    year_from, year_to = _int(args.get("from")), _int(args.get("to"))
    try:
        terms.years(year_from, year_to, names=(start, "'to'"))
    except CCBError as e:
        abort(400, str(e))
    return analysis.Window(year_from, year_to)


def _json(data: Any) -> Response:
    return Response(json_text(data, indent=1), mimetype="application/json")


def _csv(rows: list[Row], name: str) -> Response:
    buf = io.StringIO()
    write_csv(rows, buf, safe=csv_safe)  # raw values, as `--format csv`; formulas neutralised
    return Response(buf.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def make_server(
    store: Store,
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    allowed_hosts: frozenset[str] | set[str] = frozenset(),
    threads: int = 4,
    watch: Watch | None = None,
) -> Any:
    """The waitress server of the app, bound and not yet running: what :func:`serve` runs and the tests start.

    The app answers to the loopback names, the address it listens on and ``allowed_hosts``; idle connections are
    closed after :data:`IDLE_SECONDS`, and up to :data:`CONNECTIONS` are open at once. A port in use or an address
    that cannot be bound is one :class:`VizError`, not a traceback.
    """
    from waitress.server import create_server

    names = LOOPBACK | {host} | set(allowed_hosts)
    web = create_app(store, names, watch=watch)
    try:
        server = create_server(
            web,
            host=host,
            port=port,
            threads=threads,
            ident="ccb",
            channel_timeout=IDLE_SECONDS,
            connection_limit=CONNECTIONS,
        )
    except (OSError, ValueError) as e:  # EADDRINUSE, EADDRNOTAVAIL; waitress: "Invalid host/port specified."
        raise VizError(
            f"cannot listen on {host}:{port}: {getattr(e, 'strerror', None) or e}",
            "choose another --port (0: any free one) or --host",
        ) from None
    server.ccb_close = web.config["CCB_CLOSE"]  # the snapshots the app opened itself, closed when the server stops
    server.ccb_warm = web.config["CCB_WARM"]
    return server


@contextmanager
def serving(
    store: Store, host: str = "127.0.0.1", port: int = 0, *, threads: int = 4, watch: Watch | None = None, warm: bool = False
) -> Iterator[str]:
    """The app served from a background thread while the block runs (its address given), then stopped cleanly:
    for a notebook, a test or a benchmark beside the caller's own work; ``warm`` computes what every page reads first,
    as `ccb serve` does."""
    server = make_server(store, host, port, threads=threads, watch=watch)
    if warm:
        server.ccb_warm()
    closing = threading.Event()

    def run() -> None:
        try:
            server.run()
        except (OSError, ValueError):  # its sockets closed under its poll, from the caller's thread: the way it stops
            if not closing.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.effective_port}"
    finally:
        closing.set()
        server.close()
        thread.join(timeout=10)
        server.ccb_close()


def serve(
    store: Store,
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    ready: Callable[[str], None] | None = None,
    allowed_hosts: frozenset[str] | set[str] = frozenset(),
    watch: Watch | None = None,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Serve the app (:func:`make_server`) until interrupted; ``ready`` gets the address once it listens and has
    computed what every page reads (``progress`` gets a line per step of that)."""
    server = make_server(store, host, port, allowed_hosts=allowed_hosts, watch=watch)
    server.ccb_warm(progress or (lambda line: None))
    if ready:
        ready(f"http://{host}:{server.effective_port}/")
    try:
        server.run()
    finally:
        server.close()
        server.ccb_close()
