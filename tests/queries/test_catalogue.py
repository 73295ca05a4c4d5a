"""Issue 27: the catalogue a portal browses and its full-text search, on the bundled data and by hand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.embedded import EmbeddedStore
from graph.store import Store, cached
from queries import analysis, catalogue, facts, fulltext


@pytest.fixture(scope="module")
def bundled(demo: Path) -> Iterator[Store]:
    s = EmbeddedStore(demo, read_only=True)
    try:
        yield cached(s)
    finally:
        s.close()


def test_a_country_page_lists_every_programme_its_gaps_row_counts(bundled: Store) -> None:
    """The Kenya page said 9 programmes and listed 6: now, for every ranked country, the list's programmes and
    regional programmes are the gaps row's numbers."""
    rows = analysis.gaps(bundled).rows
    assert len(rows) > 100
    for g in rows:
        listed = catalogue.country_programmes(bundled, g["iso3"])
        assert sum("programmes" in r["counted_as"] for r in listed) == g["programmes"], g["iso3"]
        assert sum("regional" in r["counted_as"] for r in listed) == g["regional"], g["iso3"]
    kenya = catalogue.country_programmes(bundled, "KEN")
    assert {"cyber-shujaa", "afjoc", "dap-cyber"} <= {r["programme"] for r in kenya}


