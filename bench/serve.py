"""A bounded load check of `ccb serve`: N local clients, for a fixed time, against one URL of every page kind.

Loopback only; the clients and the time are bounded (at most 64 clients,
at most 120 s per URL). Reports requests per second and the median and
p95 latency per URL, in ``bench/out/serve.{md,json}``::

    python -m bench.serve --data demo --clients 8 --seconds 10
    python -m bench.serve --data L --clients 8 --seconds 10     # builds the L store first (minutes)
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench import synthetic
from graph.embedded import EmbeddedStore
from graph.store import Store
from loaders import tabular
from visualisations.app import serving

MAX_CLIENTS, MAX_SECONDS = 64, 120


def build(data: str, where: Path) -> Path:
    """The store to serve: the demo (``ccb demo``) or a synthetic size (S, M, L)."""
    db = where / "serve.lbdb"
    if data == "demo":
        from click.testing import CliRunner

        from cli import cli

        out = CliRunner().invoke(cli, ["--db", str(db), "demo", "--format", "json"])
        if out.exit_code:
            raise SystemExit(out.stderr)
        return db
    synthetic.write(where, data)
    with EmbeddedStore(db) as s:
        tabular.load_file(s, where / "graph.jsonl")
    return db


def hammer(url: str, clients: int, seconds: float) -> dict[str, Any]:
    """``clients`` threads fetching ``url`` back to back for ``seconds``; latencies of the successful answers."""
    clients, seconds = min(clients, MAX_CLIENTS), min(seconds, MAX_SECONDS)
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        nonlocal failures
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=60) as r:  # noqa: S310 (loopback)
                    r.read()
                    ok = r.status == 200
            except OSError:
                ok = False
            with lock:
                if ok:
                    latencies.append(time.perf_counter() - t0)
                else:
                    failures += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    ordered = sorted(latencies)
    return {
        "url": url.split("/", 3)[-1],
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": len(latencies),
        "failures": failures,
        "rps": round(len(latencies) / elapsed, 1),
        "median_ms": round(statistics.median(ordered) * 1000, 1) if ordered else None,
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1) if ordered else None,
    }


def measure(store: Store, clients: int, seconds: float, paths: list[str]) -> list[dict[str, Any]]:
    """Each path's first answer after the app is ready (warmed, as `ccb serve` starts), then its load figures."""
    t0 = time.perf_counter()
    with serving(store, threads=max(4, min(clients, 16)), warm=True) as url:
        print(f"ready after {time.perf_counter() - t0:.1f} s (warming included)", flush=True)
        base = url + "/"
        out = []
        for p in paths:
            t0 = time.perf_counter()
            urllib.request.urlopen(base + p, timeout=600).read()  # noqa: S310 (the first answer computes; later ones are kept)
            first = round((time.perf_counter() - t0) * 1000, 1)
            out.append({**hammer(base + p, clients, seconds), "first_ms": first})
        return out


def page_kinds(store: Store) -> list[str]:
    """One URL of every page kind: the busiest country, funder and a programme of it, the lists (plain and
    filtered), a search, the gaps page and the network overview."""
    country = busiest_country(store, nth=5)  # the busiest are computed as the app starts: a few places down are not
    funder = store.query(
        "MATCH (o:Organisation)-[:FUNDS]->(p:Programme) RETURN o.id AS id, count(p) AS n ORDER BY n DESC, id LIMIT 2"
    )
    org = funder[-1]["id"] if funder else "gov-gbr"
    prog = store.query(
        "MATCH (o:Organisation {id: $o})-[:FUNDS]->(p:Programme) RETURN p.id AS id ORDER BY id LIMIT 1", {"o": org}
    )
    return [
        f"country/{country}",
        f"organisation/{org}",
        f"programme/{prog[0]['id'] if prog else 'afjoc'}",
        "programmes",
        "programmes?theme=C&region=Africa",
        "organisations?kind=government",
        "countries?region=Africa",
        "search?q=cybercrime",
        "gaps",
        "network",
    ]


def busiest_country(store: Store, nth: int = 1) -> str:
    rows = store.query(
        "MATCH (p:Programme)-[:TARGETS]->(c:Country) RETURN c.iso3 AS iso3, count(p) AS n ORDER BY n DESC, iso3 LIMIT $n",
        {"n": nth},
    )
    return rows[-1]["iso3"] if rows else "KEN"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", choices=["demo", *synthetic.SIZES], default="demo")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = build(a.data, Path(tmp))
        with EmbeddedStore(db, read_only=True) as store:
            rows = measure(store, a.clients, a.seconds, page_kinds(store))
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "serve.json").write_text(json.dumps({"data": a.data, "rows": rows}, indent=1), encoding="utf-8")
    lines = [
        f"`ccb serve` on {a.data}, {a.clients} local clients, {a.seconds:g} s per URL",
        "",
        "| url | first answer ms | requests | rps | median ms | p95 ms | failures |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| /{r['url']} | {r['first_ms']} | {r['requests']} | {r['rps']} | {r['median_ms']} | {r['p95_ms']} | {r['failures']} |"
        for r in rows
    ]
    (a.out / "serve.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
