"""Who supports whom, where the gaps are, and how concentrated funding is.

Every analysis starts from the *flows*: a programme x target country x
funder (funder empty where none is recorded). The window and theme are
applied in the store (:func:`queries.named.flow_query`: the same Cypher on
both stores), and each analysis asks for the flows grouped as it needs
them (per country and theme set, per country and funder), so few rows
leave the store; :func:`flows` still gives every row, for a caller who wants them.

A flow is in the window ``[year_from, year_to]`` when the programme's
period and the relationships' validity overlap it; an unknown start or end
does not exclude it (most sources give no end date for ongoing work).
Amounts are summed per currency and never converted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graph.errors import CCBError
from graph.model import THEMES
from graph.store import Store, cached, is_cached, memo
from queries import facts, named, need, terms
from queries.facts import donors as donors  # re-exported: analyses and callers ask analysis.donors
from queries.terms import Terms

Row = dict[str, Any]


@dataclass(frozen=True)
class Window:
    """Years from and to, both inclusive; ``None`` is open."""

    year_from: int | None = None
    year_to: int | None = None

    def __post_init__(self) -> None:
        terms.years(self.year_from, self.year_to)

    def overlaps(self, start: str | None, end: str | None) -> bool:
        """Whether a period from ``start`` to ``end`` (ISO dates, either unknown) meets the window's years."""
        if self.year_to is not None and start and int(start[:4]) > self.year_to:
            return False
        return not (self.year_from is not None and end and int(end[:4]) < self.year_from)

    def params(self, theme: str | None = None, country: str | None = None) -> dict[str, str]:
        """The parameters of the flow queries (:func:`queries.named.flow_query`): the window as text bounds.

        A period overlaps the window when it starts before ``before`` and
        does not end before ``after``; ISO dates compare as text.

        >>> Window(2020, 2022).params("C")
        {'before': '2023', 'after': '2020', 'theme': 'C'}
        """
        out = {
            "before": "~" if self.year_to is None else f"{self.year_to + 1:04d}",  # "~" sorts after every digit
            "after": "" if self.year_from is None else f"{self.year_from:04d}",
            "theme": theme or "",
        }
        return out | ({"iso3": country} if country else {})

    def __str__(self) -> str:
        """The years as a sentence says them ("2020-..." read as a cut-off line).

        >>> str(Window()), str(Window(2020, 2022)), str(Window(2020)), str(Window(None, 2000))
        ('any year', '2020-2022', '2020 or later', '2000 or earlier')
        """
        if self.year_from is None and self.year_to is None:
            return "any year"
        if self.year_to is None:
            return f"{self.year_from} or later"
        if self.year_from is None:
            return f"{self.year_to} or earlier"
        return f"{self.year_from}-{self.year_to}"


def flows(store: Store, window: Window = Window(), *, theme: str | None = None, country: str | None = None) -> list[Row]:
    """The flow table, filtered to ``window`` and ``theme`` (and to one ``country``'s ISO code), in a stable order.

    Each row names its ``funder`` (the organisation the FUNDS link starts at)
    and its ``donor`` (the state or bloc that funder is part of; itself when
    it is part of nothing).
    """
    theme = terms.theme(theme)
    up = donors(store)
    out = store.query(named.COUNTRY_FLOWS if country else named.FLOWS, window.params(theme, country))  # filtered there
    for r in out:
        r["donor"], r["donor_name"] = up.get(r["funder"], (r["funder"], r["funder_name"]))
    return sorted(out, key=lambda r: (r["iso3"], r["programme"], r["funder"] or ""))


@dataclass
class Support:
    """What reaches one country in a window: programmes, their funders and themes, and the amounts stated."""

    programmes: set[str]
    funders: set[str]  # as recorded: agencies are not rolled up to their donor here
    themes: set[str]
    amounts: list[tuple[str, float, str]]  # (programme, amount, currency), a programme once, by programme

    def money(self) -> dict[str, float]:
        """Known amounts per currency, each programme once, summed in programme order."""
        out: dict[str, float] = defaultdict(float)
        for _, amount, currency in self.amounts:
            out[currency] += amount
        return dict(sorted(out.items()))


@dataclass
class SupportTable:
    """Support per country in a window, for every theme at once: read grouped by the programmes' theme sets.

    :meth:`of` gives one theme's view (or every theme's) without another read.
    """

    cells: list[Row]  # iso3, themes, programmes, funders
    amounts: dict[str, list[Row]]  # iso3 -> programme, themes, amount, currency

    @classmethod
    def read(cls, store: Store, window: Window = Window(), country: str | None = None, *, amounts: bool = True) -> SupportTable:
        """Two grouped queries: a row per country and theme set, and per country its stated amounts (not read
        when ``amounts`` is false: a caller that wants programmes and themes only)."""
        if country and is_cached(store):  # the whole table is read once per cached store; a country is a filter of it
            whole = memo(
                store,
                f"analysis.support.{window.year_from}.{window.year_to}.{amounts}",
                lambda: cls.read(store, window, amounts=amounts),
            )
            return cls([c for c in whole.cells if c["iso3"] == country], {k: v for k, v in whole.amounts.items() if k == country})
        params = window.params(None, country)
        cells = store.query(named.COUNTRY_SUPPORT if country else named.SUPPORT, params)
        stated = (
            {r["iso3"]: r["amounts"] for r in store.query(named.COUNTRY_LINK_AMOUNTS if country else named.LINK_AMOUNTS, params)}
            if amounts
            else {}
        )
        return cls(cells, stated)

    def of(self, theme: str | None = None) -> dict[str, Support]:
        """Per country, the support on ``theme`` (any theme when None)."""
        out: dict[str, Support] = {}
        for cell in self.cells:
            themes = cell["themes"] or []
            if theme and theme not in themes:
                continue
            s = out.setdefault(cell["iso3"], Support(set(), set(), set(), []))
            s.programmes.update(cell["programmes"])
            s.funders.update(cell["funders"])
            s.themes.update(themes)
        for iso3, s in out.items():
            s.amounts = sorted(
                (a["programme"], a["amount"], a["currency"])
                for a in self.amounts.get(iso3, [])
                if a["programme"] in s.programmes  # the theme's programmes only
            )
        return out


def _per_currency(m: dict[str, float]) -> dict[str, float] | None:
    """Sums per currency as raw numbers (``{"EUR": 4200000.0}``), or None when nothing is known: never converted."""
    return dict(sorted(m.items())) or None


NO_FUNDER = ""  # the funder key of the row that gathers programmes with no funder recorded


