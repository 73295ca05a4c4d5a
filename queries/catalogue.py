"""The catalogue a portal user browses: one row per programme, organisation and country with what its facets filter
on, and faceted browsing over those rows (filters, counts beside every value, sorting, pages).

The rows are read from the store in a handful of grouped queries (a row per programme, organisation, country or
link group, never per link crossed with another) and built once per cached store. Browsing is a pure function of
the rows, so a list, its counts and its downloads always agree.
"""

from __future__ import annotations

from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import Any

from graph.errors import CCBError
from graph.model import M49_REGIONS, THEMES
from graph.store import Store, memo
from queries import analysis, facts, named

Row = dict[str, Any]

PER_PAGE = 50
PARENT_REGION = {sub: region for region, subs in M49_REGIONS.items() for sub in subs}

PROGRAMME_CATALOGUE = """
MATCH (p:Programme)
RETURN p.id AS programme, p.name AS name, p.description AS description, p.themes AS themes, p.status AS status,
       p.start_date AS start_date, p.end_date AS end_date, p.budget AS budget, p.currency AS budget_currency,
       p.scope AS scope, p.scope_regions AS scope_regions, p.scope_blocs AS scope_blocs, p.source AS source,
       p.as_of AS as_of
ORDER BY programme
"""

# The countries each programme names, grouped by programme and role: a row per programme and role.
PROGRAMME_TARGET_LISTS = """
MATCH (p:Programme)-[t:TARGETS]->(c:Country)
RETURN p.id AS programme, coalesce(t.role, 'beneficiary') AS role, collect(c.iso3) AS countries
"""


@dataclass(frozen=True)
class Facet:
    """A field rows are filtered on: ``field`` holds a value or a list of values; ``label`` words a value."""

    name: str
    title: str
    field: str
    label: Callable[[str, dict[str, str]], str] = lambda v, names: names.get(v, v)
    names: str = ""  # "country" or "organisation": a value names one, as every command reads it (queries.terms)


def _theme_label(v: str, names: dict[str, str]) -> str:
    return f"{v} {THEMES.get(v, '')}".strip()


PROGRAMME_FACETS = (
    Facet("theme", "Theme", "themes", _theme_label),
    Facet("region", "Region", "regions"),
    Facet("subregion", "Sub-region", "subregions"),
    Facet("country", "Beneficiary country", "countries", names="country"),  # named as a beneficiary, not a scope's
    Facet("donor", "Donor", "donors", names="organisation"),
    Facet("implementer", "Implementer", "implementers", names="organisation"),
    Facet("status", "Status", "status"),
    Facet("scope", "Scope", "scope"),
)
ORGANISATION_FACETS = (
    Facet("kind", "Kind", "kind"),
    Facet("role", "Role", "roles"),
    Facet("theme", "Theme", "themes", _theme_label),
    Facet("region", "Region of its programmes", "regions"),
    Facet("country", "Based in", "country", names="country"),  # local partners for a country: its agencies, CERTs...
)
COUNTRY_FACETS = (
    Facet("region", "Region", "region"),
    Facet("subregion", "Sub-region", "subregion"),
    Facet("income", "Income group", "income_group"),
    Facet("ranked", "In the gaps ranking", "ranked"),
)
FACETS = {"programmes": PROGRAMME_FACETS, "organisations": ORGANISATION_FACETS, "countries": COUNTRY_FACETS}
SORTS = {
    "programmes": ("name", "start_date", "end_date", "countries", "budget"),
    "organisations": ("name", "funds", "implements"),
    "countries": ("name", "priority", "need", "programmes"),
}
# The columns a list shows and downloads: raw values, lists as lists.
COLUMNS = {
    "programmes": (
        "programme",
        "name",
        "themes",
        "status",
        "start_date",
        "end_date",
        "scope",
        "donors",
        "implementers",
        "countries",
        "regions",
        "budget",
        "budget_currency",
    ),
    "organisations": ("id", "name", "kind", "country", "part_of", "funds", "implements", "themes", "regions"),
    "countries": ("iso3", "name", "region", "subregion", "income_group", "programmes", "regional", "need", "priority"),
}


