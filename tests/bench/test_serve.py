"""The serve load check keeps working: a few local clients for a moment on the demo data, figures reported (no speed asserted)."""

from __future__ import annotations

from pathlib import Path

from bench import serve
from graph.embedded import EmbeddedStore


def test_serve_load_check_reports_rates_and_latencies(demo: Path) -> None:
    with EmbeddedStore(demo, read_only=True) as store:
        rows = serve.measure(store, clients=2, seconds=0.5, paths=[f"country/{serve.busiest_country(store)}", "api/gaps"])
    assert [r["url"] for r in rows] == ["country/PHL", "api/gaps"]
    for r in rows:
        assert r["requests"] > 0 and r["failures"] == 0 and r["p95_ms"] >= r["median_ms"] > 0 and r["first_ms"] > 0