def supports(
    store: Store,
    *,
    country: str | None = None,
    funder: str | None = None,
    theme: str | None = None,
    window: Window = Window(),
    by: str = "pair",
    agencies: bool = False,
    region: str | None = None,
) -> list[Row]:
    """Funder -> country support: programmes always, amounts where known, implementers shown.

    ``by`` is ``pair`` (a row per funder and country), ``country`` (who
    supports each country) or ``funder`` (whom each funder supports).
    Funders are counted as donors (agencies rolled up to their state or
    bloc through PART_OF) unless ``agencies``; ``funder`` may name either.
    ``region`` (a UN M49 region or sub-region) keeps the countries there.

    What is counted is :mod:`queries.facts`' one definition: a ``funder`` row
    counts every programme the donor funds in the window, those that name
    countries and, in their own columns, the ``regional`` and ``global``
    ones (in a ``region``, the regional ones whose scope covers it).
    Programmes that name a country with no funder recorded are gathered in
    one row whose ``funder`` is empty, so a country's rows hold every
    programme that names it. ``amount`` sums the amounts stated per
    programme and country; ``budget`` (on ``funder`` rows) is the whole
    budget of each programme counted once; on a country's rows, a
    programme's whole money is never that country's: ``programme_money``
    gives each programme's budget, else its stated contributions (on a
    donor's row, that donor's), labelled as shared by the countries the
    programme names or as naming that country alone.

    Examples
    --------
    >>> import os, tempfile
    >>> from graph.embedded import EmbeddedStore
    >>> from graph.examples import small_batch
    >>> s = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "g.lbdb"))
    >>> _ = s.write(small_batch())
    >>> [(r["funder"], r["country"], r["programmes"], r["programme_money"]) for r in supports(s)]
    [('eu', 'GHA', 1, ['p1 EUR 4,200,000: budget of a programme shared by 2 countries']), \
('eu', 'KEN', 1, ['p1 EUR 4,200,000: budget of a programme shared by 2 countries'])]
    >>> [(r["funder"], r["programmes"], r["budget"]) for r in supports(s, by="funder")]
    [('eu', 1, {'EUR': 4200000.0})]
    >>> s.close()
    """
    if by not in ("pair", "country", "funder"):
        raise ValueError("by is pair, country or funder")
    theme = terms.theme(theme)
    area = terms.region(region)
    if country is not None or funder is not None:  # an empty name is no name, not "every one"
        names = Terms.of(store)
        country = names.country(country) if country is not None else None
        funder = names.organisation(funder) if funder is not None else None
    who = "funder" if agencies else "donor"
    rows = [
        r for r in funded_flows(store, window, theme=theme, country=country) if not area or area in (r["region"], r["subregion"])
    ]
    if funder:
        rows = [r for r in rows if funder in (r["funder"], r["donor"])]
    elif by != "funder":  # a country's programmes with no funder recorded: one row, so nothing that names it is dropped
        rows += _unfunded(store, window, theme, country, area, {(r["iso3"], r["programme"]) for r in rows})
    amounts = link_amounts(store, window, theme=theme, country=country)
    themes, budgets, implementers = programme_themes(store), programme_budgets(store), _implementers(store)
    named_by = _countries_named(store)
    payers = _payers(store, sorted(budgets), agencies) if by == "funder" else {}  # for the budgeted ones alone
    whole_money = None if by == "funder" else _whole_money(budgets, _stated_contributions(store, agencies), named_by)
    keys: Callable[[Row], tuple[str, ...]] = {
        "pair": lambda r: (r[who], r["iso3"]),
        "country": lambda r: (r["iso3"],),
        "funder": lambda r: (r[who],),
    }[by]
    groups: dict[tuple[str, ...], list[Row]] = defaultdict(list)
    for r in rows:  # in (country, programme, funder) order, as the flow table's rows
        groups[keys(r)].append(r)
    beyond: dict[str, dict[str, set[str]]] = {}  # funder (or donor) -> regional / global programmes naming no country
    beyond_names: dict[str, str] = {}
    if by == "funder" and not country:
        for r in _beyond_countries(store, window, theme, area, named_by):
            k = r[who]
            if funder and funder not in (r["funder"], r["donor"]):
                continue
            beyond.setdefault(k, {"regional": set(), "global": set()})[r["scope"]].add(r["programme"])
            beyond_names[k] = r[f"{who}_name"] or k
            groups.setdefault((k,), [])
    families = facts.components(store)
    given: dict[str, list[Item]] = defaultdict(list)  # a donor's money per programme, as the breakdown counts it
    above: dict[str, set[str]] = {}
    if by == "funder":
        above = facts.ancestors(families)
        funding = [
            r
            for r in store.query(named.PROGRAMME_FUNDING)
            if window.overlaps(r["start_date"], r["end_date"]) and (not theme or theme in (r["themes"] or []))
        ]
        for item in funder_items(funding, donors(store), agencies):
            given[item[0]].append(item)
    out = []
    for key, grp in sorted(groups.items()):
        pairs = sorted(dict.fromkeys((r["iso3"], r["programme"]) for r in grp))
        mine = {k: sorted(ps) for k, ps in beyond.get(key[0], {"regional": set(), "global": set()}).items()}
        whole = {p for _, p in pairs} | set(mine["regional"]) | set(mine["global"])  # umbrellas too: their money
        if by == "funder":  # a donor's programmes: a family once (an umbrella gives way to its components)
            keep = facts.count_once(whole, families)
            pairs = [(i, p) for i, p in pairs if p in keep]
            mine = {k: [p for p in ps if p in keep] for k, ps in mine.items()}
        progs = sorted({p for _, p in pairs})
        money: dict[str, float] = defaultdict(float)
        for iso3, p in pairs:
            if (a := amounts.get((p, iso3))) is not None:
                money[a[1]] += a[0]
        priced = sum((p, iso3) in amounts for iso3, p in pairs)
        row: Row = {}
        if by in ("pair", "funder"):
            fid = key[0]
            fname = grp[0][f"{who}_name"] if grp else beyond_names[fid]
            row |= {"funder": fid, "funder_name": fname if fid != NO_FUNDER else "no funder recorded"}
            if not agencies:
                row["agencies"] = sorted({r["funder"] for r in grp} - {fid, NO_FUNDER})
        if by in ("pair", "country"):
            row |= {"country": grp[0]["iso3"], "country_name": grp[0]["country"]}
        if by == "country":
            row["funders"] = sorted({r[who] for r in grp} - {NO_FUNDER})
        if by == "funder":
            row["countries"] = sorted({i for i, _ in pairs})
            named_n = len(progs)
            progs = sorted(set(progs) | set(mine["regional"]) | set(mine["global"]))
        row |= {
            "programmes": len(progs),
            "programme_ids": progs,
            "themes": sorted({t for p in progs for t in themes.get(p, [])}),
            "implementers": sorted({i for p in progs for i in implementers.get(p, [])}),
            "amount": _per_currency(money),
        }
        if by == "funder":
            # money a family's once (facts.money_once): an umbrella's budget or contribution holds its components'
            funded = {i[1] for i in given.get(key[0], [])}
            # with the umbrellas above them that it funds, which may name no country themselves (EU4Digital's EUR 7m)
            family = whole | {u for p in whole for u in above.get(p, set()) if u in funded}
            in_budget = facts.money_once(family & set(budgets), families)
            budget: dict[str, float] = defaultdict(float)
            for p in sorted(in_budget):  # in one order: a float sum depends on it
                budget[budgets[p][1]] += budgets[p][0]
            budgeted = len(in_budget)
            cofunded = sum(payers.get(p, 1) > 1 for p in in_budget)
            # a contribution is to a programme wherever it runs: no page splits it by region or country
            money_items = [] if area or country else [i for i in given.get(key[0], []) if i[1] in family]
            paid = facts.money_once({p for _, p, a, _, _ in money_items if a is not None}, families)
            row |= {
                "naming_countries": named_n,
                "regional": len(mine["regional"]),
                "global": len(mine["global"]),
                "contributed": family_sums(money_items, families) or None,
                "budget": _per_currency(budget),
                "explanation": f"{len(progs)} programme(s) active in {window}: {named_n} name countries, "
                f"{len(mine['regional'])} regional, {len(mine['global'])} global; amounts known for {priced} of {len(pairs)} "
                + (
                    "programme-country links; contributed: not given for a region or a country (a contribution is to "
                    "a programme wherever it runs, and no page splits it by place)"
                    if area or country
                    else f"programme-country links; contributed: its stated contributions, else the budgets of programmes "
                    f"it alone funds, for {len(paid)} programme(s), a family's money once"
                    + (
                        f" (umbrellas whose money holds their components': {', '.join(sorted(paid - keep))})"
                        if paid - keep
                        else ""
                    )
                )
                + f"; budget: whole budgets of the {budgeted} programme(s) that state one, each counted once"
                + (
                    f" ({cofunded} co-funded with other donors: whole budget{'s' if cofunded > 1 else ''}, "
                    "not this donor's share)"
                    if cofunded
                    else ""
                ),
            }
            first = ("funder", "funder_name", "agencies", "programmes", "contributed", "naming_countries", "regional", "global")
            row = {k: row[k] for k in first if k in row} | {k: v for k, v in row.items() if k not in first}
        else:
            assert whole_money is not None
            money_of = whole_money(progs, key[0] if by == "pair" else None)
            row |= {
                "programme_money": money_of,
                "explanation": f"{len(progs)} programme(s) active in {window}; amount: stated for {priced} of {len(pairs)} "
                "programme-country links"
                + ("; programmes' whole money apart (programme_money), never summed as the country's" if money_of else ""),
            }
            if by == "pair":  # who supports whom: the country next to its donor (an 80-column table dropped it)
                lead = ("funder", "funder_name", "country", "country_name", "programmes")
                row = {k: row[k] for k in lead} | {k: v for k, v in row.items() if k not in lead}
        out.append(row)
    return sorted(out, key=lambda r: (r.get("funder") == NO_FUNDER, -r["programmes"], *[str(v) for v in list(r.values())[:2]]))


def _stated_contributions(store: Store, agencies: bool) -> dict[str, dict[str, list[tuple[float, str]]]]:
    """Programme id -> donor (or funder, with ``agencies``) -> its stated contributions (amount, currency), for the
    programmes that state no budget."""
    up = {} if agencies else donors(store)
    out: dict[str, dict[str, list[tuple[float, str]]]] = defaultdict(lambda: defaultdict(list))
    for r in store.query(named.FUNDING_AMOUNTS):  # a row per currency (a grouped read, as every analysis makes)
        for p, f, a in zip(r["programmes"], r["funders"], r["amounts"]):  # collected side by side: one link each
            out[p][up.get(f, (f,))[0]].append((a, r["currency"]))
    return out


def _whole_money(
    budgets: dict[str, tuple[float, str]],
    stated: dict[str, dict[str, list[tuple[float, str]]]],
    named_by: dict[str, int],
) -> Callable[[list[str], str | None], list[str]]:
    """A function giving each programme's whole money beside a country, labelled with the countries it is shared
    by: its budget, else the contributions stated to it (``donor``'s alone on a donor's row). The Philippines' rows
    held Korea's budgetless USD 25.6m centre as no money at all, where a budget of the same kind showed. Each label
    is built once (a programme stands in a row per country it names: 1.4 s at size L built afresh each time)."""
    cache: dict[tuple[str, str | None], list[str]] = {}

    def labels(p: str, donor: str | None) -> list[str]:
        if p in budgets:
            return [f"{p} {facts.money_label(budgets[p][0], budgets[p][1], named_by.get(p, 1))}"]
        per: dict[str, float] = defaultdict(float)
        for d, given in sorted(stated[p].items()):
            if donor is None or d == donor:
                for amount, currency in given:
                    per[currency] += amount
        return [
            f"{p} {facts.money_label(amount, currency, named_by.get(p, 1), 'stated contributions to')}"
            for currency, amount in sorted(per.items())
        ]

    def of(progs: list[str], donor: str | None) -> list[str]:
        out = []
        for p in progs:
            if p in budgets or p in stated:
                key = (p, None if p in budgets else donor)
                if key not in cache:
                    cache[key] = labels(p, donor)
                out += cache[key]
        return out

    return of


def _payers(store: Store, ids: list[str], agencies: bool) -> dict[str, int]:
    """Programme id -> how many donors fund it (agencies rolled up unless ``agencies``), for the programmes ``ids``."""
    up = {} if agencies else donors(store)
    return {
        r["programme"]: len({up.get(f, (f,))[0] for f in r["funders"]})
        for r in store.query(named.PROGRAMME_FUNDERS_BY_ID, {"ids": ids})
    }


