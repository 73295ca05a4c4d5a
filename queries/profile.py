"""Matchmaking for a country's unmet themes, and one organisation, country or programme on a page."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

import numpy as np

from graph.model import THEMES
from graph.names import normalise_name
from graph.store import cached, gc_paused, memo
from queries import analysis, catalogue, facts, named, need, network, progress, terms
from queries.analysis import Window
from queries.terms import Terms

Rows = list[dict[str, Any]]


def _country(store: Any, iso3: str) -> dict[str, Any]:
    return next(c for c in store.query(named.COUNTRIES) if c["iso3"] == iso3)


STATE_KINDS = ("government",)  # organisations whose home country's groups are theirs (a ministry, an agency)


NOT_RECIPIENT = ("high income", "territory or dependency", "not a state", "restricted")  # the reasons match refuses on


def match(
    store: Any,
    country: str,
    *,
    theme: str | None = None,
    window: Window = Window(),
    limit: int = 10,
    min_evidence: int = facts.MIN_THEME_PROGRAMMES,
    min_experience: int = 1,
    only: set[str] | None = None,
    delivered: bool = False,
    all_countries: bool = False,
) -> Rows:
    """Who could help ``country`` with ``theme`` (or with each theme it has no programme on).

    A country the gaps model leaves out of its recipients (:func:`queries.need.outside`: high income, a territory,
    a state under UN sanctions on the state itself; not a gap in the data) gives one row saying so, not a ranking (the World Bank was
    offered to help the United Kingdom with its policy); ``all_countries`` matches it anyway, save a restricted
    state.

    Score = experience (programmes the organisation has run on the theme)
    + proximity (1 if it funded or delivered one of them in a country of the same UN M49
    sub-region, else 0.5 if of the same region; a partner's seat in another's programme places it nowhere, since a
    source seldom says where a partner worked) + a shared bloc (the bloc
    itself, or a government body's state, shares a group with the country;
    where anyone else is based counts for nothing: 1 for a group of :data:`queries.facts.SMALL_BLOC` members or
    fewer, less for a larger one, so the Commonwealth's 56 members weigh
    0.09) + presence (1 if a programme it funds or delivered already names the country). The
    explanation gives each part's points. One donor is one suggestion: an
    agency and its state (or two agencies of one state) are not listed
    twice; the best-scoring one stands for them. A theme with fewer than
    ``min_evidence`` programmes in the graph (by default
    :data:`queries.facts.MIN_THEME_PROGRAMMES`) gives one row saying there is
    too little evidence, not a ranking. Organisations with fewer than ``min_experience`` programmes on a theme are
    not ranked on it (the plan asks for two); with ``only``, only those organisations are ranked (:func:`near`).
    Experience and presence count the programmes an organisation funds or implements; with ``delivered``, only those
    it delivered: led, or implemented where no lead is named (a plan's implementers to ask: a donor that funds a
    theme has not delivered it, nor has a partner in another's programme, or a team taking part in a drill, in each
    of its countries).

    Those with a record in the country's UN M49 region come first (``in_region``: a programme the same donor funds or
    delivered, on any theme, naming a country of the region or with a stated regional scope covering it; or a shared
    bloc), the
    rest after, however large their experience elsewhere: the OAS's record in the Americas or DFAT's in the Pacific
    is no case for helping Eritrea, and the explanation says so.

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
    given, store = store, cached(store)  # the activity, names and presence tables are built once for the whole call
    theme = terms.theme(theme)
    target = _country(store, Terms.of(store).country(country))
    iso3 = target["iso3"]
    why = need.outside(store.query(named.COUNTRIES)).get(iso3) or ""
    # not a recipient by policy or income; a gap in the data (no region, no income group) is no reason to refuse
    if why.startswith(NOT_RECIPIENT) and (not all_countries or why.startswith("restricted")):
        name = Terms.of(store).country_names.get(iso3, iso3)
        return [
            {
                "theme": theme or "",
                "org": "",
                "name": "not a recipient",
                "score": None,
                "explanation": f"{name} is left out of the gaps model's recipients ({why}): no one is matched"
                + ("" if why.startswith("restricted") else " (`ccb match --all-countries` matches it anyway)"),
            }
        ]
    if theme:
        wanted = [theme]
    else:  # each theme the country has no programme on
        met = set(themes_met(given, iso3, window))  # on the store as given: one country's rows, not every country's
        wanted = [t for t in THEMES if t not in met]
    where = {c["iso3"]: c for c in store.query(named.COUNTRIES)}
    blocs: dict[str, set[str]] = defaultdict(set)
    size: dict[str, int] = defaultdict(int)
    for m in store.query(named.MEMBERSHIPS):
        blocs[m["iso3"]].add(m["bloc"])
        size[m["bloc"]] += 1
    # a state's own body shares the groups its state belongs to; no one else does by where it is based: the World
    # Bank, seated in Washington, is no member of the OAS, nor INTERPOL, in Lyon, of the Council of Europe, nor
    # Google.org or Microsoft of the OAS
    home = {o["id"]: o["country"] for o in store.query(named.ORGANISATIONS) if o["kind"] in STATE_KINDS}
    evidence = facts.programmes_per_theme(store)
    asked = {t for t in wanted if evidence.get(t, 0) >= min_evidence}
    present = _present(store, delivered).get(iso3, set())
    names = _org_names(store)
    up = analysis.donors(store)
    tsub, treg = target["subregion"], target["region"]
    # the donors (an agency counts for its state) with a programme in the country's region, on any theme
    there = _in_region(store, delivered).get(treg, set()) if treg else set()
    regional = {facts.family(o, up) for o in there}
    sub_of = {c: w["subregion"] for c, w in where.items()}
    region_of = {c: w["region"] for c, w in where.items()}
    mine = blocs[iso3]
    by_home: dict[str | None, tuple[list[str], float]] = {}  # home country -> the groups it shares, and their points

    def bloc_points(groups: list[str]) -> float:
        return max((min(1.0, facts.SMALL_BLOC / size[b]) for b in groups), default=0.0)

    def shared_with(org: str) -> tuple[list[str], float]:
        h = home.get(org)
        if h not in by_home:
            groups = sorted(mine & blocs.get(h or "", set()))
            by_home[h] = (groups, bloc_points(groups))
        if org in mine:  # the organisation is itself one of the country's groups
            groups = sorted(set(by_home[h][0]) | {org})
            return groups, bloc_points(groups)
        return by_home[h]

    # (theme, donor) -> its organisations, scored; an explanation is written only for a row that is shown
    best: dict[tuple[str, str], list[tuple[float, str, float, float, list[str], float, _Experience]]] = defaultdict(list)
    for t in sorted(asked):  # experience on the themes asked about only: the others are never scored
        for org, e in _experience(store, t, delivered).items():
            if e.programmes < min_experience or (only is not None and org not in only):
                continue
            areas = {(sub_of.get(c), region_of.get(c)) for c in e.countries if c != iso3}
            proximity = (
                1.0 if tsub and any(a[0] == tsub for a in areas) else 0.5 if treg and any(a[1] == treg for a in areas) else 0.0
            )
            groups, bloc = shared_with(org) if mine else ([], 0.0)
            present_pt = 1.0 if org in present else 0.0
            score = round(e.programmes + proximity + bloc + present_pt, 2)
            best[(t, up.get(org, (org,))[0])].append((score, org, proximity, bloc, groups, present_pt, e))  # facts.family
    leads = []
    for (t, _), members in best.items():
        if len(members) > 1:
            members.sort(key=lambda m: (-m[0], m[1]))
        leads.append((t, members))

    def elsewhere(members: list[Any]) -> bool:  # no record in the country's region: ranked after those with one
        _, org, _, bloc, _, present_pt, _ = members[0]
        return bool(treg) and not (bloc or present_pt or facts.family(org, up) in regional)

    leads.sort(key=lambda tm: (tm[0], elsewhere(tm[1]), -tm[1][0][0], tm[1][0][1]))
    rows: list[dict[str, Any]] = []
    shown: dict[str, int] = defaultdict(int)
    for t, members in leads:
        shown[t] += 1
        if shown[t] > limit:  # never shown: no explanation to write
            continue
        score, org, proximity, bloc, groups, present_pt, e = members[0]
        countries = sorted(e.countries - {iso3})
        same_sub = [c for c in countries if tsub and where.get(c, {}).get("subregion") == tsub]
        same_reg = [c for c in countries if c not in same_sub and treg and where.get(c, {}).get("region") == treg]
        did = "delivered " if delivered else ""
        parts = [f"experience {e.programmes} ({e.programmes} programme(s) {did}on theme {t})"]
        if same_sub:
            more = f" and {len(same_sub) - 5} more" if len(same_sub) > 5 else ""
            where_ = facts.counted(len(same_sub), f"{tsub} country", f"{tsub} countries")
            parts.append(f"proximity 1 (worked in {where_}: {', '.join(same_sub[:5])}{more})")
        elif same_reg:
            parts.append(
                f"proximity 0.5 (worked in {facts.counted(len(same_reg), f'other {treg} country', f'other {treg} countries')})"
            )
        if groups:
            named_groups = ", ".join(f"{b}, {size[b]} members" for b in groups)
            parts.append(f"bloc {bloc:.2g} (shares {named_groups} with {iso3})")
        if present_pt:
            parts.append(f"presence 1 (already active in {iso3})")
        explanation = " + ".join(parts) + f" = {score:g}"
        away = elsewhere(members)
        if away:
            explanation += f"; no programme in {treg} on record: listed after those with one"
        elif treg and not (proximity or bloc or present_pt):
            explanation += f"; at work in {treg} " + (
                "on other themes or by a regional programme"
                if org in there
                else "through another body of the same donor: "
                + ", ".join(sorted(o for o in there if facts.family(o, up) == facts.family(org, up))[:3])
            )
        if len(members) > 1:  # one donor, one suggestion
            explanation += "; the same donor also through " + ", ".join(m[1] for m in members[1:])
        rows.append(
            {
                "theme": t,
                "org": org,
                "name": names[org],
                "score": score,
                "in_region": not away,
                "explanation": explanation,
                # each part's points, as data: the plan reads them (an implementer with evidence there or nearby)
                "parts": {"experience": e.programmes, "proximity": proximity, "bloc": round(bloc, 3), "presence": present_pt},
            }
        )
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
    return sorted(
        out, key=lambda r: (r["theme"], r["score"] is not None, not r.get("in_region", True), -(r["score"] or 0), r["org"])
    )