def _regions_of(countries: Iterable[str], scope_regions: Iterable[str], info: dict[str, Row]) -> tuple[list[str], list[str]]:
    regions, subs = set(), set()
    for c in countries:
        if c in info:
            regions.add(info[c]["region"])
            subs.add(info[c]["subregion"])
    for area in scope_regions:
        if area in M49_REGIONS:
            regions.add(area)
        else:
            subs.add(area)
            regions.add(PARENT_REGION.get(area, area))
    return sorted(r for r in regions if r), sorted(s for s in subs if s)


def programmes(store: Store, today: str | None = None) -> list[Row]:
    """One row per programme: its stated fields, its status on ``today`` (from its dates), the countries it names as
    beneficiaries, the regions and sub-regions it reaches (its countries', its stated scope's and its blocs'
    members'), its funders and their donors (agencies rolled up to their state), implementers, umbrella and
    components.

    Examples
    --------
    >>> from graph.examples import example_store, gaps_records
    >>> s = example_store(gaps_records())
    >>> [(r["programme"], r["countries"], r["regions"]) for r in programmes(s, "2026-12-04")][:2]
    [('pA', ['GHA', 'KEN'], ['Africa']), ('pB', ['GHA'], ['Africa'])]
    >>> s.close()
    """
    today = today or date.today().isoformat()
    return memo(store, f"catalogue.programmes.{today}", lambda: _programmes(store, today))  # type: ignore[no-any-return]


def _programmes(store: Store, today: str) -> list[Row]:
    info = {c["iso3"]: c for c in store.query(named.COUNTRIES)}
    org_names = {o["id"]: o["name"] for o in store.query(named.ORGANISATIONS)}
    up = facts.donors(store)
    roles: dict[str, dict[str, list[str]]] = {}
    for r in store.query(PROGRAMME_TARGET_LISTS):
        roles.setdefault(r["programme"], {})[r["role"]] = sorted(set(r["countries"]))
    funders: dict[str, list[str]] = {}
    implementers: dict[str, list[str]] = {}
    for r in store.query(named.ORG_PROGRAMMES):
        into = funders if r["role"] == "FUNDS" else implementers
        for p in r["programmes"]:
            into.setdefault(p, []).append(r["org"])
    members: dict[str, list[str]] = {}
    for m in store.query(named.MEMBERSHIPS):
        members.setdefault(m["bloc"], []).append(m["iso3"])
    umbrella = {r["component"]: r["umbrella"] for r in store.query(named.COMPONENTS)}
    parts = facts.components(store)
    out = []
    for p in store.query(PROGRAMME_CATALOGUE):
        pid = p["programme"]
        by_role = roles.get(pid, {})
        named_countries = by_role.get("beneficiary", [])
        bloc_countries = [c for b in p["scope_blocs"] or [] for c in members.get(b, [])]
        regions, subs = _regions_of([*named_countries, *bloc_countries], p["scope_regions"] or [], info)
        funds = sorted(set(funders.get(pid, [])))
        out.append(
            p
            | {
                "themes": sorted(p["themes"] or []),
                "stated_status": p["status"],
                "status": facts.status_of(p["start_date"], p["end_date"], p["status"], today, p["as_of"]),
                "scope": facts.reach_kind(p, len(named_countries)).replace("targeted", "countries"),
                "countries": named_countries,
                "participants": by_role.get("participant", []),
                "hosts": by_role.get("host", []),
                "regions": regions,
                "subregions": subs,
                "funders": funds,
                "donors": sorted({facts.family(f, up) for f in funds}),
                "implementers": sorted(set(implementers.get(pid, []))),
                "umbrella": umbrella.get(pid),
                "components": sorted(parts.get(pid, ())),
                "country_names": [info[c]["name"] for c in named_countries if c in info],
                "org_names": {o: org_names.get(o, o) for o in (*funds, *implementers.get(pid, []))},
            }
        )
    return out


def by_id(store: Store) -> dict[str, Row]:
    """:func:`programmes` by programme id (built once per cached store; read-only)."""
    return memo(store, "catalogue.by_id", lambda: {p["programme"]: p for p in programmes(store)})  # type: ignore[no-any-return]


