"""Helpers around the shipped example graphs (graph/examples.py) for the tests."""

from __future__ import annotations

from graph.examples import SRC, example_store, small_batch  # the shipped examples, shared with the docstrings
from graph.store import Batch

__all__ = ["SMALL_COUNTS", "SRC", "example_store", "plain_reach", "small_batch", "write_reversed"]


SMALL_COUNTS = {
    "Country": 3,
    "Organisation": 3,
    "Programme": 2,
    "Indicator": 0,
    "FUNDS": 2,
    "IMPLEMENTS": 1,
    "TARGETS": 2,
    "PARTNERS_WITH": 1,
    "MEMBER_OF": 1,
    "MEASURED": 0,
    "PART_OF": 0,
    "COMPONENT_OF": 0,
}


def write_reversed(store: Store, records: list) -> None:  # noqa: F821
    """Write ``records`` backwards, nodes first then relationships: a different load order for determinism tests."""
    recs = list(reversed(records))
    store.write(Batch().extend([r for r in recs if not hasattr(r, "src")]))
    store.write(Batch().extend([r for r in recs if hasattr(r, "src")]))


def plain_reach(store: Store) -> dict[str, tuple[list[str], list[str]]]:  # noqa: F821
    """Each programme's themes and beneficiary countries by a plain loop over the store's grouped rows: the reference
    the array-built joins (queries/network.py) are tested against."""
    from queries import named

    countries: dict[str, list[str]] = {}
    for r in sorted(store.query(named.COUNTRY_PROGRAMMES), key=lambda r: r["iso3"]):
        for p in r["programmes"]:
            countries.setdefault(p, []).append(r["iso3"])
    return {p: (r["themes"] or [], countries.get(p, [])) for r in store.query(named.PROGRAMME_THEMES) for p in r["programmes"]}
