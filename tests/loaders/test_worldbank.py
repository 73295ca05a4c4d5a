"""The World Bank classification loader: CSV and XLSX in CLASS's layout, onto countries already in the store.

The values below are test input in the file's layout, not data the project ships.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from graph.errors import LoadError
from graph.model import Country
from graph.store import Batch, Store
from loaders import worldbank

ROWS = [
    ["Economy", "Code", "Region", "Income group", "Lending category"],
    ["Ghana", "GHA", "Sub-Saharan Africa", "Lower middle income", "IDA"],
    ["Kenya", "KEN", "Sub-Saharan Africa", "Lower middle income", "Blend"],
    ["Channel Islands", "CHI", "Europe & Central Asia", "High income", ""],
    ["World", "WLD", "", "", ""],
]


@pytest.fixture
def countries(store: Store) -> Store:
    store.write(
        Batch().extend(
            [
                Country(iso3="GHA", iso2="GH", name="Ghana", region="Africa", source="iso"),
                Country(iso3="KEN", name="Kenya", source="iso"),
            ]
        )
    )
    return store


def csv_file(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "CLASS.csv"
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def classes(store: Store) -> list[tuple]:
    return [
        tuple(r.values())
        for r in store.query(
            "MATCH (c:Country) RETURN c.iso3 AS iso3, c.wb_region AS wb, c.income_group AS ig, c.region AS un, c.source AS src ORDER BY iso3"
        )
    ]


def test_csv_sets_region_and_income_and_keeps_the_rest(countries: Store, tmp_path: Path) -> None:
    report = worldbank.load_world_bank(countries, csv_file(tmp_path, ROWS))
    assert (report.classified, report.skipped, report.not_in_store) == (2, ["CHI", "WLD"], [])
    rows = classes(countries)
    assert [r[:4] for r in rows] == [
        ("GHA", "Sub-Saharan Africa", "Lower middle income", "Africa"),
        ("KEN", "Sub-Saharan Africa", "Lower middle income", None),
    ]
    assert rows[0][4] == "iso"  # the country's own source is not the classification's
    src = countries.query("MATCH (c:Country {iso3: 'GHA'}) RETURN c.income_source AS s, c.income_vintage AS v")[0]
    assert (
        src["s"].startswith("World Bank country classification, CLASS.csv (fiscal year not given), loaded ") and src["v"] is None
    )
    again = worldbank.load_world_bank(countries, csv_file(tmp_path, ROWS), vintage="FY26")
    assert sum(again.summary.created.values()) == 0
    src = countries.query("MATCH (c:Country {iso3: 'GHA'}) RETURN c.income_source AS s, c.income_vintage AS v")[0]
    assert "CLASS.csv (FY26)" in src["s"] and src["v"] == "FY26"


def test_xlsx_with_a_title_above_the_header(countries: Store, tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "List of economies"
    ws.append(["World Bank list of economies"])
    ws.append([])
    for r in ROWS:
        ws.append(r)
    wb.save(tmp_path / "CLASS.xlsx")
    assert worldbank.load_world_bank(countries, tmp_path / "CLASS.xlsx").classified == 2
    assert classes(countries)[1][:3] == ("KEN", "Sub-Saharan Africa", "Lower middle income")


def test_bad_files_change_nothing(countries: Store, tmp_path: Path) -> None:
    before = classes(countries)
    with pytest.raises(LoadError, match=r"CLASS.csv: file: header: no header row with the columns Code, Region, Income group"):
        worldbank.load_world_bank(countries, csv_file(tmp_path, [["Country", "Code"], ["Kenya", "KEN"]]))
    with pytest.raises(LoadError, match="no row names a country in the store"):
        worldbank.load_world_bank(countries, csv_file(tmp_path, ROWS[:1] + [["Nepal", "NPL", "South Asia", "Low income", ""]]))
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    with pytest.raises(LoadError, match="not a readable workbook"):
        worldbank.load_world_bank(countries, tmp_path / "bad.xlsx")
    assert classes(countries) == before


def test_cli(tmp_path: Path) -> None:
    db = tmp_path / "g.lbdb"
    assert CliRunner().invoke(cli, ["--db", str(db), "init"]).exit_code == 0
    out = CliRunner().invoke(cli, ["--db", str(db), "load-world-bank", str(csv_file(tmp_path, ROWS))])
    assert out.exit_code == 0, out.stderr
    assert "classified 2 countries; skipped 2 rows that are not ISO countries" in out.stderr


BAD_SHAPES = {  # case: (CSV text, the problem named)
    "a short row": (
        "Economy,Code,Region,Income group\nKenya,KEN\n",
        "line 2: 2 cells; expected at least 4 (Code, Region, Income group)",
    ),
    "an unterminated quote": (
        'Economy,Code,Region,Income group\nGhana,GHA,"Sub-Saharan Africa,Lower middle income\nKenya,KEN,x,Low income\n',
        "not valid CSV: unexpected end of data (an unterminated quote?)",
    ),
    "a repeated code": (
        "Economy,Code,Region,Income group\nKenya,KEN,SSA,Low income\nKenya,KEN,SSA,High income\n",
        "line 3: Code: KEN is classified again (first at line 2)",
    ),
    "an unknown income group": (
        "Economy,Code,Region,Income group\nKenya,KEN,SSA,Very rich\n",
        "line 2: Income group: 'Very rich': expected one of Low income, Lower middle income, Upper middle income, High income",
    ),
}


@pytest.mark.parametrize("case", list(BAD_SHAPES))
def test_bad_shapes_are_named_and_change_nothing(countries: Store, tmp_path: Path, case: str) -> None:
    """Issue 25 #5: short rows, an unterminated quote (which erased Kenya's income group), repeated codes and unknown
    income groups loaded silently."""
    text, said = BAD_SHAPES[case]
    before = countries.query("MATCH (c:Country) RETURN c.iso3 AS iso3, c.income_group AS g ORDER BY iso3")
    path = tmp_path / "class.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as info:
        worldbank.load_world_bank(countries, path, vintage="FY26")
    assert any(said in str(p) for p in info.value.problems), [str(p) for p in info.value.problems]
    assert countries.query("MATCH (c:Country) RETURN c.iso3 AS iso3, c.income_group AS g ORDER BY iso3") == before
