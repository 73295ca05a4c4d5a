"""The benchmarks keep working: size S through every step on both stores, numbers reported (no speed asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import baselines, run, synthetic
from bench.boltserver import Bolt
from graph.embedded import EmbeddedStore
from loaders import tabular

STEPS = [
    "baseline: per-row MERGE",
    "load (parse+validate+write)",
    "re-load (idempotent)",
    "10% delta into full store",
    "export to NetworkX",
    "supports",
    "gaps",
    "gaps --by region",
    "gaps --by theme",
    "concentration",
    "partners",
    "brokers",
    "communities",
    "plan",
    "viz network (2,000 nodes)",
]


def test_generator_is_seeded_and_loads(tmp_path: Path) -> None:
    a, b = synthetic.write(tmp_path / "a", "S", seed=3), synthetic.write(tmp_path / "b", "S", seed=3)
    assert a == b and a["graph.jsonl"] > 7_000
    for name in a:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    synthetic.write(tmp_path / "c", "S", seed=4)
    assert (tmp_path / "a" / "graph.jsonl").read_bytes() != (tmp_path / "c" / "graph.jsonl").read_bytes()
    with EmbeddedStore(tmp_path / "g.lbdb") as s:
        first = tabular.load_file(s, tmp_path / "a" / "graph.jsonl")
        assert sum(first.summary.created.values()) == a["graph.jsonl"]
        counts = s.counts()
        assert all(counts[k] > 0 for k in ("FUNDS", "IMPLEMENTS", "TARGETS", "PARTNERS_WITH", "MEMBER_OF"))
        delta = tabular.load_file(s, tmp_path / "a" / "delta.jsonl").summary
        created, updated = sum(delta.created.values()), sum(delta.updated.values())
        assert created + updated == a["delta.jsonl"] and created > 0 and updated > 0


def test_baselines_write_what_the_loader_writes(tmp_path: Path, bolt: Bolt) -> None:
    synthetic.write(tmp_path, "S")
    rows = baselines.read_rows(tmp_path / "graph.jsonl")
    assert baselines.copy_arrow(tmp_path / "copy.lbdb", rows) == baselines.count(rows)
    with EmbeddedStore(tmp_path / "copy.lbdb") as copied, EmbeddedStore(tmp_path / "loaded.lbdb") as loaded:
        tabular.load_file(loaded, tmp_path / "graph.jsonl")
        assert copied.counts() == loaded.counts()
    smp = baselines.sample(rows, 500)
    with EmbeddedStore(tmp_path / "rows.lbdb") as s:
        assert baselines.per_row_merge(s, smp) == baselines.count(smp)
        embedded_counts = s.counts()
    assert embedded_counts["Programme"] == len(smp["Programme"]) and embedded_counts["FUNDS"] == len(smp["FUNDS"]) > 0
    with bolt.store() as s:
        s.clear()
        baselines.per_row_merge(s, smp)
        assert s.counts() == embedded_counts


def test_every_step_reports_numbers(tmp_path: Path, bolt: Bolt) -> None:
    results = run.run("S", 1, tmp_path, ["embedded", "neo4j"], progress=lambda m: None, bolt=bolt)
    steps = {(s["store"], s["name"]): s for s in results["steps"]}
    for store in ("embedded", "neo4j"):
        for name in STEPS:
            s = steps[(store, name)]
            assert s["median_s"] > 0 and s["peak_rss_mib"] > 0, (store, name)
    assert steps[("embedded", "baseline: raw COPY (Arrow)")]["rate"] > 0
    for name in ("IATI parse + validate (5 MB)", "IATI parse + validate (0.5 MB)", "IATI parse + validate, 1 process (5 MB)"):
        assert steps[("-", name)]["rate"] > 0 and steps[("-", name)]["peak_rss_mib"] > 0, name
    assert steps[("embedded", "IATI load (5 MB)")]["rate"] > 0
    # the network page in Chromium, as it opens now and as it opened before (physics in the browser)
    for name in ("first stable frame", "first stable frame, before", "zooming"):
        assert steps[("-", f"network page (200 nodes): {name}")]["median_s"] > 0, name
    assert steps[("-", "network page (200 nodes): zooming")]["rate"] > 0
    assert steps[("-", run.STARTUP)]["median_s"] > steps[("-", run.INTERPRETER)]["median_s"] > 0
    assert {c["check"] for c in results["checks"]} >= {
        "embedded load rate / raw COPY rate",
        "neo4j load rate / per-row MERGE rate",
        "embedded delta time / load time",
        "IATI parse (MB/s), 5 MB",
        "IATI peak RSS, 5 MB file / 0.5 MB file",
        "ccb start-up time / interpreter + click time",
    }
    # rows that crossed Bolt, per analysis: grouped reads, so a few per country or organisation, not per flow
    for name in ("gaps", "supports", "concentration", "communities"):
        read = steps[("neo4j", name)]
        assert 0 < read["rows_read"] < 2_000 and read["items_read"] > read["rows_read"], (name, read["rows_read"])
    assert steps[("neo4j", "export to NetworkX")]["rows_read"] > 0
    checks = {c["check"] for c in results["checks"]}
    assert {"neo4j gaps (s)", "embedded communities (s)", "embedded brokers peak RSS (MiB)"} <= checks
    assert "| - | network page (200 nodes): zooming |" in (tmp_path / "results.md").read_text()
    assert json.loads((tmp_path / "results.json").read_text())["meta"]["size"] == "S"
    md = (tmp_path / "results.md").read_text()
    assert "| embedded | partners |" in md and "| check | value | target | met |" in md


def test_loads_only_runs_the_baselines_and_loads_alone(tmp_path: Path) -> None:
    results = run.run("S", 1, tmp_path, ["embedded"], progress=lambda m: None, loads_only=True)
    names = {s["name"] for s in results["steps"]}
    assert names == {
        "baseline: raw COPY (Arrow)",
        "baseline: per-row MERGE",
        "load (parse+validate+write)",
        "re-load (idempotent)",
        "10% delta into full store",
    }
    assert "embedded load rate / raw COPY rate" in {c["check"] for c in results["checks"]}


def test_growth_table_fits_the_exponent_of_time_against_rows() -> None:
    """Issue 30 #1: a step linear in rows fits 1.0, a quadratic one 2.0; times under the floor are not fitted."""
    from bench import growth

    def result(rows: int, scale: float) -> dict:
        steps = [
            {"store": "embedded", "name": "load", "median_s": rows / 1e5, "peak_rss_mib": 100.0, "work": rows},
            {"store": "embedded", "name": "gaps", "median_s": 0.5, "peak_rss_mib": 100.0, "work": 0, "rows_read": 200},
            {"store": "embedded", "name": "pairs", "median_s": (rows / 1e4) ** 2, "peak_rss_mib": 100.0 * scale, "work": 0},
            {"store": "embedded", "name": "tiny", "median_s": 0.001, "peak_rss_mib": 90.0, "work": 0},
        ]
        return {"meta": {"rows": rows}, "steps": steps}

    rows, md = growth.table({"S": result(10_000, 1), "M": result(100_000, 2), "L": result(1_000_000, 3)})
    exps = {r["step"]: r["exponent"] for r in rows}
    assert round(exps["load"], 6) == 1.0 and round(exps["pairs"], 6) == 2.0 and exps["tiny"] is None
    assert "| embedded | pairs | 1.00 | 100 | 100.00 | 200 | 10,000.00 | 300 | 2.00 | 2.00 |" in md
    assert exps["gaps"] is not None and round(exps["gaps"], 6) == 0.0  # flat: the answer's rows, not the graph's
    assert "| embedded | gaps | 200 | 200 | 200 |" in md
    assert growth.exponent([(1_000, 0.1), (10_000, 0.4)]) == pytest.approx(0.60206, abs=1e-4)