def unranked_note(store: Any, country: str, matched: Rows) -> list[str]:
    """A line for ``matched``, the answer of :func:`match`, when it matches a country the gaps model does not rank: a
    gap in the data (no income group) or ``all_countries`` lets it answer, and a reader should know that the data do
    not make the country a recipient. None for a ranked country, or for an answer that says it is no recipient.

    >>> from graph.examples import example_store, gaps_records
    >>> s = example_store(gaps_records())
    >>> unranked_note(s, "KEN", match(s, "KEN")), unranked_note(s, "GBR", match(s, "GBR"))
    ([], [])
    >>> unranked_note(s, "GBR", match(s, "GBR", all_countries=True))
    ['United Kingdom is not ranked by the gaps model (high income): these are who could help if it is to receive support']
    >>> s.close()
    """
    if not matched or matched[0]["name"] == "not a recipient":
        return []
    iso3 = Terms.of(store).country(country)
    why = need.outside(store.query(named.COUNTRIES)).get(iso3)
    if not why:
        return []
    name = Terms.of(store).country_names.get(iso3, iso3)
    return [f"{name} is not ranked by the gaps model ({why}): these are who could help if it is to receive support"]


def themes_met(store: Any, country: str, window: Window = Window()) -> list[str]:
    """The GFCE themes of the programmes that name ``country`` (ISO code or name) as a beneficiary in ``window``:
    what `match` does not look for without a theme.

    >>> from graph.examples import example_store, small_batch
    >>> s = example_store([])
    >>> _ = s.write(small_batch())
    >>> themes_met(s, "Kenya"), themes_met(s, "XKX")
    (['A', 'C'], [])
    >>> s.close()
    """
    iso3 = Terms.of(store).country(country)
    support = analysis.SupportTable.read(store, window, iso3, amounts=False).of().values()
    return sorted({t for s in support for t in s.themes})