def _unfunded(
    store: Store, window: Window, theme: str | None, country: str | None, area: str | None, funded: set[tuple[str, str]]
) -> list[Row]:
    """Flow rows for the programmes naming a country that have no funder recorded (funder and donor empty)."""
    place = {c["iso3"]: c for c in store.query(named.COUNTRIES)}
    out = []
    for iso3, s in SupportTable.read(store, window, country, amounts=False).of(theme).items():
        c = place.get(iso3, {})
        if area and area not in (c.get("region"), c.get("subregion")):
            continue
        for p in sorted(s.programmes):
            if (iso3, p) not in funded:
                out.append(
                    {"iso3": iso3, "country": c.get("name"), "region": c.get("region"), "subregion": c.get("subregion")}
                    | {"programme": p, "funder": NO_FUNDER, "funder_name": None, "donor": NO_FUNDER, "donor_name": None}
                )
    return out


def _countries_named(store: Store) -> dict[str, int]:
    """Programme id -> how many countries it names as beneficiaries (its own list: an umbrella's whole budget is
    shared by all of them, whichever of its components count in a country)."""
    return {p: r["n"] for r in store.query(named.PROGRAMME_COUNTRY_COUNTS) for p in r["programmes"]}


def _beyond_countries(store: Store, window: Window, theme: str | None, area: str | None, named_by: dict[str, int]) -> list[Row]:
    """A row per funder of each funded programme that names no country and is regional or global: ``programme``,
    ``scope``, ``funder``, ``funder_name``, ``donor``, ``donor_name``; ``named_by`` is :func:`_countries_named`, read
    once by the caller.

    In an ``area``, only the regional programmes whose scope covers it; global ones reach every area. Built once per
    cached store and question (the rows are shared: read-only).
    """
    key = f"analysis.beyond.{window.year_from}.{window.year_to}.{theme}.{area}"
    return memo(store, key, lambda: _beyond(store, window, theme, area, named_by))  # type: ignore[no-any-return]


def _beyond(store: Store, window: Window, theme: str | None, area: str | None, named_by: dict[str, int]) -> list[Row]:
    up = donors(store)
    scopes = {s["programme"]: s for s in programme_scopes(store, window, theme)}
    parent = {c["subregion"]: c["region"] for c in store.query(named.COUNTRIES) if c["subregion"]} if area else {}
    level = terms.level_of(area) if area else "region"
    out = []
    for r in store.query(named.PROGRAMME_FUNDING):
        p, f = r["programme"], r["funder"]
        kind = facts.reach_kind(scopes.get(p, {}), named_by.get(p, 0))  # scopes: in the window and on the theme only
        if not f or kind == "targeted" or (kind == "regional" and area and not _covers(scopes[p], area, level, parent)):
            continue
        donor, donor_name = up.get(f, (f, r["funder_name"]))
        out.append(
            {"programme": p, "scope": kind, "funder": f, "funder_name": r["funder_name"]}
            | {"donor": donor, "donor_name": donor_name}
        )
    return out


def _implementers(store: Store) -> dict[str, list[str]]:
    """Programme id -> its implementers (built once per cached store; read-only)."""
    return memo(store, "analysis.implementers", lambda: _read_implementers(store))  # type: ignore[no-any-return]


def _read_implementers(store: Store) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for r in store.query(named.IMPLEMENTED):  # a row per implementer, its programmes collected
        for p in r["programmes"]:
            out[p].append(r["org"])
    return dict(out)  # a plain dict: a lookup of a missing key cannot add one to the shared table


def funded_flows(store: Store, window: Window = Window(), *, theme: str | None = None, country: str | None = None) -> list[Row]:
    """A row per country x programme x funder with a FUNDS link in ``window`` (and on ``theme``), in that order.

    Rows carry ``iso3``, ``country``, ``region``, ``subregion``,
    ``programme``, ``funder``, ``funder_name`` and the ``donor`` and
    ``donor_name`` it rolls up to (itself when it is part of nothing). Read
    grouped per country and funder, so few rows leave the store; built once per cached store and question (treat
    the rows as read-only: they are shared).
    """
    if country and is_cached(store):  # the whole list is built once per cached store; a country is a filter of it
        return [r for r in funded_flows(store, window, theme=theme) if r["iso3"] == country]
    key = f"analysis.funded_flows.{window.year_from}.{window.year_to}.{theme}.{country}"
    return memo(store, key, lambda: _funded_flows(store, window, theme, country))  # type: ignore[no-any-return]


def _funded_flows(store: Store, window: Window, theme: str | None, country: str | None) -> list[Row]:
    up = donors(store)
    out = []
    for g in store.query(named.COUNTRY_FUNDED if country else named.FUNDED, window.params(theme, country)):
        donor, donor_name = up.get(g["funder"], (g["funder"], g["funder_name"]))
        base = {k: g[k] for k in ("iso3", "country", "region", "subregion", "funder", "funder_name")}
        for p in g["programmes"]:
            out.append(base | {"programme": p, "donor": donor, "donor_name": donor_name})
    return sorted(out, key=lambda r: (r["iso3"], r["programme"], r["funder"]))


def link_amounts(
    store: Store, window: Window = Window(), *, theme: str | None = None, country: str | None = None
) -> dict[tuple[str, str], tuple[float, str]]:
    """(programme, country) -> (amount, currency) stated on the TARGETS link, for the flows in ``window``."""
    if country and is_cached(store):  # the whole table once per cached store; a country is a filter of it
        whole = memo(
            store,
            f"analysis.link_amounts.{window.year_from}.{window.year_to}.{theme}",
            lambda: link_amounts(store, window, theme=theme),
        )
        return {k: v for k, v in whole.items() if k[1] == country}
    rows = store.query(named.COUNTRY_LINK_AMOUNTS if country else named.LINK_AMOUNTS, window.params(theme, country))
    return {(a["programme"], r["iso3"]): (a["amount"], a["currency"]) for r in rows for a in r["amounts"]}


def programme_themes(store: Store) -> dict[str, list[str]]:
    """Programme id -> its GFCE themes (read grouped by theme set: a few rows)."""
    return {p: r["themes"] or [] for r in store.query(named.PROGRAMME_THEMES) for p in r["programmes"]}


def programme_budgets(store: Store) -> dict[str, tuple[float, str]]:
    """Programme id -> (budget, currency), for the programmes that state one."""
    return {b["programme"]: (b["budget"], r["currency"]) for r in store.query(named.PROGRAMME_BUDGETS) for b in r["budgets"]}


# -- gaps ----------------------------------------------------------------------------


def need_of(
    country: Row, indicators: list[Row], weights: dict[str, float] | None = None, theme: str | None = None
) -> tuple[float | None, str]:
    """A country's need in [0, 1] (None when unknown) and its explanation: :func:`queries.need.need_of`.

    >>> need_of({"income_group": "Low income", "ldc": True, "sids": False, "lldc": True},
    ...         [{"family": "gci", "edition": "2024", "pillar": None, "score": 20.0, "tier": None}])[0]
    0.82
    """
    return need.need_of(country, indicators, weights or need.DEFAULT_WEIGHTS, theme)


