"""The serve load check keeps working: a few local clients for a moment on the demo data, figures reported (no speed asserted)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bench import serve
from graph.embedded import EmbeddedStore


def test_serve_load_check_reports_rates_and_latencies(demo: Path) -> None:
    with EmbeddedStore(demo, read_only=True) as store:
        busiest = serve.busiest_country(store)
        named = Counter(r["iso3"] for r in store.query("MATCH (:Programme)-[:TARGETS]->(c:Country) RETURN c.iso3 AS iso3"))
        rows = serve.measure(store, clients=2, seconds=0.5, paths=[f"country/{busiest}", "api/gaps"])
    # the country most programmes name, a tie broken by the lower code (KEN and PHL tie since session 25)
    most = max(named.values())
    assert busiest == min(c for c, n in named.items() if n == most)
    assert [r["url"] for r in rows] == [f"country/{busiest}", "api/gaps"]
    for r in rows:
        assert r["requests"] > 0 and r["failures"] == 0 and r["p95_ms"] >= r["median_ms"] > 0 and r["first_ms"] > 0
