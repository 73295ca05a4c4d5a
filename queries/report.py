"""The briefing `ccb report` writes, as plain data: for the world, a region, a country or a donor.

Every number in it comes from the analyses (gaps, supports, coverage over
time, matches, partners); the summary sentences are built from those
numbers; ``sources`` lists the page behind every programme, index and
classification shown. The same store gives the same briefing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graph.model import THEMES
from graph.store import Store, cached
from queries import analysis, catalogue, facts, named, need, network, profile, progress, terms, timeline

Row = dict[str, Any]


@dataclass
class Brief:
    """What a briefing shows; :mod:`visualisations.report` lays it out as HTML or Markdown."""

    kind: str  # world, region, country or donor
    key: str | None
    title: str
    summary: list[str]
    weights: str
    gaps: list[Row]
    gap_notes: list[str]
    all_gaps: list[Row]  # every ranked country, for the map
    timeline: timeline.Timeline
    timeline_by: str
    supports: list[Row]
    ideas: list[Row]  # matches (country) or co-funders (donor) or partners (world, region)
    ideas_title: str
    sources: list[Row] = field(default_factory=list)
    change: list[Row] = field(default_factory=list)  # GCI 2020 -> 2024: a country's pillars, or the world's comparison
    change_notes: list[str] = field(default_factory=list)
    gaps_shown: str = ""  # which countries the gaps table holds, and how many of how many (a table never cuts silently)
    supports_shown: str = ""  # the same for who supports whom
    not_ranked: dict[str, str] = field(default_factory=dict)  # ISO-3 -> why it is not ranked, for the map's tooltips


def brief(
    store: Store, *, country: str | None = None, region: str | None = None, donor: str | None = None, limit: int = 10
) -> Brief:
    """The briefing for one scope: ``country``, ``region`` or ``donor`` (at most one), else the world.

    Examples
    --------
    >>> import os, tempfile
    >>> from graph.embedded import EmbeddedStore
    >>> from graph.model import Country, Organisation, Programme, Funds, Targets
    >>> from graph.store import Batch
    >>> s = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "g.lbdb"))
    >>> _ = s.write(Batch().extend([
    ...     Country(iso3="KEN", name="Kenya", region="Africa", subregion="Eastern Africa", sovereignty="independent",
    ...             income_group="Lower middle income", source="https://example.org/ken"),
    ...     Organisation(id="eu", name="European Union", source="https://example.org/eu"),
    ...     Programme(id="p1", name="P1", start_date="2020", source="https://example.org/p1"),
    ...     Funds(src="eu", dst="p1", source="s"), Targets(src="p1", dst="KEN", source="s")]))
    >>> b = brief(s, country="kenya")
    >>> b.title, b.summary[0]
    ('Kenya', 'Kenya (Lower middle income) is named by 1 programme(s); 1 of them state a funder, 1 donor(s) in all; the most from European Union (1 programme).')
    >>> [r["url"] for r in b.sources if r["what"] == "programme P1"]
    ['https://example.org/p1']
    >>> s.close()
    """
    if sum(x is not None for x in (country, region, donor)) > 1:
        raise terms.UnknownName("a briefing is for one country, one region or one donor", "give at most one of them")
    store = cached(store)
    names = terms.Terms.of(store)
    report = analysis.gaps(store)
    ranked = [r for r in report.rows if r["priority"] is not None]
    if country is not None:
        iso3 = names.country(country)
        return _country(store, iso3, names.country_names[iso3], report, limit)
    if donor is not None:
        return _donor(store, names.organisation(donor), report, ranked, limit)
    area = terms.region(region)
    if area is not None:  # a region's brief: its own ranking, so every note (who was left out...) is the region's
        report = analysis.gaps(store, region=area)
        ranked = [r for r in report.rows if r["priority"] is not None]
    return _area(store, area, report, ranked, limit)


def sources_of(store: Store, programmes: set[str], countries: set[str], *, indices: bool = True) -> list[Row]:
    """The page behind each programme and country shown, and behind the indices and classifications used (none
    with ``indices=False``: a page that shows no need or priority, an organisation's, cites no index)."""
    known = catalogue.by_id(store)  # built once per cached store: a page naming a few programmes reads only those
    out = [
        {"what": f"programme {known[p]['name']}", "url": known[p]["source"]}
        for p in sorted(programmes)
        if p in known and known[p]["source"]
    ]
    seen: set[str] = set()
    for c in store.query(named.COUNTRY_SOURCES):
        if c["iso3"] in countries:
            for what, url in (
                ("countries: codes, UN M49 regions, sovereignty", c["source"]),
                ("income groups", c["income_source"]),
            ):
                if url and url not in seen:
                    seen.add(url)
                    out.append({"what": what, "url": url})
    for i in store.query(named.INDICATOR_SOURCES) if indices else []:
        if i["source"] and i["source"] not in seen:
            seen.add(i["source"])
            out.append({"what": f"index {i['name'] or i['id']}", "url": i["source"]})
    return out


def _programmes(rows: list[Row]) -> set[str]:
    return {p for r in rows for p in (r.get("programme_ids") or [])}


def _gap_rows(rows: list[Row]) -> list[Row]:
    return [
        {k: r[k] for k in ("iso3", "country", "income_group", "need", "programmes", "regional", "priority", "explanation")}
        for r in rows
    ]


def _area(store: Store, area: str | None, report: analysis.Gaps, ranked: list[Row], limit: int) -> Brief:
    def inside(r: Row) -> bool:
        return area is None or area in (r["region"], r["subregion"])

    mine = [r for r in ranked if inside(r)]
    unserved = [r for r in mine if r["programmes"] == 0]
    flows = [r for r in analysis.funded_flows(store) if inside(r)]
    progs = facts.count_once({r["programme"] for r in flows}, facts.components(store))
    donors = {r["donor"] for r in flows}
    where = area or "the world"
    counted = f"In {where}, {len(progs)} funded programme(s) in the graph target countries by name"
    rest = ""
    if area is None:  # the rest of the graph, said beside that count so that the parts add up to the whole
        rows = store.query(named.PROGRAMME_FUNDING)
        every, funded = {r["programme"] for r in rows}, {r["programme"] for r in rows if r["funder"]}
        naming = {r["programme"] for r in flows}
        if through := len(naming - progs):  # umbrellas counted through their components
            counted += f" (each family once: {through} umbrella(s) counted through their components)"
        rest = (
            f" The graph's {len(every)} programmes also hold {len(funded - naming)} funded ones that name no recipient"
            f" country (regional, global, or naming only participants and hosts) and {len(every - funded)} with no"
            " funder recorded."
        )
    by_funder = analysis.supports(store, by="funder", region=area)  # counted within the area
    funders = [r for r in by_funder if r["funder"]]
    # the table below counts every donor reaching the area: said here too, so that the two numbers meet
    beyond = len(funders) - len(donors)
    also = f", or {len(funders)} counting those that fund only regional or global programmes" if beyond > 0 else ""
    also += f" reaching {where}" if also and area else ""
    summary = [f"{counted}, from {len(donors)} donor(s){also}.{rest}"]
    if mine:
        top = mine[0]
        # the regions count the recipients of unknown need too: said, so that their countries add up to this
        apart = [r for r in report.rows if r["priority"] is None and inside(r)]
        besides = f" ({len(apart)} more, of unknown need, listed apart)" if apart else ""
        summary.append(
            f"Of the {len(mine)} recipient states ranked{besides}, {len(unserved)} have no programme that names them; "
            f"the highest priority is {top['country']} (need {top['need']}, {top['programmes']} programme(s))."
        )
    if area is None:
        regions = analysis.region_gaps(store, countries=report.rows)
        if regions:
            worst = max(regions, key=lambda r: (r["mean_priority"] or 0, r["region"]))
            summary.append(
                f"By region, {worst['region']} has the highest mean priority ({worst['mean_priority']}), "
                f"with {worst['unserved']} of {worst['countries']} states unserved."
            )
    by = "region" if area is None else "country"
    t = timeline.coverage(store, by=by)
    if area is not None:
        keep = {r["iso3"] for r in analysis.country_gaps(store, region=area, all_countries=True)}
        members = {g: ps for g, ps in t.members.items() if g in keep}  # the area's undated programmes, not the graph's
        in_area = {p for ps in members.values() for p in ps}
        t = timeline.Timeline([r for r in t.rows if r["group"] in keep], t.years, [p for p in t.undated if p in in_area], members)
    supports = by_funder[:limit]
    ideas = network.partners(store, limit=5, region=area)
    shown = set(r["iso3"] for r in mine[:limit])
    brief = Brief(
        "world" if area is None else "region",
        area,
        area or "The world",
        summary,
        need_weights(report),
        _gap_rows(mine[:limit]),
        report.notes(command="ccb gaps" + (f" --region '{area}'" if area else "")),
        report.rows,
        t,
        by,
        supports,
        ideas,
        "Partnerships to explore",
        sources_of(store, _programmes(supports), shown),
        *(_world_change(store) if area is None else ([], [])),
        not_ranked=report.not_ranked,
    )
    gaps_all = "ccb gaps" + (f" --region '{area}'" if area else "")
    brief.gaps_shown = shown_of(len(shown), len(mine), f"recipient states of {where}", "highest priority first", gaps_all)
    brief.supports_shown = shown_of(
        len([r for r in supports if r["funder"]]),
        len(funders),
        "donors" + (f" in {area}" if area else ""),
        "most programmes first",
        "ccb supports --by funder" + (f" --region '{area}'" if area else ""),
    )
    return brief


def _world_change(store: Store) -> tuple[list[Row], list[str]]:
    """Per theme, the pooled comparison of GCI change 2020 -> 2024, supported against the others (``ccb progress``)."""
    rows = []
    for theme in ("A", "B", "C", "D", "E"):
        p = progress.progress(store, theme=theme).pooled
        rows.append(
            {
                "theme": theme,
                "pillar": need.THEME_PILLARS[theme],
                "strata": p.get("strata", 0),
                "supported": p.get("supported", 0),
                "others": p.get("others", 0),
                "difference": p.get("difference"),
                "ci_low": p.get("ci_low"),
                "ci_high": p.get("ci_high"),
            }
        )
    notes = [
        "difference: the pooled difference in mean pillar change, supported minus others, within strata of income group "
        "and 2020 score, with its 95 % bootstrap interval (seed 12); see `ccb progress --theme T` and docs/progress.md",
        *progress.CAVEATS,
    ]
    return rows, notes


def _country(store: Store, iso3: str, name: str, report: analysis.Gaps, limit: int) -> Brief:
    supports = analysis.supports(store, country=iso3)  # its programmes with no funder recorded are the last row
    funded = [r for r in supports if r["funder"]]
    row = next((r for r in report.rows if r["iso3"] == iso3), None)
    income = next((c["income_group"] for c in store.query(named.COUNTRIES) if c["iso3"] == iso3), None)
    progs = _programmes(supports)
    who = f"{name}{f' ({income})' if income else ''}"
    summary = [
        f"{who} is named by {len(progs)} programme(s); {len(_programmes(funded))} of them "
        f"state a funder, {len(funded)} donor(s) in all"
        # a tie said as a tie: "European Union (3)" alone read as the largest when the United Kingdom had 3 too
        + (f"; the most from {profile.leaders(funded, 'programmes', 'funder_name', 'programme')}." if funded else ".")
        if progs
        else f"{who} is named as a beneficiary by no programme in the graph"
        + (f"; the stated scope of {row['regional']} regional programme(s) covers it" if row and row["regional"] else "")
        + (" (the graph is a sample: unrecorded is not always unserved)." if row else ".")
    ]
    if row is not None:  # as `ccb gaps --country` says it: a tie is counted, not ordered by code
        summary.append(report.standing(iso3, name) + (f" (need {row['need']})." if row["need"] is not None else "."))
    else:
        summary.append(f"It is not ranked: {profile.not_ranked_because(store, iso3)}.")
    matches = profile.match(store, iso3)
    missing = sorted({m["theme"] for m in matches if m["org"] or m["name"] == "too little evidence"})
    if missing:
        summary.append(f"GFCE themes with no programme: {', '.join(missing)}; the suggestions below name who has worked on them.")
    t = timeline.coverage(store, by="country", only=iso3)
    return Brief(
        "country",
        iso3,
        name,
        summary,
        need_weights(report),
        _gap_rows([row] if row else []),
        report.notes(within={iso3}, command="ccb gaps"),
        report.rows,
        t,
        "country",
        supports,
        matches,
        "Who could help, theme by theme",
        sources_of(store, progs, {iso3}),
        progress.changes(store, iso3),
        [progress.CAVEATS[0]],
        not_ranked=report.not_ranked,
    )


def _donor(store: Store, org: str, report: analysis.Gaps, ranked: list[Row], limit: int) -> Brief:
    up = analysis.donors(store)
    donor, donor_name = up.get(org, (org, terms.Terms.of(store).org_names.get(org, org)))
    rows = analysis.supports(store, funder=donor, by="country")
    whole = next(iter(analysis.supports(store, funder=donor, by="funder")), None)
    progs = set(whole["programme_ids"]) if whole else _programmes(rows)
    region_of = {c["iso3"]: c["region"] for c in store.query(named.COUNTRIES)}
    regions = sorted({region_of[c["country"]] for c in rows if region_of.get(c["country"])})
    reached = {r["country"] for r in rows}
    mine = [r for r in ranked if r["iso3"] in reached]
    # the gaps below count the recipient states among them: said here, so that "42 countries" meets "of the 37"
    recipients = f" ({len(mine)} of them recipient states the gaps rank)" if len(mine) != len(rows) else ""
    summary = [
        f"{donor_name} funds {len(progs)} programme(s)"
        + (
            f": {whole['naming_countries']} name {len(rows)} countries{recipients}, in {len(regions)} region(s)"
            + (f" ({', '.join(regions)})" if regions else "")
            + f"; {whole['regional']} regional and {whole['global']} global programme(s) name no country."
            if whole
            else "."
        )
    ]
    if whole and whole.get("contributed"):
        sums = "; ".join(f"{c} {a:,.0f}" for c, a in whole["contributed"].items())
        summary.append(
            f"Money stated in the graph: {sums} (its contributions, else the budgets of programmes it alone funds, a "
            "family's once; per currency, never converted)."
        )
    elif whole:
        summary.append("No money is stated in the graph for its programmes (a sample: unstated, not unfunded).")
    top_unreached = [r for r in ranked if r["iso3"] not in reached][:3]
    if top_unreached:
        # "does not reach" said Eritrea, inside the stated scope of the UK's Africa-wide package: none names it
        own = set(whole["programme_ids"]) if whole else set()
        scopes = [s for s in analysis.programme_scopes(store) if s["scope"] == "regional" and s["programme"] in own]

        def said(r: Row) -> str:
            within = sum(analysis.reaches(s, r) for s in scopes)
            return (
                f"{r['country']} ({r['priority']}"
                + (f"; within the stated scope of {within} of its regional programme(s)" if within else "")
                + ")"
            )

        summary.append("Highest-priority states none of its programmes names: " + ", ".join(map(said, top_unreached)) + ".")
    t = timeline.coverage(store, by="donor", only=donor)
    ideas = network.cofunders(store, donor, limit=5) if rows else []
    brief = Brief(
        "donor",
        donor,
        donor_name,
        summary,
        need_weights(report),
        _gap_rows(mine[:limit]),
        report.notes(within=reached, command="ccb gaps"),
        report.rows,
        t,
        "donor",
        rows[: limit * 3],
        ideas,
        "Donors most like it, and where only they go",
        sources_of(store, progs, reached),
        not_ranked=report.not_ranked,
    )
    brief.gaps_shown = shown_of(
        min(limit, len(mine)), len(mine), f"recipient states named by {donor_name}'s programmes", "highest priority first"
    )
    brief.supports_shown = shown_of(
        min(limit * 3, len(rows)),
        len(rows),
        f"countries {donor_name}'s programmes name",
        "most programmes first",
        f"ccb supports --funder {donor} --by country",
    )
    return brief


def shown_of(shown: int, total: int, what: str, order: str, command: str = "") -> str:
    """The line above a table: what its rows are and, when it is cut, how many of how many and where the rest are.

    >>> shown_of(10, 92, "countries the EU's programmes name", "most programmes first", "ccb supports")
    "10 of the 92 countries the EU's programmes name, most programmes first (all of them: ccb supports)."
    >>> shown_of(3, 3, "donors", "most programmes first", "ccb supports")
    'The 3 donors, most programmes first.'
    """
    if shown >= total:
        return f"The {total} {what}, {order}."
    return f"{shown} of the {total} {what}, {order}" + (f" (all of them: {command})." if command else ".")


def need_weights(report: analysis.Gaps) -> str:
    """The need model's weights, as one line of text."""
    return need.describe(report.weights)


def plan_brief(before: Store, after: Store, planned: list[str] | tuple[str, ...], label: str) -> Brief:
    """The briefing of a plan: ``after`` is the graph with the planned programmes ``planned`` (a scenario,
    :func:`loaders.scenario.assumed`), ``before`` the graph as stored; ``label`` names the plan's file.

    The portfolio (each planned programme's country, theme, money, implementer and why), the priority of the planned
    countries before and after, and the map after with the planned countries in colour.

    Examples
    --------
    >>> from graph.examples import example_store, gaps_records
    >>> from graph.model import Programme, Targets, Funds
    >>> from graph.store import Batch
    >>> before = example_store(gaps_records())
    >>> after = example_store(gaps_records() + [Programme(id="plan-1", name="Planned", themes=["C"], source="scenario"),
    ...                                          Targets(src="plan-1", dst="NPL", source="scenario")])
    >>> b = plan_brief(before, after, ["plan-1"], "plan.yaml")
    >>> b.kind, b.summary[1]
    ('plan', 'Priority of the planned countries (sum of need / (1 + programmes)): 0.600 before, 0.300 after.')
    >>> before.close(); after.close()
    """
    before, after = cached(before), cached(after)
    ids = sorted(set(planned))
    progs = after.query(named.PROGRAMMES_BY_ID, {"ids": ids})
    money: dict[str, list[Row]] = {}
    for r in after.query(named.PROGRAMME_FUNDING):
        if r["programme"] in ids and r["funder"]:
            money.setdefault(r["programme"], []).append(r)
    targets = {p: after.query(named.ONE_PROGRAMME_TARGETS, {"id": p}) for p in ids}
    leads = {p: [r["org"] for r in after.query(named.ONE_PROGRAMME_IMPLEMENTERS, {"id": p})] for p in ids}
    old, new = analysis.gaps(before), analysis.gaps(after)
    old_rows, new_rows = {r["iso3"]: r for r in old.rows}, {r["iso3"]: r for r in new.rows}
    countries = sorted({t["iso3"] for ts in targets.values() for t in ts if t["role"] == "beneficiary"})
    rank_old = {r["iso3"]: i for i, r in enumerate((r for r in old.rows if r["priority"] is not None), 1)}
    rank_new = {r["iso3"]: i for i, r in enumerate((r for r in new.rows if r["priority"] is not None), 1)}

    def total(rows: dict[str, Row]) -> float:
        return sum(rows[c]["priority"] or 0 for c in countries if c in rows)

    totals: dict[str, float] = {}
    for fs in money.values():
        for f in fs:
            if f["amount"] is not None and f["currency"]:
                totals[f["currency"]] = totals.get(f["currency"], 0) + f["amount"]
    funders = sorted({f["funder_name"] or f["funder"] for fs in money.values() for f in fs})
    themes = sorted({t for p in progs for t in p["themes"] or []})
    summary = [
        f"{label}: {len(ids)} planned programme(s) in {len(countries)} country(ies), theme(s) {', '.join(f'{t} ({THEMES.get(t, t)})' for t in themes) or 'none'}"
        + (f"; {', '.join(f'{c} {v:,.0f}' for c, v in sorted(totals.items()))}" if totals else "")
        + (f" from {', '.join(funders)}" if funders else "")
        + ".",
        f"Priority of the planned countries (sum of need / (1 + programmes)): {total(old_rows):.3f} before, "
        f"{total(new_rows):.3f} after.",
        "A scenario: the planned programmes are not facts, and the store is unchanged; everything else is as stored.",
    ]
    notes = [
        f"{old_rows[c]['country']} ({c}): priority {old_rows[c]['priority']} -> {new_rows[c]['priority']}, "
        f"rank {rank_old.get(c, '-')} -> {rank_new.get(c, '-')} of {len(rank_new)}"
        for c in countries
        if c in old_rows and c in new_rows
    ]
    name_of = {c: (new_rows.get(c) or {}).get("country", c) for c in countries}
    portfolio = [
        {
            "country": t["iso3"],
            "country_name": t["country"],
            "programme_ids": [p["programme"]],
            "themes": p["themes"],
            "funder": "; ".join(f["funder"] for f in money.get(p["programme"], [])),
            "implementers": leads[p["programme"]],
            "amount": {f["currency"]: f["amount"] for f in money.get(p["programme"], []) if f["amount"] is not None},
        }
        for p in progs
        for t in targets[p["programme"]]
    ]
    why = [
        {
            "theme": ", ".join(p["themes"] or []),
            "name": ", ".join(name_of.get(t["iso3"], t["iso3"]) for t in targets[p["programme"]]),
            "explanation": p["description"] or "",
        }
        for p in progs
    ]
    return Brief(
        "plan",
        None,
        f"Plan: {len(ids)} planned programme(s)",
        summary,
        need_weights(new),
        _gap_rows([new_rows[c] for c in countries if c in new_rows]),
        notes + new.notes(within=set(countries), command="ccb gaps"),
        new.rows,
        timeline.coverage(after, by="theme"),
        "theme",
        portfolio,
        why,
        "Why each grant, whom to ask, with whom to pool",
        sources_of(before, set(), set(countries)),
        not_ranked=new.not_ranked,
    )
