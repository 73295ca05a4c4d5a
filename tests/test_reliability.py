"""Hostile input and misuse, as a table of cases and the clean outcome each must have (issue 13).

Covered here so far: read-only queries that would touch files, read commands on a
mistyped store path, passwords in URIs, and curated country data kept when another
loader names the country again. Each store-facing case runs on both engines.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from graph.errors import ReadOnlyViolation
from graph.model import Country
from graph.store import Batch, Store
from loaders import iati, indices, worldbank
from tests.loaders.test_iati import CYBER, activities
from tests.loaders.test_iati import write as write_xml

# statement -> the file it would create or read: each must be refused before it runs, on both stores
FILE_QUERIES = [
    "COPY (RETURN 1 AS x) TO '{out}'",
    "EXPORT DATABASE '{out}'",
    "LOAD FROM '/etc/passwd' (header=false) RETURN *",
    "UNWIND [1] AS x LOAD FROM '/etc/passwd' (header=false) RETURN *",
    "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line",
    "CALL show_tables() RETURN *",
    "MATCH (n) WITH n LIMIT 1 CALL db.labels() YIELD label RETURN label",
    "ATTACH '{out}' AS other (dbtype lbug)",
    "INSTALL httpfs",
]


@pytest.mark.parametrize("statement", FILE_QUERIES)
def test_read_only_query_touches_no_file(store: Store, tmp_path: Path, statement: str) -> None:
    out = tmp_path / "leak.csv"
    store.write(Batch().extend([Country(iso3="GHA", name="Ghana", source="s")]))
    with pytest.raises(ReadOnlyViolation, match="not a read-only query"):
        store.query(statement.format(out=out))
    assert not out.exists() and not list(tmp_path.glob("leak*"))
    assert store.query("MATCH (c:Country) RETURN c.iso3 AS k") == [{"k": "GHA"}]  # reads still work
    # words inside strings, property names and comments are data, not clauses
    assert store.query("MATCH (c:Country) WHERE c.name <> 'LOAD FROM x; COPY' RETURN c.iso3 AS load_ // CALL") == [{"load_": "GHA"}]


def test_read_commands_refuse_a_missing_store(tmp_path: Path) -> None:
    typo = tmp_path / "typo.lbdb"
    for cmd in (["stats"], ["gaps"], ["query", "RETURN 1 AS x"], ["check"], ["profile", "KEN"]):
        out = CliRunner().invoke(cli, ["--db", str(typo), *cmd])
        assert out.exit_code == 1 and out.stderr == f"Error: no store at {typo} (create one with `ccb init` (or `ccb demo` " \
                                                   "for the bundled data), or pass --db)\n", cmd
    assert not list(tmp_path.iterdir())  # nothing was created
    assert CliRunner().invoke(cli, ["--db", str(typo), "init", "--no-reference"]).exit_code == 0  # init creates it


@pytest.mark.parametrize("uri", ["bolt://neo4j:PASSWORD@127.0.0.1:1", "neo4j://neo4j:PASSWORD@127.0.0.1:1"])
def test_a_password_in_the_uri_is_never_printed(uri: str) -> None:
    out = CliRunner().invoke(cli, ["--db", uri, "stats"])
    assert out.exit_code == 1 and "PASSWORD" not in out.output and "PASSWORD" not in out.stderr
    assert out.stderr.startswith("Error: ") and out.stderr.count("\n") == 1 and "***" in out.stderr


def test_other_loaders_never_blank_curated_country_data(store: Store, tmp_path: Path) -> None:
    """A World Bank classification survives an index file and an IATI file that name the same countries."""
    store.write(Batch().extend([Country(iso3=c, name=c, source="iso", as_of="2024") for c in ("KEN", "GHA", "AFG")]))
    cls = tmp_path / "CLASS.csv"
    cls.write_text("Economy,Code,Region,Income group,Lending category\nKenya,KEN,Sub-Saharan Africa,Lower middle income,Blend\n"
                   "Afghanistan,AFG,South Asia,Low income,IDA\n", encoding="utf-8")
    worldbank.load_world_bank(store, cls, vintage="FY25")
    idx = tmp_path / "gci.csv"
    idx.write_text("country,index,edition,score,source,as_of\nKEN,gci,2024,98.5,https://example.org/gci,2024\n", encoding="utf-8")
    indices.load_indices(store, idx)
    iati.load_iati(store, write_xml(tmp_path, activities(CYBER)), jobs=1)

    def kept() -> dict:
        return {r["k"]: (r["ig"], r["v"], r["s"]) for r in store.query(
            "MATCH (c:Country) WHERE c.iso3 IN ['KEN', 'AFG'] RETURN c.iso3 AS k, c.income_group AS ig, c.income_vintage AS v, c.source AS s")}

    assert kept() == {"KEN": ("Lower middle income", "FY25", "iso"), "AFG": ("Low income", "FY25", "iso")}
