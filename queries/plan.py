"""Plan a fund: a budget turned into country x theme grants, with the implementers and co-funders to ask.

The method (docs/plan.md): a cell is a country and a GFCE theme. Its priority
is the gaps model's, ``need / (1 + programmes)`` on that theme, so one more
grant lowers it by ``need / ((1 + n)(2 + n))``: the *marginal value* of the
grant, which falls as support grows. Grants of one size are handed out
greedily, the largest marginal value first, each time to the cell it most
helps; for this separable, concave objective (a sum over cells of a
function that gains less with every grant) greedy choice is optimal at
equal grant sizes. Ties go to the country ``ccb gaps`` ranks higher, then
by country code, then theme. Restricted
states, territories, high-income and unknown-need countries are never
allocated: the plan reads the same gaps as every other command.
"""

from __future__ import annotations

import heapq
import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from graph import schema
from graph.errors import CCBError
from graph.model import MAX_AMOUNT, THEMES
from graph.store import Batch, Store, cached
from queries import analysis, facts, named, need, profile, terms
from queries.analysis import Window
from queries.terms import Terms

Row = dict[str, Any]
MIN_SIZE_BASIS = 3  # a default grant size from fewer stated amounts than this says it is a weak basis
MIN_IMPLEMENTER_PROGRAMMES = 2  # an implementer is suggested on two programmes of the theme or more, never on one
# A fund in more grants than this is a mistyped size (GBP 2m in grants of GBP 5 is 400,000 grants), not a plan; the
# refusal keeps one request from holding the planner for minutes.
MAX_GRANTS = 10_000


def parse_budget(text: str) -> tuple[float, str]:
    """``"GBP 2000000"`` (or ``2,000,000 GBP``) as (amount, currency).

    >>> parse_budget("GBP 2000000"), parse_budget("300,000,000 JPY"), parse_budget("gbp 5000")
    ((2000000.0, 'GBP'), (300000000.0, 'JPY'), (5000.0, 'GBP'))
    >>> parse_budget("EUO 5000")
    Traceback (most recent call last):
    ...
    graph.errors.CCBError: budget 'EUO 5000': unknown currency 'EUO' (did you mean EUR?)
    >>> parse_budget("lots")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graph.errors.CCBError: budget 'lots': expected an amount and a currency, as "GBP 2000000" ...
    >>> parse_budget("GBP -5")
    Traceback (most recent call last):
    ...
    graph.errors.CCBError: budget 'GBP -5': the amount must be above 0 and below 1,000,000,000,000,000 (as "GBP 2000000")
    """
    m = re.fullmatch(r"\s*(?:([A-Za-z]{3})\s+(-?[\d,_.]+)|(-?[\d,_.]+)\s+([A-Za-z]{3}))\s*", text)
    if m:
        try:
            amount = float((m.group(2) or m.group(3)).replace(",", "").replace("_", ""))
        except ValueError:  # "1.2.3": not a number
            amount = float("nan")
        try:  # a typo would find no stated amount to size a grant from, and say so
            currency = terms.currency(m.group(1) or m.group(4))
        except terms.UnknownName as e:
            raise CCBError(f"budget {text!r}: {e.message}", e.hint) from None
        if 0 < amount < 1e15:
            return amount, currency
        if amount == amount:  # a number, out of range: say which bound, not that the form is wrong
            raise CCBError(f"budget {text!r}: the amount must be above 0 and below 1,000,000,000,000,000", 'as "GBP 2000000"')
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
    donor: str | None = None  # the donor's organisation id
    window: Window = Window()
    leads: dict[str, str] = field(default_factory=dict)  # "ISO3 T" -> the first implementer suggested (an id)
    topups: list[Row] = field(default_factory=list)  # programmes already there that could be topped up instead
    unspent_because: str = ""  # why some of the budget is not allocated, when some is not

    def summary(self) -> list[str]:
        """The lines under the rows: money used, the gap closed, how the grant size was set, how stable it is (a page
        with a form names the options as its fields: :func:`on_the_form`)."""
        moved = len(self.rows) - len(self.stable)
        return [
            f"budget {self.currency} {self.budget:,.0f}: {len(self.rows)} cell(s), {self.currency} {self.used:,.0f} allocated "
            f"in grants of {self.currency} {self.grant:,.0f} ({self.grant_basis})"
            + (
                f"; {self.currency} {self.budget - self.used:,.0f} not allocated: {self.unspent_because}"
                if self.unspent_because
                else ""
            ),
            f"need-weighted gap of the chosen cells (sum of need / (1 + programmes)): {self.gap_before:.3f} before, "
            f"{self.gap_after:.3f} after",
            f"stability: {len(self.stable)} of {len(self.rows)} row(s) stay when any one need weight moves by +-25%"
            + (f"; {moved} depend on the weights" if moved else ""),
            *self.notes,
        ]