def organisations(store: Store) -> list[Row]:
    """One row per organisation: kind, country, the donor it belongs to (an agency's state), how many programmes it
    funds and implements (a family once), and the themes and regions of those programmes.

    Examples
    --------
    >>> from graph.examples import example_store, gaps_records
    >>> s = example_store(gaps_records())
    >>> [(r["id"], r["funds"], r["roles"]) for r in organisations(s)][:1]
    [('f1', 2, ['funder'])]
    >>> s.close()
    """
    return memo(store, "catalogue.organisations", lambda: _organisations(store))  # type: ignore[no-any-return]


def _organisations(store: Store) -> list[Row]:
    progs = {p["programme"]: p for p in programmes(store)}
    up = facts.donors(store)
    families = facts.components(store)  # a family once, as every count: the EU funds 48, not its 53 records
    did: dict[str, dict[str, set[str]]] = {}
    for r in store.query(named.ORG_PROGRAMMES):
        did.setdefault(r["org"], {}).setdefault(r["role"], set()).update(r["programmes"])
    out = []
    for o in store.query(named.ORGANISATIONS):
        mine = did.get(o["id"], {})
        all_progs = [progs[p] for p in sorted(mine.get("FUNDS", set()) | mine.get("IMPLEMENTS", set())) if p in progs]
        roles = [role for role, rel in (("funder", "FUNDS"), ("implementer", "IMPLEMENTS")) if mine.get(rel)]
        out.append(
            {
                "id": o["id"],
                "name": o["name"],
                "kind": o["kind"],
                "country": o["country"],
                "aliases": o["aliases"] or [],
                "part_of": up[o["id"]][0] if o["id"] in up else None,
                "funds": len(facts.count_once(mine.get("FUNDS", set()), families)),
                "implements": len(facts.count_once(mine.get("IMPLEMENTS", set()), families)),
                "roles": roles or ["none recorded"],
                "themes": sorted({t for p in all_progs for t in p["themes"]}),
                "regions": sorted({r for p in all_progs for r in p["regions"]}),
                "source": o["source"],
            }
        )
    return out


def countries(store: Store) -> list[Row]:
    """One row per country or territory: region, income group, and from the gaps analysis (default weights) its
    programmes, regional programmes, need and priority; ``ranked`` says why one has no priority.

    Examples
    --------
    >>> from graph.examples import example_store, gaps_records
    >>> s = example_store(gaps_records())
    >>> [(r["iso3"], r["programmes"], r["ranked"]) for r in countries(s)][:3]
    [('GBR', None, 'not a recipient'), ('GHA', 2, 'need unknown'), ('KEN', 1, 'ranked')]
    >>> s.close()
    """
    return memo(store, "catalogue.countries", lambda: _countries(store))  # type: ignore[no-any-return]


def _countries(store: Store) -> list[Row]:
    gaps = {r["iso3"]: r for r in analysis.gaps(store).rows}
    out = []
    for c in store.query(named.COUNTRIES):
        g = gaps.get(c["iso3"], {})
        if not g:
            ranked = "not a recipient"  # a donor, a territory or a restricted state: never ranked
        elif g["priority"] is None:
            ranked = "need unknown"
        else:
            ranked = "ranked"
        out.append(
            {
                "iso3": c["iso3"],
                "name": c["name"],
                "region": c["region"],
                "subregion": c["subregion"],
                "income_group": c["income_group"],
                "programmes": g.get("programmes"),
                "regional": g.get("regional"),
                "need": g.get("need"),
                "priority": g.get("priority"),
                "ranked": ranked,
            }
        )
    return out


@dataclass
class Browse:
    """A page of a list: its rows, how many match, and each facet's values with their counts."""

    rows: list[Row]
    total: int
    page: int
    pages: int
    facets: list[Row] = field(default_factory=list)
    matching: list[Row] = field(default_factory=list)  # every matching row, for the downloads


def _values(row: Row, f: Facet) -> frozenset[str]:
    v = row.get(f.field)
    if v is None:
        return frozenset()
    return frozenset(str(x) for x in v) if isinstance(v, list) else frozenset((str(v),))


