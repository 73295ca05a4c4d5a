"""A seeded synthetic CCB graph, with the skew of the real one, written in the project's own input format.

A few funders stand behind many programmes (Zipf-like draws), most countries
get few. The same seed gives the same records, in the same order, and
byte-identical files:

    python -m bench.synthetic OUT_DIR --size L --seed 7

writes ``graph.jsonl`` (the whole graph, as ``ccb load`` reads it) and
``delta.jsonl`` (10 % of its rows again: half changed programmes, half new
programmes with their links), for the re-load and delta benchmarks.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterable, Iterator
from pathlib import Path

import pycountry

from graph.model import (
    Funds,
    Implements,
    Indicator,
    Measured,
    MemberOf,
    Node,
    Organisation,
    PartnersWith,
    Programme,
    Relationship,
    Targets,
)
from loaders.bundled import reference_countries

SOURCE = "synthetic (bench/synthetic.py)"
SIZES = {
    "S": (200, 1_000),
    "M": (2_000, 10_000),
    "L": (20_000, 100_000),
    "XL": (200_000, 1_000_000),
}  # organisations, programmes (always 200 countries)
BLOCS = 10  # the first organisations are blocs, with MEMBER_OF links from ~a fifth of the countries each
KINDS = ("government", "intergovernmental", "regional_body", "academic", "non_profit", "private", "foundation")


def _skewed(rng: random.Random, n: int, s: float = 1.2) -> int:
    """An index in [0, n) drawn with weight 1/(i+1)^s: a few are drawn often."""
    while True:
        i = int(rng.paretovariate(s)) - 1
        if i < n:
            return i


def records(orgs: int, programmes: int, *, seed: int = 7) -> Iterator[Node | Relationship]:
    """Countries, organisations, programmes, then FUNDS, IMPLEMENTS and TARGETS (~2 of each per programme),
    PARTNERS_WITH (~1 per 4 organisations), MEMBER_OF (10 blocs) and a GCI score per country."""
    rng = random.Random(seed)
    isos = sorted(c.alpha_3 for c in pycountry.countries)[:200]
    yield from reference_countries(isos)  # real names and UN M49 regions, so region analyses have groups
    for i in range(orgs):
        yield Organisation(id=f"o{i}", name=f"Organisation {i}", kind=rng.choice(KINDS), country=rng.choice(isos), source=SOURCE)
    for i in range(programmes):
        start = rng.randint(2005, 2024)
        yield Programme(
            id=f"p{i}",
            name=f"Programme {i}",
            themes=rng.sample("ABCDE", rng.randint(1, 2)),
            status="active",
            start_date=str(start),
            end_date=str(start + rng.randint(1, 5)),
            source=SOURCE,
        )
    for i in range(programmes):
        for o in {_skewed(rng, orgs) for _ in range(2)}:
            yield Funds(
                src=f"o{o}",
                dst=f"p{i}",
                amount=float(rng.randint(1, 500) * 1000) if rng.random() < 0.5 else None,
                currency="EUR",
                year=rng.randint(2005, 2024),
                source=SOURCE,
            )
        for o in {rng.randrange(orgs) for _ in range(2)}:
            yield Implements(src=f"o{o}", dst=f"p{i}", role=rng.choice(("lead", "partner")), source=SOURCE)
        for c in {_skewed(rng, len(isos), 0.8) for _ in range(2)}:
            yield Targets(src=f"p{i}", dst=isos[c], source=SOURCE)
    pairs = {tuple(sorted((_skewed(rng, orgs), rng.randrange(orgs)))) for _ in range(orgs // 4)}
    for a, b in sorted(p for p in pairs if p[0] != p[1]):
        yield PartnersWith(src=f"o{a}", dst=f"o{b}", kind="joint programme", source=SOURCE)
    for b in range(min(BLOCS, orgs)):
        for iso in sorted(rng.sample(isos, len(isos) // 5)):
            yield MemberOf(src=iso, dst=f"o{b}", source=SOURCE)
    # a GCI-like score per country, so need is known and the plan has cells to fill (a generator of its own:
    # the records above stay as they were for a given seed)
    scores = random.Random(seed + 2)
    yield Indicator(id="gci-2024", family="gci", edition="2024", name="GCI 2024 (synthetic)", source=SOURCE)
    for iso in isos:
        yield Measured(src=iso, dst="gci-2024", score=round(scores.uniform(1, 99), 2), source=SOURCE)


def delta(orgs: int, programmes: int, *, seed: int = 7) -> Iterator[Node | Relationship]:
    """10 % of a graph's rows again: programmes renamed (half the rows), and new programmes with their links."""
    rng = random.Random(seed + 1)
    isos = sorted(c.alpha_3 for c in pycountry.countries)[:200]
    n = max(1, programmes // 10 // 7 * 7 // 2)  # a new programme brings ~7 rows; a change is 1
    for i in sorted(rng.sample(range(programmes), min(programmes, n * 7 // 2))):
        yield Programme(
            id=f"p{i}", name=f"Programme {i} (phase 2)", themes=["C"], status="active", start_date="2025", source=SOURCE
        )
    for i in range(programmes, programmes + n):
        yield Programme(id=f"p{i}", name=f"Programme {i}", themes=["A"], status="pipeline", start_date="2026", source=SOURCE)
        yield Funds(src=f"o{_skewed(rng, orgs)}", dst=f"p{i}", source=SOURCE)
        yield Implements(src=f"o{rng.randrange(orgs)}", dst=f"p{i}", role="lead", source=SOURCE)
        yield Targets(src=f"p{i}", dst=isos[_skewed(rng, len(isos), 0.8)], source=SOURCE)


def write_jsonl(path: Path, recs: Iterable[Node | Relationship]) -> int:
    """Write ``recs`` as JSON Lines (``ccb load``'s format); return the row count."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in recs:
            row = {"type": r.label if isinstance(r, Node) else r.type, **r.model_dump(exclude_none=True, exclude_defaults=True)}
            if not isinstance(r, Node):
                row["from"], row["to"] = row.pop("src"), row.pop("dst")
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")
            n += 1
    return n


def write(out: Path, size: str = "S", *, seed: int = 7) -> dict[str, int]:
    """Write ``graph.jsonl`` and ``delta.jsonl`` of ``size`` into ``out``; return their row counts."""
    orgs, programmes = SIZES[size]
    out.mkdir(parents=True, exist_ok=True)
    return {
        "graph.jsonl": write_jsonl(out / "graph.jsonl", records(orgs, programmes, seed=seed)),
        "delta.jsonl": write_jsonl(out / "delta.jsonl", delta(orgs, programmes, seed=seed)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--size", choices=SIZES, default="S")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    for name, n in write(a.out, a.size, seed=a.seed).items():
        print(f"{a.out / name}: {n:,} rows")


if __name__ == "__main__":
    main()
