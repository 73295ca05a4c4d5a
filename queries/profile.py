"""Matchmaking for a country's unmet themes, and one organisation or country on a page."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from graph.model import THEMES
from graph.store import cached
from queries import analysis, facts, named, network, terms
from queries.analysis import Window
from queries.terms import Terms

Rows = list[dict[str, Any]]


def _country(store: Any, iso3: str) -> dict[str, Any]:
    return next(c for c in store.query(named.COUNTRIES) if c["iso3"] == iso3)


def match(
    store: Any,
    country: str,
    *,
    theme: str | None = None,
    window: Window = Window(),
    limit: int = 10,
    min_evidence: int = facts.MIN_THEME_PROGRAMMES,
) -> Rows:
    """Who could help ``country`` with ``theme`` (or with each theme it has no programme on).

    Score = experience (programmes the organisation has run on the theme)
    + proximity (1 if it ran them in a country of the same UN M49
    sub-region, else 0.5 if of the same region) + a shared bloc (the bloc
    itself, or the organisation's home country, shares a group with the
    country: 1 for a group of :data:`queries.facts.SMALL_BLOC` members or
    fewer, less for a larger one, so the Commonwealth's 56 members weigh
    0.09) + presence (1 if it already works in the country). The
    explanation gives each part's points. One donor is one suggestion: an
    agency and its state (or two agencies of one state) are not listed
    twice; the best-scoring one stands for them. A theme with fewer than
    ``min_evidence`` programmes in the graph (by default
    :data:`queries.facts.MIN_THEME_PROGRAMMES`) gives one row saying there is
    too little evidence, not a ranking.

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import bloc_records as with_bloc
    >>> s = example_store(with_bloc())
    >>> [(r["org"], r["score"]) for r in match(s, "KEN", theme="C", min_evidence=1)]
    [('o2', 2.0), ('o3', 2.0), ('o1', 1.0)]
    >>> [r["explanation"] for r in match(s, "KEN", theme="C")]
    ['too little evidence on theme C (2 programme(s) in the graph, fewer than 3): no one is ranked on it']
    >>> s.close()
    """
    theme = terms.theme(theme)
    target = _country(store, Terms.of(store).country(country))
    iso3 = target["iso3"]
    met = {t for s in analysis.SupportTable.read(store, window, iso3, amounts=False).of().values() for t in s.themes}
    wanted = [theme] if theme else [t for t in THEMES if t not in met]
    where = {c["iso3"]: c for c in store.query(named.COUNTRIES)}
    blocs: dict[str, set[str]] = defaultdict(set)
    size: dict[str, int] = defaultdict(int)
    for m in store.query(named.MEMBERSHIPS):
        blocs[m["iso3"]].add(m["bloc"])
        size[m["bloc"]] += 1
    home = {o["id"]: o["country"] for o in store.query(named.ORGANISATIONS)}
    worked: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(
        lambda: defaultdict(set)
    )  # (org, theme) -> programme -> countries
    present: set[str] = set()
    names: dict[str, str] = {}
    reach = network.programme_reach(store)
    evidence = {t: sum(t in themes for themes, _ in reach.values()) for t in wanted}
    asked = {t for t in wanted if evidence[t] >= min_evidence}
    for r in network.org_programmes(store):
        names[r["org"]] = r["name"]
        themes, countries = reach[r["programme"]]
        if iso3 in countries:
            present.add(r["org"])
        for t in themes:
            if t in asked:  # experience on the themes asked about only: the others are never scored
                worked[(r["org"], t)][r["programme"]].update(countries)
    up = analysis.donors(store)
    best: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)  # (theme, donor) -> its organisations' rows
    for (org, t), progs in sorted(worked.items()):
        countries = sorted({c for cs in progs.values() for c in cs} - {iso3})
        same_sub = [c for c in countries if where.get(c, {}).get("subregion") and where[c]["subregion"] == target["subregion"]]
        same_reg = [
            c
            for c in countries
            if c not in same_sub and where.get(c, {}).get("region") and where[c]["region"] == target["region"]
        ]
        shared_bloc = sorted((blocs[iso3] & {org}) | (blocs[iso3] & blocs.get(home.get(org) or "", set())))
        bloc = max((min(1.0, facts.SMALL_BLOC / size[b]) for b in shared_bloc), default=0.0)
        proximity = 1.0 if same_sub else 0.5 if same_reg else 0.0
        present_pt = 1.0 if org in present else 0.0
        parts = [f"experience {len(progs)} ({len(progs)} programme(s) on theme {t})"]
        if same_sub:
            parts.append(f"proximity 1 (worked in {len(same_sub)} {target['subregion']} countries: {', '.join(same_sub[:5])})")
        elif same_reg:
            parts.append(f"proximity 0.5 (worked in {len(same_reg)} other {target['region']} countries)")
        if shared_bloc:
            groups = ", ".join(f"{b}, {size[b]} members" for b in shared_bloc)
            parts.append(f"bloc {bloc:.2g} (shares {groups} with {iso3})")
        if present_pt:
            parts.append(f"presence 1 (already active in {iso3})")
        score = round(len(progs) + proximity + bloc + present_pt, 2)
        row = {
            "theme": t,
            "org": org,
            "name": names[org],
            "score": score,
            "explanation": " + ".join(parts) + f" = {score:g}",
            # each part's points, as data: the plan reads them (an implementer with evidence there or nearby)
            "parts": {"experience": len(progs), "proximity": proximity, "bloc": round(bloc, 3), "presence": present_pt},
        }
        best[(t, facts.family(org, up))].append(row)
    rows: list[dict[str, Any]] = []
    for members in best.values():
        members.sort(key=lambda r: (-r["score"], r["org"]))
        lead = members[0]
        if len(members) > 1:  # one donor, one suggestion
            lead["explanation"] += "; the same donor also through " + ", ".join(r["org"] for r in members[1:])
        rows.append(lead)
    rows.sort(key=lambda r: (r["theme"], -r["score"], r["org"]))
    per_theme: dict[str, int] = defaultdict(int)
    out: Rows = []
    for t in sorted(set(wanted) - asked):
        out.append(
            {
                "theme": t,
                "org": "",
                "name": "too little evidence",
                "score": None,
                "explanation": f"too little evidence on theme {t} ({evidence[t]} programme(s) in the graph, fewer than "
                f"{min_evidence}): no one is ranked on it",
            }
        )
    for r in rows:
        per_theme[r["theme"]] += 1
        if per_theme[r["theme"]] <= limit:
            out.append(r)
    return sorted(out, key=lambda r: (r["theme"], r["score"] is not None, -(r["score"] or 0), r["org"]))


def profile(store: Any, name: str) -> list[tuple[str, Rows]]:
    """Sections of ``(title, rows)`` about a country (ISO code or name) or an organisation (id or name).

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import bloc_records as with_bloc
    >>> s = example_store(with_bloc())
    >>> [title for title, _ in profile(s, "o2")]
    ['Organisation', 'Programmes', 'Collaborators', 'Broker standing', 'Partnership opportunities']
    >>> s.close()
    """
    store = cached(store)  # each section runs analyses that read the same tables
    kind, key = Terms.of(store).actor(name)
    if kind == "country":
        return _country_profile(store, _country(store, key))
    return _org_profile(store, next(o for o in store.query(named.ORGANISATIONS) if o["id"] == key))


def _country_profile(store: Any, c: dict[str, Any]) -> list[tuple[str, Rows]]:
    iso3 = c["iso3"]
    memberships = [m["bloc_name"] for m in store.query(named.MEMBERSHIPS) if m["iso3"] == iso3]
    indicators = [r for r in store.query(named.COUNTRY_INDICATORS) if r["iso3"] == iso3]
    gap = analysis.country_gaps(store, country=iso3)
    conc = analysis.concentration(store, country=iso3)
    return [
        (
            "Country",
            [{"iso3": iso3, "name": c["name"], "region": c["region"], "subregion": c["subregion"], "member_of": memberships}],
        ),
        ("Need indicators", [{k: v for k, v in r.items() if k != "iso3"} for r in indicators]),
        (
            "Supported by",
            [
                {k: r[k] for k in ("funder", "funder_name", "programmes", "programme_ids", "themes", "implementers", "amount")}
                for r in analysis.supports(store, country=iso3)
            ],
        ),
        ("Gap", gap),
        ("Concentration", conc),
        (
            "Takes part in (as a participant or host, not counted as support)",
            store.query(named.COUNTRY_PARTICIPATION, {"iso3": iso3}),
        ),
        *_as_donor(store, iso3),
    ]


def _as_donor(store: Any, iso3: str | None = None, org: str | None = None) -> list[tuple[str, Rows]]:
    """A donor's funding, through its agencies, counted as every view counts a donor: for a country, its government
    (a donor state's other side); for an organisation, itself when it is a donor (part of no other)."""
    gov = Terms.of(store).governments.get(iso3) if iso3 else org
    if gov is None or (org and org in analysis.donors(store)):  # an agency: its state's page holds the totals
        return []
    rows = analysis.supports(store, funder=gov, by="funder")
    if not rows:
        return []
    keep = ("funder", "funder_name", "agencies", "programmes", "naming_countries", "regional", "global", "countries")
    return [
        ("As a donor (through its agencies)", [{k: r[k] for k in keep} | {"programme_ids": r["programme_ids"]} for r in rows])
    ]


def _org_profile(store: Any, org: dict[str, Any]) -> list[tuple[str, Rows]]:
    oid = org["id"]
    act = network.activity(store)
    g = network.collaboration_graph(act)
    reach = network.programme_reach(store)  # read by activity() already: the profile's store caches it
    roles = {(r["programme"], r["role"]) for r in network.org_programmes(store) if r["org"] == oid}
    programmes = [
        {"programme": p, "role": role, "themes": reach[p][0], "countries": sorted(set(reach[p][1]))} for p, role in roles
    ]
    collaborators = (
        sorted(
            (
                {"org": n, "name": act.names.get(n, n), "shared_programmes_or_partnership": g.edges[oid, n]["weight"]}
                for n in g.neighbors(oid)
            ),
            key=lambda r: (-r["shared_programmes_or_partnership"], r["org"]),
        )
        if oid in g
        else []
    )
    standing = network.brokers(store, org=oid) if oid in act.names else []
    return [
        ("Organisation", [{k: org[k] for k in ("id", "name", "kind", "country", "aliases", "source")}]),
        ("Programmes", sorted(programmes, key=lambda r: (r["programme"], r["role"]))),
        ("Collaborators", collaborators),
        ("Broker standing", standing),
        ("Partnership opportunities", network.partners(store, org=oid, limit=5) if oid in act.names else []),
        *_as_donor(store, org=oid),
    ]
