"""A tiny hand-built graph used across tests (real organisations, made-up links)."""

from __future__ import annotations

from graph.model import Country, Funds, Implements, MemberOf, Organisation, PartnersWith, Programme, Targets
from graph.store import Batch

SRC = "tests/fixtures.py"


def small_batch() -> Batch:
    """3 countries, 3 organisations, 2 programmes, 7 relationships."""
    return Batch().extend(
        [
            Country(iso3="GHA", iso2="GH", name="Ghana", region="Africa", subregion="Western Africa", source=SRC),
            Country(iso3="KEN", iso2="KE", name="Kenya", region="Africa", subregion="Eastern Africa", source=SRC),
            Country(iso3="XKX", name="Kosovo", region="Europe", source=SRC),
            Organisation(id="eu", name="European Union", kind="regional_body", aliases=["EU"], source=SRC),
            Organisation(id="coe", name="Council of Europe", kind="intergovernmental", country="FRA", source=SRC),
            Organisation(id="commonwealth", name="The Commonwealth", kind="intergovernmental", source=SRC),
            Programme(id="p1", name="Programme One", themes=["C", "A"], status="active", start_date="2016-03", budget=4.2e6, currency="EUR", source=SRC),
            Programme(id="p2", name="Programme Two", themes=["B"], source=SRC, as_of="2026-11-28"),
            Funds(src="eu", dst="p1", amount=1000.5, currency="EUR", year=2020, source=SRC, valid_from="2016"),
            Funds(src="eu", dst="p2", source=SRC),
            Implements(src="coe", dst="p1", role="lead", source=SRC),
            Targets(src="p1", dst="GHA", share=60.0, source=SRC),
            Targets(src="p1", dst="KEN", share=40.0, source=SRC),
            PartnersWith(src="eu", dst="coe", kind="joint programme", source=SRC),
            MemberOf(src="GHA", dst="commonwealth", source=SRC),
        ]
    )


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
}


def write_reversed(store: "Store", records: list) -> None:  # noqa: F821
    """Write ``records`` backwards, nodes first then relationships: a different load order for determinism tests."""
    recs = list(reversed(records))
    store.write(Batch().extend([r for r in recs if not hasattr(r, "src")]))
    store.write(Batch().extend([r for r in recs if hasattr(r, "src")]))


def example_store(records: list) -> "EmbeddedStore":  # noqa: F821
    """A throwaway embedded store holding ``records`` (for doctest examples)."""
    import tempfile
    from pathlib import Path

    from graph.embedded import EmbeddedStore

    store = EmbeddedStore(Path(tempfile.mkdtemp()) / "example.lbdb")
    store.write(Batch().extend(records))
    return store