@dataclass
class Gaps:
    """Countries by priority, and what a reader needs beside them: the weights, who was left out, how stable the top is."""

    rows: list[Row]
    weights: dict[str, float]
    left_out: dict[str, list[str]]  # reason -> country codes not ranked by default
    sensitivity: list[Row]
    top: int
    completeness: str = ""  # how much of the field the graph holds: facts.completeness
    # in the window, naming no country: they reach every country, counted apart (one that names countries counts there)
    global_programmes: list[str] = field(default_factory=list)
    country: str | None = None  # the one country asked for: its row alone, no ranking to stand in
    # what the ranking was made of (need.ranking's inputs, the theme), to re-rank one country under moved weights
    inputs: list[tuple[Row, list[Row], int]] = field(default_factory=list, repr=False)
    theme: str | None = None
    theme_programmes: int | None = None  # how many programmes in the graph are on ``theme``: the evidence rule reads it

    @property
    def not_ranked(self) -> dict[str, str]:
        """ISO-3 code -> why the country is not ranked by default: :attr:`left_out` the other way round, for a map."""
        return {iso3: why for why, codes in self.left_out.items() for iso3 in codes}

    def standing(self, iso3: str, name: str, view: str = "this view") -> str:
        """Where one country stands in this ranking, in words: its rank by priority, or why it has none
        (``view`` names what the ranking covers, for a country outside it).

        The rank counts the countries of higher priority (priorities are to 3 places, so ties are common
        and said): the order of a tie is by code, which is no ranking.

        Examples
        --------
        >>> g = Gaps([{"iso3": "NPL", "priority": 0.6, "programmes": 0}, {"iso3": "KEN", "priority": 0.25, "programmes": 1},
        ...           {"iso3": "UGA", "priority": 0.25, "programmes": 1}, {"iso3": "GHA", "priority": None, "programmes": 0}],
        ...          {}, {"high income": ["GBR"]}, [], 0)
        >>> g.standing("KEN", "Kenya")
        'Kenya ranks 2 of 3 by priority (1 is the most in need of support), tied with 1 other'
        >>> g.standing("GHA", "Ghana")
        'Ghana is listed apart, not ranked: need unknown (no GCI value)'
        >>> g.standing("GBR", "United Kingdom")
        'United Kingdom is not ranked: high income'
        """
        if self.country:
            raise ValueError(f"gaps(country={self.country!r}) holds one row, no ranking: ask gaps() for every country")
        mine = next((r for r in self.rows if r["iso3"] == iso3), None)
        if mine is None:
            why = self.not_ranked.get(iso3)
            return f"{name} is not ranked: {why}" if why else f"{name} is not in {view}"
        if mine["priority"] is None:
            return f"{name} is listed apart, not ranked: need unknown (no GCI value)"
        ranked = {r["iso3"]: (r["priority"], r["programmes"]) for r in self.rows if r["priority"] is not None}
        tied = sum(p == mine["priority"] for p, _ in ranked.values()) - 1
        on = f" on theme {self.theme}" if self.theme else ""  # a theme's ranking is not the overall one
        said = (
            f"{name} ranks {need.rank_of(iso3, ranked)} of {len(ranked)} by priority{on} (1 is the most in need of support)"
            + (f", tied with {tied} other{'s' if tied > 1 else ''}" if tied else "")
        )
        if not self.inputs:
            return said
        # a rank is only as firm as the weights behind it: say how far it moves with them, as the footer does for the top
        low, high = need.rank_range(iso3, self.inputs, self.weights, self.theme)
        moved = f"{low} to {high}" if low != high else "unchanged"
        return f"{said}; {moved} when any one need weight moves by ±{need.SENSITIVITY_STEP:.0%}"

    def notes(self, cli: bool = True, within: Collection[str] | None = None, command: str = "") -> list[str]:
        """Footer lines: weights used, who is left out and why, how the top moves with the weights, how complete the data is.

        ``cli=False`` leaves out the command-line advice (the options that change the answer), for a page with a form.
        ``within`` (ISO codes) names only those countries among the unknown and the left out: a country's or a
        donor's briefing shows its own rows, and Andorra's income is no note on Kenya's page. ``command`` names the
        command the advice's options belong to, for a briefing (``ccb report`` takes no ``--weight``).
        """

        def opt(option: str) -> str:
            return f"{command} {option}".strip()

        lines = [
            f"need weights: {need.describe(self.weights)}" + (f" (change one with {opt('--weight NAME=VALUE')})" if cli else "")
        ]
        unknown = [r["iso3"] for r in self.rows if r["need"] is None and (within is None or r["iso3"] in within)]
        if unknown:
            lines.append(f"listed apart, need unknown (no GCI value): {len(unknown)} ({_few(unknown)})")
        left_out = {k: [c for c in v if within is None or c in within] for k, v in self.left_out.items()}
        left_out = {k: v for k, v in left_out.items() if v}
        if left_out:
            parts = [f"{len(v)} {k} ({_few(v)})" for k, v in sorted(left_out.items(), key=lambda kv: (-len(kv[1]), kv[0]))]
            restricted = any(k.startswith("restricted") for k in left_out)
            also = f"; {opt('--include-restricted')} ranks the restricted" if restricted else ""
            lines.append(f"not ranked: {'; '.join(parts)}" + (f"; {opt('--all-countries')} ranks them too{also}" if cli else ""))
        if self.top:  # an empty ranking has no top to keep ("keeps at least 0 of the top 0")
            lines.append(
                need.sensitivity_summary(self.sensitivity, self.top, f"`{opt('--sensitivity')}` for every weight" if cli else "")
            )
        if self.global_programmes:
            lines.append(
                f"global: {len(self.global_programmes)} programme(s) open to every country that name none "
                f"({_few(self.global_programmes, 4)}; a family once) are counted apart, in no country's programmes or "
                "regional column"
            )
        if self.theme and self.theme_programmes is not None and self.theme_programmes < facts.MIN_THEME_PROGRAMMES:
            # as `gaps --by theme` says it: a theme hardly recorded ranks need alone (theme E: 2 programmes in all)
            lines.append(
                f"too little evidence on theme {self.theme}: {self.theme_programmes} programme(s) in the graph name it "
                f"(fewer than {facts.MIN_THEME_PROGRAMMES}), so nearly every country shows none there and this ranking is "
                "mostly need; it says more about what is recorded than about support"
            )
        if self.completeness:
            lines.append(self.completeness)
        return lines


def _few(codes: list[str], n: int = 6) -> str:
    return ", ".join(codes[:n]) + (", ..." if len(codes) > n else "")


def programme_scopes(store: Store, window: Window = Window(), theme: str | None = None) -> list[Row]:
    """Programmes with a regional or global scope in the window (and on ``theme``), with their blocs' reach.

    See :func:`with_bloc_reach` for the ``members`` and ``bloc_areas`` each row gains.
    """
    theme = terms.theme(theme)
    rows = [
        r
        for r in store.query(named.PROGRAMME_SCOPES)
        if window.overlaps(r["start_date"], r["end_date"]) and (not theme or theme in (r["themes"] or []))
    ]
    return with_bloc_reach(store, rows)


def with_bloc_reach(store: Store, rows: list[Row]) -> list[Row]:
    """``rows`` (programmes with ``scope_blocs``), each given ``members``, the current member countries of
    its blocs, and ``bloc_areas``, their M49 sub-regions.

    A programme that serves a group (the Eastern Partnership, the OAS) reaches its members only; the
    sub-regions place it in regional views without claiming the rest of each sub-region.
    """
    if not any(r.get("scope_blocs") for r in rows):
        return [r | {"members": set(), "bloc_areas": set()} for r in rows]
    members: dict[str, set[str]] = defaultdict(set)
    for m in store.query(named.MEMBERSHIPS):
        members[m["bloc"]].add(m["iso3"])
    area = {c["iso3"]: c["subregion"] for c in store.query(named.COUNTRIES) if c["subregion"]}
    out = []
    for r in rows:
        reach = set().union(*(members[b] for b in r.get("scope_blocs") or []))
        out.append(r | {"members": reach, "bloc_areas": {area[c] for c in reach if c in area}})
    return out


def reaches(scope: Row, country: Row) -> bool:
    """Whether a regional programme's scope takes in ``country``: a member of one of its blocs, or in one of
    its stated regions or sub-regions."""
    areas = set(scope["scope_regions"] or [])
    return country["iso3"] in scope["members"] or bool(areas & {country["region"], country["subregion"]} - {None})


def regional_in(store: Store, area: str) -> set[str]:
    """The regional programmes that name no country and whose stated scope covers ``area``, a UN M49 region or
    sub-region (:func:`_covers`): at work there without naming a country (the AU-GFCE project in Africa, ECOWAS's
    joint platform in Western Africa).

    Examples
    --------
    >>> from graph.examples import example_store, gaps_records
    >>> from graph.model import Programme
    >>> s = example_store([*gaps_records(), Programme(id="pr", name="PR", scope="regional",
    ...     scope_regions=["Western Africa"], source="s")])
    >>> sorted(regional_in(s, "Africa")), sorted(regional_in(s, "Western Africa")), sorted(regional_in(s, "Asia"))
    (['pr'], ['pr'], [])
    >>> s.close()
    """
    parent = {c["subregion"]: c["region"] for c in store.query(named.COUNTRIES) if c["subregion"]}
    named_by = _countries_named(store)
    return {
        s["programme"]
        for s in programme_scopes(store)
        if facts.reach_kind(s, named_by.get(s["programme"], 0)) == "regional" and _covers(s, area, terms.level_of(area), parent)
    }


def _covers(scope: Row, group: str, level: str, parent: dict[str, str]) -> bool:
    """Whether a regional programme works in a region (one of its sub-regions counts) or a sub-region
    (its region counts); ``parent`` maps sub-region to region. A bloc counts where its members are."""
    areas = set(scope["scope_regions"] or []) | scope["bloc_areas"]
    if level == "subregion":
        return group in areas or parent.get(group) in (scope["scope_regions"] or [])
    return group in areas or any(parent.get(a) == group for a in areas)


