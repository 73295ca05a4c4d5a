"""The short briefing ``ccb demo`` prints: what the graph holds, at a glance."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from graph.model import THEMES
from graph.store import Store, cached
from queries import analysis, facts, named, network

Rows = list[dict[str, Any]]


def briefing(store: Store, limit: int = 8) -> list[tuple[str, Rows]]:
    """Sections of ``(title, rows)``: counts, top donors, where the gaps are, who serves each region.

    Examples
    --------
    >>> from graph.embedded import EmbeddedStore
    >>> import tempfile, os
    >>> s = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "g.lbdb"))
    >>> [title for title, _ in briefing(s)]  # doctest: +NORMALIZE_WHITESPACE
    ['What the graph holds', 'Top donors by programmes', 'Most supported countries',
     'Highest priority: need against support', 'Coverage by UN M49 region (recipient states)', 'Who serves each region',
     'A partnership to explore']
    >>> s.close()
    """
    store = cached(store)  # the gaps and the partnership read tables other sections read too
    counts = [{"what": k, "count": v} for k, v in store.counts().items() if v]
    report = analysis.gaps(store)
    priority = [
        {k: r[k] for k in ("iso3", "country", "income_group", "need", "programmes", "regional", "priority")}
        for r in report.rows
        if r["priority"] is not None
    ][:limit]
    if not priority:
        priority = [
            {
                "note": "no country has a need value: load a need index (GCI) with `ccb load-indices`, "
                "or run `ccb init`, which loads GCI 2024"
            }
        ]
    regions = sorted(
        (
            {
                "region": r["region"],
                "countries": r["countries"],
                "unserved": r["unserved"],
                "regional": r["regional"],
                "mean_need": r["mean_need"],
                "mean_priority": r["mean_priority"],
            }
            for r in analysis.region_gaps(store, countries=report.rows)
        ),
        key=lambda r: r["region"],
    )
    return [
        ("What the graph holds", counts),
        ("Top donors by programmes", donors_by_programmes(store, limit)),
        ("Most supported countries", most_supported(store, limit)),
        ("Highest priority: need against support", priority),
        ("Coverage by UN M49 region (recipient states)", regions),
        ("Who serves each region", who_serves(store)),
        (
            "A partnership to explore",
            [
                {k: r[k] for k in ("a_name", "b_name", "score", "shared_countries", "shared_themes", "explanation")}
                for r in network.partners(store, limit=1)
            ],
        ),
    ]


def donors_by_programmes(store: Store, limit: int) -> Rows:
    """Donors (agencies rolled up) by the programmes they fund."""
    rows = analysis.breakdown(store, by="funder")
    return [{"donor": r["funder"], "programmes": r["programmes"]} for r in rows[:limit]]


def most_supported(store: Store, limit: int) -> Rows:
    """Countries by the programmes that name them, with their donors counted as every view counts them (rolled up)."""
    up = analysis.donors(store)
    names = {c["iso3"]: c["name"] for c in store.query(named.COUNTRIES)}
    rows = [
        {
            "iso3": iso3,
            "country": names.get(iso3, iso3),
            "programmes": len(s.programmes),
            "funders": len({up.get(f, (f,))[0] for f in s.funders}),
        }
        for iso3, s in analysis.SupportTable.read(store, amounts=False).of().items()
    ]
    return sorted(rows, key=lambda r: (-r["programmes"], -r["funders"], r["country"]))[:limit]


def who_serves(store: Store, top: int = 3) -> Rows:
    """Per UN M49 region: programmes reaching it (naming its countries, or regional with a scope that covers it,
    as ``ccb breakdown --by region`` counts them), the leading donors and the themes covered."""
    progs: dict[str, set[str]] = defaultdict(set)
    donors: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    themes: dict[str, set[str]] = defaultdict(set)
    countries = store.query(named.COUNTRIES)
    region_of = {c["iso3"]: c["region"] for c in countries}
    parent = {c["subregion"]: c["region"] for c in countries if c["subregion"]}
    for iso3, support in analysis.SupportTable.read(store, amounts=False).of().items():  # read grouped per country, not per flow
        if region_of.get(iso3):
            progs[region_of[iso3]].update(support.programmes)
            themes[region_of[iso3]].update(support.themes)
    for r in analysis.funded_flows(store):
        if r["region"]:
            donors[r["region"]][r["donor_name"] or r["donor"]].add(r["programme"])
    # regional programmes count in the regions their scope covers (the demo said Africa 74 and the breakdown 98)
    regional = [s for s in analysis.programme_scopes(store) if s["scope"] == "regional"]
    covered = {s["programme"]: [g for g in set(parent.values()) if analysis._covers(s, g, "region", parent)] for s in regional}
    for s in regional:
        for g in covered[s["programme"]]:
            progs[g].add(s["programme"])
            themes[g].update(s["themes"] or [])
    up = analysis.donors(store)
    for r in store.query(named.PROGRAMME_FUNDING):
        if r["funder"] and r["programme"] in covered:
            donor, name = up.get(r["funder"], (r["funder"], r["funder_name"]))
            for g in covered[r["programme"]]:
                donors[g][name or donor].add(r["programme"])
    families = facts.components(store)
    out = []
    for region in sorted(progs):
        progs[region] = facts.count_once(progs[region], families)  # a family once in a region
        donors[region] = {d: facts.count_once(ps, families) for d, ps in donors[region].items()}
        ranked = sorted(donors[region].items(), key=lambda kv: (-len(kv[1]), kv[0]))
        # those level with the last shown are shown too: a cut inside a tie would rank by name
        lead = [kv for kv in ranked if ranked[:top] and len(kv[1]) >= len(ranked[:top][-1][1])]
        missing = sorted(set(THEMES) - themes[region])
        out.append(
            {
                "region": region,
                "programmes": len(progs[region]),
                "leading_donors": [f"{name} ({len(p)})" for name, p in lead],
                "themes": sorted(themes[region]),
                "no_programme_on": missing,
            }
        )
    return out
