"""`ccb mcp`: the analyses as Model Context Protocol tools, for analysts who ask through an AI assistant.

An assistant given raw Cypher writes its own queries and loses every rule the
graph's answers keep (the need model, donors counted with their agencies, the
universe of recipient states, provenance). Here it gets the analyses instead:
each tool calls the same library function as the command of the same name,
so a tool's ``rows`` are the rows ``ccb <command> --format json`` prints, with
the footer lines (``notes``), the data-completeness line (``data``) and the
page behind every programme the rows name (``sources``). Names are resolved as
the CLI resolves them; an unknown one is a one-line error naming the closest
real ones. Nothing here writes: the store is opened read-only and ``query``
refuses a write.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

from graph.errors import CCBError, ReadOnlyViolation
from graph.store import Store, cached
from queries import analysis, facts, fulltext, lists, network, terms
from queries import need as need_model
from queries import plan as plan_queries
from queries import profile as profile_queries
from queries import progress as progress_queries
from queries import timeline as timeline_queries
from visualisations.terminal import json_text

MAX_ROWS = 200  # a tool answer longer than this is cut, with a note saying how to narrow the question
QUERY_READ = 10_000  # the query tool reads no more: one client's cartesian product must not fill the server's memory
DOCS = Path(__file__).resolve().parent.parent / "docs"
READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False)
Result = dict[str, Any]


def _plain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows as `ccb ... --format json` prints them (dates and other values as text)."""
    return json.loads(json_text(rows, indent=None))  # type: ignore[no-any-return]


def _programmes_in(rows: list[dict[str, Any]]) -> set[str]:
    out: set[str] = set()
    for r in rows:
        for key in ("programme", "programme_ids", "programmes"):
            v = r.get(key)
            if isinstance(v, str):
                out.add(v)
            elif isinstance(v, list):
                out |= {p for p in v if isinstance(p, str)}
    return out


def answer(store: Store, rows: list[dict[str, Any]], notes: list[str] | None = None, *, limit: int = MAX_ROWS) -> Result:
    """One tool answer: the rows (at most ``limit``), footer notes, the completeness line and each named programme's page."""
    shown = _plain(rows[:limit])
    notes = list(notes or [])
    if len(rows) > limit:
        notes.append(f"{len(rows)} rows, the first {limit} shown: narrow the question (a region, a theme, years) or lower limit")
    # rows give GFCE themes as letters ("A; B; D"): what they stand for, as a table's legend says it
    legend = terms.rows_legend(shown)
    if legend and legend not in notes:
        notes.append(legend)
    pages = facts.programme_sources(store)
    return {
        "rows": shown,
        "notes": notes,
        "data": facts.completeness(store),
        "sources": {p: pages[p] for p in sorted(_programmes_in(shown)) if p in pages},
    }


def _window(year_from: int | None, year_to: int | None) -> analysis.Window:
    terms.years(year_from, year_to, names=("year_from", "year_to"))  # one line in the tool's own parameter names
    return analysis.Window(year_from, year_to)


