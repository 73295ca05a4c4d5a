"""The world choropleth: shapes for every country, classes, escaping, and real SVG/HTML/PNG files."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from graph.embedded import EmbeddedStore
from loaders import bundled
from tests.queries.test_analysis import records
from visualisations import maps
from visualisations.errors import VizError

HOSTILE = "<img src=x onerror=alert(1)>"


def test_every_reference_country_has_a_shape() -> None:
    with open(bundled.DATA / "countries.csv", encoding="utf-8") as f:
        isos = {r["iso3"] for r in csv.DictReader(f)}
    _, shapes = maps.world()
    assert isos - set(shapes) == {"ATA"}  # Antarctica is left off the map on purpose
    assert set(shapes) <= isos
    assert shapes["XKX"].paths and shapes["KEN"].paths


def test_frame_matches_the_shapes() -> None:
    frame, shapes = maps.world()
    assert maps.frame(shapes) == frame


def test_classes() -> None:
    # counts 0..9: zero alone, then steps of ceil(9 / 4) = 3
    assert maps.classes(maps.MapData({"A": 0, "B": 9}, "t", "l", "s")) == [
        (0.0, 0.0, "0"),
        (1.0, 3.0, "1-3"),
        (4.0, 6.0, "4-6"),
        (7.0, 9.0, "7-9"),
    ]
    data = maps.MapData({"A": 0.25}, "t", "l", "s", bounded=True)
    bins = maps.classes(data)
    assert [maps.colour_of(v, bins, data) for v in (0, 0.2, 0.21, 0.99, 1.0, None)] == [
        maps.PALETTE[0],
        maps.PALETTE[0],
        maps.PALETTE[1],
        maps.PALETTE[4],
        maps.PALETTE[4],
        maps.NO_DATA,
    ]


def test_svg_colours_countries_and_escapes_text() -> None:
    data = maps.MapData(
        {"KEN": 1.0, "GHA": 0.1, "NPL": None},
        f"Title {HOSTILE}",
        "Priority",
        f"src {HOSTILE}",
        bounded=True,
        names={"KEN": HOSTILE},
        details={"GHA": "a & b"},
    )
    svg = maps.svg(data)
    assert "<img" not in svg and "&lt;img src=x onerror=alert(1)&gt;" in svg
    assert re.search(
        r'<g class="country" id="KEN" fill="#440154" data-value="1"><title>&lt;img src=x onerror=alert\(1\)&gt; \(KEN\): 1', svg
    )
    assert '<g class="country" id="GHA" fill="#fde725" data-value="0.1"><title>Ghana (GHA): 0.1; a &amp; b</title>' in svg
    assert '<g class="country" id="NPL" fill="url(#no-data)"><title>Nepal (NPL): no data</title>' in svg
    assert svg.count('<g class="country"') == 249
    html = maps.page(data)
    assert "script" not in html.lower() and not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', html)


def test_a_country_outside_the_focus_is_said_to_be_outside() -> None:
    # Eritrea, the top of the world's gaps, was "not ranked, or need unknown" on Western Africa's map
    rows = [{"iso3": "GHA", "country": "Ghana", "need": 0.3, "programmes": 19, "funders": 11, "priority": 0.015}]
    data = maps.from_gaps(rows, "priority", not_ranked={"USA": "high income"})
    data.focus, data.outside = frozenset({"GHA"}), "outside Western Africa"
    svg = maps.svg(data)
    assert f'<g class="country" id="ERI" fill="{maps.OUTSIDE}"><title>Eritrea (ERI): outside Western Africa</title>' in svg
    assert "<title>United States (USA): outside Western Africa</title>" in svg  # not its reason for not being ranked
    assert "<title>Ghana (GHA): 0.015; need 0.3, 19 programme(s), 11 funder(s)</title>" in svg
    assert "not ranked" not in svg.split('id="legend"')[0].replace("<title>Cyber", "")  # no country says it


def test_png_is_coloured_by_value(tmp_path: Path) -> None:
    import matplotlib.image

    dark = tuple(int(maps.PALETTE[-1][i : i + 2], 16) / 255 for i in (1, 3, 5))

    def dark_pixels(values: dict) -> int:
        path = maps.write_map(maps.MapData(values, "t", "l", "s", bounded=True), tmp_path / "m.png")
        img = matplotlib.image.imread(path)[:, :, :3]
        return int((abs(img - dark).sum(axis=2) < 0.02).sum())

    kenya, brazil = dark_pixels({"KEN": 1.0, "BRA": 0.0}), dark_pixels({"KEN": 0.0, "BRA": 1.0})
    legend = dark_pixels({"KEN": 0.0})
    assert legend < kenya < brazil  # Brazil is about 15 times Kenya's area
    assert brazil - legend > 10 * (kenya - legend)


def test_png_zooms_to_its_focus(tmp_path: Path) -> None:
    import matplotlib.image

    dark = tuple(int(maps.PALETTE[-1][i : i + 2], 16) / 255 for i in (1, 3, 5))

    def dark_pixels(values: dict, focus: frozenset[str] = frozenset()) -> int:
        data = maps.MapData(values, "t", "l", "s", bounded=True, focus=focus)
        img = matplotlib.image.imread(maps.write_map(data, tmp_path / "m.png"))[:, :, :3]
        return int((abs(img - dark).sum(axis=2) < 0.02).sum())

    # zoomed to Eastern Africa, Kenya fills far more of the frame than on the world map; Brazil, outside, is
    # background (the PNG drew the whole world, the outside hatched as "no data")
    east = frozenset({"KEN", "TZA", "UGA", "ETH", "SOM"})
    zoomed = dark_pixels({"KEN": 1.0, "BRA": 1.0}, east)
    assert zoomed > 5 * dark_pixels({"KEN": 1.0})
    assert zoomed == dark_pixels({"KEN": 1.0}, east)


@pytest.mark.parametrize("name, message", [("m.txt", "cannot tell the format"), ("no/m.svg", "no directory")])
def test_bad_output(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(VizError, match=message):
        maps.write_map(maps.MapData({"KEN": 1}, "t", "l", "s"), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_nothing_to_draw(tmp_path: Path) -> None:
    with pytest.raises(VizError, match="no country has a value"):
        maps.write_map(maps.MapData({"KEN": None}, "t", "l", "s"), tmp_path / "m.svg")
    assert not (tmp_path / "m.svg").exists()


def test_from_gaps_shows_unknown_need_as_no_data() -> None:
    rows = [
        {"iso3": "KEN", "country": "Kenya", "need": 0.85, "need_known": True, "programmes": 1, "funders": 1, "priority": 0.425},
        {"iso3": "NPL", "country": "Nepal", "need": None, "need_known": False, "programmes": 0, "funders": 0, "priority": None},
    ]
    assert maps.from_gaps(rows, "need").values == {"KEN": 0.85, "NPL": None}
    assert maps.from_gaps(rows, "priority").values == {"KEN": 0.425, "NPL": None}
    assert maps.from_gaps(rows, "priority").details["NPL"] == "need unknown, 0 programme(s), 0 funder(s)"
    # a country the gaps universe leaves out (the USA: high income) has no row: not "no data" on a priority map
    priority = maps.svg(maps.from_gaps(rows, "priority"))
    assert '<g class="country" id="USA" fill="url(#no-data)"><title>United States (USA): not ranked, or need unknown' in priority
    assert ">not ranked, or need unknown</text>" in priority and ">no data</text>" not in priority
    assert ">no data</text>" in maps.svg(maps.from_gaps(rows, "programmes"))  # counts are facts for every country
    # told why (Gaps.not_ranked), each left-out country's tooltip says it; the legend still says "not ranked"
    why = maps.svg(maps.from_gaps(rows, "priority", not_ranked={"USA": "high income", "GUM": "territory or dependency"}))
    assert "<title>United States (USA): not ranked: high income</title>" in why
    assert "<title>Guam (GUM): not ranked: territory or dependency</title>" in why
    assert "<title>Nepal (NPL): not ranked, or need unknown; need unknown, 0 programme(s), 0 funder(s)</title>" in why
    assert ">not ranked, or need unknown</text>" in why
    assert "not ranked: high income" not in maps.svg(maps.from_gaps(rows, "programmes", not_ranked={"USA": "high income"}))
    with pytest.raises(VizError, match="unknown measure"):
        maps.from_gaps(rows, "wealth")


def test_cli(tmp_path: Path) -> None:
    db = tmp_path / "g.lbdb"
    with EmbeddedStore(db) as s:
        from graph.store import Batch

        s.write(Batch().extend(records()))
    for suffix in ("html", "svg", "png"):
        out = CliRunner().invoke(
            cli, ["--db", str(db), "viz", "map", "-o", str(tmp_path / f"m.{suffix}"), "--measure", "programmes"]
        )
        assert out.exit_code == 0, out.stderr
        assert "4 countries with a value" in out.stderr  # counts are shown for every country, the high-income GBR too
    svg = (tmp_path / "m.svg").read_text()
    # records(): GHA has pA and pB, KEN pA, NPL nothing -> classes 0, 1, 2
    assert 'id="GHA" fill="#440154" data-value="2"' in svg and 'id="KEN" fill="#21918c" data-value="1"' in svg
    assert 'id="NPL" fill="#fde725" data-value="0"' in svg and 'id="FRA" fill="url(#no-data)"' in svg
    # the priority map leaves the high-income GBR out of the ranking, and its tooltip says so
    out = CliRunner().invoke(cli, ["--db", str(db), "viz", "map", "-o", str(tmp_path / "p.svg")])
    assert out.exit_code == 0, out.stderr
    assert "<title>United Kingdom (GBR): not ranked: high income</title>" in (tmp_path / "p.svg").read_text()
    bad = CliRunner().invoke(cli, ["--db", str(db), "viz", "map", "-o", str(tmp_path / "x.svg"), "--region", "Atlantis"])
    assert (
        bad.exit_code == 1
        and bad.stderr.startswith("Error: no region or sub-region 'Atlantis'")
        and not (tmp_path / "x.svg").exists()
    )


def test_a_region_map_says_who_is_outside(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "wa.svg"
    run = CliRunner().invoke(cli, ["--db", str(demo), "viz", "map", "--region", "western africa", "-o", str(out)])
    assert run.exit_code == 0, run.stderr
    svg = out.read_text(encoding="utf-8")
    # Eritrea, the world's top gap, is outside the region, not of unknown need; a territory inside says why it is not ranked
    assert "<title>Eritrea (ERI): outside Western Africa</title>" in svg
    assert "(SHN): not ranked: territory or dependency</title>" in svg
    assert re.search(r"<title>Ghana \(GHA\): [0-9.]+; need", svg)