def gaps(
    store: Store,
    *,
    region: str | None = None,
    theme: str | None = None,
    window: Window = Window(),
    weights: dict[str, float] | None = None,
    all_countries: bool = False,
    sensitivity: bool = True,
    table: SupportTable | None = None,
    country: str | None = None,
    include_restricted: bool = False,
    gci_edition: str | None = None,
) -> Gaps:
    """Countries by priority, with the weights used, the countries left out and a sensitivity check.

    ``priority = need / (1 + programmes)`` over the programmes that target
    the country in the window; need comes from :mod:`queries.need`. By
    default only states that can receive capacity building are ranked
    (:func:`queries.need.left_out_because`: not territories, not high
    income, not under UN sanctions on the state itself); ``all_countries`` ranks all,
    ``include_restricted`` the sanctioned states too. ``sources`` counts the
    distinct pages behind the programmes that name or reach each country
    (few sources and no programme read as possibly unrecorded).
    Countries of unknown need follow every ranked country, with no
    priority. Ties list countries with no support first, then (on a theme)
    the country with the higher priority on any theme, then by code.
    Regional and global programmes are counted in ``regional`` and in the
    regional gaps, never divided among countries.
    ``sensitivity=False`` skips the re-rankings behind the stability check.
    ``table`` is the :class:`SupportTable` of ``window`` when the caller has
    read it already: :func:`theme_gaps` ranks six times on one read.
    ``country`` (an ISO alpha-3 code) computes that country's row alone: a
    row depends on no other country, so it is the row the full ranking holds.
    ``gci_edition`` ("2020") reads need from that GCI edition alone, for a
    historical view; by default the newest edition a country has.

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import gaps_records as records
    >>> s = example_store(records())
    >>> g = gaps(s)
    >>> [(r["iso3"], r["need"], r["priority"]) for r in g.rows]
    [('NPL', 0.6, 0.6), ('KEN', 0.5, 0.25), ('GHA', None, None)]
    >>> g.left_out
    {'high income': ['GBR']}
    >>> s.close()
    """
    weights = dict(weights or need.DEFAULT_WEIGHTS)
    theme = terms.theme(theme)
    region = terms.region(region)
    countries = store.query(named.COUNTRIES)
    indicators: dict[str, list[Row]] = defaultdict(list)
    for r in store.query(named.COUNTRY_INDICATORS):
        if gci_edition is None or r["family"] != "gci" or str(r["edition"]) == gci_edition:
            indicators[r["iso3"]].append(r)
    read = table or SupportTable.read(store, window, country)
    support = read.of(theme)
    # on a theme, equal priorities (need 0.9, no programme on it) list by the country's own priority first, as
    # `ccb gaps` ranks it: by code, the Central African Republic came before Eritrea, which has no programme at all
    anywhere = read.of(None) if theme else support
    up = donors(store)
    every_scope = programme_scopes(store, window, theme)
    scopes = [s for s in every_scope if s["scope"] == "regional"]
    worldwide = sorted(s["programme"] for s in every_scope if s["scope"] == "global")
    if worldwide:  # one that also names countries counts in theirs (the ITU CIRT programme is the CAR's one)
        naming = _countries_named(store)
        worldwide = sorted(facts.count_once([p for p in worldwide if p not in naming], facts.components(store)))
    outside = need.outside(countries, include_restricted=include_restricted)  # who is not ranked by default, and why
    pages = facts.programme_sources(store)
    out, left_out, inputs = [], defaultdict(list), []
    tie: dict[str, float] = {}  # each row's tie-break: minus the country's own priority, on any theme
    for c in countries:
        if (region and region not in (c["region"], c["subregion"])) or (country and c["iso3"] != country):
            continue
        reason = outside.get(c["iso3"])
        if reason and not all_countries:
            left_out[reason].append(c["iso3"])
            continue
        got = support.get(c["iso3"]) or Support(set(), set(), set(), [])
        progs = got.programmes
        score, basis = need.need_of(c, indicators.get(c["iso3"], []), weights, theme)
        inputs.append((c, indicators.get(c["iso3"], []), len(progs)))
        priority = None if score is None else need.priority_of(score, len(progs))
        overall = priority
        if theme and score is not None:
            whole, _ = need.need_of(c, indicators.get(c["iso3"], []), weights)
            every = anywhere.get(c["iso3"])
            overall = need.priority_of(whole or 0.0, len(every.programmes) if every else 0)
        tie[c["iso3"]] = -(overall or 0)
        regional = sorted(s["programme"] for s in scopes if reaches(s, c))
        out.append(
            {
                "iso3": c["iso3"],
                "country": c["name"],
                "region": c["region"],
                "subregion": c["subregion"],
                "income_group": c["income_group"],
                "need": score,
                "need_known": score is not None,
                "programmes": len(progs),
                "regional": len(regional),
                "funders": len({up.get(f, (f,))[0] for f in got.funders}),
                "themes": sorted(got.themes),
                "amount": _per_currency(got.money()),
                "sources": (n_sources := len({pages[p] for p in progs | set(regional) if p in pages})),
                "priority": priority,
                "explanation": (
                    f"need {score} ({basis}) / (1 + {len(progs)} programmes in {window}) = {priority}"
                    if score is not None
                    else f"{basis}: listed apart, not ranked; {len(progs)} programmes in {window}"
                )
                + (
                    f"; within the stated scope of {len(regional)} regional programme(s): {', '.join(regional[:3])}"
                    if regional
                    else ""
                )
                + f"; {n_sources} distinct source page(s) mention it"
                + (f"; not ranked by default: {reason}" if reason else ""),
            }
        )
    out.sort(key=lambda r: (r["priority"] is None, -(r["priority"] or 0), r["programmes"], tie[r["iso3"]], r["iso3"]))
    top = min(need.SENSITIVITY_TOP, sum(r["priority"] is not None for r in out))
    # re-ranking 10 times is for a reader of the report; callers that want the rows alone skip it
    sens = need.sensitivity(inputs, weights, theme, top=top) if sensitivity else []
    evidence = facts.programmes_per_theme(store).get(theme, 0) if theme else None
    return Gaps(out, weights, dict(left_out), sens, top, facts.completeness(store), worldwide, country, inputs, theme, evidence)


def country_gaps(
    store: Store,
    *,
    region: str | None = None,
    theme: str | None = None,
    window: Window = Window(),
    weights: dict[str, float] | None = None,
    all_countries: bool = False,
    table: SupportTable | None = None,
    country: str | None = None,
    gci_edition: str | None = None,
) -> list[Row]:
    """The rows of :func:`gaps`: countries by priority, need against support (``table``, ``country``, ``gci_edition``:
    as :func:`gaps`).

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import gaps_records as records
    >>> s = example_store(records())
    >>> [(r["iso3"], r["need"], r["priority"]) for r in country_gaps(s, all_countries=True)]
    [('NPL', 0.6, 0.6), ('KEN', 0.5, 0.25), ('GBR', 0.05, 0.05), ('GHA', None, None)]
    >>> s.close()
    """
    return gaps(
        store,
        region=region,
        theme=theme,
        window=window,
        weights=weights,
        all_countries=all_countries,
        sensitivity=False,
        table=table,
        country=country,
        gci_edition=gci_edition,
    ).rows


def region_gaps(
    store: Store,
    *,
    theme: str | None = None,
    window: Window = Window(),
    level: str = "region",
    countries: list[Row] | None = None,
    weights: dict[str, float] | None = None,
    all_countries: bool = False,
) -> list[Row]:
    """Per UN M49 region (or sub-region): recipient countries, unserved share, programmes, mean need and priority.

    Only the countries :func:`gaps` lists count (those it ranks and those of
    unknown need it lists apart; so a region of donors and territories does
    not appear), and means are over those of known need.
    ``regional`` counts programmes whose stated scope is the region, one of
    its sub-regions or (for a sub-region) its region; they are not split
    among countries. ``countries`` takes rows already computed by
    :func:`country_gaps` (same theme and window).

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import gaps_records as records
    >>> s = example_store(records())
    >>> [(r["region"], r["unserved"], r["mean_priority"]) for r in region_gaps(s)]
    [('Asia', 1, 0.6), ('Africa', 0, 0.25)]
    >>> s.close()
    """
    if level not in ("region", "subregion"):
        raise ValueError("level is region or subregion")
    theme = terms.theme(theme)
    if countries is None:
        countries = country_gaps(store, theme=theme, window=window, weights=weights, all_countries=all_countries)
    parent = {c["subregion"]: c["region"] for c in store.query(named.COUNTRIES) if c["subregion"]}
    scopes = [s for s in programme_scopes(store, window, theme) if s["scope"] == "regional"]
    groups: dict[str, list[Row]] = defaultdict(list)
    for r in countries:
        if r[level]:
            groups[r[level]].append(r)
    out = []
    for name, rows in sorted(groups.items()):
        unserved = [r["iso3"] for r in rows if r["programmes"] == 0]
        known = [r for r in rows if r["need"] is not None]
        regional = [s["programme"] for s in scopes if _covers(s, name, level, parent)]
        mean_priority = round(sum(r["priority"] for r in known) / len(known), 3) if known else None
        out.append(
            {
                level: name,
                "countries": len(rows),
                "unserved": len(unserved),
                "unserved_share": round(len(unserved) / len(rows), 3),
                "programme_links": sum(r["programmes"] for r in rows),
                "regional": len(regional),
                "mean_need": round(sum(r["need"] for r in known) / len(known), 3) if known else None,
                "mean_priority": mean_priority,
                # "recipient", not "ranked": a country of unknown need is counted here, listed apart by gaps
                "explanation": f"{len(unserved)} of {len(rows)} recipient countries "
                + ("has" if len(unserved) == 1 else "have")
                + f" no programme in {window}"
                + (
                    f"; {len(rows) - len(known)} of unknown need (listed apart, not ranked) left out of the means"
                    if len(known) < len(rows)
                    else ""
                )
                + (f"; {len(regional)} regional programme(s) too: {', '.join(sorted(regional)[:3])}" if regional else ""),
            }
        )
    return sorted(out, key=lambda r: (r["mean_priority"] is None, -(r["mean_priority"] or 0), r[level]))


