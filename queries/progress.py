"""Did it help? Change between GCI 2020 and GCI 2024 where support went and where it did not.

Per country and pillar, the two editions' scores and the change. The
comparison asks whether the countries that were beneficiaries of programmes
on a theme active between the editions (2020-2024, as ``ccb gaps --theme T
--from 2020 --to 2024`` counts them) changed more on the pillar that
measures the theme (the need model's map, :data:`queries.need.THEME_PILLARS`)
than countries that were not:

- within strata a reader accepts as comparable: World Bank income group and
  the 2020 score in bands (low starters have more room to rise);
- each stratum's difference of mean change (supported minus not) with a
  seeded percentile bootstrap 95 % interval (``scipy.stats.bootstrap``),
  where both arms have at least two countries; the strata that do are pooled
  into one difference weighted by their sizes, its interval from the same
  bootstrap resampling each arm of each stratum on its own;
- a dose view: mean change by the number of programmes received.

It is an association, never an effect: the editions' methods differ, donors
choose where to work, and the graph is a sample of the field (:data:`CAVEATS`
says so under every answer). Countries without a score in one edition are
listed apart, never imputed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from graph.errors import CCBError
from graph.store import Store, cached
from queries import analysis, named, terms
from queries.need import THEME_PILLARS

Row = dict[str, Any]

EDITIONS = ("2020", "2024")
PILLARS = ("legal", "technical", "organisational", "capacity_development", "cooperation")
RESAMPLES = 2000
MIN_ARM = 2  # a stratum is compared (and pooled) only when each arm has at least this many countries
CAVEATS = (
    "an association, never an effect: GCI 2020 and GCI 2024 use different questionnaires and weights, so a change mixes "
    "real change with method change",
    "donors choose where to work (selection, not an experiment): supported and other countries may differ in ways the "
    "strata do not hold",
    "the graph is a sample of the field: a country counted as not supported may have had support the graph does not record",
)


@dataclass
class Progress:
    """The comparison for one theme (or overall): per-country changes, strata, the pooled difference, the dose view."""

    theme: str | None
    pillar: str | None
    countries: list[Row] = field(default_factory=list)
    strata: list[Row] = field(default_factory=list)
    pooled: Row = field(default_factory=dict)
    dose: list[Row] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def notes(self) -> list[str]:
        """The lines a reader needs under the table: the pooled difference, who is left out, the caveats."""
        if self.theme:
            what, by = f"the GCI {self.pillar} pillar (0-20, theme {self.theme})", f"a programme on theme {self.theme}"
        else:
            what, by = "the GCI overall score (0-100)", "any programme"
        out = [f"change in {what} from 2020 to 2024; supported: named as a beneficiary by {by} active in 2020-2024"]
        top = 20.0 if self.pillar else 100.0
        bands = ", ".join(_band(top * q / 4, top) for q in range(4))
        # a row reads "Low income, 0-5": say that the number is the 2020 score's band, not a count or a year
        out.append(
            f"stratum: World Bank income group (FY25) and the 2020 score's quarter of its scale ({bands}); "
            "supported and others are compared only within one"
        )
        p = self.pooled
        if p.get("difference") is not None:
            seen = "excludes 0" if p["ci_low"] > 0 or p["ci_high"] < 0 else "includes 0: not distinguishable from no difference"
            out.append(
                f"pooled over {p['strata']} comparable strata ({p['supported']} supported, {p['others']} others): "
                f"difference {p['difference']:+.2f} points, 95% bootstrap interval {p['ci_low']:+.2f} to {p['ci_high']:+.2f} "
                f"({RESAMPLES} resamples, seed {p['seed']}); the interval {seen}"
            )
        else:
            out.append(f"no stratum has {MIN_ARM} or more countries in each arm: no comparison")
        if self.missing:
            out.append(f"left apart, a score missing in one edition: {', '.join(self.missing)}")
        return out + [f"caveat: {c}" for c in CAVEATS]


def _band(score: float, top: float) -> str:
    """The 2020 score's quarter of its scale: ``0-5`` ... ``15-20`` for a pillar."""
    step = top / 4
    i = min(3, int(score // step))
    return f"{i * step:g}-{(i + 1) * step:g}"


INCOME_ORDER = ("Low income", "Lower middle income", "Upper middle income", "High income")


def _stratum_order(stratum: str) -> tuple[int, float]:
    """Income group from low to high, then the 2020 band from low to high."""
    income, _, band = stratum.rpartition(", ")
    rank = INCOME_ORDER.index(income) if income in INCOME_ORDER else len(INCOME_ORDER)
    return rank, float(band.split("-")[0])


def _scores(store: Store) -> dict[tuple[str, str, str | None], float]:
    return {
        (r["iso3"], str(r["edition"]), r["pillar"]): float(r["score"])
        for r in store.query(named.COUNTRY_INDICATORS)
        if r["family"] == "gci" and r["score"] is not None and str(r["edition"]) in EDITIONS
    }


def changes(store: Store, iso3: str) -> list[Row]:
    """One country's overall and pillar scores in both editions, and the change; a missing edition stays empty.

    >>> from graph.examples import example_store, gaps_records
    >>> s = example_store(gaps_records())
    >>> changes(s, "KEN")  # GCI 2024 only: no change to give
    [{'pillar': 'overall', 'gci_2020': None, 'gci_2024': 25.0, 'change': None}]
    >>> s.close()
    """
    scores = _scores(store)
    out = []
    for pillar in (None, *PILLARS):
        old, new = scores.get((iso3, "2020", pillar)), scores.get((iso3, "2024", pillar))
        if old is None and new is None:
            continue
        change = round(new - old, 4) if old is not None and new is not None else None
        out.append({"pillar": pillar or "overall", "gci_2020": old, "gci_2024": new, "change": change})
    return out


def _mean_diff(*samples: Any, weights: list[float], axis: int = -1) -> Any:
    """Weighted mean over strata of (mean supported - mean not); samples come in pairs, one pair per stratum."""
    diffs = [np.mean(samples[i], axis=axis) - np.mean(samples[i + 1], axis=axis) for i in range(0, len(samples), 2)]
    return sum(w * d for w, d in zip(weights, diffs)) / sum(weights)


def _interval(pairs: list[tuple[list[float], list[float]]], weights: list[float], seed: int) -> tuple[float, float]:
    from scipy import stats  # here, not at the top: scipy.stats costs every command 0.8 s to import

    data = tuple(np.asarray(x, dtype=float) for pair in pairs for x in pair)
    res = stats.bootstrap(
        data,
        lambda *s, axis=-1: _mean_diff(*s, weights=weights, axis=axis),
        n_resamples=RESAMPLES,
        method="percentile",
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def progress(
    store: Store,
    *,
    theme: str | None = None,
    region: str | None = None,
    all_countries: bool = False,
    seed: int = 12,
) -> Progress:
    """The comparison on ``theme`` (a GFCE letter or name; None: the overall score against any programme).

    Examples
    --------
    >>> from graph.examples import example_store, progress_records
    >>> s = example_store(progress_records())
    >>> p = progress(s, theme="C", seed=1)
    >>> [(r["stratum"], r["supported"], r["others"], r["difference"]) for r in p.strata]
    [('Low income, 0-5', 2, 2, 3.0)]
    >>> (p.pooled["difference"], p.pooled["ci_low"], p.pooled["ci_high"])
    (3.0, 3.0, 3.0)
    >>> s.close()
    """
    theme = terms.theme(theme)
    pillar = THEME_PILLARS[theme] if theme else None
    top = 20.0 if pillar else 100.0
    store = cached(store)
    ranked = analysis.country_gaps(  # the rows alone: no sensitivity re-rankings, which the comparison never reads
        store, theme=theme, region=region, window=analysis.Window(2020, 2024), all_countries=all_countries
    )
    if not ranked:
        raise CCBError("no country in scope: check --region", "ccb gaps --region REGION lists the countries compared")
    scores = _scores(store)
    out = Progress(theme, pillar)
    cells: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    by_dose: dict[str, list[float]] = defaultdict(list)
    # by code, not by rank: the bootstrap resamples in this order, and an interval must not move when the ranking's
    # tie-break does (the countries are listed in ranking order below)
    rank = {r["iso3"]: i for i, r in enumerate(ranked)}
    for r in sorted(ranked, key=lambda r: r["iso3"]):
        old, new = scores.get((r["iso3"], "2020", pillar)), scores.get((r["iso3"], "2024", pillar))
        if old is None or new is None:
            out.missing.append(r["iso3"])
            continue
        change, n = round(new - old, 4), int(r["programmes"])
        stratum = f"{r['income_group'] or 'income unknown'}, {_band(old, top)}"
        cells[stratum][0 if n else 1].append(change)
        by_dose["3+" if n >= 3 else str(n)].append(change)
        out.countries.append(
            {
                "iso3": r["iso3"],
                "country": r["country"],
                "region": r["region"],
                "stratum": stratum,
                "programmes": n,
                "gci_2020": old,
                "gci_2024": new,
                "change": change,
            }
        )
    out.countries.sort(key=lambda r: rank[r["iso3"]])
    out.missing.sort(key=rank.__getitem__)
    pairs, weights = [], []
    for stratum in sorted(cells, key=_stratum_order):
        sup, other = cells[stratum]
        row: Row = {
            "stratum": stratum,
            "supported": len(sup),
            "others": len(other),
            "difference": None,  # the numbers a reader weighs first, then the means they come from
            "ci_low": None,
            "ci_high": None,
            "change_supported": round(float(np.mean(sup)), 3) if sup else None,
            "change_others": round(float(np.mean(other)), 3) if other else None,
        }
        if len(sup) >= MIN_ARM and len(other) >= MIN_ARM:
            row["difference"] = round(float(np.mean(sup) - np.mean(other)), 3)
            low, high = _interval([(sup, other)], [1.0], seed)
            row["ci_low"], row["ci_high"] = round(low, 3), round(high, 3)
            pairs.append((sup, other))
            weights.append(float(len(sup) + len(other)))
        out.strata.append(row)
    if pairs:
        low, high = _interval(pairs, weights, seed)
        out.pooled = {
            "strata": len(pairs),
            "supported": sum(len(s) for s, _ in pairs),
            "others": sum(len(o) for _, o in pairs),
            "difference": round(float(_mean_diff(*(x for p in pairs for x in p), weights=weights)), 3),
            "ci_low": round(low, 3),
            "ci_high": round(high, 3),
            "seed": seed,
        }
    out.dose = [
        {
            "programmes": k,
            "countries": len(v),
            "mean_change": round(float(np.mean(v)), 3),
            "median_change": round(float(np.median(v)), 3),
        }
        for k, v in sorted(by_dose.items(), key=lambda kv: (len(kv[0]), kv[0]))
    ]
    return out
