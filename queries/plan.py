"""Plan a fund: a budget turned into country x theme grants, with the implementers and co-funders to ask.

The method (docs/plan.md): a cell is a country and a GFCE theme. Its priority
is the gaps model's, ``need / (1 + programmes)`` on that theme, so one more
grant lowers it by ``need / ((1 + n)(2 + n))``: the *marginal value* of the
grant, which falls as support grows. Grants of one size are handed out
greedily, the largest marginal value first, each time to the cell it most
helps; for this separable, concave objective (a sum over cells of a
function that gains less with every grant) greedy choice is optimal at
equal grant sizes. Ties break by country code, then theme. Restricted
states, territories, high-income and unknown-need countries are never
allocated: the plan reads the same gaps as every other command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from graph.errors import CCBError
from graph.model import THEMES
from graph.store import Store, cached
from queries import analysis, facts, named, need, profile, terms
from queries.analysis import Window
from queries.terms import Terms

Row = dict[str, Any]
MIN_IMPLEMENTER_PROGRAMMES = 2  # an implementer is suggested on two programmes of the theme or more, never on one


def parse_budget(text: str) -> tuple[float, str]:
    """``"GBP 2000000"`` (or ``2,000,000 GBP``) as (amount, currency).

    >>> parse_budget("GBP 2000000"), parse_budget("300,000,000 JPY")
    ((2000000.0, 'GBP'), (300000000.0, 'JPY'))
    >>> parse_budget("lots")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graph.errors.CCBError: budget 'lots': expected an amount and a currency, as "GBP 2000000" ...
    """
    m = re.fullmatch(r"\s*(?:([A-Z]{3})\s+([\d,_.]+)|([\d,_.]+)\s+([A-Z]{3}))\s*", text)
    if m:
        amount = float((m.group(2) or m.group(3)).replace(",", "").replace("_", ""))
        if 0 < amount < 1e15:
            return amount, m.group(1) or m.group(4)
    raise CCBError(f'budget {text!r}: expected an amount and a currency, as "GBP 2000000"', "an ISO 4217 code and a number")


@dataclass
class Plan:
    """A portfolio: its rows (country x theme x amount, with reasons), and what a reader needs beside them."""

    rows: list[Row]
    budget: float
    currency: str
    grant: float
    grant_basis: str
    used: float
    gap_before: float
    gap_after: float
    stable: list[str] = field(default_factory=list)  # the rows (ISO3 theme) kept when each weight moves by +-25 %
    notes: list[str] = field(default_factory=list)

    def summary(self) -> list[str]:
        """The lines under the rows: money used, the gap closed, how the grant size was set, how stable it is."""
        moved = len(self.rows) - len(self.stable)
        return [
            f"budget {self.currency} {self.budget:,.0f}: {len(self.rows)} cell(s), {self.currency} {self.used:,.0f} allocated "
            f"in grants of {self.currency} {self.grant:,.0f} ({self.grant_basis})",
            f"need-weighted gap of the chosen cells (sum of need / (1 + programmes)): {self.gap_before:.3f} before, "
            f"{self.gap_after:.3f} after",
            f"stability: {len(self.stable)} of {len(self.rows)} row(s) stay when any one need weight moves by +-25%"
            + (f"; {moved} depend on the weights" if moved else ""),
            *self.notes,
        ]


def grant_size(store: Store, currency: str, themes: list[str], region: str | None) -> tuple[float | None, str]:
    """The typical stated per-country amount in ``currency`` on ``themes`` (in ``region``): the median, and how it was
    found; None when the store states none (the planner then asks for --grant-size)."""
    rows = analysis.SupportTable.read(store).amounts
    place = {c["iso3"]: (c["region"], c["subregion"]) for c in store.query(named.COUNTRIES)}
    amounts = sorted(
        a["amount"]
        for iso3, items in rows.items()
        if not region or region in place.get(iso3, ())
        for a in items
        if a["currency"] == currency and set(a["themes"] or []) & set(themes)
    )
    how = f"the median of {{n}} stated per-country amount(s) in {currency} on these themes"
    if not amounts:  # no per-country amount: the whole budgets in this currency, each shared by the countries it names
        shared_by = analysis._countries_named(store)
        themes_of = analysis.programme_themes(store)
        amounts = sorted(
            b / shared_by[p]
            for p, (b, cur) in analysis.programme_budgets(store).items()
            if cur == currency and shared_by.get(p) and set(themes_of.get(p, [])) & set(themes)
        )
        how = f"the median of {{n}} programme budget(s) in {currency} on these themes, each divided by the countries it names"
    if not amounts:
        return None, ""
    mid = amounts[len(amounts) // 2] if len(amounts) % 2 else (amounts[len(amounts) // 2 - 1] + amounts[len(amounts) // 2]) / 2
    return mid, how.format(n=len(amounts))


def plan(
    store: Store,
    *,
    budget: str,
    donor: str | None = None,
    themes: list[str] | None = None,
    region: str | None = None,
    countries: list[str] | None = None,
    window: Window = Window(),
    grant: float | None = None,
    max_countries: int | None = None,
    min_grant: float | None = None,
    exclude: list[str] | None = None,
    weights: dict[str, float] | None = None,
    stability: bool = True,
) -> Plan:
    """A portfolio for ``budget``: see the module's docstring for the method.

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import gaps_records as records
    >>> s = example_store(records())
    >>> p = plan(s, budget="EUR 3000", themes=["C"], grant=1000, stability=False)
    >>> [(r["iso3"], r["theme"], r["grants"]) for r in p.rows], p.used
    ([('NPL', 'C', 2), ('KEN', 'C', 1)], 3000.0)
    >>> s.close()
    """
    store = cached(store)
    amount, currency = parse_budget(budget)
    chosen = [terms.theme(t) or t for t in (themes or list(THEMES))]
    area = terms.region(region)
    names = Terms.of(store)
    only = {names.country(c) for c in countries or []}
    skip = {names.country(c) for c in exclude or []}
    donor_id = names.organisation(donor) if donor else None
    basis = "given with --grant-size"
    if grant is None:
        grant, basis = grant_size(store, currency, chosen, area)
        if grant is None:
            raise CCBError(
                f"no per-country amount in {currency} is stated on theme(s) {', '.join(chosen)} to size a grant from",
                "give one with --grant-size AMOUNT",
            )
    grant = float(grant)
    if min_grant is not None and grant < min_grant:
        raise CCBError(f"a grant of {currency} {grant:,.0f} is below --min-grant {min_grant:,.0f}", "raise --grant-size")
    if grant <= 0:
        raise CCBError("--grant-size must be above 0")
    scope = Scope(chosen, area, only, skip, window, analysis.SupportTable.read(store, window))  # read once for every re-plan
    cells = _cells(store, scope, weights)
    rows = _allocate(cells, int(amount // grant), max_countries)
    notes = [
        "restricted states, territories, high-income countries and countries of unknown need are never allocated "
        "(the gaps model's universe)"
    ]
    out = _explain(store, rows, cells, grant, currency, donor_id, window)
    stable = _stable(store, scope, weights, int(amount // grant), max_countries, out) if stability else []
    before = sum(r["priority_before"] for r in out)
    after = sum(r["priority_after"] for r in out)
    return Plan(out, amount, currency, grant, basis, grant * sum(r["grants"] for r in out), before, after, stable, notes)


Cell = tuple[str, str]  # (iso3, theme)


@dataclass(frozen=True)
class Scope:
    """Where a plan may allocate: themes, a region, countries kept or left out, the years; and the support read once."""

    themes: list[str]
    area: str | None
    only: set[str]
    skip: set[str]
    window: Window
    table: analysis.SupportTable


def _cells(store: Store, scope: Scope, weights: dict[str, float] | None) -> dict[Cell, Row]:
    """Each allocatable country x theme: its theme need, programmes and donors on the theme (the gaps rows)."""
    out: dict[Cell, Row] = {}
    for t in scope.themes:
        for r in analysis.country_gaps(
            store, region=scope.area, theme=t, window=scope.window, weights=weights, table=scope.table
        ):
            if r["need"] is None or r["iso3"] in scope.skip or (scope.only and r["iso3"] not in scope.only):
                continue
            out[(r["iso3"], t)] = r
    return out


def _allocate(cells: dict[Cell, Row], grants: int, max_countries: int | None) -> dict[Cell, int]:
    """Hand out ``grants`` equal grants, each to the cell with the largest marginal value; ties by country, theme."""
    given: dict[Cell, int] = {}
    for _ in range(max(0, grants)):
        countries = {c for c, _ in given}
        best: tuple[float, str, str] | None = None
        for (iso3, t), r in cells.items():
            if max_countries is not None and iso3 not in countries and len(countries) >= max_countries:
                continue
            n = r["programmes"] + given.get((iso3, t), 0)
            value = r["need"] / ((1 + n) * (2 + n))
            key = (-value, iso3, t)
            if best is None or key < best:
                best = key
        if best is None or best[0] == 0:
            break
        cell = (best[1], best[2])
        given[cell] = given.get(cell, 0) + 1
    return given


def _explain(
    store: Store, given: dict[Cell, int], cells: dict[Cell, Row], grant: float, currency: str, donor: str | None, window: Window
) -> list[Row]:
    """The portfolio's rows, each with why, the implementers to ask (with their programmes) and the co-funders."""
    up = analysis.donors(store)
    own = facts.family(donor, up) if donor else None
    rows = []
    for (iso3, t), k in sorted(given.items(), key=lambda kv: (-kv[1], kv[0])):
        r = cells[(iso3, t)]
        n, needed = r["programmes"], r["need"]
        before, after = need.priority_of(needed, n), need.priority_of(needed, n + k)
        helpers = [  # delivered the theme on two programmes or more, in this country or its sub-region
            m
            for m in profile.match(store, iso3, theme=t, window=window, limit=50)
            if m["org"]
            and m["parts"]["experience"] >= MIN_IMPLEMENTER_PROGRAMMES
            and (m["parts"]["presence"] or m["parts"]["proximity"] == 1.0)
        ][:3]
        cofunders = [
            f"{s['funder']} ({'; '.join(s['programme_ids'])})"
            for s in analysis.supports(store, country=iso3, theme=t, window=window)
            if s["funder"] and s["funder"] != own  # donors already at work there on the theme: the ones to pool with
        ]
        rows.append(
            {
                "iso3": iso3,
                "theme": t,  # second: what the row is about stays in view at any width
                "country": r["country"],
                "grants": k,
                "amount": {currency: grant * k},
                "need": needed,
                "programmes": n,
                "priority_before": before,
                "priority_after": after,
                "implementers": [f"{m['org']} ({m['explanation']})" for m in helpers],
                "cofunders": cofunders,
                "why": f"theme {t} need {needed} ({THEMES[t]}); {n} programme(s) on it now; one grant lowers its priority "
                f"by {needed / ((1 + n) * (2 + n)):.3f}; {k} grant(s): priority {before} -> {after}",
            }
        )
    return rows


def _stable(
    store: Store, scope: Scope, weights: dict[str, float] | None, grants: int, max_countries: int | None, rows: list[Row]
) -> list[str]:
    """The rows (``ISO3 theme``) that every re-plan with one need weight moved by +-25 % keeps."""
    base = dict(weights or need.DEFAULT_WEIGHTS)
    kept = {f"{r['iso3']} {r['theme']}" for r in rows}
    for name, w in base.items():
        for factor in (1 - need.SENSITIVITY_STEP, 1 + need.SENSITIVITY_STEP):
            if w == 0 or (name == need.REQUIRED and w * factor <= 0):
                continue
            moved = base | {name: w * factor}
            again = _allocate(_cells(store, scope, moved), grants, max_countries)
            kept &= {f"{iso3} {t}" for iso3, t in again}
    return sorted(kept)