def theme_gaps(
    store: Store,
    *,
    min_need: float = 0.5,
    region: str | None = None,
    window: Window = Window(),
    weights: dict[str, float] | None = None,
    all_countries: bool = False,
    country: str | None = None,
    min_evidence: int = facts.MIN_THEME_PROGRAMMES,
) -> list[Row]:
    """The country x GFCE-theme matrix: programmes per theme, and the themes with none, by per-theme need.

    With ``country`` (an ISO alpha-3 code), that country's row alone.

    A theme's need reads the GCI pillar that measures it
    (:data:`queries.need.THEME_PILLARS`). A country is listed when one of
    its uncovered themes has a need of at least ``min_need``; rows are
    ordered by the highest such need, then by how many such themes it has, then by
    its overall need. A theme with fewer than
    ``min_evidence`` programmes in the graph is no gap anywhere (every
    country would show none there, which says more about what is recorded
    than about need): its cells are shown, and each row's explanation
    names it as not ranked.

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import gaps_records as records
    >>> s = example_store(records())  # two programmes, themes A and C: thin evidence, so asked for with 0
    >>> [(r["iso3"], r["gaps"], r["top_need"]) for r in theme_gaps(s, min_evidence=0)]
    [('NPL', ['A', 'B', 'C', 'D', 'E'], 0.6), ('KEN', ['A', 'B', 'D', 'E'], 0.5)]
    >>> theme_gaps(s)  # by default no theme of this graph has the three programmes a ranking needs
    []
    >>> s.close()
    """
    store = cached(store)  # the six rankings read the same countries and scopes
    thin = {t: n for t, n in facts.programmes_per_theme(store).items() if n < min_evidence}
    unranked = (
        f"; not ranked on {', '.join(f'{t} ({n} programme(s) in the graph)' for t, n in sorted(thin.items()))}: "
        f"too little evidence (fewer than {min_evidence})"
        if thin
        else ""
    )
    table = SupportTable.read(store, window, country)  # read once: every ranking below takes its theme from it
    matrix: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for cell in table.cells:
        for t in cell["themes"] or []:
            matrix[cell["iso3"]][t].update(cell["programmes"])

    def ranking(theme: str | None) -> list[Row]:
        return country_gaps(
            store,
            region=region,
            theme=theme,
            window=window,
            weights=weights,
            all_countries=all_countries,
            table=table,
            country=country,
        )

    by_theme = {t: {r["iso3"]: r for r in ranking(t)} for t in THEMES if t not in thin}
    out = []
    for c in ranking(None):
        if c["need"] is None:
            continue
        cells = {t: len(matrix[c["iso3"]][t]) for t in THEMES}
        needs = {
            t: by_theme[t][c["iso3"]]["need"]
            for t in THEMES
            if cells[t] == 0 and t not in thin and by_theme[t][c["iso3"]]["need"] is not None
        }
        wanted = {t: v for t, v in needs.items() if v >= min_need}
        if not wanted:
            continue
        out.append(
            {
                "iso3": c["iso3"],
                "country": c["country"],
                "need": c["need"],
                **cells,
                "gaps": sorted(needs),
                "theme_need": dict(sorted(needs.items())),
                "top_need": max(wanted.values()),
                "explanation": "no programme in "
                + str(window)
                + " on "
                + ", ".join(
                    f"{t} (need {v}, GCI {need.THEME_PILLARS[t]})" for t, v in sorted(needs.items(), key=lambda kv: -kv[1])
                )
                + unranked,
            }
        )
    # per-theme needs top out at 0.9 for many countries: within a tie, the more themes with none, then the higher
    # need, first (Eritrea, with none on any theme, came after the Central African Republic by code)
    return sorted(
        out, key=lambda r: (-r["top_need"], -sum(r["theme_need"][t] >= min_need for t in r["gaps"]), -r["need"], r["iso3"])
    )


# -- concentration --------------------------------------------------------------------


MIN_CONCENTRATION_PROGRAMMES = 3  # one or two funded programmes make any country "concentrated": not ranked


def concentration(
    store: Store,
    *,
    window: Window = Window(),
    region: str | None = None,
    agencies: bool = False,
    country: str | None = None,
    all_countries: bool = False,
    min_programmes: int = MIN_CONCENTRATION_PROGRAMMES,
    left_out: dict[str, list[str]] | None = None,
) -> list[Row]:
    """Per country (or for one ``country``, an ISO alpha-3 code): Herfindahl-Hirschman index of support by donor,
    and the effective number of donors.

    Donors are states and blocs: agencies and funds roll up to them through
    PART_OF (the FCDO, the CSSF and the UK government are one donor), unless
    ``agencies``. Shares are of known amounts when every funded link of
    the country has one, in one currency, and no amount is shared by
    donors with no split stated; otherwise of programme counts (``basis``
    says which; an amount is never split by guess). HHI is on a 0-1 scale (1 = a single donor);
    effective donors is 1 / HHI.

    The countries are the gaps universe (recipient states:
    :func:`queries.need.left_out_because`) unless ``all_countries``, and a
    country with fewer than ``min_programmes`` funded programmes is not
    ranked (one programme makes any country "concentrated"); a caller's
    ``left_out`` dict receives who was left out and why. Rows are ordered
    by HHI, then by programmes (more programmes from one donor is a
    dependence a reader can act on). With ``country``, its row is given
    whatever its size.

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import gaps_records as records
    >>> s = example_store(records())
    >>> [(r["iso3"], r["hhi"], r["effective_donors"]) for r in concentration(s, min_programmes=1, all_countries=True)]
    [('KEN', 1.0, 1.0), ('GHA', 0.5556, 1.8)]
    >>> s.close()
    """
    who = "funder" if agencies else "donor"
    region = terms.region(region)
    skipped: dict[str, list[str]] = {} if left_out is None else left_out
    if country is None and not all_countries:
        outside = need.outside(store.query(named.COUNTRIES))
    else:
        outside = {}
    amounts = link_amounts(store, window, country=country)
    by_country: dict[str, list[Row]] = defaultdict(list)
    for r in funded_flows(store, window, country=country):
        if not region or region in (r["region"], r["subregion"]):
            r["amount"], r["currency"] = amounts.get((r["programme"], r["iso3"]), (None, None))
            by_country[r["iso3"]].append(r)
    out = []
    for iso3, rows in sorted(by_country.items()):
        n_programmes = len({r["programme"] for r in rows})
        if iso3 in outside:
            skipped.setdefault(outside[iso3], []).append(iso3)
            continue
        if country is None and n_programmes < min_programmes:
            skipped.setdefault(f"fewer than {min_programmes} funded programmes", []).append(iso3)
            continue
        funders_of: dict[str, set[str]] = defaultdict(set)
        for r in rows:
            funders_of[r["programme"]].add(r[who])
        # shares of money only where each amount is one donor's: a co-funded amount with no split stated would need
        # a share guessed for each donor, so the country falls back to programme counts
        known = all(r["amount"] is not None for r in rows) and len({r["currency"] for r in rows}) == 1
        priced = known and all(len(fs) == 1 for fs in funders_of.values())
        weight: dict[str, float] = defaultdict(float)
        if priced:
            for r in {(r["programme"], r[who]): r for r in rows}.values():
                weight[r[who]] += r["amount"]
        else:
            for _prog, funder in dict.fromkeys((r["programme"], r[who]) for r in rows):
                weight[funder] += 1
        total = sum(weight.values())
        hhi = round(sum((w / total) ** 2 for w in weight.values()), 4)
        most = max(weight.values())
        top = sorted(f for f in weight if weight[f] == most)  # a tie named whole, never broken by id (Kenya: eu, gov-gbr)
        beneath = sorted({r["funder"] for r in rows} - set(weight))
        basis = (
            f"amounts ({rows[0]['currency']})"
            if priced
            else "programme counts (a co-funded amount has no stated split)"
            if known
            else "programme counts (amounts missing)"
        )
        out.append(
            {
                "iso3": iso3,
                "country": rows[0]["country"],
                "funders": len(weight),
                "funded_programmes": n_programmes,
                "hhi": hhi,
                "effective_donors": round(1 / hhi, 2),
                "top_funders": top,
                "top_share": round(most / total, 3),  # each top funder's
                "basis": basis,
                # what a share is of, in the line a reader sees (the basis column is the first to go at 80 columns)
                "explanation": f"shares by {basis} of {len(weight)} {'funder' if agencies else 'donor'}(s): "
                + ", ".join(f"{f} {weight[f] / total:.0%}" for f in sorted(weight, key=lambda f: (-weight[f], f)))
                + (f"; agencies counted with their donor: {', '.join(beneath)}" if beneath else ""),
            }
        )
    return sorted(out, key=lambda r: (-r["hhi"], -r["funded_programmes"], r["iso3"]))


# -- breakdowns (what the charts draw) ----------------------------------------------

BREAKDOWNS = ("region", "subregion", "theme", "year", "funder")
MEASURES = ("programmes", "amount")
Item = tuple[str, str, "float | None", "str | None", "str | None"]  # group, programme, amount, currency, basis


# The basis of a donor's programme whose budget is shared with other donors and whose split no source states
SHARED_BUDGET = "co-funded budget, not split"


def by_programme(funding: Iterable[Row]) -> dict[str, list[Row]]:
    """:data:`queries.named.PROGRAMME_FUNDING`'s rows (a row per funder) gathered per programme, in their order."""
    out: dict[str, list[Row]] = defaultdict(list)
    for r in funding:
        out[r["programme"]].append(r)
    return out


def programme_money(rows: list[Row]) -> tuple[float | None, str | None, str | None]:
    """A programme's money as its sources state it: its budget, else its funders' stated contributions (one currency);
    ``rows`` are the programme's :data:`queries.named.PROGRAMME_FUNDING` rows (a row per funder)."""
    r0 = rows[0]
    if r0["budget"] is not None:
        return r0["budget"], r0["budget_currency"], "budget"
    stated = {r["funder"]: (r["amount"], r["currency"]) for r in rows if r["amount"] is not None}
    if stated and len({c for _, c in stated.values()}) == 1:
        return sum(a for a, _ in stated.values()), next(iter(stated.values()))[1], "stated contributions"
    return None, None, None


def funder_items(funding: list[Row], up: dict[str, tuple[str, str]], agencies: bool) -> list[Item]:
    """A donor's money per programme it funds, keyed by the donor's id: its stated contribution, else the budget of
    a programme it alone funds; a budget shared by several donors with no split stated is no one donor's money.
    ``funding`` is :data:`queries.named.PROGRAMME_FUNDING`'s rows (in a window, on a theme)."""
    per_programme: dict[str, Row] = {}
    given: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for r in funding:
        per_programme.setdefault(r["programme"], r)
        if r["funder"]:
            donor = r["funder"] if agencies else up.get(r["funder"], (r["funder"],))[0]
            given[(donor, r["programme"])].append(r)
    payers: dict[str, int] = defaultdict(int)
    for _donor, prog in given:
        payers[prog] += 1
    items: list[Item] = []
    for (donor, prog), rows in sorted(given.items()):
        priced = [r for r in rows if r["amount"] is not None]
        p0 = per_programme[prog]
        if priced and len({r["currency"] for r in priced}) == 1:
            items.append((donor, prog, sum(r["amount"] for r in priced), priced[0]["currency"], "stated contribution"))
        elif p0["budget"] is not None and payers[prog] == 1:
            items.append((donor, prog, p0["budget"], p0["budget_currency"], "budget of a programme it funds"))
        else:
            # crediting a shared budget whole to each donor would count one budget once per donor (eight times for
            # the NB8's USD 3.1m)
            items.append((donor, prog, None, None, SHARED_BUDGET if p0["budget"] is not None else None))
    return items


