"""The need model: how much a country needs cyber capacity building, and who is ranked at all.

Need is a weighted mean of stated components, each in [0, 1] (1 = most
need). The default weights live in :data:`DEFAULT_WEIGHTS`, in this one
place; ``ccb gaps --weight income=0.5`` changes one, and every answer
prints the weights it used. ``docs/need-model.md`` explains the choices.

GCI 2024 measures commitment (laws, agencies, strategies), not capability:
Kenya scores 98.6 and Ghana 99.3. So the GCI gap is one component among
several, beside income (the means to build capacity alone), the UN's LDC
and SIDS lists (structural vulnerability) and whether the country has had
an Oxford CMM review (whether anyone has assessed it).

Need is *known* only when the country has a GCI value: without it a
country is listed apart, after every ranked country, never ranked as if
its need were known. Any other component that is unknown for a country is
left out of its mean, and the explanation says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graph.errors import CCBError

Row = dict[str, Any]

# What each component measures; the order is the order they are printed in.
COMPONENTS: dict[str, str] = {
    "gci": "ITU GCI gap: 1 - score/100 (with a theme: 1 - pillar/20)",
    "income": "World Bank income group: low 1, lower middle 2/3, upper middle 1/3, high 0",
    "ldc": "UN least developed country: 1, else 0",
    "sids": "UN small island developing state: 1, else 0",
    "lldc": "UN landlocked developing country: 1, else 0",
    "no_review": "no Oxford CMM review on record: 1, else 0",
}
# The default weights. The GCI gap and income carry most of it: the first says
# what a state has put in place, the second what it can afford to put in place.
# LDC and SIDS add structural vulnerability; a missing CMM review says nobody has
# assessed the country. LLDC is offered but off: landlocked status says little
# about cyber capacity.
DEFAULT_WEIGHTS: dict[str, float] = {"gci": 0.4, "income": 0.3, "ldc": 0.1, "sids": 0.1, "lldc": 0.0, "no_review": 0.1}
REQUIRED = "gci"  # without it a country's need is unknown

# GFCE theme -> the GCI 2024 pillar that measures it. Cooperation is cross-cutting
# and maps to no single theme; standards (E) sit in GCI's technical pillar.
THEME_PILLARS: dict[str, str] = {
    "A": "organisational",  # Policy & Strategy: strategies, agencies, metrics
    "B": "technical",  # Incident Management & CIP: CIRTs, sector frameworks
    "C": "legal",  # Cybercrime: substantive and procedural law
    "D": "capacity_development",  # Culture & Skills: awareness, training, education
    "E": "technical",  # Standards: standards implementation frameworks
}
INCOME_SCORES: dict[str, float] = {
    "Low income": 1.0,
    "Lower middle income": 2 / 3,
    "Upper middle income": 1 / 3,
    "High income": 0.0,
}
SENSITIVITY_STEP = 0.25
SENSITIVITY_TOP = 20


def parse_weights(items: Iterable[str], base: Mapping[str, float] = DEFAULT_WEIGHTS) -> dict[str, float]:
    """``base`` with ``name=value`` items applied; checked once here.

    >>> parse_weights(["income=0.5", "lldc=0.1"])["income"]
    0.5
    >>> parse_weights(["wealth=1"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graph.errors.CCBError: unknown need component 'wealth' (components: gci, income, ...)
    """
    out = dict(base)
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if name not in COMPONENTS:
            raise CCBError(f"unknown need component {name!r}", f"components: {', '.join(COMPONENTS)}")
        try:
            value = float(raw) if sep else float("nan")
        except ValueError:
            value = float("nan")
        if not 0 <= value <= 10:  # also false for NaN
            raise CCBError(f"weight {item!r}: expected {name}=NUMBER between 0 and 10", "for example --weight income=0.5")
        out[name] = value
    if out[REQUIRED] <= 0:
        raise CCBError(f"the {REQUIRED} weight must be above 0", "need is only known where the GCI is; give it some weight")
    return out


def describe(weights: Mapping[str, float]) -> str:
    """The weights as one line, normalised shares in brackets.

    >>> describe({"gci": 1, "income": 1, "ldc": 0})
    'gci 1 (50%), income 1 (50%), ldc 0'
    """
    total = sum(weights.values())
    return ", ".join(f"{k} {v:g}" + (f" ({v / total:.0%})" if v else "") for k, v in weights.items())


def gci_gap(indicators: list[Row], theme: str | None = None) -> tuple[float | None, str]:
    """The GCI component and what it was read from; ``(None, why)`` when the country has no GCI value.

    Read from the newest GCI edition the country has (2024 over 2020; ``ccb gaps --gci-edition 2020`` passes only
    2020's values): with a theme its pillar p gives 1 - p/20, else the overall score s gives 1 - s/100, else a tier t
    gives (t - 1)/4.

    >>> gci_gap([{"family": "gci", "edition": "2024", "pillar": None, "score": 80.0, "tier": None}])
    (0.2, 'GCI 2024 80')
    >>> gci_gap([{"family": "gci", "edition": "2024", "pillar": "legal", "score": 5.0, "tier": None}], theme="C")
    (0.75, 'GCI 2024 legal 5/20')
    >>> gci_gap([{"family": "gci", "edition": "2020", "pillar": None, "score": 40.0, "tier": None},
    ...          {"family": "gci", "edition": "2024", "pillar": None, "score": 80.0, "tier": None}])
    (0.2, 'GCI 2024 80')
    >>> gci_gap([{"family": "gci", "edition": "2020", "pillar": None, "score": 40.0, "tier": None}])
    (0.6, 'GCI 2020 40')
    >>> gci_gap([])
    (None, 'no GCI value')
    """
    by = {(i["family"], str(i["edition"]), i.get("pillar")): i for i in indicators}
    for edition in sorted({e for f, e, _ in by if f == "gci"}, reverse=True):
        if theme is not None:
            pillar = THEME_PILLARS[theme]
            if (g := by.get(("gci", edition, pillar))) and g["score"] is not None:
                return round(1 - g["score"] / 20, 4), f"GCI {edition} {pillar} {g['score']:.3g}/20"
        if (g := by.get(("gci", edition, None))) and g["score"] is not None:
            return round(1 - g["score"] / 100, 4), f"GCI {edition} {g['score']:.3g}"
        if g and g["tier"] is not None:
            return (g["tier"] - 1) / 4, f"GCI {edition} tier {g['tier']}"
    return None, "no GCI value"


def components(country: Row, indicators: list[Row], theme: str | None = None) -> dict[str, tuple[float | None, str]]:
    """Each component's value (None when unknown) and what it was read from."""
    income = country.get("income_group")
    vintage = f" (World Bank {country['income_vintage']})" if country.get("income_vintage") else ""
    reviewed = any(i["family"] == "cmm" for i in indicators)

    def flag(name: str, label: str) -> tuple[float | None, str]:
        v = country.get(name)
        return (None, f"{label} unknown") if v is None else (float(bool(v)), label if v else f"not {label}")

    return {
        "gci": gci_gap(indicators, theme),
        "income": (INCOME_SCORES.get(income), f"{income}{vintage}") if income else (None, "income group unknown"),
        "ldc": flag("ldc", "LDC"),
        "sids": flag("sids", "SIDS"),
        "lldc": flag("lldc", "LLDC"),
        "no_review": (0.0, "CMM review on record") if reviewed else (1.0, "no CMM review on record"),
    }


def need_of(
    country: Row, indicators: list[Row], weights: Mapping[str, float] = DEFAULT_WEIGHTS, theme: str | None = None
) -> tuple[float | None, str]:
    """A need score in [0, 1] (1 = most need), or None when unknown, and how it was derived.

    Parameters
    ----------
    country : dict
        The country's ``income_group``, ``income_vintage``, ``ldc``, ``sids``, ``lldc``.
    indicators : list of dict
        Its index values: ``family``, ``edition``, ``pillar``, ``score``, ``tier``.
    weights : mapping
        Component -> weight (see :data:`DEFAULT_WEIGHTS`).
    theme : str, optional
        A GFCE theme: the GCI component then reads the theme's pillar.

    Examples
    --------
    >>> kenya = {"income_group": "Lower middle income", "ldc": False, "sids": False, "lldc": False}
    >>> gci = [{"family": "gci", "edition": "2024", "pillar": None, "score": 98.59, "tier": None}]
    >>> need_of(kenya, gci, {"gci": 0.5, "income": 0.5})
    (0.34, 'GCI 2024 98.6 -> 0.0141 x 0.5; Lower middle income -> 0.667 x 0.5')
    >>> need_of(kenya, [], {"gci": 0.5, "income": 0.5})
    (None, 'need unknown: no GCI value')
    """
    values = components(country, indicators, theme)
    if values[REQUIRED][0] is None:
        return None, f"need unknown: {values[REQUIRED][1]}"
    total = weighted = 0.0
    parts, left_out = [], []
    for name, (value, basis) in values.items():
        w = weights.get(name, 0.0)
        if not w:
            continue
        if value is None:
            left_out.append(basis)
            continue
        total += w
        weighted += w * value
        parts.append(f"{basis} -> {value:.3g} x {w:g}")
    text = "; ".join(parts) + (f"; left out: {', '.join(left_out)}" if left_out else "")
    return round(weighted / total, 3), text


# -- who is ranked ----------------------------------------------------------------------------

RANKED_SOVEREIGNTY = (None, "independent", "In contention")  # unknown is not taken for a territory


def left_out_because(
    country: Row, *, by_sovereignty: bool = True, by_income: bool = True, by_restriction: bool = True
) -> str | None:
    """Why ``country`` is not ranked by default (None: it is), from M49 and World Bank data.

    Ranked: states that can receive capacity building, i.e. independent (or
    contested) and classified by the World Bank below high income. A rule
    whose data the store lacks altogether is not applied (``by_*``). A
    state where donors cannot lawfully deliver (UN sanctions on the state
    itself, with their source: North Korea's) is left out too, and the
    reason names the regime and page; the Council's regimes on named people
    and arms (Yemen, Sudan) do not bar support to the state.

    >>> left_out_because({"region": "Africa", "sovereignty": "independent", "income_group": "Low income"}) is None
    True
    >>> left_out_because({"region": "Europe", "sovereignty": "independent", "income_group": "High income"})
    'high income'
    >>> left_out_because({"region": "Africa", "sovereignty": "Territory of GB", "income_group": None})
    'territory or dependency'
    >>> left_out_because({"region": None, "sovereignty": "International", "income_group": None})
    'not a state'
    """
    # Antarctica has no region in M49 and no state: asked first, so it is no recipient rather than a gap in the data
    if by_sovereignty and country.get("sovereignty") == "International":
        return "not a state"
    if not country.get("region"):
        return "no UN M49 region"
    if by_restriction and country.get("restriction"):
        return f"restricted: {country['restriction']} ({country.get('restriction_source') or 'source not stated'})"
    if by_sovereignty and country.get("sovereignty") not in RANKED_SOVEREIGNTY:
        return "territory or dependency"
    if by_income:
        if country.get("income_group") == "High income":
            return "high income"
        if not country.get("income_group"):
            return "no World Bank income group"
    return None


def outside(countries: list[Row], *, include_restricted: bool = False) -> dict[str, str]:
    """The countries not ranked by default, and why (:func:`left_out_because`): a rule whose data ``countries``
    lack altogether (a store built from the user's own country table) is not applied.

    >>> outside([{"iso3": "KEN", "region": "Africa", "sovereignty": "independent", "income_group": "Lower middle income"},
    ...          {"iso3": "GUM", "region": "Oceania", "sovereignty": "Territory of US", "income_group": "High income"}])
    {'GUM': 'territory or dependency'}
    """
    rules = {
        "by_sovereignty": any(c.get("sovereignty") for c in countries),
        "by_income": any(c.get("income_group") for c in countries),
        "by_restriction": not include_restricted,
    }
    return {c["iso3"]: why for c in countries if (why := left_out_because(c, **rules))}


# -- how much the ranking depends on the weights ----------------------------------------------


def priority_of(need: float, programmes: int) -> float:
    """Need against support: ``need / (1 + programmes)``, to 3 places.

    >>> priority_of(0.6, 0), priority_of(0.5, 1)
    (0.6, 0.25)
    """
    return round(need / (1 + programmes), 3)


def priorities(
    inputs: list[tuple[Row, list[Row], int]], weights: Mapping[str, float], theme: str | None = None
) -> dict[str, tuple[float, int]]:
    """ISO-3 code -> (priority, programmes) of each country with known need, under ``weights``."""
    out = {}
    for country, indicators, programmes in inputs:
        need, _ = need_of(country, indicators, weights, theme)
        if need is not None:
            out[country["iso3"]] = (priority_of(need, programmes), programmes)
    return out


def ranking(inputs: list[tuple[Row, list[Row], int]], weights: Mapping[str, float], theme: str | None = None) -> list[str]:
    """Country codes with known need, by priority (need / (1 + programmes)), highest first."""
    scored = priorities(inputs, weights, theme)
    return sorted(scored, key=lambda iso: (-scored[iso][0], scored[iso][1], iso))


def rank_of(iso3: str, scored: Mapping[str, tuple[float, int]]) -> int:
    """``iso3``'s rank among ``scored`` (:func:`priorities`): 1 + the countries of higher priority, so a tie shares
    its rank (the order within a tie, by code, is no ranking)."""
    mine = scored[iso3][0]
    return 1 + sum(p > mine for p, _ in scored.values())


def rank_range(
    iso3: str,
    inputs: list[tuple[Row, list[Row], int]],
    weights: Mapping[str, float],
    theme: str | None = None,
    step: float = SENSITIVITY_STEP,
) -> tuple[int, int]:
    """The lowest and highest rank of ``iso3`` when each weight in use moves by -``step`` and +``step`` (the
    others fixed), its rank under ``weights`` included.

    >>> a = ({"iso3": "AAA", "income_group": "Low income"}, [{"family": "gci", "edition": "2024", "pillar": None, "score": 60.0, "tier": None}], 0)
    >>> b = ({"iso3": "BBB", "income_group": "Upper middle income"}, [{"family": "gci", "edition": "2024", "pillar": None, "score": 5.0, "tier": None}], 0)
    >>> rank_range("AAA", [a, b], {"gci": 1, "income": 1}), rank_range("AAA", [a, b], {"gci": 1, "income": 0})
    ((1, 2), (2, 2))
    """
    moved = [weights] + [{**weights, k: w * f} for k, w in weights.items() if w for f in (1 - step, 1 + step)]
    ranks = [rank_of(iso3, priorities(inputs, ws, theme)) for ws in moved]
    return min(ranks), max(ranks)


def sensitivity(
    inputs: list[tuple[Row, list[Row], int]],
    weights: Mapping[str, float],
    theme: str | None = None,
    top: int = SENSITIVITY_TOP,
    step: float = SENSITIVITY_STEP,
) -> list[Row]:
    """How much the top ``top`` changes when each weight in use moves by -``step`` and +``step``.

    A row per weight: how many of the top stay in it at each end, and which
    countries enter or leave it.

    Examples
    --------
    >>> a = ({"iso3": "AAA", "income_group": "Low income"}, [{"family": "gci", "edition": "2024", "pillar": None, "score": 60.0, "tier": None}], 0)
    >>> b = ({"iso3": "BBB", "income_group": "Upper middle income"}, [{"family": "gci", "edition": "2024", "pillar": None, "score": 5.0, "tier": None}], 0)
    >>> [(r["weight"], r["kept_minus"], r["kept_plus"]) for r in sensitivity([a, b], {"gci": 1, "income": 1}, top=1)]
    [('gci', 1, 0), ('income', 0, 1)]
    """
    base = ranking(inputs, weights, theme)[:top]
    rows = []
    for name, w in weights.items():
        if not w:
            continue
        ends = {}
        for sign, factor in (("minus", 1 - step), ("plus", 1 + step)):
            moved = ranking(inputs, {**weights, name: w * factor}, theme)[:top]
            ends[sign] = (len(set(base) & set(moved)), sorted(set(moved) - set(base)), sorted(set(base) - set(moved)))
        rows.append(
            {
                "weight": name,
                "value": w,
                "kept_minus": ends["minus"][0],
                "kept_plus": ends["plus"][0],
                "entered": sorted(set(ends["minus"][1]) | set(ends["plus"][1])),
                "left": sorted(set(ends["minus"][2]) | set(ends["plus"][2])),
                "explanation": f"{name} x{1 - step:g}: {ends['minus'][0]} of the top {len(base)} stay; "
                f"x{1 + step:g}: {ends['plus'][0]} stay",
            }
        )
    return rows


def sensitivity_summary(rows: list[Row], top: int, advice: str = "`--sensitivity` for every weight") -> str:
    """One line: the least stable weight and how many of the top it keeps; ``advice`` (where to see every weight)
    after it."""
    if not rows:
        return "sensitivity: no weights in use"
    worst = min(rows, key=lambda r: (min(r["kept_minus"], r["kept_plus"]), r["weight"]))
    kept = min(worst["kept_minus"], worst["kept_plus"])
    return (
        f"sensitivity: moving any one weight by ±{SENSITIVITY_STEP:.0%} keeps at least {kept} of the top {top} "
        f"(least stable: {worst['weight']}" + (f"; {advice})" if advice else ")")
    )
