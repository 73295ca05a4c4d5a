"""A seeded synthetic CCB graph, with the skew of the real one.

A few funders stand behind many programmes (Zipf-like draws), most countries
get few. The same seed gives the same records, in the same order.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pycountry

from graph.model import Country, Funds, Implements, Node, Organisation, Programme, Relationship, Targets

SOURCE = "synthetic (bench/synthetic.py)"
KINDS = ("government", "intergovernmental", "regional_body", "academic", "non_profit", "private", "foundation")


def _skewed(rng: random.Random, n: int, s: float = 1.2) -> int:
    """An index in [0, n) drawn with weight 1/(i+1)^s: a few are drawn often."""
    while True:
        i = int(rng.paretovariate(s)) - 1
        if i < n:
            return i


def records(orgs: int, programmes: int, *, seed: int = 7) -> Iterator[Node | Relationship]:
    """Countries, organisations, programmes, then FUNDS, IMPLEMENTS and TARGETS (~2 of each per programme)."""
    rng = random.Random(seed)
    isos = sorted(c.alpha_3 for c in pycountry.countries)[:200]
    for iso in isos:
        yield Country(iso3=iso, name=f"Country {iso}", source=SOURCE)
    for i in range(orgs):
        yield Organisation(id=f"o{i}", name=f"Organisation {i}", kind=rng.choice(KINDS), country=rng.choice(isos), source=SOURCE)
    for i in range(programmes):
        start = rng.randint(2005, 2024)
        yield Programme(id=f"p{i}", name=f"Programme {i}", themes=rng.sample("ABCDE", rng.randint(1, 2)), status="active",
                        start_date=str(start), end_date=str(start + rng.randint(1, 5)), source=SOURCE)
    for i in range(programmes):
        for o in {_skewed(rng, orgs) for _ in range(2)}:
            yield Funds(src=f"o{o}", dst=f"p{i}", amount=float(rng.randint(1, 500) * 1000) if rng.random() < 0.5 else None,
                        currency="EUR", year=rng.randint(2005, 2024), source=SOURCE)
        for o in {rng.randrange(orgs) for _ in range(2)}:
            yield Implements(src=f"o{o}", dst=f"p{i}", role=rng.choice(("lead", "partner")), source=SOURCE)
        for c in {_skewed(rng, len(isos), 0.8) for _ in range(2)}:
            yield Targets(src=f"p{i}", dst=isos[c], source=SOURCE)