def family_sums(items: Iterable[Item], families: dict[str, set[str]]) -> dict[str, float]:
    """The money of ``items`` (one group's: ``(group, programme, amount, currency, basis)``) per currency, a family's
    once (:func:`queries.facts.money_once`): what `ccb breakdown --by funder --measure amount` sums in each currency.

    >>> family_sums([("uk", "uk-2021", 22.0, "GBP", "b"), ("uk", "afjoc", 2.9, "GBP", "b"), ("uk", "x", 1.0, "EUR", "b")],
    ...             {"uk-2021": {"afjoc"}})
    {'EUR': 1.0, 'GBP': 22.0}
    """
    items = list(items)
    summed = facts.money_once({p for _, p, a, _, _ in items if a is not None}, families)
    out: dict[str, float] = defaultdict(float)
    for _, p, a, c, _ in items:
        if p in summed and a is not None:
            out[str(c)] += a
    return dict(sorted(out.items()))


def _amount_rows(
    by: str,
    funding: list[Row],
    flow_rows: list[Row],
    scopes: list[Row],
    parent: dict[str, str],
    up: dict[str, tuple[str, str]],
    agencies: bool,
) -> list[Item]:
    """What is counted per group for ``by``, each item once: an amount means a different thing on each axis.

    region, sub-region: per programme reaching the group, the amounts stated
    for its countries there, else the programme's money (never split);
    regional programmes count in the regions they reach. funder: the
    donor's stated contribution, else the budget of the programme it funds.
    theme, year: the programme's money.
    """
    per_programme = by_programme(funding)
    money = {p: programme_money(rows) for p, rows in per_programme.items()}
    if by in ("region", "subregion"):
        stated: dict[tuple[str, str], list[Row]] = defaultdict(list)
        for r in {(r["programme"], r["iso3"]): r for r in flow_rows if r[by]}.values():
            stated[(r[by], r["programme"])].append(r)
        items: list[Item] = []
        for (group, prog), rows in sorted(stated.items()):
            priced = [r for r in rows if r["amount"] is not None]
            if priced and len({r["currency"] for r in priced}) == 1:
                items.append((group, prog, sum(r["amount"] for r in priced), priced[0]["currency"], "stated per country"))
            else:
                items.append((group, prog, *money.get(prog, (None, None, None))))
        groups = set(parent) if by == "subregion" else set(parent.values())
        for s in scopes:
            if s["scope"] != "regional":
                continue
            for g in sorted(groups):
                if _covers(s, g, by, parent) and (g, s["programme"]) not in stated:
                    items.append((g, s["programme"], *money.get(s["programme"], (None, None, None))))
        return items
    if by == "funder":
        names = {}
        for r in funding:
            if r["funder"]:
                donor, name = (
                    (r["funder"], r["funder_name"]) if agencies else up.get(r["funder"], (r["funder"], r["funder_name"]))
                )
                names[donor] = name or donor
        return [(names[d], p, a, c, basis) for d, p, a, c, basis in funder_items(funding, up, agencies)]
    if by == "year":
        return [(rows[0]["start_date"][:4], p, *money[p]) for p, rows in sorted(per_programme.items()) if rows[0]["start_date"]]
    return [(t, p, *money[p]) for p, rows in sorted(per_programme.items()) for t in (rows[0]["themes"] or [])]


def _targeted(store: Store, countries: list[Row], window: Window, theme: str | None) -> list[Row]:
    """A row per programme-country link in ``window`` (on ``theme``): ``programme``, ``iso3``, ``region``,
    ``subregion`` and the ``amount`` and ``currency`` stated on it, by country then programme.

    What the breakdowns by region read of the flows, read grouped (:class:`SupportTable`), not a row per flow.
    """
    place = {c["iso3"]: c for c in countries}
    out = []
    for iso3, support in sorted(SupportTable.read(store, window).of(theme).items()):
        c = place.get(iso3, {})
        stated = {p: (a, cur) for p, a, cur in support.amounts}  # read with the table: not asked for again
        for p in sorted(support.programmes):
            amount, currency = stated.get(p, (None, None))
            out.append(
                {"programme": p, "iso3": iso3, "region": c.get("region"), "subregion": c.get("subregion"), "amount": amount}
                | {"currency": currency}
            )
    return out


# A basis counted more than once, in the plural ("from 6 stated contributions", not "6 stated contribution")
_BASES = {
    "budget": "budgets",
    "stated contribution": "stated contributions",
    "budget of a programme it funds": "budgets of programmes it funds",
}


def _counted_bases(bases: Mapping[str | None, int]) -> str:
    """What a group's money was read from, each basis counted.

    >>> _counted_bases({"stated contribution": 6, "budget": 1})
    '1 budget, 6 stated contributions'
    >>> _counted_bases({"stated contributions": 1}), _counted_bases({"stated contributions": 2})
    ("1 programme's stated contributions", "2 programmes' stated contributions")
    """

    def counted(basis: str, n: int) -> str:
        if basis == "stated contributions":  # a programme's funders' contributions, summed: counted by programme
            return f"{n} programme's {basis}" if n == 1 else f"{n} programmes' {basis}"
        return f"{n} {basis if n == 1 else _BASES.get(basis, basis)}"

    return ", ".join(counted(b, n) for b, n in sorted((str(b), n) for b, n in bases.items()))


def _shared_note(programmes: set[str], funding: list[Row], currency: str | None) -> str:
    """Why a donor's co-funded programmes carry no amount, with their whole budgets in ``currency``, named as shared.

    >>> rows = [{"programme": "p", "budget": 3_100_000.0, "budget_currency": "USD"}]
    >>> _shared_note({"p"}, rows, "USD")
    ' (1 co-funded: whole budget USD 3,100,000 shared with other donors, no split stated)'
    """
    if not programmes:
        return ""
    budgets = {r["programme"]: (r["budget"], r["budget_currency"]) for r in funding if r["programme"] in programmes}
    whole = sum(b for b, c in budgets.values() if c == currency and b is not None)
    money = (
        f": whole budget{'s' if len(programmes) > 1 else ''} {currency} {whole:,.0f} shared with other donors" if whole else ""
    )
    return f" ({len(programmes)} co-funded{money}, no split stated)"


def _elsewhere_note(by_currency: Mapping[str, set[str]]) -> str:
    """The programmes of a group whose money is stated in other currencies, counted per currency (never converted).

    >>> _elsewhere_note({"EUR": {"p1", "p2"}, "AUD": {"p3"}})
    '; 3 of them with money in other currencies (AUD 1, EUR 2; --currency sums one)'
    """
    n = len(set().union(*by_currency.values())) if by_currency else 0
    if not n:
        return ""
    each = ", ".join(f"{c} {len(ps)}" for c, ps in sorted(by_currency.items()))
    return f"; {n} of them with money in other currencies ({each}; --currency sums one)"


# What a country's implementers are: a programme's, wherever it runs (said under every table of them)
IMPLEMENTERS_MEAN = (
    "implementers: those of the programmes wherever they run, leads and partners (a source seldom says who worked "
    "in which country)"
)


def _in_several(by: str) -> str:
    """How a programme counts in more than one group of ``by``."""
    return {
        "region": "reaching several regions",
        "subregion": "reaching several sub-regions",
        "theme": "on several themes",
        "funder": "funded by several donors",
    }.get(by, f"in several {by}s")


# Why a programme in view falls in no group of a breakdown: it is counted and named, never dropped in silence
LEFT_OUT_BECAUSE = {
    "region": "a global scope or no stated reach",
    "subregion": "a global scope or no stated reach",
    "funder": "no funder recorded",
    "theme": "no theme",
    "year": "no start date",
}