_TABLES: OrderedDict[int, tuple[list[Row], tuple[Facet, ...], dict[str, list[frozenset[str]]]]] = OrderedDict()


_ORDERS: OrderedDict[tuple[int, str, bool], tuple[list[Row], list[int]]] = OrderedDict()


def _order(rows: list[Row], sort: str, desc: bool) -> list[int]:
    """The rows' indices by ``sort`` (``desc``: largest first; a list by its length; text ignoring case), rows
    without a value last, ties by name; kept for the last few lists and sorts, as :func:`_facet_values` is."""
    kept = _ORDERS.get((id(rows), sort, desc))
    if kept is not None and kept[0] is rows:
        return kept[1]

    def key(i: int) -> Any:
        v = rows[i].get(sort)
        v = len(v) if isinstance(v, list) else v
        return str(v).casefold() if isinstance(v, str) else v

    def name(i: int) -> str:
        return str(rows[i].get("name") or "").casefold()

    known = sorted((i for i in range(len(rows)) if key(i) is not None), key=name)
    known.sort(key=key, reverse=desc)
    order = known + sorted((i for i in range(len(rows)) if key(i) is None), key=name)
    _ORDERS[(id(rows), sort, desc)] = (rows, order)
    while len(_ORDERS) > 12:
        _ORDERS.popitem(last=False)
    return order


def _facet_values(rows: list[Row], facets: tuple[Facet, ...]) -> dict[str, list[frozenset[str]]]:
    """Each facet's values per row, built once per list of rows (the catalogue's lists are built once per store
    version and shared): a list asked again with other filters reads these, not the rows."""
    kept = _TABLES.get(id(rows))
    if kept is not None and kept[0] is rows and kept[1] == facets:
        return kept[2]
    table = {f.name: [_values(r, f) for r in rows] for f in facets}
    _TABLES[id(rows)] = (rows, facets, table)  # the rows are held, so their id cannot be reused meanwhile
    while len(_TABLES) > 6:
        _TABLES.popitem(last=False)
    return table


def chosen(
    rows: list[Row],
    facets: tuple[Facet, ...],
    given: dict[str, list[str]],
    one: str,
    names: dict[str, str] | None = None,
    refused: list[CCBError] | None = None,
    valid: dict[str, set[str]] | None = None,
) -> dict[str, list[str]]:
    """The facet values asked for (``given``), as the facets hold them, so that a value no row could hold is said,
    not answered with an empty list: a theme by its letter, name or a common word; a region or sub-region as M49
    spells it (one asked for at the other level moves to that facet where the list has it); any other value as the
    rows hold it, in any case or by its label (a donor by its name). ``one`` names a row ("programme"). A value that
    is none of these raises :class:`queries.terms.UnknownName`; or, given a ``refused`` list, is left out and its
    error appended there, so a page can show the rest of the choice. ``valid`` holds, per facet, values that no row
    may hold but that are no mistake (a country in the graph that no programme names): choosing one gives no row.

    Examples
    --------
    >>> rows = [{"name": "a", "themes": ["C"], "status": "active", "regions": ["Africa"], "subregions": ["Eastern Africa"]}]
    >>> fs = (Facet("theme", "Theme", "themes"), Facet("status", "Status", "status"),
    ...       Facet("region", "Region", "regions"), Facet("subregion", "Sub-region", "subregions"))
    >>> chosen(rows, fs, {"theme": ["cybercrime"], "status": ["Active"], "region": ["western africa"]}, "programme")
    {'theme': ['C'], 'status': ['active'], 'region': [], 'subregion': ['Western Africa']}
    >>> chosen(rows, fs, {"status": ["activ"]}, "programme")
    Traceback (most recent call last):
    ...
    queries.terms.UnknownName: no programme has status 'activ' (did you mean active?)
    >>> said = []
    >>> chosen(rows, fs, {"theme": ["C"], "status": ["activ"]}, "programme", refused=said), [str(e) for e in said]
    ({'theme': ['C'], 'status': [], 'region': [], 'subregion': []}, ["no programme has status 'activ' (did you mean active?)"])
    """
    from queries import terms

    names = names or {}
    facet_names = {f.name for f in facets}
    table = _facet_values(rows, facets)
    out: dict[str, list[str]] = {f.name: [] for f in facets}
    for f in facets:
        known: set[str] | None = None  # the values the rows hold, gathered once, only if a value needs them
        for v in given.get(f.name) or ():
            try:
                target, value = f.name, v
                if f.name == "theme":
                    value = terms.theme(v) or v
                elif f.name in ("region", "subregion"):
                    value = terms.region(v) or v
                    target = terms.level_of(value)
                    if target not in facet_names:
                        raise terms.UnknownName(
                            f"{value!r} is a sub-region; this list's regions are the five M49 regions",
                            ", ".join(M49_REGIONS),
                        )
                else:
                    known = set().union(*table[f.name]) if known is None else known
                    ok = value in known or value in (valid or {}).get(f.name, ())
                    value = value if ok else _held(v, f, known, names, one)
            except terms.UnknownName as e:
                if refused is None:
                    raise
                refused.append(e)
                continue
            if value not in out[target]:
                out[target].append(value)
    return out