@dataclass(frozen=True)
class _Experience:
    """An organisation's record on one theme: its programmes, and the countries named by those it funds or
    delivered (:func:`_placed`)."""

    programmes: int
    countries: frozenset[str]


def _experience(store: Any, theme: str, delivered: bool = False) -> dict[str, _Experience]:
    """Per organisation (funder or implementer; with ``delivered``, what it delivered), its programmes on ``theme`` and
    where they worked; built once per cached store for every theme (one pass over who did what), as a plan asks
    every row's country."""
    return _activity(store, delivered)[0].get(theme, {})


def _activity(
    store: Any, delivered: bool = False
) -> tuple[dict[str, dict[str, _Experience]], dict[str, set[str]], dict[str, str]]:
    """One pass over who funds or implements what (a row per organisation and role, its programmes collected):
    per theme each organisation's experience, per country the organisations at work there, and their names; with
    ``delivered``, of the programmes each delivered only (:attr:`queries.network.Activity.implemented`). Built once
    per cached store and role; read-only."""

    def build() -> tuple[dict[str, dict[str, _Experience]], dict[str, set[str]], dict[str, str]]:
        # on coded arrays (network.Members): Python sets per programme and organisation cost 22 s at size XL
        act = network.whole_activity(store)
        ids, themes, countries = network.reach_arrays(store)
        with gc_paused():
            members = network.Members.of(act.implemented if delivered else act.programmes, ids)
            # where it worked: the programmes it funds or delivered, never a partner's seat in another's programme
            # (the OAS, a partner of the Commonwealth's initiative in the Caribbean, is not at work in Kenya, which
            # the initiative also names)
            at = network.Members.of(act.implemented if delivered else _placed(act), ids)
            theme_of = np.repeat(np.arange(len(ids)), np.diff(themes.indptr))  # programme of each (programme, theme)
            rows, umbrella = _umbrella_rows(store, members, ids)
            key = members.org * len(ids) + members.prog  # a membership as one number, to find it among the twice held
            experience: dict[str, dict[str, _Experience]] = {t: {} for t in THEMES}
            for code, t in enumerate(themes.names):
                on = np.zeros(len(ids), bool)
                on[theme_of[themes.values == code]] = True
                # a family once (facts.count_once): an umbrella is no more experience where its component on the
                # theme is the same organisation's (two CAF records of Impact Amplifier's were one fund's)
                held = on[members.prog[rows]] & on[umbrella]
                twice = np.isin(key, members.org[rows[held]] * len(ids) + umbrella[held])
                mine = members.where(on[members.prog] & ~twice)  # the memberships of programmes on theme t
                count = np.bincount(mine.org, minlength=len(mine.orgs)).tolist()
                where = at.where(on[at.prog]).unions(countries)
                experience[t] = {o: _Experience(n, frozenset(where.get(o, ()))) for n, o in zip(count, mine.orgs)}
            org, value = at.pairs(countries)
            by_country = np.argsort(value, kind="stable")
            orgs = np.asarray(at.orgs, dtype=object)[org[by_country]].tolist()
            bounds = np.searchsorted(value[by_country], np.arange(len(countries.names) + 1)).tolist()
            present = {
                c: set(orgs[bounds[i] : bounds[i + 1]]) for i, c in enumerate(countries.names) if bounds[i] < bounds[i + 1]
            }
        return experience, present, dict(act.names)

    return memo(store, "profile.delivered" if delivered else "profile.activity", build)  # type: ignore[no-any-return]


def _umbrella_rows(store: Any, members: network.Members, ids: Any) -> tuple[np.ndarray, np.ndarray]:
    """For each membership of a component, its umbrellas' codes: (membership row, umbrella code) pairs, joined in
    numpy (one pair per component and umbrella)."""
    families = facts.components(store)
    code = {p: i for i, p in enumerate(ids.to_pylist())} if families else {}
    pairs = sorted((code[c], code[u]) for u, cs in families.items() for c in cs if c in code and u in code)
    comp = np.fromiter((c for c, _ in pairs), np.int64, len(pairs))
    umb = np.fromiter((u for _, u in pairs), np.int64, len(pairs))
    start = np.searchsorted(comp, members.prog, "left")
    k = np.searchsorted(comp, members.prog, "right") - start  # umbrellas of each membership's programme
    rows = np.repeat(np.arange(len(members.prog)), k)
    at = np.repeat(start, k) + np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
    return rows, umb[at]


