"""Matchmaking for a country's unmet themes, and one organisation or country on a page."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from graph.model import THEMES
from graph.store import cached
from queries import analysis, named, network, terms
from queries.analysis import Window
from queries.terms import Terms

Rows = list[dict[str, Any]]


def _country(store: Any, iso3: str) -> dict[str, Any]:
    return next(c for c in store.query(named.COUNTRIES) if c["iso3"] == iso3)


def match(store: Any, country: str, *, theme: str | None = None, window: Window = Window(), limit: int = 10) -> Rows:
    """Who could help ``country`` with ``theme`` (or with each theme it has no programme on).

    Score = programmes the organisation has run on the theme (experience)
    + 1 if it ran them in a country of the same UN M49 sub-region, else 0.5
    if of the same region (proximity; capped, so one continent-wide
    programme does not outweigh experience) + 1 if it is a bloc the country
    belongs to, or is based in a country sharing a bloc with it + 1 if it
    already works in the country (presence). Each point is a reason.

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import bloc_records as with_bloc
    >>> s = example_store(with_bloc())
    >>> [(r["org"], r["score"]) for r in match(s, "KEN", theme="C")]
    [('o2', 2.0), ('o3', 2.0), ('o1', 1.0)]
    >>> s.close()
    """
    theme = terms.theme(theme)
    target = _country(store, Terms.of(store).country(country))
    iso3 = target["iso3"]
    met = {t for s in analysis.SupportTable.read(store, window, iso3, amounts=False).of().values() for t in s.themes}
    wanted = [theme] if theme else [t for t in THEMES if t not in met]
    where = {c["iso3"]: c for c in store.query(named.COUNTRIES)}
    blocs: dict[str, set[str]] = defaultdict(set)
    for m in store.query(named.MEMBERSHIPS):
        blocs[m["iso3"]].add(m["bloc"])
    home = {o["id"]: o["country"] for o in store.query(named.ORGANISATIONS)}
    worked: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(
        lambda: defaultdict(set)
    )  # (org, theme) -> programme -> countries
    present: set[str] = set()
    names: dict[str, str] = {}
    reach = network.programme_reach(store)
    asked = set(wanted)
    for r in network.org_programmes(store):
        names[r["org"]] = r["name"]
        themes, countries = reach[r["programme"]]
        if iso3 in countries:
            present.add(r["org"])
        for t in themes:
            if t in asked:  # experience on the themes asked about only: the others are never scored
                worked[(r["org"], t)][r["programme"]].update(countries)
    rows: list[dict[str, Any]] = []
    for (org, t), progs in sorted(worked.items()):
        if t not in wanted:
            continue
        countries = sorted({c for cs in progs.values() for c in cs} - {iso3})
        same_sub = [c for c in countries if where.get(c, {}).get("subregion") and where[c]["subregion"] == target["subregion"]]
        same_reg = [
            c
            for c in countries
            if c not in same_sub and where.get(c, {}).get("region") and where[c]["region"] == target["region"]
        ]
        shared_bloc = sorted((blocs[iso3] & {org}) | (blocs[iso3] & blocs.get(home.get(org) or "", set())))
        reasons = [f"{len(progs)} programme(s) on theme {t}"]
        if same_sub:
            reasons.append(f"worked in {len(same_sub)} {target['subregion']} countries ({', '.join(same_sub[:5])})")
        if same_reg:
            reasons.append(f"worked in {len(same_reg)} other {target['region']} countries")
        if shared_bloc:
            reasons.append(f"shares {', '.join(shared_bloc)} with {iso3}")
        if org in present:
            reasons.append(f"already active in {iso3}")
        proximity = 1.0 if same_sub else 0.5 if same_reg else 0.0
        score = len(progs) + proximity + (1 if shared_bloc else 0) + (1 if org in present else 0)
        rows.append({"theme": t, "org": org, "name": names[org], "score": score, "explanation": "; ".join(reasons)})
    rows.sort(key=lambda r: (r["theme"], -r["score"], r["org"]))
    per_theme: dict[str, int] = defaultdict(int)
    out = []
    for r in rows:
        per_theme[r["theme"]] += 1
        if per_theme[r["theme"]] <= limit:
            out.append(r)
    return out


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
    ]
