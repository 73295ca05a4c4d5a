"""Issue 26 (part): `ccb plan` on a hand-worked graph, and its properties on a seeded one; both engines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from graph.errors import CCBError
from graph.examples import gaps_records as records
from graph.store import Batch, Store
from queries import plan as p
from tests.queries.test_grouped import rich_records


@pytest.fixture
def graph(store: Store) -> Store:
    store.write(Batch().extend(records()))
    return store


def test_the_best_portfolio_of_a_hand_worked_graph(graph: Store) -> None:
    # Theme C: NPL need 0.6 with no programme, KEN need 0.5 with one (pA), GHA need unknown, GBR high income.
    # One grant's value is need / ((1 + n)(2 + n)): NPL 0.3, then 0.1, then 0.05; KEN 0.083, then 0.042.
    # Three grants: NPL (0.3), NPL (0.1), KEN (0.083): nothing else gives more, so greedy is the best portfolio.
    plan = p.plan(graph, budget="EUR 3000", themes=["C"], grant=1000, stability=False)
    assert [(r["iso3"], r["theme"], r["grants"], r["priority_before"], r["priority_after"]) for r in plan.rows] == [
        ("NPL", "C", 2, 0.6, 0.2),
        ("KEN", "C", 1, 0.25, 0.167),
    ]
    assert (plan.used, plan.gap_before, plan.gap_after) == (3000.0, 0.85, 0.367)
    assert "GHA" not in {r["iso3"] for r in plan.rows} and "GBR" not in {r["iso3"] for r in plan.rows}
    assert [
        (r["iso3"], r["grants"])
        for r in p.plan(graph, budget="EUR 3000", themes=["C"], grant=1000, exclude=["Nepal"], stability=False).rows
    ] == [("KEN", 3)]
    assert [r["iso3"] for r in p.plan(graph, budget="EUR 3000", themes=["C"], grant=1000, max_countries=1).rows] == ["NPL"]
    with pytest.raises(CCBError, match="budget 'lots'"):
        p.plan(graph, budget="lots", grant=1)
    with pytest.raises(CCBError, match="no per-country amount in JPY"):
        p.plan(graph, budget="JPY 1000", themes=["C"])
    sized = p.plan(graph, budget="EUR 1000", themes=["C"], stability=False)  # pA's stated amounts: 600 and 400
    assert (sized.grant, sized.grant_basis) == (500.0, "the median of 2 stated per-country amount(s) in EUR on these themes")


def test_properties_over_a_seeded_graph(store: Store) -> None:
    store.write(Batch().extend(rich_records(seed=11)))
    from graph.model import Indicator, Measured

    # every country a GCI value, so the model knows its need (the seeded graph has none)
    isos = [r["iso3"] for r in store.query("MATCH (c:Country) RETURN c.iso3 AS iso3 ORDER BY iso3")]
    store.write(
        Batch().extend(
            [Indicator(id="gci-2024", family="gci", edition="2024", name="GCI", source="s")]
            + [Measured(src=c, dst="gci-2024", score=float(10 + 3 * i), source="s") for i, c in enumerate(isos)]
        )
    )
    smaller = p.plan(store, budget="USD 5000", grant=1000, stability=False)
    larger = p.plan(store, budget="USD 9000", grant=1000, stability=False)
    assert smaller.used <= 5000 and larger.used <= 9000 and sum(r["grants"] for r in larger.rows) == 9
    small = {(r["iso3"], r["theme"]): r["grants"] for r in smaller.rows}
    large = {(r["iso3"], r["theme"]): r["grants"] for r in larger.rows}
    assert all(large.get(k, 0) >= v for k, v in small.items())  # a larger budget never removes a row
    capped = p.plan(store, budget="USD 9000", grant=1000, max_countries=2, exclude=[isos[0]], stability=False)
    assert len({r["iso3"] for r in capped.rows}) <= 2 and isos[0] not in {r["iso3"] for r in capped.rows}
    assert p.plan(store, budget="USD 9000", grant=1000, stability=False).rows == larger.rows  # the same inputs, the same


def test_cli_plan(graph: Store, tmp_path: Path) -> None:
    if graph.kind != "embedded":
        pytest.skip("the CLI is tested on the embedded store; the library above on both")
    out = CliRunner().invoke(
        cli,
        [
            "--db",
            graph.location,
            "plan",
            "--budget",
            "EUR 3000",
            "--theme",
            "cybercrime",
            "--grant-size",
            "1000",
            "--format",
            "json",
        ],
    )
    assert out.exit_code == 0, out.stderr
    assert [(r["iso3"], r["grants"]) for r in json.loads(out.stdout)] == [("NPL", 2), ("KEN", 1)]
    assert "need-weighted gap of the chosen cells" in out.stderr and "stability:" in out.stderr
