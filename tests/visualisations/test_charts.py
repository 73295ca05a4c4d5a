"""Charts of breakdowns: what they draw, their files, and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from graph.embedded import EmbeddedStore
from graph.store import Batch
from tests.queries.test_analysis import records
from visualisations import charts
from visualisations.errors import VizError

FUNDERS = [{"funder": f"F{i}", "programmes": 20 - i} for i in range(20)]


def test_bars_keep_the_top_and_say_so() -> None:
    fig = charts.figure(FUNDERS, "funder", "programmes", top=5)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["F4", "F3", "F2", "F1", "F0"]  # largest at the top
    assert [round(p.get_width()) for p in ax.patches] == [16, 17, 18, 19, 20]
    assert fig.get_supxlabel() == "top 5 of 20 shown"
    assert ax.get_title(loc="left") == "Programmes by funder"


def test_themes_are_named_beside_their_letters(tmp_path: Path) -> None:
    """A breakdown by theme gave "B 139, D 138, A 116": letters a reader outside the GFCE cannot read. Its rows and
    the chart's bars name each theme."""
    from graph.model import THEMES
    from queries import analysis

    with EmbeddedStore(tmp_path / "g.lbdb") as s:
        s.write(Batch().extend(records()))
        rows = analysis.breakdown(s, by="theme")
    assert rows and all(r["theme_name"] == THEMES[r["theme"]] for r in rows)
    fig = charts.figure(rows, "theme", "programmes")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert "C Cybercrime" in labels and "A Cyber Security Policy & Strategy" in labels


def test_a_long_note_is_wrapped_inside_the_figure() -> None:
    """`ccb viz chart` cut its note at the figure's edge ("... for 304 distinct progr"): wrapped, it is read whole."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    note = "Source: CCB Graph; " + "a caveat the reader must see whole; " * 8
    fig = charts.figure([{"funder": "F", "programmes": 3}], "funder", "programmes", source=note)
    FigureCanvasAgg(fig).draw()
    box = fig._supxlabel.get_window_extent()  # type: ignore[attr-defined]
    assert 0 <= box.x0 and box.x1 <= fig.bbox.width and box.height > 2 * 7  # inside, on more than one line


def test_the_heatmap_s_note_is_wrapped_inside_the_figure_too() -> None:
    """`ccb viz timeline --by region` cut its note at the figure's edge ("... a programme counts"), as the bar chart did
    before its fix: the heatmap's note was never wrapped."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from queries.timeline import Timeline

    years = [2020, 2021, 2022]
    t = Timeline([{"group": "KEN", "name": "Kenya", "year": y, "active": 1, "end_unknown": 0} for y in years], years)
    fig = charts.heatmap(t, source="Source: CCB Graph; " + "a caveat the reader must see whole; " * 8)
    FigureCanvasAgg(fig).draw()
    box = fig._supxlabel.get_window_extent()  # type: ignore[attr-defined]
    assert 0 <= box.x0 and box.x1 <= fig.bbox.width and box.height > 2 * 7  # inside, on more than one line


