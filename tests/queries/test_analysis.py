"""Analyses on a graph small enough to work out by hand; both engines, any load order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from graph.embedded import EmbeddedStore
from graph.errors import CCBError
from graph.model import Country, Funds, Implements, Indicator, Measured, Organisation, Programme, Targets
from graph.store import Batch, Store
from queries import analysis as a
from tests.fixtures import write_reversed

S = "tests/queries/test_analysis.py"


def records() -> list:
    """GHA, KEN, NPL; funders f1, f2; implementer i1.

    pA: theme C, 2016-2018, funded by f1, implemented by i1, targets GHA (EUR 600) and KEN (EUR 400).
    pB: theme A, from 2020, funded by f1 and f2, targets GHA (no amount).
    GCI 2024: GHA tier 2, KEN tier 4; KEN has a CMM review; NPL has no indicator and no programme.
    """
    return [
        Country(iso3="GHA", name="Ghana", region="Africa", subregion="Western Africa", source=S),
        Country(iso3="KEN", name="Kenya", region="Africa", subregion="Eastern Africa", source=S),
        Country(iso3="NPL", name="Nepal", region="Asia", subregion="Southern Asia", source=S),
        Organisation(id="f1", name="Funder One", source=S),
        Organisation(id="f2", name="Funder Two", source=S),
        Organisation(id="i1", name="Implementer One", source=S),
        Programme(id="pA", name="A", themes=["C"], start_date="2016", end_date="2018", source=S),
        Programme(id="pB", name="B", themes=["A"], start_date="2020", source=S),
        Funds(src="f1", dst="pA", source=S),
        Funds(src="f1", dst="pB", source=S),
        Funds(src="f2", dst="pB", source=S),
        Implements(src="i1", dst="pA", source=S),
        Targets(src="pA", dst="GHA", share=60, amount=600, currency="EUR", source=S),
        Targets(src="pA", dst="KEN", share=40, amount=400, currency="EUR", source=S),
        Targets(src="pB", dst="GHA", source=S),
        Indicator(id="gci-2024", family="gci", edition="2024", name="GCI 2024", source=S),
        Indicator(id="cmm-2019", family="cmm", edition="2019", name="CMM", source=S),
        Measured(src="GHA", dst="gci-2024", tier=2, source=S),
        Measured(src="KEN", dst="gci-2024", tier=4, source=S),
        Measured(src="KEN", dst="cmm-2019", source=S),
    ]


@pytest.fixture
def graph(store: Store) -> Store:
    store.write(Batch().extend(records()))
    return store


def test_supports_by_pair(graph: Store) -> None:
    rows = a.supports(graph)
    # f1-GHA: pA and pB, amount known only for pA's GHA link (600); f1-KEN: pA (400); f2-GHA: pB, no amount
    assert [(r["funder"], r["country"], r["programmes"], r["amount"], r["implementers"]) for r in rows] == [
        ("f1", "GHA", 2, "EUR 600", ["i1"]),
        ("f1", "KEN", 1, "EUR 400", ["i1"]),
        ("f2", "GHA", 1, None, []),
    ]
    assert rows[0]["explanation"] == "2 programme(s) active in any year; amounts known for 1 of 2 programme-country links"


def test_supports_either_way_and_window(graph: Store) -> None:
    ghana = a.supports(graph, country="GHA", by="country")
    assert [(r["country"], r["funders"], r["programmes"]) for r in ghana] == [("GHA", ["f1", "f2"], 2)]
    f1 = a.supports(graph, funder="f1", by="funder")
    assert [(r["funder"], r["countries"], r["programmes"], r["amount"]) for r in f1] == [("f1", ["GHA", "KEN"], 2, "EUR 1,000")]
    # from 2019 pA (ended 2018) drops out: only pB remains, in Ghana
    late = a.supports(graph, window=a.Window(2019, None))
    assert [(r["funder"], r["country"], r["programme_ids"]) for r in late] == [("f1", "GHA", ["pB"]), ("f2", "GHA", ["pB"])]
    assert a.supports(graph, theme="E") == []


def test_country_gaps(graph: Store) -> None:
    rows = a.country_gaps(graph)
    # NPL: need unknown 0.5 + 0.1 (no CMM review) = 0.6, no programme -> 0.6 / 1 = 0.6
    # KEN: tier 4 -> (4-1)/4 = 0.75, has a CMM review; 1 programme -> 0.75 / 2 = 0.375
    # GHA: tier 2 -> 0.25 + 0.1 = 0.35; 2 programmes -> 0.35 / 3 = 0.117
    assert [(r["iso3"], r["need"], r["programmes"], r["priority"]) for r in rows] == [
        ("NPL", 0.6, 0, 0.6), ("KEN", 0.75, 1, 0.375), ("GHA", 0.35, 2, 0.117)]
    assert rows[1]["explanation"] == "need 0.75 (GCI 2024 tier 4 -> 0.75; CMM review on record) / (1 + 1 programmes in any year) = 0.375"


def test_region_and_theme_gaps(graph: Store) -> None:
    regions = a.region_gaps(graph)
    # Asia: NPL unserved, priority 0.6. Africa: none unserved, 3 programme links, mean need (0.35+0.75)/2 = 0.55,
    # mean priority (0.117+0.375)/2 = 0.246
    assert [(r["region"], r["countries"], r["unserved"], r["unserved_share"], r["programme_links"], r["mean_need"], r["mean_priority"])
            for r in regions] == [("Asia", 1, 1, 1.0, 0, 0.6, 0.6), ("Africa", 2, 0, 0.0, 3, 0.55, 0.246)]
    themes = a.theme_gaps(graph, min_need=0.5)
    # KEN (0.75) has only C (pA); NPL (0.6) nothing; GHA (0.35) is below 0.5. Both weigh 3.0: by code.
    assert [(r["iso3"], r["C"], r["gaps"]) for r in themes] == [("KEN", 1, ["A", "B", "D", "E"]), ("NPL", 0, ["A", "B", "C", "D", "E"])]


def test_concentration(graph: Store) -> None:
    rows = a.concentration(graph)
    # KEN: one link (f1, pA, EUR 400), all priced -> f1 100%, HHI 1.
    # GHA: pB has no amount -> programme counts: f1 2 (pA, pB), f2 1 -> (2/3)^2 + (1/3)^2 = 5/9 = 0.5556; 1/HHI = 1.8
    assert [(r["iso3"], r["hhi"], r["effective_donors"], r["top_funder"], r["basis"]) for r in rows] == [
        ("KEN", 1.0, 1.0, "f1", "amounts (EUR)"), ("GHA", 0.5556, 1.8, "f1", "programme counts (amounts missing)")]


def test_unknown_names_suggest_close_matches(graph: Store) -> None:
    with pytest.raises(a.UnknownName, match=r"no Country 'KEM' in the graph \(did you mean KEN"):
        a.supports(graph, country="KEM")
    with pytest.raises(a.UnknownName, match="no Organisation 'f3'"):
        a.supports(graph, funder="f3")
    with pytest.raises(a.UnknownName, match="no region or sub-region 'Atlantis'"):
        a.country_gaps(graph, region="Atlantis")
    with pytest.raises(a.UnknownName, match="unknown GFCE theme 'Z'"):
        a.country_gaps(graph, theme="Z")


def test_same_answers_whatever_the_load_order(tmp_path: Path) -> None:
    forward, backward = EmbeddedStore(tmp_path / "f.lbdb"), EmbeddedStore(tmp_path / "b.lbdb")
    recs = records()
    forward.write(Batch().extend(recs))
    write_reversed(backward, recs)
    for fn in (a.supports, a.country_gaps, a.region_gaps, a.theme_gaps, a.concentration):
        assert fn(forward) == fn(backward), fn.__name__
    forward.close()
    backward.close()


@pytest.mark.parametrize("cmd", [["supports"], ["supports", "--by", "country"], ["gaps"], ["gaps", "--by", "region"],
                                 ["gaps", "--by", "subregion"], ["gaps", "--by", "theme"], ["concentration"]])
@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_cli_analyses(tmp_path: Path, cmd: list[str], fmt: str) -> None:
    db = tmp_path / "g.lbdb"
    with EmbeddedStore(db) as s:
        s.write(Batch().extend(records()))
    out = CliRunner().invoke(cli, ["--db", str(db), *cmd, "--format", fmt], catch_exceptions=False)
    assert out.exit_code == 0, out.stderr
    if fmt == "json":
        assert len(json.loads(out.stdout)) >= 2
    elif fmt == "csv":
        assert len(out.stdout.strip().splitlines()) >= 3 and "explanation" in out.stdout.splitlines()[0]
    else:
        assert "explanation" in out.stdout


def test_cli_empty_filter_and_unknown_name(tmp_path: Path) -> None:
    db = tmp_path / "g.lbdb"
    with EmbeddedStore(db) as s:
        s.write(Batch().extend(records()))
    empty = CliRunner().invoke(cli, ["--db", str(db), "supports", "--theme", "E", "--format", "json"])
    assert empty.exit_code == 0 and json.loads(empty.stdout) == []
    bad = CliRunner().invoke(cli, ["--db", str(db), "supports", "--country", "KEM"])
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: no Country 'KEM' in the graph (did you mean KEN")


def test_breakdown_counts(graph: Store) -> None:
    def counts(by: str, **kw: object) -> list:
        return [(r[by], r["programmes"]) for r in a.breakdown(graph, by=by, **kw)]

    assert counts("region") == [("Africa", 2), ("Asia", 0)]
    assert counts("subregion") == [("Western Africa", 2), ("Eastern Africa", 1), ("Southern Asia", 0)]
    assert counts("theme") == [("A", 1), ("C", 1), ("B", 0), ("D", 0), ("E", 0)]
    # pA starts 2016, pB 2020: every year between is listed, in order
    assert counts("year") == [("2016", 1), ("2017", 0), ("2018", 0), ("2019", 0), ("2020", 1)]
    assert counts("funder") == [("Funder One", 2), ("Funder Two", 1)]
    assert counts("funder", window=a.Window(2019, None)) == [("Funder One", 1), ("Funder Two", 1)]  # pA ended 2018
    assert counts("region", theme="C") == [("Africa", 1), ("Asia", 0)]


def test_breakdown_amounts_never_mix_currencies(graph: Store) -> None:
    rows = a.breakdown(graph, by="subregion", measure="amount")
    # pA: GHA EUR 600, KEN EUR 400; pB -> GHA has no amount
    assert [(r["subregion"], r["amount"], r["currency"], r["without_amount"]) for r in rows] == [
        ("Western Africa", 600.0, "EUR", 1), ("Eastern Africa", 400.0, "EUR", 0), ("Southern Asia", None, "EUR", 0)]
    usd = a.breakdown(graph, by="subregion", measure="amount", currency="USD")
    assert [(r["amount"], r["without_amount"]) for r in usd] == [(None, 1), (None, 0), (None, 2)]  # no amount anywhere: by name
    with pytest.raises(CCBError, match="cannot break 'amount' down by 'planet'"):
        a.breakdown(graph, by="planet", measure="amount")