class Breakdown(list[Row]):
    """A breakdown's rows, with ``left_out``: the programmes in view (window, theme) that fall in no group."""

    def __init__(
        self,
        rows: list[Row],
        by: str,
        left_out: list[str],
        through: list[str],
        measure: str = "programmes",
        distinct: int | None = None,
        *,
        currency: str | None = None,
        other_money: dict[str, set[str]] | None = None,
        read_on: str | None = None,
    ) -> None:
        super().__init__(rows)
        self.by, self.left_out, self.through, self.measure = by, left_out, through, measure
        self.distinct = distinct  # programmes counted in the rows, each once: the rows may sum to more
        self.currency = currency  # by amount: the one currency summed
        self.other_money = other_money or {}  # by amount: programmes with money in other currencies, per currency
        self.read_on = read_on  # by year: the day the newest source was read (see ``lag``)

    def notes(self) -> list[str]:
        """The lines a reader needs beside the rows: what the groups leave out, and why, and what the rows do
        not add up to (a programme reaching several groups counts in each)."""
        out = []
        if self.other_money:  # first: a total that leaves money out says so above all else
            out.append(self.other_currencies())
        if self.left_out:
            out.append(
                f"in no {self.by}: {facts.counted(len(self.left_out), 'programme', 'programmes')} with "
                f"{LEFT_OUT_BECAUSE[self.by]} ({_few(self.left_out, 5)})"
            )
        if self.through:
            out.append(
                f"counted through their components (a family once): {facts.counted(len(self.through), 'umbrella', 'umbrellas')} "
                f"({_few(self.through, 5)})"
                + (
                    "; in the amounts an umbrella's stated money counts, holding its components'"
                    if self.measure == "amount"
                    else ""
                )
            )
        if overlap := self.overlap():
            out.append(overlap)
        if lag := self.lag():
            out.append(lag)
        return out

    def other_currencies(self) -> str:
        """By amount: the programmes whose money, stated in other currencies, the sums leave out; else empty.

        Never converted, so never in the sums; said beside them, so a donor that states euros is not read as
        having given nothing.
        """
        if not self.other_money:
            return ""
        each = ", ".join(f"{c} {len(ps)}" for c, ps in sorted(self.other_money.items()))
        return (
            f"summed in {self.currency} alone, never converted; not in these sums, programmes with money stated in "
            f"other currencies: {each} (--currency sums one)"
        )

    def lag(self) -> str:
        """By start year: that the latest years are still filling in, when the rows reach them; else empty.

        A programme is counted once a source reports it, often a year or more after it starts, so a fall in the
        last years before the sources were read is no sign that the field shrank.
        """
        if self.by != "year":
            return ""
        return facts.lag([int(r["year"]) for r in self], self.read_on, "start years")

    def overlap(self) -> str:
        """What the rows do not add up to, when a programme counts in several groups; else empty."""
        total = sum(r["programmes"] for r in self)
        if self.distinct is None or total <= self.distinct:
            return ""
        return (
            f"a programme {_in_several(self.by)} counts in each: the rows sum to {total} for "
            f"{facts.counted(self.distinct, 'distinct programme', 'distinct programmes')}"
        )


AMOUNT_MEANS = {
    "region": "money of the programmes reaching each region (stated per country, else whole budgets, never split)",
    "subregion": "money of the programmes reaching each sub-region (stated per country, else whole budgets, never split)",
    "funder": "each donor's stated contributions, else the budgets of the programmes it alone funds",
    "theme": "programme budgets (else stated contributions; a programme on several themes counts in each)",
    "year": "programme budgets (else stated contributions), by start year",
}


def breakdown(
    store: Store,
    *,
    by: str = "region",
    measure: str = "programmes",
    currency: str | None = None,
    theme: str | None = None,
    window: Window = Window(),
    agencies: bool = False,
) -> Breakdown:
    """Programme counts, or known amounts in one currency, grouped by region, theme, start year or funder.

    Amounts are never converted: ``currency`` picks one (default: the
    currency with the most known amounts), and each row says how many of
    its programmes have no amount in it. What an amount is on each axis is
    in :data:`AMOUNT_MEANS`; a programme reaching several groups counts in
    each, so the rows do not add up to a total. Funders are donors
    (agencies rolled up through PART_OF) unless ``agencies``. Years are
    start years; programmes with no start date are left out of
    ``by="year"``. The programmes in view that fall in no group are
    counted and named in the result's ``left_out`` and ``notes()``, and so are the umbrellas counted through
    their components in every group (``through``).

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import gaps_records as records
    >>> s = example_store(records())
    >>> [(r["region"], r["programmes"]) for r in breakdown(s, by="region")]
    [('Africa', 2), ('Asia', 0), ('Europe', 0)]
    >>> breakdown(s, by="year").left_out, breakdown(s, by="funder").notes()
    ([], ['a programme funded by several donors counts in each: the rows sum to 3 for 2 distinct programmes'])
    >>> s.close()
    """
    if by not in BREAKDOWNS or measure not in MEASURES:
        raise CCBError(
            f"cannot break {measure!r} down by {by!r}", f"by one of {', '.join(BREAKDOWNS)}; measure one of {', '.join(MEASURES)}"
        )
    theme = terms.theme(theme)
    countries = store.query(named.COUNTRIES)
    parent = {c["subregion"]: c["region"] for c in countries if c["subregion"]}
    funding = [
        r
        for r in store.query(named.PROGRAMME_FUNDING)
        if window.overlaps(r["start_date"], r["end_date"]) and (not theme or theme in (r["themes"] or []))
    ]
    flow_rows = _targeted(store, countries, window, theme) if by in ("region", "subregion") else []
    scopes = programme_scopes(store, window, theme) if by in ("region", "subregion") else []
    groups = {c[by] for c in countries if c[by]} if by in ("region", "subregion") else set(THEMES) if by == "theme" else set()
    items = _amount_rows(by, funding, flow_rows, scopes, parent, donors(store), agencies)
    naming: dict[str, set[str]] = defaultdict(set)  # per region, the programmes that name a beneficiary in it
    for r in flow_rows:
        naming[r[by]].add(r["programme"])
    if by == "year" and items:  # every year in the span, so a line chart does not skip empty years
        years = [int(g) for g, *_ in items]
        groups = {str(y) for y in range(min(years), max(years) + 1)}
    if measure == "amount" and currency is None:
        counts: dict[str | None, int] = defaultdict(int)
        for _, _, a, c, _ in items:
            if a is not None:
                counts[c] += 1
        currency = min(counts, key=lambda c: (-counts[c], c)) if counts else None
    progs: dict[str, set[str]] = defaultdict(set)
    money: dict[str, float] = defaultdict(float)
    unpriced: dict[str, set[str]] = defaultdict(set)
    shared: dict[str, set[str]] = defaultdict(set)
    elsewhere: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    bases: dict[str, dict[str | None, int]] = defaultdict(lambda: defaultdict(int))
    in_group: dict[str, set[str]] = defaultdict(set)
    for g, p, *_ in items:
        in_group[g].add(p)
    families = facts.components(store)
    above = facts.ancestors(families)
    counted = {g: facts.count_once(ps, families) for g, ps in in_group.items()}  # a family once in each group
    per_group: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        per_group[item[0]].append(item)
    for g, mine in per_group.items():
        progs[g] |= counted[g]
        # money a family's once: an umbrella's stated money holds its components' (facts.money_once), so it is
        # summed even where the count gives way to the components, and a component inside it is not
        summed = facts.money_once({p for _, p, a, _, _ in mine if a is not None}, families)
        in_sum = {p for _, p, _, c, _ in mine if p in summed and c == currency}
        for _, p, a, c, basis in mine:
            if p in in_sum and a is not None:
                money[g] += a
                bases[g][basis] += 1
            elif p in summed:  # money the sum in ``currency`` cannot hold: said, never dropped in silence
                elsewhere[g][str(c)].add(p)
            if p in counted[g] and p not in in_sum and not above.get(p, set()) & in_sum:  # inside an umbrella's sum
                unpriced[g].add(p)
                if basis == SHARED_BUDGET:
                    shared[g].add(p)
    out = []
    for g in sorted(groups | set(progs)):
        row: Row = {by: g, "programmes": len(progs[g])}
        if by == "theme":  # the letter alone ("B") means nothing to a reader who does not know the GFCE's themes
            row = {by: g, "theme_name": THEMES.get(g), "programmes": len(progs[g])}
        if measure == "amount":
            how = _counted_bases(bases[g])
            row |= {
                "amount": money[g] if g in money else None,
                "currency": currency,
                "without_amount": len(unpriced[g]),
                "explanation": f"{AMOUNT_MEANS[by]}, in {currency or 'any currency (none known)'}, {window}"
                + (f"; from {how}" if how else "")
                + f"; {len(unpriced[g])} of {len(progs[g])} programme(s) have none"
                + (f" in {currency}" if currency else "")
                + _shared_note(shared[g], funding, currency)
                + _elsewhere_note(elsewhere[g]),
            }
        else:
            row["explanation"] = f"{len(progs[g])} programme(s) in {window}" + (", by start year" if by == "year" else "")
            if by in ("region", "subregion"):  # the two ways a programme is in a region, so a reader can match other views
                by_name = len(progs[g] & naming.get(g, set()))
                row["explanation"] += f": {by_name} naming a country there, {len(progs[g]) - by_name} regional by scope only"
        out.append(row)
    placed = {p for ps in in_group.values() for p in ps}
    unplaced = {r["programme"] for r in funding} - placed
    # umbrellas counted in no group themselves; by region, also one that names countries, every one of them named
    # by its components too (Cyber Shujaa names Kenya, as its components do, and was said to have "a global scope or
    # no stated reach"); a global umbrella (the CMM reviews) stays global
    via: set[str] = set()
    if by in ("region", "subregion"):
        named_any = _countries_named(store)
        via = {u for p in placed for u in above.get(p, ()) if u in unplaced and u in named_any}
        # and a family left out whole (a global umbrella and its global component) is left out once, as the app's
        # overview counts its global area
        via |= {u for u in unplaced if families.get(u, set()) & unplaced}
    left_out = sorted(unplaced - via)
    through = sorted((placed - {p for ps in counted.values() for p in ps}) | via)
    if by != "year":  # ties (groups with no amount in the currency, most often) by how many programmes they hold
        out.sort(key=lambda r: (-(r.get(measure) or 0), -r["programmes"], r[by]))
    distinct = len({p for ps in progs.values() for p in ps})
    other: dict[str, set[str]] = defaultdict(set)  # across the groups, each programme once per currency
    for per_currency in elsewhere.values() if measure == "amount" else ():
        for c, ps in per_currency.items():
            other[c] |= ps
    read_on = facts.read_on(store) if by == "year" else None
    return Breakdown(out, by, left_out, through, measure, distinct, currency=currency, other_money=dict(other), read_on=read_on)
