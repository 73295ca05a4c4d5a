"""How each step's cost grows with the data: bench.run at several sizes, and a growth table.

    python -m bench.growth --sizes S,M,L,XL --stores embedded --bolt-sizes S,M,L --repeat 1

runs :func:`bench.run.run` once per size (``bench/out/<size>/``), then
writes ``bench/out/growth.md`` and ``growth.json``: per step, the time and
peak memory at each size, and the fitted exponent of time against rows (a
least-squares slope of log time on log rows over the sizes measured; 1.0 is
linear), and the same over the last two sizes alone, where fixed costs
weigh least. Steps that take under 50 ms at the smallest size are fitted from
the sizes where they take longer, since start-up costs flatten them.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

from bench import run as bench_run

FLOOR_S = 0.05  # below this a time is mostly fixed cost, not growth


def exponent(points: list[tuple[float, float]]) -> float | None:
    """The least-squares slope of log(seconds) on log(rows) over ``points`` (rows, seconds); None under two points.

    >>> round(exponent([(1_000, 0.1), (10_000, 1.0), (100_000, 10.0)]), 3)
    1.0
    >>> round(exponent([(1_000, 0.1), (10_000, 0.4)]), 3)
    0.602
    """
    pts = [(math.log(n), math.log(t)) for n, t in points if n > 0 and t >= FLOOR_S]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    var = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / var if var else None


def _name(step: dict[str, Any], steps: list[dict[str, Any]]) -> str:
    """A step's name without the file size an IATI step carries ("(100 MB)"): the same step at every size.

    The smaller of two IATI parses of one run is the tenth-size file, named so.
    """
    name = re.sub(r" \([\d.]+ MB\)$", "", step["name"])
    if name == step["name"] or not name.startswith("IATI"):
        return name
    twins = [s["work"] for s in steps if s["name"] != step["name"] and re.sub(r" \([\d.]+ MB\)$", "", s["name"]) == name]
    return f"{name}, a tenth of the file" if twins and step["work"] < min(twins) else name


def table(results: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """The growth rows and their Markdown, from ``bench.run`` results by size (in the order given)."""
    sizes = list(results)
    rows_of = {size: r["meta"]["rows"] for size, r in results.items()}
    steps: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for size, r in results.items():
        for s in r["steps"]:
            steps.setdefault((s["store"], _name(s, r["steps"])), {})[size] = s
    out = []
    for (store, name), by in steps.items():
        if name.startswith("IATI"):
            work = {size: by[size]["work"] for size in by}  # megabytes of IATI XML
        else:
            work = {size: rows_of[size] for size in by}
        # A network page has a fixed number of nodes at every size: nothing to fit.
        points = [] if name.startswith("network page") else [(work[size], by[size]["median_s"]) for size in sizes if size in by]
        out.append(
            {
                "store": store,
                "step": name,
                "seconds": {size: by[size]["median_s"] for size in sizes if size in by},
                "peak_rss_mib": {size: by[size]["peak_rss_mib"] for size in sizes if size in by},
                "exponent": exponent(points),
                "tail": exponent(points[-2:]) if len(sizes) > 2 and sizes[-1] in by and sizes[-2] in by else None,
                "rows_read": {size: by[size].get("rows_read") for size in sizes if size in by},
            }
        )
    head = " | ".join(f"{s} (s) | {s} (MiB)" for s in sizes)
    last = f"{sizes[-2]}->{sizes[-1]}" if len(sizes) > 2 else ""
    lines = [
        "| store | step | " + head + " | exponent | " + last + " |",
        "|---|---|" + "---:|---:|" * len(sizes) + "---:|---:|",
        "| | rows | " + " | ".join(f"{rows_of[s]:,} | " for s in sizes) + " | |",
    ]
    for row in out:
        cells = " | ".join(
            f"{row['seconds'][s]:,.2f} | {row['peak_rss_mib'][s]:,.0f}" if s in row["seconds"] else " | " for s in sizes
        )
        exp, tail = ("" if x is None else f"{x:.2f}" for x in (row["exponent"], row["tail"]))
        lines.append(f"| {row['store']} | {row['step']} | {cells} | {exp} | {tail} |")
    read = [r for r in out if any(v is not None for v in r["rows_read"].values())]
    if read:  # issue 30 #4: what each analysis reads into Python as the graph grows
        lines += ["", "Rows the store returned to Python in one run of each step:", ""]
        lines += ["| store | step | " + " | ".join(sizes) + " |", "|---|---|" + "---:|" * len(sizes)]
        for r in read:
            cells = " | ".join("" if r["rows_read"].get(s) is None else f"{r['rows_read'][s]:,}" for s in sizes)
            lines.append(f"| {r['store']} | {r['step']} | {cells} |")
    return out, "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="S,M,L,XL")
    ap.add_argument("--stores", default="embedded")
    ap.add_argument("--bolt-sizes", default="", help="sizes also run over Bolt (ArcadeDB), e.g. S,M,L")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    ap.add_argument("--reuse", action="store_true", help="use bench/out/<size>/results.json where it exists")
    a = ap.parse_args()
    results = {}
    for size in a.sizes.split(","):
        where = a.out / size
        if a.reuse and (where / "results.json").exists():
            results[size] = json.loads((where / "results.json").read_text())
            continue
        print(f"size {size}", file=sys.stderr, flush=True)
        stores = a.stores.split(",") + (["neo4j"] if size in a.bolt_sizes.split(",") else [])
        results[size] = bench_run.run(
            size, a.repeat, where, sorted(set(stores)), progress=lambda m: print(m, file=sys.stderr, flush=True)
        )
    rows, md = table(results)
    (a.out / "growth.json").write_text(json.dumps(rows, indent=2) + "\n")
    (a.out / "growth.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
