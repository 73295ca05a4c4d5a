"""Bar and line charts of breakdowns (:func:`queries.analysis.breakdown`) as PNG or SVG, for reports.

matplotlib draws them with its Agg and SVG back ends (no display is
needed). Bars are one colour from the Okabe-Ito palette, with values
written at their ends, so no reading depends on telling colours apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from visualisations.errors import VizError
from visualisations.export import atomic_write

FORMATS = (".png", ".svg")
KINDS = ("bar", "line")
BAR = "#0072B2"  # Okabe-Ito blue
TOP = 15


def figure(
    rows: Sequence[Mapping[str, Any]],
    by: str,
    measure: str,
    *,
    kind: str | None = None,
    top: int = TOP,
    title: str | None = None,
    source: str = "",
) -> Any:
    """A matplotlib Figure of ``rows`` (breakdown rows): ``measure`` against ``by``.

    ``kind`` defaults to a line for years and horizontal bars otherwise;
    bars keep the ``top`` largest groups, and the subtitle says how many
    were left out.

    Examples
    --------
    >>> rows = [{"region": "Africa", "programmes": 2}, {"region": "Asia", "programmes": 0}]
    >>> fig = figure(rows, "region", "programmes")
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]  # bottom to top: the largest on top
    ['Asia', 'Africa']
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    kind = kind or ("line" if by == "year" else "bar")
    if kind not in KINDS:
        raise VizError(f"unknown chart kind {kind!r}", f"kinds: {', '.join(KINDS)}")
    known = [r for r in rows if r.get(measure) is not None]
    if not known or not any(r[measure] for r in known):
        raise VizError(f"nothing to chart: no {measure} by {by}", "load data, widen the filters, or chart programmes")
    currency = next((r.get("currency") for r in rows if r.get("currency")), None)
    unit = f"{measure} ({currency})" if measure == "amount" and currency else measure
    # an amount bar counts what it sums: a group whose programmes state no amount in the currency stays on the
    # chart at zero, labelled, so money stated in another currency or not at all is never a missing bar
    covered = measure == "amount" and all("programmes" in r and "without_amount" in r for r in rows)
    drawn = [r for r in rows if r.get("programmes")] if covered else known
    shown = list(rows) if kind == "line" else drawn[:top]
    left_out = 0 if kind == "line" else len(drawn) - len(shown)
    fig = Figure(figsize=(9, 0.9 + 0.38 * max(4, len(shown))) if kind == "bar" else (9, 4.8), dpi=120, layout="constrained")
    ax = fig.add_subplot()
    labels = [_clip(f"{r[by]} {r['theme_name']}" if r.get("theme_name") else str(r[by])) for r in shown]
    values = [r.get(measure) or 0 for r in shown]
    if kind == "bar":
        bars = ax.barh(labels[::-1], values[::-1], color=BAR)
        texts = [_covered(r, currency) if covered else _fmt(r.get(measure) or 0) for r in shown]
        ax.bar_label(bars, labels=texts[::-1], padding=3, fontsize=8)
        ax.set_xlabel(unit)
        ax.margins(x=0.55 if covered else 0.12)  # room for "192,985,000 (11 of 91 programmes)"
    else:
        ax.plot(labels, values, color=BAR, marker="o")
        ax.set_ylabel(unit)
        ax.set_ylim(bottom=0)
        ax.tick_params(axis="x", labelrotation=45 if len(labels) > 12 else 0)
    ax.spines[["top", "right"]].set_visible(False)
    if measure == "amount":  # "50m", never an offset ("1e8") a reader must multiply in; the bars carry exact sums
        (ax.xaxis if kind == "bar" else ax.yaxis).set_major_formatter(FuncFormatter(lambda v, _pos: _short(v)))
    heading = f"{unit[:1].upper()}{unit[1:]}"  # "Amount (USD)", not str.capitalize's "Amount (usd)"
    ax.set_title(title or f"{heading} by {'start year' if by == 'year' else by}", loc="left", fontweight="bold")
    notes = [source] if source else []
    if left_out:
        notes.append(f"top {len(shown)} of {len(drawn)} shown")
    if notes:
        # laid out with the axes, so never overlapping; wrapped to the figure, so never cut at its edge
        fig.supxlabel("; ".join(notes), fontsize=7, color="#444", x=0.01, ha="left", wrap=True)
    return fig