def near(store: Any, iso3: str, theme: str, delivered: bool = False) -> set[str]:
    """Organisations with experience on ``theme`` that work in ``iso3`` or in a country of its UN M49 sub-region:
    the only ones a plan may suggest there (:func:`match` ``only``; the match's own scoring then says which worked
    on the theme nearby). With ``delivered``, experience and work are the programmes they delivered.

    A body that has worked only in its own home country is offered there and nowhere else: its record shows no
    reach beyond its borders (MONUSCO, the UN mission in the Congo, was offered for cybercrime grants in Angola, the
    Central African Republic, Cameroon and Equatorial Guinea)."""
    countries = store.query(named.COUNTRIES)
    sub = next((c["subregion"] for c in countries if c["iso3"] == iso3), None)
    around = {c["iso3"] for c in countries if sub and c["subregion"] == sub} | {iso3}
    present = _present(store, delivered)
    at_work = set().union(*(present.get(c, set()) for c in around))
    at_home = {org for org, h in _only_at_home(store, delivered).items() if h != iso3}
    return (at_work - at_home) & _experience(store, theme, delivered).keys()


def _only_at_home(store: Any, delivered: bool = False) -> dict[str, str]:
    """Organisation -> its home country, for those whose every programme that places them (:func:`_placed`; with
    ``delivered``, that they delivered) names their home country alone, none with a regional or global scope."""

    def build() -> dict[str, str]:
        home = {o["id"]: o["country"] for o in store.query(named.ORGANISATIONS) if o["country"]}
        act = network.whole_activity(store)
        placed = act.implemented if delivered else _placed(act)
        wide = {r["programme"] for r in store.query(named.PROGRAMME_SCOPES) if r["scope"] in ("regional", "global")}
        worked: dict[str, set[str]] = defaultdict(set)
        for c, orgs in _present(store, delivered).items():
            for org in orgs & home.keys():
                worked[org].add(c)
        return {org: home[org] for org, where in worked.items() if where == {home[org]} and not placed.get(org, set()) & wide}

    return memo(store, f"profile.only_at_home.{delivered}", build)  # type: ignore[no-any-return]


def _placed(act: network.Activity) -> dict[str, set[str]]:
    """Organisation -> the programmes that place it where they work: those it funds or delivered (led, or
    implemented where no lead is named), not those it joined as a partner."""
    out: dict[str, set[str]] = defaultdict(set)
    for roles in (act.funded, act.implemented):
        for org, progs in roles.items():
            out[org] |= progs
    return out


def _present(store: Any, delivered: bool = False) -> dict[str, set[str]]:
    """Country -> the organisations with a programme that names it and places them there (:func:`_placed`; with
    ``delivered``, one they delivered)."""
    return _activity(store, delivered)[1]


def _in_region(store: Any, delivered: bool = False) -> dict[str, set[str]]:
    """UN M49 region -> the organisations with a programme there (with ``delivered``, one they delivered): one
    naming a country of the region, or a regional one whose stated scope covers it (one of its sub-regions or a
    bloc with members there counts). Global programmes place no one in a region. Built once per cached store."""

    def build() -> dict[str, set[str]]:
        countries = store.query(named.COUNTRIES)
        present = _present(store, delivered)
        out: dict[str, set[str]] = defaultdict(set)
        for c in countries:
            if c["region"] and c["iso3"] in present:
                out[c["region"]] |= present[c["iso3"]]
        parent = {c["subregion"]: c["region"] for c in countries if c["subregion"] and c["region"]}
        act = network.whole_activity(store)
        scopes = {sc["programme"]: sc for sc in analysis.programme_scopes(store) if sc["scope"] == "regional"}
        covered = {p: {r for r in set(parent.values()) if analysis._covers(sc, r, "region", parent)} for p, sc in scopes.items()}
        for org, progs in (act.implemented if delivered else _placed(act)).items():
            for prog in progs & covered.keys():
                for region in covered[prog]:
                    out[region].add(org)
        return dict(out)

    return memo(store, "profile.in_region.delivered" if delivered else "profile.in_region", build)  # type: ignore[no-any-return]


def _org_names(store: Any) -> dict[str, str]:
    return network.whole_activity(store).names  # every organisation's, whichever role a match ranks


