"""Exports read back with NetworkX: same nodes, edges and key attributes; no partial files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from cli import cli
from graph.embedded import EmbeddedStore
from graph.errors import SchemaError
from graph.store import Store
from tests.fixtures import SRC, small_batch
from visualisations import export


@pytest.fixture
def g(store: Store) -> nx.MultiDiGraph:
    store.write(small_batch())
    return store.to_networkx()


def test_gexf_round_trip_with_timeline(g: nx.MultiDiGraph, tmp_path: Path) -> None:
    [path] = export.write(g, "gexf", tmp_path / "g.gexf")
    back = nx.read_gexf(path)
    assert sorted(back.nodes) == sorted(g.nodes) and back.number_of_edges() == g.number_of_edges() == 7
    assert back.nodes["Programme:p1"]["label"] == "Programme One" and back.nodes["Programme:p1"]["themes"] == "A; C"
    assert back.nodes["Programme:p1"]["category"] == "Programme" and back.nodes["Programme:p1"]["ccb_key"] == "p1"
    assert back.nodes["Programme:p1"]["provenance"] == SRC
    # p1 starts "2016-03": Gephi gets 2016-03-01; the FUNDS edge eu->p1 is valid from "2016": 2016-01-01
    text = path.read_text()
    assert 'mode="dynamic"' in text and 'timeformat="date"' in text
    assert 'id="Programme:p1"' in text and 'start="2016-03-01"' in text and 'start="2016-01-01"' in text
    [edge] = [d for u, v, d in back.edges(data=True) if u == "Organisation:eu" and v == "Programme:p1"]
    assert edge["amount"] == 1000.5 and edge["relationship"] == "FUNDS"


def test_graphml_round_trip(g: nx.MultiDiGraph, tmp_path: Path) -> None:
    [path] = export.write(g, "graphml", tmp_path / "g.graphml")
    back = nx.read_graphml(path, force_multigraph=True)
    assert sorted(back.nodes) == sorted(g.nodes) and back.number_of_edges() == 7
    assert back.nodes["Country:XKX"]["name"] == "Kosovo"
    shares = sorted(d["share"] for _, _, d in back.edges(data=True) if d["relationship"] == "TARGETS")
    assert shares == [40.0, 60.0]


def test_json_round_trip(g: nx.MultiDiGraph, tmp_path: Path) -> None:
    [path] = export.write(g, "json", tmp_path / "g.json")
    data = json.loads(path.read_text())
    back = nx.node_link_graph(data, edges="links")
    assert sorted(back.nodes) == sorted(g.nodes) and back.number_of_edges() == 7
    assert back.nodes["Programme:p1"]["themes"] == ["A", "C"] and back.nodes["Programme:p1"]["provenance"] == SRC
    link = next(lk for lk in data["links"] if lk["type"] == "MEMBER_OF")
    assert (link["source"], link["target"]) == ("Country:GHA", "Organisation:commonwealth")


def test_csv_nodes_and_edges(g: nx.MultiDiGraph, tmp_path: Path) -> None:
    nodes, edges = export.write(g, "csv", tmp_path / "g.csv")
    assert edges.name == "g.edges.csv"
    node_rows = list(csv.DictReader(nodes.open()))
    edge_rows = list(csv.DictReader(edges.open()))
    assert len(node_rows) == 8 and len(edge_rows) == 7
    assert {"Id", "Label", "category"} <= set(node_rows[0]) and {"Source", "Target", "Type", "relationship"} <= set(edge_rows[0])
    assert {(r["Source"], r["Target"]) for r in edge_rows if r["relationship"] == "PARTNERS_WITH"} == {
        ("Organisation:eu", "Organisation:coe")
    }


def test_failures_leave_no_file(g: nx.MultiDiGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(export.ExportError, match="no directory"):
        export.write(g, "gexf", out / "missing" / "g.gexf")
    with pytest.raises(export.ExportError, match="nothing to export"):
        export.write(nx.MultiDiGraph(), "gexf", out / "g.gexf")

    def boom(graph: nx.MultiDiGraph, path: Path) -> None:  # a writer failing halfway
        path.write_text("<half")
        raise OSError("disk full")

    monkeypatch.setitem(export.WRITERS, "gexf", [("", boom)])
    with pytest.raises(export.ExportError, match="cannot write .*g.gexf: disk full"):  # one line, not a traceback
        export.write(g, "gexf", out / "g.gexf")
    assert list(out.iterdir()) == []


def test_cli_export(tmp_path: Path) -> None:
    db = tmp_path / "g.lbdb"
    with EmbeddedStore(db) as s:
        s.write(small_batch())
    out = CliRunner().invoke(
        cli,
        [
            "--db",
            str(db),
            "export",
            "--format",
            "gexf",
            "-o",
            str(tmp_path / "o.gexf"),
            "--label",
            "Organisation",
            "--label",
            "Programme",
            "--type",
            "FUNDS",
        ],
        catch_exceptions=False,
    )
    assert out.exit_code == 0 and "5 nodes, 2 relationships" in out.stderr
    assert nx.read_gexf(tmp_path / "o.gexf").number_of_edges() == 2
    bad = CliRunner().invoke(
        cli,
        [
            "--db",
            str(db),
            "export",
            "--format",
            "gexf",
            "-o",
            str(tmp_path / "x.gexf"),
            "--label",
            "Country",
            "--type",
            "FUNDS",
            "--label",
            "Nope",
        ],
    )
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: unknown label 'Nope'")
    # a label or type in another case is read as the schema spells it; a type whose ends are left out is said to be
    # left out, with the --label that keeps it (it was "3 nodes, 0 relationships" and nothing more)
    args = ["--db", str(db), "export", "--format", "json", "-o", str(tmp_path / "p.json"), "--label", "programme"]
    part = CliRunner().invoke(cli, [*args, "--type", "funds"])
    assert part.exit_code == 0, part.stderr
    said = " ".join(part.stderr.split())
    assert "0 relationships" in said and "FUNDS left out: it links Organisation to Programme; add --label Organisation" in said
    both = CliRunner().invoke(cli, [*args, "--label", "ORGANISATION", "--type", "funds"])
    assert "2 relationships" in both.stderr and "left out" not in both.stderr
    missing = CliRunner().invoke(cli, ["--db", str(db), "export", "--format", "json", "-o", str(tmp_path / "no" / "x.json")])
    assert missing.exit_code == 1 and "no directory" in missing.stderr and not (tmp_path / "no").exists()


def test_unknown_label_is_a_schema_error(store: Store) -> None:
    with pytest.raises(SchemaError):
        store.to_networkx(labels=["Nope"])


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--format", "json", "-o"],
        ["viz", "map", "-o"],
        ["viz", "chart", "--by", "funder", "-o"],
        ["report", "-o"],
    ],
)
def test_a_name_too_long_is_one_line(demo: Path, tmp_path: Path, args: list[str]) -> None:
    """Issue 25 #6: `-o` with a 300-character name ended in a traceback."""
    suffix = {"map": ".png", "chart": ".svg", "report": ".html"}.get(args[1] if args[0] == "viz" else args[0], ".json")
    long_name = tmp_path / ("a" * 300 + suffix)
    out = CliRunner().invoke(cli, ["--db", str(demo), *args, str(long_name)])
    assert out.exit_code == 1 and "Traceback" not in out.stderr and out.stderr.count("\n") == 1, out.stderr
    assert "is 30" in out.stderr and "bytes; at most 255 (give a shorter -o name)" in out.stderr
    ok = tmp_path / ("b" * 250 + suffix)  # a long name that fits: written, its temporary file too
    assert CliRunner().invoke(cli, ["--db", str(demo), *args, str(ok)]).exit_code == 0 and ok.exists()