def _held(text: str, f: Facet, known: set[str], names: dict[str, str], one: str) -> str:
    """The value of facet ``f`` that ``text`` names, in any case or by its label; else the nearest, in an error."""
    from difflib import get_close_matches

    from queries.terms import UnknownName

    folded: dict[str, str] = {}
    for k in sorted(known):
        folded.setdefault(k.casefold(), k)
        folded.setdefault(f.label(k, names).casefold(), k)
    found = folded.get(text.strip().casefold())
    if found is not None:
        return found

    def shown(k: str) -> str:
        label = f.label(k, names)
        return k if label == k else f"{label} ({k})"

    close = list(dict.fromkeys(folded[c] for c in get_close_matches(text.strip().casefold(), list(folded), n=9, cutoff=0.6)))
    every = sorted(known, key=lambda k: f.label(k, names).casefold())
    hint = (
        f"did you mean {', '.join(shown(k) for k in close[:3])}?"
        if close
        else f"{f.title.lower()}: {', '.join(shown(k) for k in every[:8])}{', ...' if len(every) > 8 else ''}"
    )
    raise UnknownName(f"no {one} has {f.title.lower()} {text!r}", hint)


def browse(
    rows: list[Row],
    facets: tuple[Facet, ...],
    chosen: dict[str, list[str]],
    *,
    keep: Callable[[Row], bool] = lambda r: True,
    sort: str = "name",
    desc: bool = False,
    page: int = 1,
    per_page: int = PER_PAGE,
    names: dict[str, str] | None = None,
) -> Browse:
    """Rows filtered by the ``chosen`` facet values (any of a facet's values, every facet) and by ``keep``, sorted
    by ``sort`` (unknown values last, then by name), one page of them; each facet's values counted over the rows
    that every *other* facet's choice keeps, so a count says what choosing that value would give.

    Examples
    --------
    >>> rows = [{"name": "a", "themes": ["C"], "status": "active"}, {"name": "b", "themes": ["A", "C"], "status": "completed"}]
    >>> fs = (Facet("theme", "Theme", "themes"), Facet("status", "Status", "status"))
    >>> b = browse(rows, fs, {"status": ["active"]})
    >>> [r["name"] for r in b.rows], [(v["value"], v["count"]) for v in b.facets[0]["values"]]
    (['a'], [('C', 1)])
    >>> [(v["value"], v["count"], v["chosen"]) for v in b.facets[1]["values"]]
    [('active', 1, True), ('completed', 1, False)]
    """
    names = names or {}
    wanted = {f.name: set(chosen.get(f.name) or ()) for f in facets}
    table = _facet_values(rows, facets)
    base = [i for i, r in enumerate(rows) if keep(r)]
    # Per row, the facets whose choice it fails: a row failing none counts for every facet; a row failing one facet
    # counts for that facet alone (choosing another of its values would bring it in); two or more, for none.
    chosen_facets = [f.name for f in facets if wanted[f.name]]
    counted: dict[str, list[int]] = {f.name: [] for f in facets}
    matching_ix = []
    for i in base:
        failed = [name for name in chosen_facets if not (wanted[name] & table[name][i])]
        if not failed:
            matching_ix.append(i)
        elif len(failed) == 1:
            counted[failed[0]].append(i)
    out_facets = []
    for f in facets:
        column = table[f.name]
        counts = Counter(chain.from_iterable(column[i] for i in matching_ix))
        counts.update(chain.from_iterable(column[i] for i in counted[f.name]))
        values = [
            {"value": v, "label": f.label(v, names), "count": n, "chosen": v in wanted[f.name]}
            for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], f.label(kv[0], names).casefold()))
        ]
        values += [{"value": v, "label": f.label(v, names), "count": 0, "chosen": True} for v in wanted[f.name] - set(counts)]
        out_facets.append({"name": f.name, "title": f.title, "values": values})
    order = _order(rows, sort, desc)  # every row's place, computed once per list and sort
    keep_ix = set(matching_ix)
    ordered = [rows[i] for i in order if i in keep_ix]
    pages = max(1, -(-len(ordered) // per_page))
    page = min(max(1, page), pages)
    return Browse(ordered[(page - 1) * per_page : page * per_page], len(ordered), page, pages, out_facets, ordered)


LISTS: dict[str, Callable[[Store], list[Row]]] = {
    "programmes": programmes,
    "organisations": organisations,
    "countries": countries,
}
# a row of each list, as the search names its hits ("countries" is no "countrie": /countries?q=Kenya failed with 500)
ONE_OF = {"programmes": "programme", "organisations": "organisation", "countries": "country"}


def programme_page(store: Store, pid: str, today: str | None = None) -> list[tuple[str, str, list[Row]]]:
    """A programme's page as ``(id, title, rows)`` sections: what it is (description, status from its dates, period,
    themes, scope, budget), who funds it (with the stated amounts, each with its page), who implements it, the
    countries it names by role, its umbrella and components, and the years it and its components run.

    Examples
    --------
    >>> from graph.examples import example_store, gaps_records
    >>> s = example_store(gaps_records())
    >>> [(sid, len(rows)) for sid, _, rows in programme_page(s, "pA", "2026-12-04")]
    [('about', 1), ('funders', 1), ('implementers', 1), ('countries', 2), ('family', 0), ('years', 3)]
    >>> programme_page(s, "nope")
    Traceback (most recent call last):
    ...
    queries.terms.UnknownName: no programme 'nope' in the graph (search for it by name: /search?q=...)
    """
    today = today or date.today().isoformat()
    progs = {p["programme"]: p for p in programmes(store, today)}
    if pid not in progs:
        from queries.terms import UnknownName

        raise UnknownName(f"no programme {pid!r} in the graph", "search for it by name: /search?q=...")
    p = progs[pid]
    up = facts.donors(store)
    about = {
        "status": p["status"],
        "stated_status": p["stated_status"],
        "start_date": p["start_date"],
        "end_date": p["end_date"],
        "themes": [f"{t} {THEMES[t]}" for t in p["themes"]],
        "scope": p["scope"],
        "scope_regions": p["scope_regions"] or [],
        "scope_blocs": p["scope_blocs"] or [],
        "budget": p["budget"],
        "budget_currency": p["budget_currency"],
    }
    funders = [
        {k: r[k] for k in ("funder", "funder_name")}
        | {"donor": up.get(r["funder"], (r["funder"], ""))[0]}
        | {k: r[k] for k in ("amount", "disbursed", "currency", "year", "source", "as_of")}
        for r in store.query(named.ONE_PROGRAMME_FUNDERS, {"id": pid})
    ]
    implementers = [
        {k: r[k] for k in ("org", "name", "role", "source", "as_of")}
        for r in store.query(named.ONE_PROGRAMME_IMPLEMENTERS, {"id": pid})
    ]
    role_order = {"beneficiary": 0, "participant": 1, "host": 2}
    countries = sorted(
        (
            {k: r[k] for k in ("iso3", "country", "region", "subregion", "role", "share", "source")}
            for r in store.query(named.ONE_PROGRAMME_TARGETS, {"id": pid})
        ),
        key=lambda r: (role_order.get(r["role"], 3), r["iso3"]),
    )
    family = [
        {
            "relation": relation,
            "programme": q,
            "name": progs[q]["name"],
            "status": progs[q]["status"],
            "start_date": progs[q]["start_date"],
            "end_date": progs[q]["end_date"],
        }
        for relation, ids in (("umbrella", [p["umbrella"]] if p["umbrella"] else []), ("component", p["components"]))
        for q in ids
        if q in progs
    ]
    return [
        ("about", "Programme", [about]),
        ("funders", "Funded by", funders),
        ("implementers", "Implemented by", implementers),
        ("countries", "Countries it names", countries),
        ("family", "Umbrella and components", family),
        ("years", "Years it runs (with its components)", _years([p, *(progs[q] for q in p["components"] if q in progs)], today)),
    ]


def _years(family: list[Row], today: str) -> list[Row]:
    """A row per year from the first start to the last end (today for one still running): who of the family runs,
    and how many countries those name. A family with no start date has no row."""
    dated = [q for q in family if q["start_date"]]
    if not dated:
        return []
    this_year = int(today[:4])
    last = max(int(q["end_date"][:4]) if q["end_date"] else this_year for q in dated)
    rows = []
    for year in range(min(int(q["start_date"][:4]) for q in dated), max(last, min(int(q["start_date"][:4]) for q in dated)) + 1):
        running = [
            q
            for q in dated
            if int(q["start_date"][:4]) <= year and (int(q["end_date"][:4]) if q["end_date"] else this_year) >= year
        ]
        rows.append(
            {
                "year": year,
                "running": [q["programme"] for q in running],
                "countries_named": len({c for q in running for c in q["countries"]}),
                "end_stated": all(q["end_date"] for q in running),
            }
        )
    return rows


def organisation_activity(store: Store, oid: str) -> list[Row]:
    """What an organisation funds and implements, by start year and theme: a row per year and theme with the
    programmes in each role (a programme with no start date under year ``None``, last).

    Examples
    --------
    >>> from graph.examples import example_store, gaps_records
    >>> s = example_store(gaps_records())
    >>> [(r["year"], r["theme"], r["funds"]) for r in organisation_activity(s, "f1")][:2]
    [(2016, 'C Cybercrime', ['pA']), (2020, 'A Cyber Security Policy & Strategy', ['pB'])]
    >>> s.close()
    """
    progs = {p["programme"]: p for p in programmes(store)}
    cells: dict[tuple[int | None, str], dict[str, list[str]]] = {}
    for p in progs.values():
        roles = [r for r, field in (("funds", "funders"), ("implements", "implementers")) if oid in p[field]]
        for role in roles:
            year = int(p["start_date"][:4]) if p["start_date"] else None
            for t in p["themes"] or ["-"]:
                cells.setdefault((year, t), {"funds": [], "implements": []})[role].append(p["programme"])
    return [
        {
            "year": y,
            "theme": f"{t} {THEMES.get(t, 'no theme stated')}".strip(),
            "funds": sorted(c["funds"]),
            "implements": sorted(c["implements"]),
        }
        for (y, t), c in sorted(cells.items(), key=lambda kv: (kv[0][0] is None, kv[0][0] or 0, kv[0][1]))
    ]


def country_programmes(store: Store, iso3: str) -> list[Row]:
    """Every programme a country's gaps row counts or that reaches it: those naming it as a beneficiary (counted in
    ``programmes``: a family once, its components listed, the umbrella left out when one of them names the country),
    then those whose stated regional scope or bloc reaches it (``regional``; a programme can be both, as the gaps
    row counts it), then those it joins as participant or host (never counted as support). Each with its status, period, themes and donors.

    Examples
    --------
    >>> from graph.examples import example_store, gaps_records
    >>> s = example_store(gaps_records())
    >>> [(r["programme"], r["counted_as"]) for r in country_programmes(s, "KEN")]
    [('pA', 'programmes')]
    >>> s.close()
    """
    progs = programmes(store)
    named_here = [p for p in progs if iso3 in p["countries"]]
    counted = facts.count_once({p["programme"] for p in named_here}, facts.components(store))
    me = next((c for c in store.query(named.COUNTRIES) if c["iso3"] == iso3), None)
    regional = {s["programme"] for s in analysis.programme_scopes(store) if me and analysis.reaches(s, me)}
    out = []
    for p in progs:
        pid = p["programme"]
        how = [
            why
            for why, holds in (
                ("programmes", pid in counted),
                ("umbrella of a counted component", iso3 in p["countries"] and pid not in counted),
                ("regional", pid in regional),
                ("participant or host (not support)", iso3 in p["participants"] or iso3 in p["hosts"]),
            )
            if holds
        ]
        if not how:
            continue
        out.append(
            {
                "programme": pid,
                "name": p["name"],
                "counted_as": "; ".join(how),
                "status": p["status"],
                "start_date": p["start_date"],
                "end_date": p["end_date"],
                "themes": p["themes"],
                "donors": p["donors"],
            }
        )
    order = {"programmes": 0, "umbrella of a counted component": 1, "regional": 2}
    return sorted(out, key=lambda r: (order.get(r["counted_as"].split(";")[0], 3), r["programme"]))


NO_DONOR = "(no funder stated)"
GLOBAL = "Global"


def donor_flows(store: Store, *, theme: str | None = None, region: str | None = None, donor: str | None = None) -> list[Row]:
    """The network's overview: programmes per donor (agencies rolled up to their state or bloc) and area reached, a
    programme counted once per donor and area. Areas are the M49 regions, or within ``region`` its sub-regions (or,
    for a sub-region, its countries); a global programme reaches ``Global``; a programme with no funder is under
    :data:`NO_DONOR`, never dropped. ``donor_programmes`` and ``area_programmes`` count distinct programmes (one
    reaching two areas is one programme of its donor). Every count holds a family once (:func:`facts.count_once`), as
    :func:`queries.analysis.breakdown` does.

    Examples
    --------
    >>> from graph.examples import example_store, gaps_records
    >>> s = example_store(gaps_records())
    >>> [(r["donor"], r["area"], r["programmes"]) for r in donor_flows(s)]
    [('f1', 'Africa', 2), ('f2', 'Africa', 1)]
    >>> s.close()
    """
    subregion = region if region and region not in M49_REGIONS else None
    names = {o["id"]: o["name"] for o in store.query(named.ORGANISATIONS)}
    # the programmes of each band, donor and area: counted a family once (an umbrella gives way to its components
    # where they are there too), as `ccb breakdown` counts them; the EU's 57 records were 51 programmes
    bands: dict[tuple[str, str], set[str]] = defaultdict(set)
    of_donor: dict[str, set[str]] = defaultdict(set)  # distinct: one reaching two areas is one programme of its donor
    of_area: dict[str, set[str]] = defaultdict(set)
    for p in programmes(store):
        if theme and theme not in p["themes"]:
            continue
        if subregion:
            if subregion not in p["subregions"]:
                continue
            areas = [c for c in p["countries"] if c in _subregion_members(store, subregion)] or [f"{subregion} (regional)"]
        elif region:
            if region not in p["regions"]:
                continue
            areas = [s for s in p["subregions"] if PARENT_REGION.get(s) == region] or [f"{region} (regional)"]
        else:
            areas = p["regions"] or ([GLOBAL] if p["scope"] == "global" else [])
        donors = p["donors"] or [NO_DONOR]
        if donor:
            donors = [d for d in donors if d == donor]
        if not donors or not areas:
            continue
        for d in donors:
            of_donor[d].add(p["programme"])
            for a in areas:
                bands[(d, a)].add(p["programme"])
        for a in areas:
            of_area[a].add(p["programme"])
    families = facts.components(store)
    counts = Counter({band: len(facts.count_once(ps, families)) for band, ps in bands.items()})
    donor_total = {d: len(facts.count_once(ps, families)) for d, ps in of_donor.items()}
    area_total = {a: len(facts.count_once(ps, families)) for a, ps in of_area.items()}
    return [
        {
            "donor": d,
            "donor_name": names.get(d, d),
            "area": a,
            "programmes": n,
            "donor_programmes": donor_total[d],
            "area_programmes": area_total[a],
        }
        for (d, a), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def _subregion_members(store: Store, subregion: str) -> set[str]:
    return {c["iso3"] for c in countries(store) if c["subregion"] == subregion}