def test_facet_counts_say_what_choosing_a_value_gives(bundled: Store) -> None:
    rows = catalogue.programmes(bundled)
    b = catalogue.browse(rows, catalogue.PROGRAMME_FACETS, {"theme": ["C"], "region": ["Africa"]}, per_page=10)
    assert b.total == len(b.matching) > 10 and len(b.rows) == 10 and b.pages == -(-b.total // 10)
    assert all("C" in r["themes"] and "Africa" in r["regions"] for r in b.matching)
    for facet in b.facets:
        for v in facet["values"]:
            chosen = {"theme": ["C"], "region": ["Africa"]} | {facet["name"]: [v["value"]]}
            again = catalogue.browse(rows, catalogue.PROGRAMME_FACETS, chosen)
            assert again.total == v["count"], (facet["name"], v["value"])
    # two values of one facet: either; the donors are rolled up (the FCDO's programmes are the UK's)
    either = catalogue.browse(rows, catalogue.PROGRAMME_FACETS, {"theme": ["C", "E"]})
    assert either.total == sum(1 for r in rows if {"C", "E"} & set(r["themes"]))
    assert not any(d.startswith("uk-") for r in rows for d in r["donors"])
    assert sum("gov-gbr" in r["donors"] for r in rows) > sum("gov-gbr" in r["funders"] for r in rows)


def test_programmes_filter_by_the_country_they_name_as_a_beneficiary(bundled: Store) -> None:
    # a Cybil user's first filter had none: "programmes in Kenya on cybercrime" took the country page and a search
    rows = catalogue.programmes(bundled)
    names = {c["iso3"]: c["name"] for c in catalogue.countries(bundled)}
    chosen = catalogue.chosen(
        rows, catalogue.PROGRAMME_FACETS, {"country": ["kenya"], "theme": ["cybercrime"]}, "programme", names
    )
    assert chosen["country"] == ["KEN"] and chosen["theme"] == ["C"]
    kenya = catalogue.browse(rows, catalogue.PROGRAMME_FACETS, {"country": ["KEN"]}, names=names)
    listed = catalogue.country_programmes(bundled, "KEN")  # the country page: what names it, beside what reaches it
    named = {r["programme"] for r in listed if {a.strip() for a in r["counted_as"].split(";")} - {"regional"}}
    assert {r["programme"] for r in kenya.matching} == named and len(named) > 10
    (facet,) = [f for f in kenya.facets if f["name"] == "country"]
    assert next(v for v in facet["values"] if v["value"] == "KEN")["label"] == "Kenya"
    # a participant is no beneficiary: a drill's participants are not its countries here
    taking_part = {c for r in rows for c in r["participants"]} - {c for r in rows for c in r["countries"]}
    assert "AUS" in taking_part  # it takes part in drills, and is no beneficiary of any programme
    said: list = []
    catalogue.chosen(rows, catalogue.PROGRAMME_FACETS, {"country": ["Australia"]}, "programme", names, refused=said)
    assert said and "no programme has beneficiary country 'Australia'" in str(said[0])


def test_organisations_filter_by_where_they_are_based(bundled: Store) -> None:
    # the local partners a donor looks for in a country: its agencies, CERT, universities, companies
    rows = catalogue.organisations(bundled)
    names = {c["iso3"]: c["name"] for c in catalogue.countries(bundled)}
    chosen = catalogue.chosen(rows, catalogue.ORGANISATION_FACETS, {"country": ["Kenya"]}, "organisation", names)
    kenyan = catalogue.browse(rows, catalogue.ORGANISATION_FACETS, chosen, names=names).matching
    assert chosen["country"] == ["KEN"] and {"gov-ken", "ke-cirt"} <= {r["id"] for r in kenyan}
    assert {r["id"] for r in kenyan} == {r["id"] for r in rows if r["country"] == "KEN"}


def test_pages_and_sorting(bundled: Store) -> None:
    rows = catalogue.programmes(bundled)
    pages = [catalogue.browse(rows, catalogue.PROGRAMME_FACETS, {}, sort="start_date", page=n, per_page=50) for n in (1, 2, 99)]
    assert pages[2].page == pages[2].pages  # past the end: the last page, not an empty one
    seen = [r["programme"] for b in pages[:2] for r in b.rows]
    assert len(seen) == len(set(seen)) == 100
    dated = [r["start_date"] for r in pages[0].rows if r["start_date"]]
    assert dated == sorted(dated)


def test_search_ranks_what_the_words_name_first(bundled: Store) -> None:
    rows = catalogue.programmes(bundled)
    theme_c = {r["programme"] for r in rows if "C" in r["themes"]}
    found = [r["programme"] for r in fulltext.search(bundled, "cybercrime", limit=10**6).rows["programme"]]
    assert set(found[: len(theme_c)]) == theme_c and len(found) > len(theme_c)  # then the ones that only mention it
    kenya = {r["programme"] for r in rows if "KEN" in r["countries"]}
    found = [r["programme"] for r in fulltext.search(bundled, "Kenya").rows["programme"]]
    assert set(found[: len(kenya)]) == kenya
    us = fulltext.search(bundled, "US")
    assert us.rows["country"][0]["iso3"] == "USA" and us.rows["organisation"][0]["id"] == "gov-usa"
    assert "AUS" not in {r["iso3"] for r in us.rows["country"]}
    assert all(r["match"].startswith("funded by") for r in us.rows["programme"][:10])
    pacific = [r["programme"] for r in fulltext.search(bundled, "CERT Pacific").rows["programme"]]
    assert {"pacson", "apnic-pacific-certs"} <= set(pacific[:6])
    women = fulltext.search(bundled, "women in cyber").rows
    assert "women-in-cyber-fellowship" in [r["programme"] for r in women["programme"]][:5]
    assert any("«Women»" in r["match"] for r in women["programme"])  # the match in context


def test_a_long_search_says_which_words_it_left_out(bundled: Store) -> None:
    """Only the first 32 distinct words are looked up (a 20,000-word search held the app for minutes); the rest were
    dropped without a word, so "kenya" at the end of a long paste found nothing and said nothing."""
    words = [f"filler{i}" for i in range(32)]
    found = fulltext.search(bundled, " ".join([*words, "filler3", "Kenya", "Ghana"]))
    assert found.dropped == ["kenya", "ghana"]  # a word repeated counts once; the order is kept
    assert fulltext.search(bundled, " ".join(words)).dropped == []
    assert fulltext.dropped_note(found.dropped) == [
        "Only the first 32 distinct words were searched; 2 more were left out (kenya, ghana)."
    ]


@pytest.mark.parametrize("text", ["", "   ", '"', "*", "NEAR(", "a OR", "-x", "'; DROP TABLE doc; --", "{name}: x"])
def test_search_text_is_never_query_syntax(bundled: Store, text: str) -> None:
    found = fulltext.search(bundled, text)
    assert set(found.rows) == {"country", "organisation", "programme"}


def test_donor_flows_count_each_programme_once_per_donor_and_area(bundled: Store) -> None:
    flows = catalogue.donor_flows(bundled)
    rows = catalogue.programmes(bundled)
    families = facts.components(bundled)  # a family once, as every other view counts it
    uk_africa = facts.count_once(
        {r["programme"] for r in rows if "gov-gbr" in r["donors"] and "Africa" in r["regions"]}, families
    )
    assert next(f["programmes"] for f in flows if f["donor"] == "gov-gbr" and f["area"] == "Africa") == len(uk_africa)
    unfunded = {r["programme"] for r in rows if not r["donors"] and (r["regions"] or r["scope"] == "global")}
    assert next(f["donor_programmes"] for f in flows if f["donor"] == catalogue.NO_DONOR) == len(
        facts.count_once(unfunded, families)
    )
    assert len(facts.count_once(unfunded, families)) < len(unfunded)  # the bundled data has an unfunded family
    sub = catalogue.donor_flows(bundled, region="Africa")
    assert {f["area"] for f in sub} <= {
        "Eastern Africa",
        "Middle Africa",
        "Northern Africa",
        "Southern Africa",
        "Western Africa",
        "Africa (regional)",
    }