def _ticks(peak: int) -> list[int]:
    """A colour bar's ticks: 0, about four even steps and the peak itself, without a step so near the peak that the
    two labels print on one another (56 and 58 read "5856").

    >>> _ticks(58), _ticks(60), _ticks(3), _ticks(0)
    ([0, 14, 28, 42, 58], [0, 15, 30, 45, 60], [0, 1, 2, 3], [0])
    """
    step = max(1, peak // 4)
    return [t for t in range(0, peak, step) if peak - t >= step / 2] + [peak] if peak else [0]


def _covered(row: Mapping[str, Any], currency: str | None) -> str:
    """An amount bar's label: the sum and how many of the group's programmes it holds.

    >>> _covered({"amount": 1500.0, "programmes": 4, "without_amount": 3}, "EUR")
    '1,500 (1 of 4 programmes)'
    >>> _covered({"amount": None, "programmes": 2, "without_amount": 2}, "USD")
    'none stated in USD (0 of 2 programmes)'
    """
    n, without = row["programmes"], row["without_amount"]
    total = _fmt(row["amount"]) if row.get("amount") is not None else f"none stated in {currency}"
    return f"{total} ({n - without} of {n} programme{'' if n == 1 else 's'})"


def _clip(label: str, width: int = 42) -> str:
    """A group's label cut to ``width`` characters, so a long name does not squeeze the bars (the data keeps it whole).

    >>> _clip("Global Partnership to End Violence Against Children (End Violence Partnership and Fund)")
    'Global Partnership to End Violence Agains…'
    """
    return label if len(label) <= width else label[: width - 1].rstrip() + "…"


def _short(v: float) -> str:
    """An axis tick, short: thousands, millions and billions by their letter.

    >>> [_short(v) for v in (0, 500, 25_000, 2_500_000, 150_000_000, 2e9)]
    ['0', '500', '25k', '2.5m', '150m', '2bn']
    """
    for size, letter in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(v) >= size:
            return f"{v / size:g}{letter}"
    return f"{v:g}"


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 or v == int(v) else f"{v:g}"


def write_chart(rows: Sequence[Mapping[str, Any]], path: str | Path, by: str, measure: str, **kwargs: Any) -> Path:
    """Write the chart of ``rows`` to ``path`` (PNG or SVG, by its suffix); nothing is left behind on failure.

    Examples
    --------
    >>> import tempfile, os
    >>> rows = [{"year": "2016", "programmes": 1}, {"year": "2017", "programmes": 0}]
    >>> write_chart(rows, os.path.join(tempfile.mkdtemp(), "c.svg"), "year", "programmes").suffix
    '.svg'
    """
    return write_figure(figure(rows, by, measure, **kwargs), path)


def heatmap(t: Any, *, top: int = 30, title: str | None = None, source: str = "") -> Any:
    """A heatmap Figure of a :class:`queries.timeline.Timeline`: a row per group (the ``top`` most active), a column
    per year; colour is programmes under way that year (viridis, readable in greyscale): those whose stated period
    covers it and those started with no stated end, so no row that has programmes is drawn empty. A cell with
    open-ended programmes is hatched and marked ``a+n`` (a with a stated period, n open-ended), as the legend says.
    The scale starts at 0 and reaches at least 1, so one quiet row still reads.

    Examples
    --------
    >>> from queries.timeline import Timeline
    >>> t = Timeline([{"group": "KEN", "name": "Kenya", "year": 2020, "active": 0, "end_unknown": 2}], [2020])
    >>> fig = heatmap(t)
    >>> [x.get_text() for x in fig.axes[0].texts], fig.axes[0].images[0].get_array().tolist()
    (['0+2'], [[2]])
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle
    from matplotlib.transforms import offset_copy

    from queries.timeline import wide

    rows = wide(t, limit=top)
    if not rows:
        raise VizError("nothing to draw: no programme with a start date in these years", "widen the years or drop a filter")
    names = {r["group"]: r["name"] for r in t.rows}
    cells = {(r["group"], r["year"]): r for r in t.rows}
    groups = [r["group"] for r in rows]
    values = [[cells[(g, y)]["active"] + cells[(g, y)]["end_unknown"] for y in t.years] for g in groups]
    fig = Figure(figsize=(min(16, 3 + 0.55 * len(t.years)), 1.9 + 0.32 * len(groups)), dpi=120, layout="constrained")
    ax = fig.add_subplot()
    peak = max(1, max(max(v) for v in values))
    img = ax.imshow(values, cmap="viridis", aspect="auto", vmin=0, vmax=peak)
    hatched = False
    for i, g in enumerate(groups):
        for j, y in enumerate(t.years):
            c = cells[(g, y)]
            if c["active"] or c["end_unknown"]:
                text = f"{c['active']}+{c['end_unknown']}" if c["end_unknown"] else str(c["active"])
                shown = c["active"] + c["end_unknown"]
                ax.text(j, i, text, ha="center", va="center", fontsize=7, color="white" if shown < peak * 0.6 else "black")
            if c["end_unknown"]:
                hatched = True
                ax.add_patch(
                    Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#ffffff", linewidth=0, alpha=0.5)
                )
    ax.set_xticks(range(len(t.years)), [str(y) for y in t.years], fontsize=8, rotation=45 if len(t.years) > 10 else 0)
    ax.set_yticks(range(len(groups)), [_clip(str(names.get(g, g))) for g in groups], fontsize=8)
    bar = fig.colorbar(img, ax=ax, label="programmes under way", shrink=0.8)
    bar.set_ticks(_ticks(peak))
    if hatched:
        legend = Patch(facecolor="#21918c", hatch="///", edgecolor="#ffffff", label="a+n: n started with no stated end")
        # below the year labels by a fixed distance: a fraction of the axes put it inches lower on a tall figure
        below = offset_copy(ax.transAxes, fig=fig, y=-22 if len(t.years) <= 10 else -38, units="points")
        ax.legend(handles=[legend], loc="upper left", bbox_to_anchor=(0, 0), bbox_transform=below, fontsize=7, frameon=False)
    ax.set_title(title or "Programmes active per year", loc="left", fontweight="bold")
    notes = ["colour: programmes with a stated period covering the year, plus those started with no stated end"]
    fig.supxlabel("; ".join(notes + ([source] if source else [])), fontsize=7, color="#444", x=0.01, ha="left", wrap=True)
    return fig


INCOME_STYLE = {  # Okabe-Ito colours and a distinct marker each: no reading depends on telling colours apart
    "Low income": ("#D55E00", "o"),
    "Lower middle income": ("#0072B2", "s"),
    "Upper middle income": ("#009E73", "^"),
    "High income": ("#CC79A7", "D"),
}


def progress_figure(p: Any, *, source: str = "") -> Any:
    """Two panels for a :class:`queries.progress.Progress`: each country's change against the programmes it received,
    marked by income group; and per region, the mean score in 2020 and 2024 of the supported and of the others.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> rows = [{"iso3": "BEN", "region": "Africa", "stratum": "Low income, 0-5", "programmes": 1, "gci_2020": 1.0,
    ...          "gci_2024": 5.0, "change": 4.0}, {"iso3": "NER", "region": "Africa", "stratum": "Low income, 0-5",
    ...          "programmes": 0, "gci_2020": 1.0, "gci_2024": 2.0, "change": 1.0}]
    >>> fig = progress_figure(SimpleNamespace(countries=rows, theme="C", pillar="legal", notes=lambda: ["caveat: x"]))
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['programmes received on the theme, 2020-2024', '']
    >>> progress_figure(SimpleNamespace(countries=rows, theme=None, pillar=None, notes=list)).axes[0].get_xlabel()
    'programmes received on any theme, 2020-2024'
    """
    from matplotlib.figure import Figure

    if not p.countries:
        raise VizError("nothing to chart: no country with scores in both editions", "widen --region or drop it")
    what = f"GCI {p.pillar} pillar (theme {p.theme})" if p.theme else "GCI overall score"
    fig = Figure(figsize=(11, 5.2), dpi=120, layout="constrained")
    scatter, slope = fig.subplots(1, 2, width_ratios=[3, 2])
    for income, (colour, marker) in INCOME_STYLE.items():
        mine = [r for r in p.countries if r["stratum"].startswith(income + ",")]
        if mine:
            scatter.scatter(
                [r["programmes"] for r in mine],
                [r["change"] for r in mine],
                c=colour,
                marker=marker,
                s=22,
                label=income,
                alpha=0.8,
            )
    scatter.axhline(0, color="#444", linewidth=0.8)
    scatter.set_xlabel(f"programmes received {'on the theme' if p.theme else 'on any theme'}, 2020-2024")
    scatter.set_ylabel(f"change in the {what}, 2020 to 2024")
    scatter.legend(fontsize=7, frameon=False)
    scatter.set_title("Change against support, by income group", loc="left", fontsize=10)
    scatter.xaxis.get_major_locator().set_params(integer=True)
    ends: list[tuple[float, str]] = []  # the lines' right ends, labelled after drawing, spread so no two overlap
    regions = sorted({r["region"] for r in p.countries})
    for i, region in enumerate(regions):
        for supported, style in ((True, "-"), (False, "--")):
            arm = [r for r in p.countries if r["region"] == region and (r["programmes"] > 0) == supported]
            if arm:
                old, new = sum(r["gci_2020"] for r in arm) / len(arm), sum(r["gci_2024"] for r in arm) / len(arm)
                colour = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7")[i % 6]
                slope.plot([2020, 2024], [old, new], style, color=colour, marker="o", markersize=3)
                ends.append((new, f"{region}, {'supported' if supported else 'others'} ({len(arm)})"))
    low, high = slope.get_ylim()
    gap, last = (high - low) * 0.04, low - 1.0
    for y, text in sorted(ends):
        last = max(y, last + gap)
        slope.annotate(text, (2024, y), xytext=(2024.15, last), textcoords="data", fontsize=6, va="center")
    slope.set_xticks([2020, 2024], ["GCI 2020", "GCI 2024"])
    slope.set_xlim(2019.5, 2027.5)
    slope.spines[["top", "right"]].set_visible(False)
    scatter.spines[["top", "right"]].set_visible(False)
    slope.set_title("Mean score by region: supported (solid), others (dashed)", loc="left", fontsize=10)
    fig.suptitle(f"Did it help? Change in the {what}, supported and other countries", x=0.01, ha="left", fontweight="bold")
    caveats = [n.removeprefix("caveat: ") for n in p.notes() if n.startswith("caveat: ")]
    fig.supxlabel("; ".join([*caveats, *([source] if source else [])]), fontsize=6.5, color="#444", x=0.01, ha="left", wrap=True)
    return fig


def write_figure(fig: Any, path: str | Path) -> Path:
    """Write a Figure to ``path`` (PNG or SVG, by its suffix); nothing is left behind on failure."""
    path = Path(path)
    fmt = path.suffix.lower()
    if fmt not in FORMATS:
        raise VizError(f"cannot tell the format of {path.name}", "name the file .png or .svg")
    if not path.parent.is_dir():
        raise VizError(f"no directory {path.parent}", "create it first, or choose another -o path")
    atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt[1:], metadata={"Date": None} if fmt == ".svg" else None))
    return path
