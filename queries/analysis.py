"""Who supports whom, where the gaps are, and how concentrated funding is.

Every analysis starts from one table of *flows*, read by one Cypher query
(:data:`queries.named.FLOWS`): a row per programme x target country x
funder (funder empty where none is recorded). Time windows and filters are
applied here, in Python, so the Cypher stays in the dialect both stores
share and the answers are the same on both.

A flow is in the window ``[year_from, year_to]`` when the programme's
period and the relationships' validity overlap it; an unknown start or end
does not exclude it (most sources give no end date for ongoing work).
Amounts are summed per currency and never converted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from graph.errors import CCBError
from graph.model import THEMES
from graph.names import suggest
from graph.store import Store, cached
from queries import named

Row = dict[str, Any]


class UnknownName(CCBError):
    """A country, organisation or theme that is not in the graph."""


@dataclass(frozen=True)
class Window:
    """Years from and to, both inclusive; ``None`` is open."""

    year_from: int | None = None
    year_to: int | None = None

    def __post_init__(self) -> None:
        if self.year_from and self.year_to and self.year_to < self.year_from:
            raise CCBError(f"--to {self.year_to} is before --from {self.year_from}")

    def overlaps(self, start: str | None, end: str | None) -> bool:
        if self.year_to is not None and start and int(start[:4]) > self.year_to:
            return False
        return not (self.year_from is not None and end and int(end[:4]) < self.year_from)

    def __str__(self) -> str:
        if self.year_from is None and self.year_to is None:
            return "any year"
        return f"{self.year_from or '...'}-{self.year_to or '...'}"


def flows(store: Store, window: Window = Window(), *, theme: str | None = None) -> list[Row]:
    """The flow table, filtered to ``window`` and ``theme``, in a stable order."""
    _check_theme(theme)
    out = []
    for r in store.query(named.FLOWS):
        if theme and theme not in (r["themes"] or []):
            continue
        if not (window.overlaps(r["start_date"], r["end_date"]) and window.overlaps(r["t_from"], r["t_to"])
                and window.overlaps(r["f_from"], r["f_to"])):
            continue
        out.append(r)
    return sorted(out, key=lambda r: (r["iso3"], r["programme"], r["funder"] or ""))


def _check_theme(theme: str | None) -> None:
    if theme is not None and theme not in THEMES:
        raise UnknownName(f"unknown GFCE theme {theme!r}", "themes are A (policy), B (incident management), C (cybercrime), D (skills), E (standards)")


def _money(rows: Iterable[Row]) -> dict[str, float]:
    """Known amounts per currency, counting each programme-country pair once."""
    seen, out = set(), defaultdict(float)
    for r in rows:
        if r["amount"] is not None and (r["programme"], r["iso3"]) not in seen:
            seen.add((r["programme"], r["iso3"]))
            out[r["currency"]] += r["amount"]
    return dict(sorted(out.items()))


def _fmt_money(m: dict[str, float]) -> str | None:
    return "; ".join(f"{c} {v:,.0f}" for c, v in m.items()) or None


def _check_name(store: Store, label: str, value: str, query: str) -> None:
    known = [r["k"] for r in store.query(query)]
    if value not in known:
        hint = suggest(value, known, f"see `ccb query \"MATCH (n:{label}) RETURN n LIMIT 20\"`")
        raise UnknownName(f"no {label} {value!r} in the graph", hint)


def supports(store: Store, *, country: str | None = None, funder: str | None = None, theme: str | None = None,
             window: Window = Window(), by: str = "pair") -> list[Row]:
    """Funder -> country support: programmes always, amounts where known, implementers shown.

    ``by`` is ``pair`` (a row per funder and country), ``country`` (who
    supports each country) or ``funder`` (whom each funder supports).

    Examples
    --------
    >>> import os, tempfile
    >>> from graph.embedded import EmbeddedStore
    >>> from tests.fixtures import small_batch
    >>> s = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "g.lbdb"))
    >>> _ = s.write(small_batch())
    >>> [(r["funder"], r["country"], r["programmes"]) for r in supports(s)]
    [('eu', 'GHA', 1), ('eu', 'KEN', 1)]
    >>> s.close()
    """
    if by not in ("pair", "country", "funder"):
        raise ValueError("by is pair, country or funder")
    if country:
        _check_name(store, "Country", country, named.COUNTRY_KEYS)
    if funder:
        _check_name(store, "Organisation", funder, named.ORGANISATION_KEYS)
    rows = [r for r in flows(store, window, theme=theme)
            if r["funder"] and (not country or r["iso3"] == country) and (not funder or r["funder"] == funder)]
    implementers = _implementers(store)
    keys = {"pair": lambda r: (r["funder"], r["iso3"]), "country": lambda r: (r["iso3"],), "funder": lambda r: (r["funder"],)}[by]
    groups: dict[tuple, list[Row]] = defaultdict(list)
    for r in rows:
        groups[keys(r)].append(r)
    out = []
    for key, grp in sorted(groups.items()):
        progs = sorted({r["programme"] for r in grp})
        money = _money(grp)
        priced = len({(r["programme"], r["iso3"]) for r in grp if r["amount"] is not None})
        pairs = len({(r["programme"], r["iso3"]) for r in grp})
        row: Row = {}
        if by in ("pair", "funder"):
            row |= {"funder": grp[0]["funder"], "funder_name": grp[0]["funder_name"]}
        if by in ("pair", "country"):
            row |= {"country": grp[0]["iso3"], "country_name": grp[0]["country"]}
        if by == "country":
            row["funders"] = sorted({r["funder"] for r in grp})
        if by == "funder":
            row["countries"] = sorted({r["iso3"] for r in grp})
        row |= {
            "programmes": len(progs),
            "programme_ids": progs,
            "themes": sorted({t for r in grp for t in (r["themes"] or [])}),
            "implementers": sorted({i for p in progs for i in implementers.get(p, [])}),
            "amount": _fmt_money(money),
            "explanation": f"{len(progs)} programme(s) active in {window}; amounts known for {priced} of {pairs} programme-country links",
        }
        out.append(row)
    return sorted(out, key=lambda r: (-r["programmes"], *[str(v) for v in list(r.values())[:2]]))


def _implementers(store: Store) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for r in store.query(named.IMPLEMENTERS):
        out[r["programme"]].append(r["org"])
    return out


# -- gaps ----------------------------------------------------------------------------

NO_REVIEW_WEIGHT = 0.1
UNKNOWN_NEED = 0.5


def need_of(indicators: list[Row]) -> tuple[float, str]:
    """A need score in [0, 1] (1 = most need) and how it was derived.

    GCI 2024 tier t gives (t - 1) / 4 (tier 5, "building", is 1); else GCI
    2020 score s gives 1 - s / 100; else need is unknown and taken as 0.5.
    No Oxford CMM review adds 0.1 (capped at 1): nobody has assessed it.

    >>> need_of([{"family": "gci", "edition": "2024", "tier": 4, "score": None}])
    (0.85, 'GCI 2024 tier 4 -> 0.75; no CMM review +0.1')
    >>> need_of([{"family": "cmm", "edition": "reviews to 2020", "tier": None, "score": None}])
    (0.5, 'no GCI value: need unknown, taken as 0.5; CMM review on record')
    """
    by = {(i["family"], i["edition"]): i for i in indicators}
    if (g := by.get(("gci", "2024"))) and g["tier"] is not None:
        need, basis = (g["tier"] - 1) / 4, f"GCI 2024 tier {g['tier']} -> {(g['tier'] - 1) / 4:.2g}"
    elif (g := by.get(("gci", "2020"))) and g["score"] is not None:
        need, basis = 1 - g["score"] / 100, f"GCI 2020 score {g['score']:g} -> {1 - g['score'] / 100:.2f}"
    else:
        need, basis = UNKNOWN_NEED, f"no GCI value: need unknown, taken as {UNKNOWN_NEED}"
    if any(f == "cmm" for f, _ in by):
        return round(need, 3), basis + "; CMM review on record"
    return round(min(1.0, need + NO_REVIEW_WEIGHT), 3), basis + f"; no CMM review +{NO_REVIEW_WEIGHT}"


def country_gaps(store: Store, *, region: str | None = None, theme: str | None = None, window: Window = Window()) -> list[Row]:
    """Countries by priority: need against support in the window.

    ``priority = need / (1 + programmes)``: a country with no programme
    keeps its whole need; each programme divides it. Ties list countries
    with no support first, then by code.

    Examples
    --------
    >>> from tests.fixtures import example_store
    >>> from tests.queries.test_analysis import records
    >>> s = example_store(records())
    >>> [(r["iso3"], r["need"], r["priority"]) for r in country_gaps(s)]
    [('NPL', 0.6, 0.6), ('KEN', 0.75, 0.375), ('GHA', 0.35, 0.117)]
    >>> s.close()
    """
    indicators: dict[str, list[Row]] = defaultdict(list)
    for r in store.query(named.COUNTRY_INDICATORS):
        indicators[r["iso3"]].append(r)
    support: dict[str, list[Row]] = defaultdict(list)
    for r in flows(store, window, theme=theme):
        support[r["iso3"]].append(r)
    countries = store.query(named.COUNTRIES)
    if region and not any(region in (c["region"], c["subregion"]) for c in countries):
        regions = sorted({c["region"] for c in countries if c["region"]} | {c["subregion"] for c in countries if c["subregion"]})
        raise UnknownName(f"no region or sub-region {region!r}", f"known: {', '.join(regions)}")
    out = []
    for c in countries:
        if region and region not in (c["region"], c["subregion"]):
            continue
        rows = support.get(c["iso3"], [])
        progs = {r["programme"] for r in rows}
        need, basis = need_of(indicators.get(c["iso3"], []))
        priority = round(need / (1 + len(progs)), 3)
        out.append({
            "iso3": c["iso3"], "country": c["name"], "region": c["region"], "subregion": c["subregion"],
            "need": need, "need_known": basis.startswith("GCI"), "programmes": len(progs), "funders": len({r["funder"] for r in rows if r["funder"]}),
            "themes": sorted({t for r in rows for t in (r["themes"] or [])}), "amount": _fmt_money(_money(rows)),
            "priority": priority,
            "explanation": f"need {need} ({basis}) / (1 + {len(progs)} programmes in {window}) = {priority}",
        })
    return sorted(out, key=lambda r: (-r["priority"], r["programmes"], r["iso3"]))


def region_gaps(store: Store, *, theme: str | None = None, window: Window = Window(), level: str = "region",
                countries: list[Row] | None = None) -> list[Row]:
    """Per UN M49 region (or sub-region): countries, unserved share, programmes, mean need and priority.

    ``countries`` takes rows already computed by :func:`country_gaps` (with
    the same theme and window), so a caller that has them does not compute
    them again.

    Examples
    --------
    >>> from tests.fixtures import example_store
    >>> from tests.queries.test_analysis import records
    >>> s = example_store(records())
    >>> [(r["region"], r["unserved"], r["mean_priority"]) for r in region_gaps(s)]
    [('Asia', 1, 0.6), ('Africa', 0, 0.246)]
    >>> s.close()
    """
    if level not in ("region", "subregion"):
        raise ValueError("level is region or subregion")
    groups: dict[str, list[Row]] = defaultdict(list)
    for r in countries if countries is not None else country_gaps(store, theme=theme, window=window):
        if r[level]:
            groups[r[level]].append(r)
    out = []
    for name, rows in sorted(groups.items()):
        unserved = [r["iso3"] for r in rows if r["programmes"] == 0]
        out.append({
            level: name, "countries": len(rows), "unserved": len(unserved),
            "unserved_share": round(len(unserved) / len(rows), 3),
            "programme_links": sum(r["programmes"] for r in rows),
            "mean_need": round(sum(r["need"] for r in rows) / len(rows), 3),
            "mean_priority": round(sum(r["priority"] for r in rows) / len(rows), 3),
            "explanation": f"{len(unserved)} of {len(rows)} countries have no programme in {window}",
        })
    return sorted(out, key=lambda r: (-r["mean_priority"], r[level]))


def theme_gaps(store: Store, *, min_need: float = 0.5, region: str | None = None, window: Window = Window()) -> list[Row]:
    """The country x GFCE-theme matrix for countries with need >= ``min_need``; empty cells are the gaps.

    Examples
    --------
    >>> from tests.fixtures import example_store
    >>> from tests.queries.test_analysis import records
    >>> s = example_store(records())
    >>> [(r["iso3"], r["gaps"]) for r in theme_gaps(s)]
    [('KEN', ['A', 'B', 'D', 'E']), ('NPL', ['A', 'B', 'C', 'D', 'E'])]
    >>> s.close()
    """
    store = cached(store)  # flows() and country_gaps() read the same flow table
    matrix: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for r in flows(store, window):
        for t in r["themes"] or []:
            matrix[r["iso3"]][t].add(r["programme"])
    out = []
    for c in country_gaps(store, region=region, window=window):
        if c["need"] < min_need:
            continue
        cells = {t: len(matrix[c["iso3"]][t]) for t in THEMES}
        missing = [t for t, n in cells.items() if n == 0]
        out.append({"iso3": c["iso3"], "country": c["country"], "need": c["need"], **cells, "gaps": missing,
                    "explanation": f"no programme in {window} on theme(s) {', '.join(missing)}" if missing else "every theme covered"})
    return sorted(out, key=lambda r: (-r["need"] * len(r["gaps"]), r["iso3"]))


# -- concentration --------------------------------------------------------------------


def concentration(store: Store, *, window: Window = Window(), region: str | None = None) -> list[Row]:
    """Per country: Herfindahl-Hirschman index of support by funder, and the effective number of donors.

    Shares are of known amounts when every funded link of the country has
    one, in one currency; otherwise of programme counts (``basis`` says
    which). HHI is on a 0-1 scale (1 = a single funder); effective donors
    is 1 / HHI.

    Examples
    --------
    >>> from tests.fixtures import example_store
    >>> from tests.queries.test_analysis import records
    >>> s = example_store(records())
    >>> [(r["iso3"], r["hhi"], r["effective_donors"]) for r in concentration(s)]
    [('KEN', 1.0, 1.0), ('GHA', 0.5556, 1.8)]
    >>> s.close()
    """
    by_country: dict[str, list[Row]] = defaultdict(list)
    for r in flows(store, window):
        if r["funder"] and (not region or region in (r["region"], r["subregion"])):
            by_country[r["iso3"]].append(r)
    out = []
    for iso3, rows in sorted(by_country.items()):
        priced = all(r["amount"] is not None for r in rows) and len({r["currency"] for r in rows}) == 1
        weight: dict[str, float] = defaultdict(float)
        if priced:
            # a programme's country amount is shared equally among its funders (no split is recorded)
            funders_of = defaultdict(set)
            for r in rows:
                funders_of[r["programme"]].add(r["funder"])
            for r in {(r["programme"], r["funder"]): r for r in rows}.values():
                weight[r["funder"]] += r["amount"] / len(funders_of[r["programme"]])
        else:
            for prog, funder in {(r["programme"], r["funder"]) for r in rows}:
                weight[funder] += 1
        total = sum(weight.values())
        hhi = round(sum((w / total) ** 2 for w in weight.values()), 4)
        top = max(sorted(weight), key=lambda f: weight[f])
        out.append({
            "iso3": iso3, "country": rows[0]["country"], "funders": len(weight), "hhi": hhi,
            "effective_donors": round(1 / hhi, 2), "top_funder": top, "top_share": round(weight[top] / total, 3),
            "basis": f"amounts ({rows[0]['currency']})" if priced else "programme counts (amounts missing)",
            "explanation": f"shares of {len(weight)} funder(s): " + ", ".join(f"{f} {weight[f] / total:.0%}" for f in sorted(weight, key=lambda f: (-weight[f], f))),
        })
    return sorted(out, key=lambda r: (-r["hhi"], r["iso3"]))


# -- breakdowns (what the charts draw) ----------------------------------------------

BREAKDOWNS = ("region", "subregion", "theme", "year", "funder")
MEASURES = ("programmes", "amount")


def _amount_rows(by: str, rows: list[Row]) -> list[tuple[str, str, float | None, str | None]]:
    """(group, programme, amount, currency) per counted item, for ``by``: what an amount means differs by axis."""
    if by in ("region", "subregion"):  # the amount recorded on each programme -> country link
        return [(r[by], r["programme"], r["amount"], r["currency"]) for r in
                {(r["programme"], r["iso3"]): r for r in rows if r[by]}.values()]
    if by == "funder":  # the amount each funder gives the programme
        return [(r["funder_name"] or r["funder"], r["programme"], r["amount"], r["currency"]) for r in
                {(r["programme"], r["funder"]): r for r in rows if r["funder"]}.values()]
    per_programme = {r["programme"]: r for r in rows}.values()  # theme, year: the programme's budget
    if by == "year":
        return [(r["start_date"][:4], r["programme"], r["budget"], r["budget_currency"]) for r in per_programme if r["start_date"]]
    return [(t, r["programme"], r["budget"], r["budget_currency"]) for r in per_programme for t in (r["themes"] or [])]


AMOUNT_MEANS = {"region": "amounts recorded per programme and country", "subregion": "amounts recorded per programme and country",
                "funder": "amounts each funder commits", "theme": "programme budgets (a programme on several themes counts in each)",
                "year": "programme budgets, by start year"}


def breakdown(store: Store, *, by: str = "region", measure: str = "programmes", currency: str | None = None,
              theme: str | None = None, window: Window = Window()) -> list[Row]:
    """Programme counts, or known amounts in one currency, grouped by region, theme, start year or funder.

    Amounts are never converted: ``currency`` picks one (default: the
    currency with the most known amounts), and each row says how many of
    its programmes have no amount in it. Years are start years; programmes
    with no start date are left out of ``by="year"``.

    Examples
    --------
    >>> from tests.fixtures import example_store
    >>> from tests.queries.test_analysis import records
    >>> s = example_store(records())
    >>> [(r["region"], r["programmes"]) for r in breakdown(s, by="region")]
    [('Africa', 2), ('Asia', 0)]
    >>> s.close()
    """
    if by not in BREAKDOWNS or measure not in MEASURES:
        raise CCBError(f"cannot break {measure!r} down by {by!r}", f"by one of {', '.join(BREAKDOWNS)}; measure one of {', '.join(MEASURES)}")
    if by in ("region", "subregion"):
        rows = flows(store, window, theme=theme)
        groups = {c[by] for c in store.query(named.COUNTRIES) if c[by]}  # regions with nothing show as 0
    else:
        _check_theme(theme)
        rows = [r for r in store.query(named.PROGRAMME_FUNDING) if window.overlaps(r["start_date"], r["end_date"])
                and (not theme or theme in (r["themes"] or []))]
        groups = set(THEMES) if by == "theme" else set()
    items = _amount_rows(by, rows)
    if by == "year" and items:  # every year in the span, so a line chart does not skip empty years
        years = [int(g) for g, *_ in items]
        groups = {str(y) for y in range(min(years), max(years) + 1)}
    if measure == "amount" and currency is None:
        counts: dict[str, int] = defaultdict(int)
        for *_, a, c in items:
            if a is not None:
                counts[c] += 1
        currency = min(counts, key=lambda c: (-counts[c], c)) if counts else None
    progs: dict[str, set[str]] = defaultdict(set)
    money: dict[str, float] = defaultdict(float)
    unpriced: dict[str, set[str]] = defaultdict(set)
    for g, p, a, c in items:
        progs[g].add(p)
        if a is not None and c == currency:
            money[g] += a
        else:
            unpriced[g].add(p)
    out = []
    for g in sorted(groups | set(progs)):
        row: Row = {by: g, "programmes": len(progs[g])}
        if measure == "amount":
            row |= {"amount": money[g] if g in money else None, "currency": currency, "without_amount": len(unpriced[g]),
                    "explanation": f"{AMOUNT_MEANS[by]} in {currency or 'any currency (none known)'}, {window}; "
                                   f"{len(unpriced[g])} of {len(progs[g])} programme(s) have none"}
        else:
            row["explanation"] = f"{len(progs[g])} programme(s) in {window}" + (", by start year" if by == "year" else "")
        out.append(row)
    if by == "year":
        return out
    return sorted(out, key=lambda r: (-(r.get(measure) or 0), r[by]))