@pytest.mark.parametrize(
    ("groups", "years"), [(30, list(range(2013, 2027))), (3, [2020, 2021, 2022]), (5, list(range(2019, 2025)))]
)
def test_the_heatmap_s_legend_sits_under_its_year_labels(groups: int, years: list[int]) -> None:
    """`ccb viz timeline --by donor` (30 rows) put the a+n legend a third of the axes' height below them: a band of
    blank page between the years and the legend. It sits just under the year labels at any height, clear of them,
    and a long name is cut with an ellipsis, as on the bar chart."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from queries.timeline import Timeline

    names = [f"Donor {i}" for i in range(groups - 1)] + ["Global Partnership to End Violence Against Children"]
    t = Timeline([{"group": n, "name": n, "year": y, "active": 1, "end_unknown": 1} for n in names for y in years], years)
    fig = charts.heatmap(t)
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    ax = fig.axes[0]
    ticks = min(label.get_window_extent(renderer).y0 for label in ax.get_xticklabels())  # the lowest year label
    legend = ax.get_legend().get_window_extent(renderer)
    assert legend.y1 <= ticks + 1 and ticks - legend.y1 < 0.25 * fig.dpi  # under them, within a quarter inch
    assert "Global Partnership to End Violence Agains…" in [x.get_text() for x in ax.get_yticklabels()]


def test_colour_bar_ticks_never_print_on_one_another() -> None:
    """The timeline's colour bar printed "5856": ticks 56 and 58 at a 58 peak. A step too near the peak gives way."""
    assert charts._ticks(58) == [0, 14, 28, 42, 58] and charts._ticks(60) == [0, 15, 30, 45, 60]
    for peak in range(1, 200):
        ticks = charts._ticks(peak)
        assert ticks[0] == 0 and ticks[-1] == peak and ticks == sorted(set(ticks))
        assert min(b - a for a, b in zip(ticks, ticks[1:])) >= max(1, peak // 4) / 2


def test_years_draw_a_line_with_the_currency() -> None:
    rows = [
        {"year": "2016", "amount": 600.0, "currency": "EUR"},
        {"year": "2017", "amount": None, "currency": "EUR"},
        {"year": "2018", "amount": 400.0, "currency": "EUR"},
    ]
    fig = charts.figure(rows, "year", "amount", source="Source: test")
    ax = fig.axes[0]
    [line] = ax.get_lines()
    assert list(line.get_xdata()) == ["2016", "2017", "2018"] and list(line.get_ydata()) == [600.0, 0, 400.0]
    assert ax.get_ylabel() == "amount (EUR)" and fig.get_supxlabel() == "Source: test"


def test_amount_bars_say_what_each_sum_holds() -> None:
    # Oceania states money only in other currencies: its bar stays, at zero, and says so; none is dropped in silence
    rows = [
        {"region": "Asia", "programmes": 91, "amount": 192_985_000.0, "currency": "USD", "without_amount": 80},
        {"region": "Africa", "programmes": 98, "amount": 46_600_000.0, "currency": "USD", "without_amount": 92},
        {"region": "Oceania", "programmes": 35, "amount": None, "currency": "USD", "without_amount": 35},
        {"region": "Antarctica", "programmes": 0, "amount": None, "currency": "USD", "without_amount": 0},
    ]
    ax = charts.figure(rows, "region", "amount").axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Oceania", "Africa", "Asia"]  # no programme: no bar
    assert [t.get_text() for t in ax.texts] == [
        "none stated in USD (0 of 35 programmes)",
        "46,600,000 (6 of 98 programmes)",
        "192,985,000 (11 of 91 programmes)",
    ]


def test_nothing_to_chart() -> None:
    with pytest.raises(VizError, match="nothing to chart: no amount by region"):
        charts.figure([{"region": "Africa", "programmes": 2, "amount": None}], "region", "amount")
    with pytest.raises(VizError, match="unknown chart kind"):
        charts.figure(FUNDERS, "funder", "programmes", kind="pie")


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_files(tmp_path: Path, suffix: str, magic: bytes) -> None:
    path = charts.write_chart(FUNDERS, tmp_path / f"c{suffix}", "funder", "programmes")
    assert path.read_bytes().startswith(magic)
    if suffix == ".svg":
        assert "F0" in path.read_text()


def test_bad_output_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(VizError, match="cannot tell the format"):
        charts.write_chart(FUNDERS, tmp_path / "c.pdf", "funder", "programmes")
    with pytest.raises(VizError, match="nothing to chart"):
        charts.write_chart([{"funder": "F", "programmes": 0}], tmp_path / "c.png", "funder", "programmes")
    assert list(tmp_path.iterdir()) == []


def test_cli(tmp_path: Path) -> None:
    db = tmp_path / "g.lbdb"
    with EmbeddedStore(db) as s:
        s.write(Batch().extend(records()))
    ok = CliRunner().invoke(
        cli, ["--db", str(db), "viz", "chart", "-o", str(tmp_path / "c.svg"), "--by", "subregion", "--measure", "amount"]
    )
    assert ok.exit_code == 0, ok.stderr
    svg = (tmp_path / "c.svg").read_text()
    assert "Western Africa" in svg and "amount (EUR)" in svg
    bad = CliRunner().invoke(
        cli,
        [
            "--db",
            str(db),
            "viz",
            "chart",
            "-o",
            str(tmp_path / "d.png"),
            "--by",
            "theme",
            "--measure",
            "amount",
            "--currency",
            "USD",
        ],
    )
    assert (
        bad.exit_code == 1
        and bad.stderr.startswith("Error: nothing to chart: no amount by theme")
        and not (tmp_path / "d.png").exists()
    )


def test_a_chart_says_when_its_bars_do_not_add_up(tmp_path: Path) -> None:
    """pA names Ghana and Kenya (two sub-regions): the sub-region bars sum to 3 for 2 programmes, which the
    figure's source line says, as the table's note does; the region bars (Africa alone) need no such line."""
    from queries import analysis

    db = tmp_path / "g.lbdb"
    with EmbeddedStore(db) as s:
        s.write(Batch().extend(records()))
        rows = analysis.breakdown(s, by="subregion")
    assert (
        rows.overlap() == "a programme reaching several sub-regions counts in each: the rows sum to 3 for 2 distinct programmes"
    )
    for by, said in (("subregion", True), ("region", False)):
        svg = tmp_path / f"{by}.svg"
        ok = CliRunner().invoke(cli, ["--db", str(db), "viz", "chart", "--by", by, "-o", str(svg)])
        assert ok.exit_code == 0, ok.stderr
        assert ("counts in each: the rows sum to 3 for 2 distinct programmes" in svg.read_text()) is said