def profile(store: Any, name: str) -> list[tuple[str, Rows]]:
    """Sections of ``(title, rows)`` about a country (ISO code or name), an organisation (id or name) or a programme
    (id or name).

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
    progs = catalogue.by_id(store)
    if name.strip() in progs and name.strip() not in Terms.of(store).org_names:  # a programme's id, as lists give it
        return programme_profile(store, name.strip())
    try:
        kind, key = Terms.of(store).actor(name)
    except terms.UnknownName as e:
        # a programme's id or name as people type it (any case, accents, punctuation), as every name is read
        called = {normalise_name(q): q for q in progs} | {normalise_name(p["name"]): q for q, p in progs.items()}
        typed = normalise_name(name)
        if typed in called:
            return programme_profile(store, called[typed])
        close = [called[c] for c in get_close_matches(typed, list(called), n=1, cutoff=0.75)]
        hint = e.hint
        if close:  # a programme's name nearly typed: first, before the countries and organisations nearest it
            shown = f"the programme {progs[close[0]]['name']} ({close[0]})"
            others = e.hint.removeprefix("did you mean ").rstrip("?") if e.hint.startswith("did you mean") else ""
            hint = f"did you mean {shown}{', or ' + others if others else ''}?"
        raise terms.UnknownName(f"no country, organisation or programme {name!r} in the graph", hint) from None
    if kind == "country":
        return _country_profile(store, _country(store, key))
    return _org_profile(store, next(o for o in store.query(named.ORGANISATIONS) if o["id"] == key))


def in_short(store: Any, sections: list[tuple[str, Rows]]) -> list[str]:
    """A profile's first lines: what a reader looks for first, each figure as one of ``sections`` (from
    :func:`profile`) gives it, so the lines and the tables under them never disagree. A programme's first section
    already says what it is: it gets none.

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import gaps_records as records
    >>> s = example_store(records())
    >>> for line in in_short(s, profile(s, "GHA")) + in_short(s, profile(s, "i1")):
    ...     print(line)
    Ghana is listed apart, not ranked: need unknown (no GCI value).
    2 programmes name it as a beneficiary (a family once), 2 with a funder recorded, from 2 donors: most from Funder One (2 programmes).
    Its programmes cover 2 of the 5 GFCE themes (A, C); none is on B (Cyber Incident Management & Critical Infrastructure Protection), D (Cyber Security Culture & Skills) or E (Cyber Security Standards).
    Implementer One (other) implements 1 programme, naming 2 countries in all.
    It works with 1 organisation, Funder One (1 shared programme).
    It ranks 3 of 3 as a broker (on no shortest path between others).
    >>> s.close()
    """
    titled = dict(sections)
    if "Country" in titled:
        return _country_short(store, titled)
    if "Organisation" in titled:
        return _org_short(store, titled)
    return []


def _counted(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def leaders(rows: Rows, count: str, name: str, unit: str) -> str:
    """Those of ``rows`` with the most ``count``: "the European Union and Japan (3 programmes each)", or how many
    share the most when they are more than three: a tie is said, never broken by the order of the rows.

    >>> rows = [{"n": "EU", "p": 3}, {"n": "UK", "p": 3}, {"n": "US", "p": 1}]
    >>> leaders(rows, "p", "n", "programme"), leaders(rows[1:], "p", "n", "programme")
    ('EU and UK (3 programmes each)', 'UK (3 programmes)')
    """
    top = max((r[count] for r in rows), default=0)
    first = [r[name] for r in rows if r[count] == top]
    each = " each" if len(first) > 1 else ""
    if len(first) > 3:
        return f"{len(first)} of them ({_counted(top, unit)}{each})"
    said = first[0] if len(first) == 1 else ", ".join(first[:-1]) + " and " + first[-1]
    return f"{said} ({_counted(top, unit)}{each})"


def _country_short(store: Any, titled: dict[str, Rows]) -> list[str]:
    (c,) = titled["Country"]
    lines = [standing(store, c["iso3"]) + "."]
    support = titled["Supported by"]
    named_by = {p for r in support for p in r["programme_ids"]}
    donors = [r for r in support if r["funder"]]
    funded = {p for r in donors for p in r["programme_ids"]}
    if not named_by:
        said = "No programme names it as a beneficiary"
    else:
        said = f"{_counted(len(named_by), 'programme')} {'names' if len(named_by) == 1 else 'name'} it as a beneficiary"
        said += " (a family once)"
        if donors:
            said += f", {len(funded):,} with a funder recorded, from {_counted(len(donors), 'donor')}"
            said += f": most from {leaders(donors, 'programmes', 'funder_name', 'programme')}" if len(donors) > 1 else ""
            said += f" ({donors[0]['funder_name']})" if len(donors) == 1 else ""
        else:
            said += ", none with a funder recorded"
    gap = titled["Gap"]
    if gap and gap[0]["regional"]:
        said += f"; {_counted(gap[0]['regional'], 'regional programme')} reach it by their stated scope"
    lines.append(said + ".")
    if gap and gap[0]["themes"]:
        lines.append(_themes_line(gap[0]["themes"], gap[0]["programmes"]))
    taking = {r["programme"] for r in titled.get(PARTICIPATION, [])}
    if taking:
        lines.append(f"It takes part in {_counted(len(taking), 'programme')} as a participant or host (not support).")
    return lines + [_as_donor_line(r) for r in titled.get(AS_DONOR, [])]


def _as_donor_line(r: dict[str, Any]) -> str:
    """A donor's row (its agencies' funding counted with it, as every donor view counts it) in words."""
    reach = [
        f"{r[k]:,} {what}"
        for k, what in (("naming_countries", "naming countries"), ("regional", "regional"), ("global", "global"))
        if r[k]
    ]
    via = f" (with its agencies: {', '.join(r['agencies'])})" if r["agencies"] else ""
    return f"As a donor{via}, it funds {_counted(r['programmes'], 'programme')}: {', '.join(reach)}."


def _org_short(store: Any, titled: dict[str, Rows]) -> list[str]:
    (o,) = titled["Organisation"]
    home = Terms.of(store).country_names.get(o["country"] or "", o["country"])
    what = ", ".join(str(x).replace("_", " ") for x in (o["kind"], home) if x)
    progs = titled["Programmes"]
    families = facts.components(store)  # a family once, as its donor row and every count: the EU's 53 records are 51

    def once(role: str) -> set[str]:
        return facts.count_once({r["programme"] for r in progs if role in r["roles"]}, families)

    funds, implements = once("FUNDS"), once("IMPLEMENTS")
    doing = [f"{verb} {_counted(len(ids), 'programme')}" for verb, ids in (("funds", funds), ("implements", implements)) if ids]
    countries = {c for r in progs for c in r["countries"]}
    said = f"{o['name']}{f' ({what})' if what else ''} " + (" and ".join(doing) or "funds or implements no programme")
    said += f", {len(funds & implements):,} of them both" if funds & implements else ""
    said += f", naming {_counted(len(countries), 'country', 'countries')} in all" if countries else ""
    # where an umbrella gives way to its components, the count says so (the table below lists every record)
    said += f" (a family once: {len(progs):,} records below)" if len(funds | implements) < len(progs) else ""
    # a donor state's own funding is a part of its funding as a donor (the UK: 15 of its 31 with its agencies')
    lines = [said + ".", *(_as_donor_line(r) for r in titled.get(AS_DONOR, []) if r["agencies"])]
    mates = titled["Collaborators"]
    if len(mates) == 1:
        lines.append(f"It works with 1 organisation, {mates[0]['name']} ({_counted(mates[0]['shared'], 'shared programme')}).")
    elif mates and len({r["shared"] for r in mates}) == 1:  # all alike: no one to single out
        lines.append(
            f"It works with {_counted(len(mates), 'organisation')}, {_counted(mates[0]['shared'], 'shared programme')} each."
        )
    elif mates:
        lines.append(
            f"It works with {_counted(len(mates), 'organisation')}, most with "
            f"{leaders(mates, 'shared', 'name', 'shared programme')}."
        )
    standing = titled["Broker standing"]
    lines += [_as_broker(store, o["id"], r, len(standing) > 1) for r in standing]
    return lines


def _as_broker(store: Any, oid: str, r: dict[str, Any], also_funds: bool) -> str:
    """A Broker standing row in words: an agency's funding is its donor's row, named as such; what it implements
    its own."""
    of = len(network.collaboration(store, agencies=False).nodes)
    who = f"Its funding counts with its donor, {r['name']}, which"
    if r["org"] == oid:
        who = "As an implementer, it" if also_funds else "It"
    where = "on no shortest path between others" if not r["betweenness"] else "between otherwise separate groups"
    return f"{who} ranks {r['rank']:,} of {of:,} as a broker ({where})."


PARTICIPATION = "Takes part in (as a participant or host, not counted as support)"
AS_DONOR = "As a donor (through its agencies)"


def programme_profile(store: Any, pid: str) -> list[tuple[str, Rows]]:
    """A programme's sections, as its page in the app gives them (:func:`queries.catalogue.programme_page`), what it
    is first: its name, description, status from its dates today, and the page it was read from.

    Examples
    --------
    >>> from graph.examples import example_store, gaps_records
    >>> s = example_store(gaps_records())
    >>> [(title, len(rows)) for title, rows in profile(s, "pA")][:4]
    [('Programme', 1), ('Funded by', 1), ('Implemented by', 1), ('Countries it names', 2)]
    >>> s.close()
    """
    p = catalogue.by_id(store)[pid]
    sections = catalogue.programme_page(store, pid)
    (about,) = sections[0][2]
    head = {"programme": pid, "name": p["name"], **about, "description": p["description"]}
    head |= {"source": p["source"], "as_of": p["as_of"]}
    return [("Programme", [head]), *((title, rows) for _, title, rows in sections[1:])]


def not_ranked_because(store: Any, name: str) -> str:
    """Why a country (ISO code or name) has no row in the gaps ranking: the rule that leaves it out
    (:func:`queries.need.outside`), else an unknown need.

    >>> from graph.examples import example_store
    >>> from graph.examples import gaps_records as records
    >>> s = example_store(records())
    >>> not_ranked_because(s, "GBR"), not_ranked_because(s, "Ghana")
    ('high income', 'need unknown (no GCI value)')
    >>> s.close()
    """
    iso3 = Terms.of(store).country(name)
    return need.outside(store.query(named.COUNTRIES)).get(iso3) or "need unknown (no GCI value)"


# Why a section of a profile can be empty: what the graph does not hold about its subject (the command and the
# app's pages say the same; the command adds what to run next).
EMPTY = {
    "Need indicators": "no index value for {name} in the graph",
    "GCI change 2020 to 2024": "no GCI score for {name} in either edition",
    "Supported by": "no funded programme targets {name}",
    "Gap": "{name} is not ranked: {why}",
    "Concentration": "no funded programme targets {name}",
    PARTICIPATION: "no programme names {name} as a participant or host",
    "Programmes": "{name} funds or implements no programme",
    "Collaborators": "{name} shares no programme with another organisation and has no partnership",
    "Broker standing": "{name} takes part in no programme, so it has no place in the collaboration graph",
    "Partnership opportunities": "{why}",
    "Funded by": "no funder recorded for {name}: its page names none",
    "Implemented by": "no implementer recorded for {name}",
    "Countries it names": "{name} names no country: {why}",
    "Umbrella and components": "{name} is no umbrella's component and has none of its own",
    "Years it runs (with its components)": "{name} states no start date",
}


def standing(store: Any, iso3: str) -> str:
    """Where a country stands in the gaps ranking (``ccb gaps``, by default), in words: its Gap row gives its
    priority, not whether that is high.

    >>> from graph.examples import example_store
    >>> from graph.examples import gaps_records as records
    >>> s = example_store(records())
    >>> standing(s, "KEN")
    'Kenya ranks 2 of 2 by priority (1 is the most in need of support); unchanged when any one need weight moves by ±25%'
    >>> s.close()
    """
    return analysis.gaps(store, sensitivity=False).standing(iso3, Terms.of(store).country_names[iso3])


def empty_because(store: Any, key: str, title: str, name: str) -> str:
    """Why the section ``title`` of ``key``'s profile (``name`` is how to call it) has no row.

    >>> from graph.examples import example_store
    >>> from graph.examples import gaps_records as records
    >>> s = example_store(records())
    >>> empty_because(s, "GBR", "Gap", "United Kingdom"), empty_because(s, "GHA", "Supported by", "Ghana")
    ('United Kingdom is not ranked: high income', 'no funded programme targets Ghana')
    >>> s.close()
    """
    why = ""
    if title == "Gap":
        why = not_ranked_because(store, key)
    elif title == "Partnership opportunities":
        why = no_partners_because(store, key)
    elif title == "Countries it names":
        why = scope_said(catalogue.by_id(store).get(key), Terms.of(store).org_names)
    return EMPTY.get(title, "none in the graph for {name}").format(name=name, why=why)


def scope_said(programme: dict[str, Any] | None, org_names: dict[str, str]) -> str:
    """Where a programme that names no country works, as its scope states it: a region, sub-regions, a group's
    members, or the world (the profile said "its scope is a region or the world", and hid which at 80 columns).

    >>> scope_said({"scope": "regional", "scope_regions": ["Caribbean", "Central America"], "scope_blocs": ["oas"]},
    ...     {"oas": "Organization of American States"})
    'it is a regional programme for the Caribbean, Central America and the members of the Organization of American States'
    >>> scope_said({"scope": "global", "scope_regions": [], "scope_blocs": []}, {})
    'it is a global programme, open to every country'
    """
    if programme is None:
        return "its scope is a region or the world"
    if programme["scope"] == "global":
        return "it is a global programme, open to every country"
    parts = [terms.area_said(a) for a in programme["scope_regions"] or []]
    groups = (org_names.get(b, b) for b in programme["scope_blocs"] or [])
    parts += [f"the members of the {g[4:] if g.lower().startswith('the ') else g}" for g in groups]
    if not parts:
        return "its page names neither countries nor a region"
    return f"it is a regional programme for {terms.spoken(parts)}"


def _suggests(store: Any, oid: str) -> bool:
    return network.acts_itself(store, oid)


def no_partners_because(store: Any, name: str) -> str:
    """Why an organisation's page suggests no partner: it funds or delivers no programme of its own (partners are
    suggested from where an organisation acts itself), else no one shares its countries and themes without already
    working with it.

    >>> from graph.examples import example_store, gaps_records
    >>> from graph.model import Implements, Organisation
    >>> s = example_store([*gaps_records(), Organisation(id="p", name="P", source="s"), Implements(src="p", dst="pA",
    ...     role="partner", source="s"), Implements(src="i1", dst="pA", role="lead", source="s")])
    >>> no_partners_because(s, "p")
    "P funds or delivers no programme of its own; it only partners in others' (partners are suggested from where an organisation acts itself)"
    >>> s.close()
    """
    oid = Terms.of(store).organisation(name)
    names = network.whole_activity(store).names
    who = names.get(oid) or next((o["name"] for o in store.query(named.ORGANISATIONS) if o["id"] == oid), oid)
    if oid not in names:
        return f"{who} takes part in no programme"
    if not _suggests(store, oid):
        return (
            f"{who} funds or delivers no programme of its own; it only partners in others' (partners are suggested "
            "from where an organisation acts itself)"
        )
    return f"no organisation shares {who}'s countries and themes without already working with it"


def _themes_line(covered: list[str], programmes: int) -> str:
    """The themes a country's ``programmes`` cover, and by name those none is on: the gap a strategist looks for.

    >>> _themes_line(["A", "B", "C", "D", "E"], programmes=7)
    'Its programmes cover all 5 GFCE themes.'
    >>> _themes_line(["B", "C", "D", "E"], programmes=1)
    'Its programme covers 4 of the 5 GFCE themes (B, C, D, E); it is not on A (Cyber Security Policy & Strategy).'
    """
    missing = [t for t in THEMES if t not in covered]
    # the Central African Republic's one programme read "Its programmes cover 1 of the 5"
    what, none_is = ("Its programme covers", "it is not on") if programmes == 1 else ("Its programmes cover", "none is on")
    if not missing:
        return f"{what} all {len(THEMES)} GFCE themes."
    none = terms.spoken([f"{t} ({THEMES[t]})" for t in missing], "or")
    return f"{what} {len(covered)} of the {len(THEMES)} GFCE themes ({', '.join(covered)}); {none_is} {none}."


def _pillar(r: dict[str, Any]) -> str:
    """An indicator row's pillar as a reader reads it: a headline score's is "overall"; a CMM row with no stage or
    score records that a review took place (the need model's ``no_review``): "reviewed", not "overall" and blanks.

    >>> _pillar({"family": "gci", "pillar": None, "score": 40.1}), _pillar({"family": "gci", "pillar": "legal"})
    ('overall', 'legal')
    >>> _pillar({"family": "cmm", "pillar": None, "score": None, "tier": None, "stage": None})
    'reviewed'
    """
    if r["family"] == "cmm" and not r.get("pillar") and all(r.get(k) is None for k in ("score", "tier", "stage")):
        return "reviewed"
    return r["pillar"] or "overall"


def _country_profile(store: Any, c: dict[str, Any]) -> list[tuple[str, Rows]]:
    iso3 = c["iso3"]
    blocs = store.query(named.COUNTRY_MEMBERSHIPS, {"iso3": iso3})
    memberships = [m["bloc_name"] for m in blocs if m["valid_to"] is None]
    # Cuba, on the OAS's list but not taking part since 1962, read as a member of nothing
    ended = [f"{m['bloc_name']} ({m['valid_to']})" for m in blocs if m["valid_to"] is not None]
    indicators = [r for r in store.query(named.COUNTRY_INDICATORS) if r["iso3"] == iso3]
    gap = analysis.country_gaps(store, country=iso3)
    conc = analysis.concentration(store, country=iso3)
    return [
        (
            "Country",
            [
                {"iso3": iso3, "name": c["name"], "region": c["region"], "subregion": c["subregion"]}
                | {"member_of": memberships}
                | ({"left_or_suspended": ended} if ended else {})  # most have none: no empty column
            ],
        ),
        # an index's headline score has no pillar: "overall", as the GCI change below names it, not a blank cell
        ("Need indicators", [{k: v for k, v in r.items() if k != "iso3"} | {"pillar": _pillar(r)} for r in indicators]),
        ("GCI change 2020 to 2024", progress.changes(store, iso3)),
        (
            "Supported by",
            [
                # with each programme's whole money, labelled as shared (Kenya's page showed none of the EU's EUR 3m)
                {
                    k: r[k]
                    for k in (
                        "funder",
                        "funder_name",
                        "programmes",
                        "programme_ids",
                        "themes",
                        "implementers",
                        "amount",
                        "programme_money",
                    )
                }
                for r in analysis.supports(store, country=iso3)
            ],
        ),
        ("Gap", gap),
        ("Concentration", conc),
        (
            PARTICIPATION,
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
    keep = (
        "funder",
        "funder_name",
        "agencies",
        "programmes",
        "contributed",
        "naming_countries",
        "regional",
        "global",
        "countries",
    )
    return [(AS_DONOR, [{k: r[k] for k in keep} | {"programme_ids": r["programme_ids"]} for r in rows])]


def _org_profile(store: Any, org: dict[str, Any]) -> list[tuple[str, Rows]]:
    oid = org["id"]
    act = network.whole_activity(store)
    roles: dict[str, set[str]] = defaultdict(set)  # a programme it funds and implements is one row, not two
    for r in network.org_programmes(store):
        if r["org"] == oid:
            roles[r["programme"]].add(r["role"])
    reach = network.reach_of(store, roles)  # this organisation's programmes alone
    programmes = [
        {"programme": p, "roles": sorted(roles[p]), "themes": reach[p][0], "countries": reach[p][1]} for p in sorted(roles)
    ]
    standing = network.brokers(store, org=oid) if oid in act.names else []
    return [
        ("Organisation", [{k: org[k] for k in ("id", "name", "kind", "country", "aliases", "source")}]),
        ("Programmes", programmes),
        ("Collaborators", _collaborators(store, oid)),
        ("Broker standing", standing),
        # only from where it acts itself: a partner in others' programmes alone gets none (its page failed whole)
        ("Partnership opportunities", network.partners(store, org=oid, limit=5) if _suggests(store, oid) else []),
        *_as_donor(store, org=oid),
        *_members(store, oid),
    ]


def members_cited(rows: Rows) -> list[str]:
    """A bloc's member rows' sources, each once: the page most rows cite, then each other with the members it
    states.

    >>> members_cited([{"iso3": "ARM", "source": "eu-page"}, {"iso3": "BLR", "source": "news"},
    ...                {"iso3": "GEO", "source": "eu-page"}])
    ['source: eu-page', 'source, BLR: news']
    """
    by: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        by[r["source"]].append(r["iso3"])
    ranked = sorted(by.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [f"source: {ranked[0][0]}"] + [f"source, {', '.join(codes)}: {src}" for src, codes in ranked[1:]]


def _members(store: Any, oid: str) -> list[tuple[str, Rows]]:
    """A bloc's member states (none for an organisation that is no group of states): the countries its programmes
    "for member states" reach, and, with the day, those that left or whose participation is suspended, whom
    they no longer reach (Nicaragua's OAS membership ends on 19 November 2023)."""
    rows = store.query(named.BLOC_MEMBERS_OF, {"id": oid})
    # current members first, then those gone, each in code order
    rows.sort(key=lambda r: (r["until"] is not None, r["iso3"]))
    return [("Member states", rows)] if rows else []


def _collaborators(store: Any, oid: str) -> Rows:
    """Who ``oid`` works with, counted as its broker standing counts them: a donor's agencies' funding is the
    donor's (``through_agencies`` names those, of either side, that fund a programme the two share), so the United
    Kingdom's page lists the partners of the FCDO's programmes and the two give one number. An agency's own page
    lists its own ties, as recorded: its standing is its donor's row, which names it."""
    rolled = network.collaboration(store, agencies=False)  # the graph the brokers' ranking reads
    agency = any(oid in bodies for bodies in rolled.act.counted_with.values())
    c = network.collaboration(store) if agency else rolled
    if oid not in c.index:
        return []
    mine = c.act.programmes[oid]
    funded: dict[str, set[str]] = defaultdict(set)  # agency -> its funded programmes shared with ``oid``
    for r in network.org_programmes(store):
        if r["role"] == "FUNDS" and r["programme"] in mine:
            funded[r["org"]].add(r["programme"])
    bodies = c.act.counted_with

    def through(n: str) -> list[str]:  # the agencies, of either side, whose funding makes the tie
        shared = mine & c.act.programmes[n]
        return sorted(a for a in bodies.get(oid, set()) | bodies.get(n, set()) if funded[a] & shared)

    return [
        {
            "org": n,
            "name": c.act.names.get(n, n),
            "shared": w,  # programmes shared (a partnership with none shared counts 1)
            "through_agencies": through(n),
        }
        for n, w in sorted(c.neighbours(oid), key=lambda t: (-t[1], t[0]))
    ]