# The app's plan page has a form, not options: "set it with --grant-size" read there as a command to type.
ON_THE_FORM = (
    ("set it with --grant-size", "set it in the grant size field"),
    ("given with --grant-size", "given in the grant size field"),
    ("a smaller --grant-size", "a smaller grant size"),
    ("name it with --theme", "choose it in the themes field"),
    ("give one with --grant-size AMOUNT", "fill in the grant size field"),
    ("raise --grant-size", "raise the grant size"),
    ("--grant-size must", "the grant size must"),
    ("`ccb match` ranks those further away", "each country's page ranks those further away (Who could help)"),
)


def on_the_form(text: str) -> str:
    """``text`` with the command's options named as the plan page's form names them.

    >>> on_the_form("GBP 710,000 not allocated: less than one grant (a smaller --grant-size spends it)")
    'GBP 710,000 not allocated: less than one grant (a smaller grant size spends it)'
    """
    for option, field_ in ON_THE_FORM:
        text = text.replace(option, field_)
    return text


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
    if not amounts:  # no per-country amount: each programme's money in this currency, shared by the countries it names
        shared_by = analysis._countries_named(store)
        funding = analysis.by_programme(store.query(named.PROGRAMME_FUNDING))
        # its budget, else its funders' stated contributions: the totals' rule (the 24 stated USD contributions
        # were left out when budgets alone counted, and a USD plan rested on the one USD budget)
        money = {p: analysis.programme_money(rows) for p, rows in funding.items()}
        amounts = sorted(
            m / shared_by[p]
            for p, (m, cur, _) in money.items()
            if m is not None and cur == currency and shared_by.get(p) and set(funding[p][0]["themes"] or []) & set(themes)
        )
        how = (
            f"the median of {{n}} programme(s) stating money in {currency} on these themes (a budget, else its "
            "funders' contributions), each divided by the countries it names"
        )
    if not amounts:
        return None, ""
    mid = amounts[len(amounts) // 2] if len(amounts) % 2 else (amounts[len(amounts) // 2 - 1] + amounts[len(amounts) // 2]) / 2
    weak = f"; only {len(amounts)}: a weak basis, set it with --grant-size" if len(amounts) < MIN_SIZE_BASIS else ""
    return mid, how.format(n=len(amounts)) + weak


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
    per_theme = facts.programmes_per_theme(store)
    thin = [t for t in chosen if per_theme.get(t, 0) < facts.MIN_THEME_PROGRAMMES]
    if not themes:  # a theme the graph barely records has every cell at "no programme": an artefact, not a gap
        chosen = [t for t in chosen if t not in thin]
    area = terms.region(region)
    names = Terms.of(store)
    only = {names.country(c) for c in countries or []}
    skip = {names.country(c) for c in exclude or []}
    donor_id = names.organisation(donor) if donor is not None else None
    basis = "given with --grant-size"
    if grant is None:
        grant, basis = grant_size(store, currency, chosen, area)
        if grant is None:
            raise CCBError(
                f"no per-country amount in {currency} is stated on theme(s) {', '.join(chosen)} to size a grant from",
                "give one with --grant-size AMOUNT",
            )
        if amount < grant:  # a fund smaller than one typical grant is one grant of the whole fund, not no plan
            basis += f"; the fund is less than that typical grant ({currency} {grant:,.0f}), so it is one grant"
            grant = amount
        # whole grants of about the typical size that spend the fund: GBP 2m at a typical 1.29m was one grant and
        # GBP 710,000 "not allocated", an artefact of the default, not of the fund
        elif (count := round(amount / grant)) * grant != amount:
            basis += (
                f"; the fund divides into {count} grant(s) of {currency} {amount / count:,.0f}, the whole number of "
                f"grants nearest that typical {currency} {grant:,.0f}"
            )
            grant = amount / count
    grant = float(grant)
    if not 0 < grant <= MAX_AMOUNT:  # also refuses nan and inf, which a form or an MCP call can send
        raise CCBError(f"--grant-size must be a number above 0 and at most {MAX_AMOUNT:,.0f}, not {grant:,}")
    if min_grant is not None and grant < min_grant:
        raise CCBError(f"a grant of {currency} {grant:,.0f} is below --min-grant {min_grant:,.0f}", "raise --grant-size")
    # whole grants the fund buys; the tolerance keeps a fund divided into n grants at n (2m / (2m / 3) is 2.999...)
    grants = math.floor(amount / grant + 1e-9)
    if grants > MAX_GRANTS:
        raise CCBError(
            f"{currency} {amount:,.0f} in grants of {currency} {grant:,.0f} is {grants:,} grants; a plan makes "
            f"at most {MAX_GRANTS:,}",
            f"raise --grant-size to {currency} {-(-amount // MAX_GRANTS):,.0f} or more",
        )
    # read once for every re-plan; the stated amounts are not needed to plan (a grant size given or found apart)
    scope = Scope(chosen, area, only, skip, window, analysis.SupportTable.read(store, window, amounts=False))
    cells = _cells(store, scope, weights)
    rows = _allocate(cells, grants, max_countries)
    notes = [
        "restricted states, territories, high-income countries and countries of unknown need are never allocated "
        "(the gaps model's universe)"
    ]
    if thin:
        counts = ", ".join(f"{t} ({per_theme.get(t, 0)} programme(s))" for t in thin)
        notes.append(
            f"too little evidence on theme(s) {counts} in the graph (fewer than {facts.MIN_THEME_PROGRAMMES}): every country "
            "shows no programme there, which says more about what is recorded than about need; "
            + ("planned on as asked" if themes else "left out (name it with --theme to plan on it anyway)")
        )
    out, leads = _explain(store, rows, cells, grant, currency, donor_id, window, scope.table)
    if alone := [f"{r['iso3']} {r['theme']}" for r in out if not r["implementers"]]:
        notes.append(
            f"no implementer has delivered the theme on {MIN_IMPLEMENTER_PROGRAMMES} programmes or more in the country or "
            f"its sub-region for {facts.counted(len(alone), 'row', 'rows')} ({', '.join(alone[:8])}"
            + (f" and {len(alone) - 8} more" if len(alone) > 8 else "")
            + "): `ccb match` ranks those further away"
        )
    stable = _stable(store, cells, weights, grants, max_countries, out) if stability else []
    before = sum(r["priority_before"] for r in out)
    after = sum(r["priority_after"] for r in out)
    used = grant * sum(r["grants"] for r in out)
    topups = _topups(store, out, scope, grant, currency)
    unspent = _unspent_because(amount - used, grant)
    return Plan(out, amount, currency, grant, basis, used, before, after, stable, notes, donor_id, window, leads, topups, unspent)


def _unspent_because(left: float, grant: float) -> str:
    """Why ``left`` of the budget is not allocated (empty when all of it is): a total must not leave money unsaid.
    A cell of known need always gains from one more grant, so whole grants stay only when no cell is in scope."""
    if left < 0.005:
        return ""
    if left < grant:
        return "less than one grant (a smaller --grant-size spends it)"
    return "no country x theme cell of known need in scope"


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
    """Each allocatable country x theme: its theme need, programmes and donors on the theme (the gaps rows), with
    the country's own priority and programmes on any theme (``country_priority``, ``country_programmes``: what
    ``ccb gaps`` ranks it by, the order equal cells are chosen in)."""
    overall = {
        r["iso3"]: r
        for r in analysis.country_gaps(store, region=scope.area, window=scope.window, weights=weights, table=scope.table)
    }
    out: dict[Cell, Row] = {}
    for t in scope.themes:
        for r in analysis.country_gaps(
            store, region=scope.area, theme=t, window=scope.window, weights=weights, table=scope.table
        ):
            if r["need"] is None or r["iso3"] in scope.skip or (scope.only and r["iso3"] not in scope.only):
                continue
            mine = overall.get(r["iso3"], {})
            out[(r["iso3"], t)] = r | {
                "country_priority": mine.get("priority") or 0.0,
                "country_programmes": mine.get("programmes", 0),
            }
    return out


def _allocate(cells: dict[Cell, Row], grants: int, max_countries: int | None) -> dict[Cell, int]:
    """Hand out ``grants`` equal grants, each to the cell with the largest marginal value; ties by the country's own
    priority (``country_priority``, as ``ccb gaps`` ranks it), then country code, then theme.

    Many cells tie (need 0.9 and no programme on the theme in every low-income LDC with a pillar at 0): by code, a
    fund for Africa went to the Central African Republic before Eritrea, first in the ranking with no programme at
    all. A grant changes only its own cell's value, so the cells wait in a heap keyed as the choice is made: each
    grant costs a log of the cells, not a pass over them all.
    """
    given: dict[Cell, int] = {}
    countries: set[str] = set()

    def key(iso3: str, t: str) -> tuple[float, float, str, str]:
        cell = cells[(iso3, t)]
        n = cell["programmes"] + given.get((iso3, t), 0)
        # rounded, so that equal values reached along different sums tie (0.45 and 0.45000000000000007)
        return (-round(cell["need"] / ((1 + n) * (2 + n)), 12), -cell.get("country_priority", 0.0), iso3, t)

    heap = [key(iso3, t) for iso3, t in cells]
    heapq.heapify(heap)
    made = 0
    while heap and made < grants:
        value, _, iso3, t = heapq.heappop(heap)
        if max_countries is not None and iso3 not in countries and len(countries) >= max_countries:
            continue  # a new country once the plan has its fill of them: never allowed again
        if value == 0:
            break
        given[(iso3, t)] = given.get((iso3, t), 0) + 1
        made += 1
        countries.add(iso3)
        heapq.heappush(heap, key(iso3, t))
    return given


def _explain(
    store: Store,
    given: dict[Cell, int],
    cells: dict[Cell, Row],
    grant: float,
    currency: str,
    donor: str | None,
    window: Window,
    table: analysis.SupportTable,
) -> tuple[list[Row], dict[str, str]]:
    """The portfolio's rows, each with why, the implementers to ask (with their programmes) and the co-funders;
    and the first implementer of each row, by id."""
    up = analysis.donors(store)
    own = facts.family(donor, up) if donor else None
    support = {t: table.of(t) for t in sorted({t for _, t in given})} | {None: table.of(None)}
    there = sorted({p for iso3, _ in given for p in (support[None][iso3].programmes if iso3 in support[None] else ())})
    funders = {r["programme"]: set(r["funders"]) for r in store.query(named.PROGRAMME_FUNDERS_BY_ID, {"ids": there})}
    rows, leads = [], {}
    for (iso3, t), k in sorted(given.items(), key=lambda kv: (-kv[1], kv[0])):
        r = cells[(iso3, t)]
        n, needed = r["programmes"], r["need"]
        before, after = need.priority_of(needed, n), need.priority_of(needed, n + k)
        helpers = [  # delivered the theme on two programmes or more, in this country or its sub-region
            m
            for m in profile.match(
                store,
                iso3,
                theme=t,
                window=window,
                limit=50,
                min_experience=MIN_IMPLEMENTER_PROGRAMMES,
                only=profile.near(store, iso3, t, delivered=True),
                delivered=True,  # implementers to ask: what they delivered, not what they funded
            )
            if m["org"]
            and (own is None or facts.family(m["org"], up) != own)  # the donor does not implement its own fund
            and m["parts"]["experience"] >= MIN_IMPLEMENTER_PROGRAMMES
            and (m["parts"]["presence"] or m["parts"]["proximity"] == 1.0)
        ][:3]
        if helpers:
            leads[f"{iso3} {t}"] = helpers[0]["org"]
        cofunders = _cofunders(iso3, t, support, funders, up, own)
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
    return rows, leads


def _cofunders(
    iso3: str,
    theme: str,
    support: dict[str | None, dict[str, analysis.Support]],
    funders: dict[str, set[str]],
    up: dict[str, tuple[str, str]],
    own: str | None,
    most: int = 5,
) -> list[str]:
    """The donors to pool with in ``iso3``: those funding programmes there on ``theme`` first, then those funding
    programmes there on other themes (a cell with no programme on its theme has no donor on it), each with its
    programmes; never the planning donor (``own``) itself."""
    seen: dict[str, dict[str, set[str]]] = {"on": {}, "other": {}}
    on_theme = support[theme].get(iso3)
    theirs = on_theme.programmes if on_theme else set()
    anywhere = support[None].get(iso3)
    for prog in sorted(anywhere.programmes if anywhere else ()):
        for f in funders.get(prog, ()):
            d = up.get(f, (f, f))[0]
            if d != own:
                seen["on" if prog in theirs else "other"].setdefault(d, set()).add(prog)
    out = []
    for kind, where in (("on", f"theme {theme} here"), ("other", "here on other themes")):
        for d, progs in sorted(seen[kind].items(), key=lambda kv: (-len(kv[1]), kv[0])):
            if kind == "other" and d in seen["on"]:
                continue
            out.append(f"{d} ({where}: {'; '.join(sorted(progs))})")
    return out[:most]


def _reweigh(store: Store, cells: dict[Cell, Row], weights: dict[str, float]) -> dict[Cell, Row]:
    """``cells`` with each need computed again under ``weights``: the support and the universe stay as they are
    (a country's need is unknown under every weighting or under none)."""
    countries = {c["iso3"]: c for c in store.query(named.COUNTRIES)}
    indicators: dict[str, list[Row]] = {}
    for r in store.query(named.COUNTRY_INDICATORS):
        indicators.setdefault(r["iso3"], []).append(r)
    overall = {iso3: need.need_of(countries[iso3], indicators.get(iso3, []), weights)[0] for iso3, _ in cells}
    out = {}
    for (iso3, t), r in cells.items():
        score, _ = need.need_of(countries[iso3], indicators.get(iso3, []), weights, t)
        if score is not None:  # the tie-break moves with the weights too: the country's priority under them
            ranked = (overall[iso3] or 0.0) / (1 + r.get("country_programmes", 0))
            out[(iso3, t)] = r | {"need": score, "country_priority": ranked}
    return out


def _stable(
    store: Store,
    cells: dict[Cell, Row],
    weights: dict[str, float] | None,
    grants: int,
    max_countries: int | None,
    rows: list[Row],
) -> list[str]:
    """The rows (``ISO3 theme``) that every re-plan with one need weight moved by +-25 % keeps."""
    base = dict(weights or need.DEFAULT_WEIGHTS)
    kept = {f"{r['iso3']} {r['theme']}" for r in rows}
    for name, w in base.items():
        for factor in (1 - need.SENSITIVITY_STEP, 1 + need.SENSITIVITY_STEP):
            if w == 0 or (name == need.REQUIRED and w * factor <= 0):
                continue
            moved = base | {name: w * factor}
            again = _allocate(_reweigh(store, cells, moved), grants, max_countries)
            kept &= {f"{iso3} {t}" for iso3, t in again}
    return sorted(kept)


SCENARIO_SOURCE = facts.SCENARIO_SOURCE


def scenario(p: Plan, *, made: str, today: str) -> dict[str, list[Row]]:
    """``p`` as planned programmes in the loader's format (sections of records): one programme per grant.

    Each grant is a programme (status ``pipeline``: planned) naming its
    country as beneficiary and its theme, funded by the donor with the
    grant's amount (without a donor, the amount is its budget), led by the
    first implementer suggested, for the plan's years; its description says
    it is a scenario and why it was chosen. ``--assume`` reads the file in
    memory; ``ccb load`` would make it real. ``made`` is the command that
    planned it, ``today`` the date written as ``as_of``.

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import gaps_records as records
    >>> s = example_store(records())
    >>> p = plan(s, budget="EUR 2000", themes=["C"], grant=1000, donor="f1", stability=False)
    >>> out = scenario(p, made="ccb plan", today="2026-12-04")
    >>> [r["id"] for r in out["programmes"]], [(f["from"], f["amount"]) for f in out["funds"]]
    (['plan-f1-npl-c-1', 'plan-f1-npl-c-2'], [('f1', 1000.0), ('f1', 1000.0)])
    >>> s.close()
    """
    src = f"{SCENARIO_SOURCE}: {made}"[:1000]
    out: dict[str, list[Row]] = {"programmes": [], "funds": [], "implements": [], "targets": []}
    stem = re.sub(r"[^a-z0-9]+", "-", (p.donor or "fund").lower()).strip("-") or "fund"
    for r in p.rows:
        lead = p.leads.get(f"{r['iso3']} {r['theme']}")
        for k in range(1, r["grants"] + 1):
            pid = f"plan-{stem}-{r['iso3'].lower()}-{r['theme'].lower()}-{k}"
            out["programmes"].append(
                {
                    "id": pid,
                    "name": f"Planned grant {k}: theme {r['theme']} in {r['country']}",
                    "description": f"Scenario, not a fact: one grant of {p.currency} {p.grant:,.0f} planned by `{made}` on "
                    f"{today}. Why: {r['why']}."
                    + (f" Implementers to ask: {'; '.join(r['implementers'])}." if r["implementers"] else "")
                    + (f" Co-funders: {'; '.join(r['cofunders'])}." if r["cofunders"] else ""),
                    "themes": [r["theme"]],
                    "status": "pipeline",
                    **({"start_date": f"{p.window.year_from:04d}"} if p.window.year_from is not None else {}),
                    **({"end_date": f"{p.window.year_to:04d}"} if p.window.year_to is not None else {}),
                    **({} if p.donor else {"budget": p.grant, "currency": p.currency}),
                    "source": src,
                    "as_of": today,
                }
            )
            link = {"source": src, "as_of": today}
            if p.donor:
                year = {"year": p.window.year_from} if p.window.year_from is not None else {}
                out["funds"].append({"from": p.donor, "to": pid, "amount": p.grant, "currency": p.currency, **year, **link})
            if lead:
                out["implements"].append({"from": lead, "to": pid, "role": "lead", **link})
            out["targets"].append({"from": pid, "to": r["iso3"], **link})
    return {k: v for k, v in out.items() if v}


def scenario_batch(records: dict[str, list[Row]]) -> Batch:
    """The records of :func:`scenario` as validated model records, to add to a copy of the graph (the app's plan page)."""
    batch = Batch()
    for section, rows in records.items():
        model = schema.sections()[section].model
        batch.extend(model.model_validate(r) for r in rows)
    return batch


MIN_TOPUP_COUNTRIES = 2  # a programme is a top-up option where it already serves two chosen countries on the theme, or more
# A programme that names a country counts in its priority already; a regional one counts in no country's
# priority (regional programmes are shown apart, never divided among countries), and its stated scope taking a
# country in is not a source saying it works there: the comparison says which.
_TOPUP_REACH = {
    "names them": "naming them already",
    "regional scope takes them in": "its stated regional scope takes them in (no source names them)",
}
_TOPUP_WHY = {
    "names them": "the programme already counts for them",
    "regional scope takes them in": "a regional programme counts in no country's priority",
}


def _topups(store: Store, rows: list[Row], scope: Scope, grant: float, currency: str, today: str | None = None) -> list[Row]:
    """Running programmes already serving two or more of a theme's chosen countries on that theme (naming them
    first, then those whose regional scope takes them in), at most three a theme: the option to top one up instead
    of the country grants, with the comparison.

    By the gaps model a top-up lowers no priority (the programme already counts for those countries), so the
    comparison states what the country grants would remove and what a top-up offers instead. Only programmes
    active ``today`` (by their dates and sources, :func:`queries.facts.status_of`) are offered: an ended one cannot be
    topped up, nor one that no source of the last three years shows running.
    """
    today = today or date.today().isoformat()
    by_theme: dict[str, list[Row]] = {}
    for r in rows:
        by_theme.setdefault(r["theme"], []).append(r)
    place = {c["iso3"]: c for c in store.query(named.COUNTRIES)}
    out = []
    for t, cells in sorted(by_theme.items()):
        chosen = {r["iso3"]: r for r in cells}
        named_in: dict[str, set[str]] = {}
        reached: dict[str, set[str]] = {}
        for iso3, sup in scope.table.of(t).items():
            if iso3 in chosen:
                for prog in sup.programmes:
                    named_in.setdefault(prog, set()).add(iso3)
        for sc in analysis.programme_scopes(store, scope.window, t):
            if sc["scope"] == "regional":
                for iso3 in chosen:
                    if iso3 in place and analysis.reaches(sc, place[iso3]):
                        reached.setdefault(sc["programme"], set()).add(iso3)
        several = sorted({p for found in (named_in, reached) for p, cs in found.items() if len(cs) >= MIN_TOPUP_COUNTRIES})
        periods = {p["programme"]: p for p in store.query(named.PROGRAMME_PERIODS_BY_ID, {"ids": several})}
        running = {
            k
            for k, p in periods.items()
            if facts.status_of(p["start_date"], p["end_date"], p["status"], today, p["as_of"]) == "active"
        }
        options = [
            (how, prog, covered)
            for how, found in (("names them", named_in), ("regional scope takes them in", reached))
            for prog, covered in sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0]))
            if len(covered) >= MIN_TOPUP_COUNTRIES and prog in running
        ]
        for how, prog, covered in options[:3]:
            grants = sum(chosen[c]["grants"] for c in covered)
            removed = sum(chosen[c]["priority_before"] - chosen[c]["priority_after"] for c in covered)
            out.append(
                {
                    "theme": t,
                    "programme": prog,
                    "name": periods[prog]["name"],
                    "countries": sorted(covered),
                    "how": how,
                    "instead_of": {currency: grant * grants},
                    "comparison": f"instead of {grants} country grant(s) on theme {t} in {', '.join(sorted(covered))}: "
                    f"top up {prog}, running and {_TOPUP_REACH[how]}; the grants lower their priority by "
                    f"{removed:.3f} in all, a top-up by none in the gaps model ({_TOPUP_WHY[how]}), "
                    "but it works through a programme and partners already in place",
                }
            )
    return out