def server(store: Store) -> MCPServer:
    """The MCP server over ``store`` (opened read-only by the caller, who closes it)."""
    store = cached(store)
    lock = threading.Lock()  # one question at a time: the embedded engine's connection is not shared between threads
    mcp = MCPServer(
        "ccb-graph",
        instructions=(
            "CCB Graph: who funds and implements cyber capacity building where, and where the gaps are. Use the tools "
            "(they apply the graph's need model, count agencies with their state, and cite a page for every programme) "
            "rather than `query`. The data is a sample of the field: read each answer's `data` line."
        ),
    )

    def tool(fn: Callable[..., Result]) -> Callable[..., Result]:
        @functools.wraps(fn)  # the name, the docstring and the typed parameters make the tool's schema
        def run(*args: Any, **kwargs: Any) -> Result:
            try:
                with lock:
                    return fn(*args, **kwargs)
            except ReadOnlyViolation:
                raise ToolError("this query writes to the graph; nothing was changed (this server only reads)") from None
            except CCBError as e:  # an unknown name, a bad weight, a year out of range: one line, never a traceback
                raise ToolError(str(e)) from None

        mcp.add_tool(run, annotations=READ_ONLY, structured_output=True)
        return fn

    @tool
    def search(text: str) -> Result:
        """Countries, organisations and programmes matching TEXT in full text (names, aliases, descriptions, themes,
        countries reached, donors), ranked as the app's search ranks them: what the words name first (a theme, a
        country, a donor), then names, then anywhere; each row with its match in context."""
        found = fulltext.search(store, text)
        rows = [
            {"kind": kind, **{("org_kind" if k == "kind" else k): v for k, v in r.items()}}  # an organisation's own kind kept
            for kind in ("country", "organisation", "programme")
            for r in found.rows[kind]
        ]
        more = [
            f"{kind}: {found.totals[kind] - len(found.rows[kind])} more"
            for kind in found.rows
            if found.totals[kind] > len(found.rows[kind])
        ]
        notes = [f"more matches than shown ({', '.join(more)}): use more words"] if more else []
        return answer(store, rows, notes + fulltext.dropped_note(found.dropped))

    @tool
    def profile(name: str) -> Result:
        """One country (ISO code or name), organisation (id, name or alias) or programme (id or name): its sections,
        as `ccb profile NAME`."""
        sections = profile_queries.profile(store, name)
        rows = [{"section": title, **r} for title, rs in sections for r in rs]
        # what the CLI's page opens with: a country's rank and who funds it, an organisation's reach
        return answer(store, rows, profile_queries.in_short(store, sections))

    @tool
    def supports(
        country: str | None = None,
        funder: str | None = None,
        region: str | None = None,
        theme: str | None = None,
        by: Literal["pair", "country", "funder"] = "pair",
        agencies: bool = False,
        year_from: int | None = None,
        year_to: int | None = None,
        limit: int = 50,
    ) -> Result:
        """Who supports whom: donor -> programme -> country, as `ccb supports` (agencies counted with their state)."""
        rows = analysis.supports(
            store,
            country=country,
            funder=funder,
            theme=terms.theme(theme),
            window=_window(year_from, year_to),
            by=by,
            agencies=agencies,
            region=terms.region(region),
        )
        return answer(store, rows, limit=min(limit, MAX_ROWS))

    @tool
    def programmes(
        theme: list[str] | None = None,
        region: list[str] | None = None,
        country: list[str] | None = None,
        donor: list[str] | None = None,
        implementer: list[str] | None = None,
        status: list[str] | None = None,
        scope: list[str] | None = None,
        text: str | None = None,
        year_from: int | None = None,
        year_to: int | None = None,
        sort: Literal["name", "start_date", "end_date", "countries", "budget"] = "name",
        desc: bool = False,
        limit: int = 50,
    ) -> Result:
        """The programmes themselves, each with its page, as `ccb programmes` lists them: any of a facet's values, every
        facet (country: named as a beneficiary; region: reached by its countries or its stated scope; donor: an
        agency counted with its state; status from the dates, today), TEXT searched in full text."""
        given = {"theme": theme, "region": region, "country": country, "donor": donor}
        given |= {"implementer": implementer, "status": status, "scope": scope}
        return _listed("programmes", given, text, _window(year_from, year_to), sort, desc, limit)

    @tool
    def organisations(
        kind: list[str] | None = None,
        role: list[str] | None = None,
        theme: list[str] | None = None,
        region: list[str] | None = None,
        country: list[str] | None = None,
        text: str | None = None,
        sort: Literal["name", "funds", "implements"] = "name",
        desc: bool = False,
        limit: int = 50,
    ) -> Result:
        """The organisations, as `ccb organisations` lists them (country: where based, the local partners a donor
        looks for; region: where their programmes reach; role: funder or implementer)."""
        given = {"kind": kind, "role": role, "theme": theme, "region": region, "country": country}
        return _listed("organisations", given, text, None, sort, desc, limit)

    def _listed(what: str, given: dict[str, Any], text: str | None, window: Any, sort: str, desc: bool, limit: int) -> Result:
        found = lists.listing(
            store, what, {k: v or [] for k, v in given.items()}, text=text or "", window=window, sort=sort, desc=desc
        )
        return answer(store, found.records(what), found.notes, limit=min(limit, MAX_ROWS))

    @tool
    def gaps(
        region: str | None = None,
        country: str | None = None,
        theme: str | None = None,
        by: Literal["country", "region", "subregion"] = "country",
        weights: dict[str, float] | None = None,
        all_countries: bool = False,
        gci_edition: Literal["2020"] | None = None,
        year_from: int | None = None,
        year_to: int | None = None,
        limit: int = 20,
    ) -> Result:
        """Coverage gaps: need against support, each score explained, as `ccb gaps` (weights: name -> value;
        gci_edition "2020": need from GCI 2020 alone, a historical view; country: its row alone, and where it ranks)."""
        window = _window(year_from, year_to)
        iso3 = terms.Terms.of(store).country(country) if country is not None else None
        if iso3 and by != "country":
            raise ToolError(f"country goes with by='country' (a {by} has no one country's row)")
        theme, region = terms.theme(theme), terms.region(region)
        w = need_model.parse_weights(tuple(f"{k}={v}" for k, v in (weights or {}).items()))
        report = analysis.gaps(
            store, region=region, theme=theme, window=window, weights=w, all_countries=all_countries, gci_edition=gci_edition
        )
        rows = (
            [r for r in report.rows if iso3 in (None, r["iso3"])]
            if by == "country"
            else analysis.region_gaps(store, theme=theme, window=window, level=by, countries=report.rows)
        )
        where = [report.standing(iso3, terms.Terms.of(store).country_names[iso3], region or "this view")] if iso3 else []
        return answer(store, rows, where + report.notes(within={iso3} if iso3 else None), limit=min(limit, MAX_ROWS))

    @tool
    def concentration(
        region: str | None = None,
        agencies: bool = False,
        all_countries: bool = False,
        min_programmes: int = 3,
        year_from: int | None = None,
        year_to: int | None = None,
        limit: int = 20,
    ) -> Result:
        """Per country, how concentrated support is among donors (HHI, effective donors), as `ccb concentration`."""
        rows = analysis.concentration(
            store,
            window=_window(year_from, year_to),
            region=terms.region(region),
            agencies=agencies,
            all_countries=all_countries,
            min_programmes=min_programmes,
        )
        return answer(store, rows, limit=min(limit, MAX_ROWS))

    @tool
    def partners(org: str | None = None, funder: str | None = None, region: str | None = None, limit: int = 20) -> Result:
        """Partnership opportunities (organisations in the same places and themes not yet working together; REGION:
        scored on what they do in that UN M49 region or sub-region), or with FUNDER the donors most like it, as
        `ccb partners`."""
        rows = (
            network.cofunders(store, funder, limit=min(limit, MAX_ROWS))
            if funder is not None
            else network.partners(store, org=org, limit=min(limit, MAX_ROWS), region=region)
        )
        return answer(store, rows)

    @tool
    def match(
        country: str, theme: str | None = None, year_from: int | None = None, year_to: int | None = None, limit: int = 10
    ) -> Result:
        """Who could help COUNTRY on a theme it has no programme on (or THEME), with each point explained, as `ccb match`:
        at most ``limit`` organisations on each theme."""
        window = _window(year_from, year_to)
        rows = profile_queries.match(store, country, theme=terms.theme(theme), window=window, limit=min(limit, MAX_ROWS))
        return answer(store, rows, profile_queries.unranked_note(store, country, rows))

    @tool
    def timeline(
        by: Literal["country", "region", "subregion", "theme", "donor"] = "country",
        only: str | None = None,
        theme: str | None = None,
        agencies: bool = False,
        year_from: int | None = None,
        year_to: int | None = None,
        limit: int = 20,
    ) -> Result:
        """Programmes active each year, a row per group and year (the busiest groups first), as `ccb timeline`."""
        _window(year_from, year_to)
        t = timeline_queries.coverage(
            store, by=by, only=only, theme=terms.theme(theme), year_from=year_from, year_to=year_to, agencies=agencies
        )
        keep = {r["group"] for r in timeline_queries.wide(t, limit=limit)}
        return answer(store, [r for r in t.rows if r["group"] in keep], t.notes())

    @tool
    def breakdown(
        by: Literal["region", "subregion", "theme", "year", "funder", "donor"] = "region",
        measure: Literal["programmes", "amount"] = "programmes",
        currency: str | None = None,
        theme: str | None = None,
        agencies: bool = False,
        year_from: int | None = None,
        year_to: int | None = None,
        limit: int = 20,
    ) -> Result:
        """Programme counts, or known amounts in one CURRENCY (never converted; the notes name the money in others), by
        region, sub-region, theme, start year or funder (donor), each family once, as `ccb breakdown`."""
        rows = analysis.breakdown(  # `donor`, the word the timeline tool uses, is the funder breakdown, as in the CLI
            store,
            by="funder" if by == "donor" else by,
            measure=measure,
            currency=currency,
            theme=theme,
            window=_window(year_from, year_to),
            agencies=agencies,
        )
        return answer(store, list(rows), rows.notes(), limit=min(limit, MAX_ROWS))

    @tool
    def progress(
        theme: str | None = None,
        region: str | None = None,
        by: Literal["stratum", "country", "dose"] = "stratum",
        seed: int = 12,
    ) -> Result:
        """Change from GCI 2020 to 2024 where support on THEME went and where it did not, within strata of income and
        2020 score, with seeded bootstrap intervals and the caveats (an association, never an effect), as `ccb progress`."""
        p = progress_queries.progress(store, theme=theme, region=terms.region(region), seed=seed)
        return answer(store, {"stratum": p.strata, "country": p.countries, "dose": p.dose}[by], p.notes())

    @tool
    def plan(
        budget: str,
        donor: str | None = None,
        themes: list[str] | None = None,
        region: str | None = None,
        grant_size: float | None = None,
    ) -> Result:
        """Plan a fund ("GBP 2000000"): grants to the country x theme cells where each lowers priority most, with
        implementers, co-funders and top-ups, as `ccb plan`."""
        p = plan_queries.plan(store, budget=budget, donor=donor, themes=themes, region=terms.region(region), grant=grant_size)
        out = answer(store, p.rows, p.summary())
        out["topups"] = _plain(p.topups)
        return out

    @tool
    def query(cypher: str, params: dict[str, Any] | None = None) -> Result:
        """One read-only Cypher query (a write is refused), at most 200 rows shown and 10,000 read (more is refused:
        add LIMIT or aggregate); prefer the other tools, which apply the graph's rules."""
        rows = store.query(cypher, params or {}, max_rows=QUERY_READ)
        return answer(store, rows)

    for name, page in (("need-model", "need-model.md"), ("data", "data.md"), ("plan", "plan.md")):
        if (DOCS / page).exists():
            mcp.resource(f"ccb://docs/{name}", mime_type="text/markdown")(_reader(DOCS / page))

    @mcp.prompt()
    def brief_region(region: str) -> str:
        """Brief me on a region: who supports it, where its gaps are."""
        return (
            f"Brief me on cyber capacity building in {region}: use `gaps` with region={region!r} for the top "
            f"priorities (quote each explanation), `supports` with region={region!r} and by='funder' for the donors, "
            "and `concentration` for countries that depend on one donor. Cite the `sources` pages and say what the "
            "`data` line says about completeness."
        )

    @mcp.prompt()
    def who_could_help(country: str, theme: str) -> str:
        """Who could help a country on a theme."""
        return (
            f"Who could help {country} on {theme}? Use `match` with country={country!r} and theme={theme!r}, then "
            f"`profile` on the top suggestions; give each one's reasons and the programmes (with their sources) behind them."
        )

    @mcp.prompt()
    def next_fund(donor: str, budget: str) -> str:
        """Where a donor's next fund should go."""
        return (
            f"Where should {donor}'s next fund of {budget} go? Use `plan` with budget={budget!r} and donor={donor!r}; "
            "explain each grant from its `why`, name the implementers and co-funders, and list the top-up options."
        )

    return mcp


def _reader(path: Path) -> Callable[[], str]:
    def read() -> str:
        return path.read_text(encoding="utf-8")

    read.__name__ = path.stem.replace("-", "_")
    read.__doc__ = f"docs/{path.name}"
    return read
