"""The grouped reads behind the analyses give the answers the flow table gives, on both stores.

The analyses ask the store for grouped rows (per country and theme set, per
country and funder) instead of every flow; the window and theme are applied
in Cypher. The reference here is computed from the flow table's rows with
the window applied in Python (:meth:`Window.overlaps`), on a seeded graph
holding what the grouping could get wrong: amounts in several currencies,
budgets, dates of every precision, links valid for a while, agencies of a
donor, programmes with no funder, no theme or no date.
"""

from __future__ import annotations

import random
from collections import defaultdict
from typing import Any

import pytest

from graph.model import Country, Funds, Implements, Node, Organisation, PartOf, Programme, Relationship, Targets
from graph.store import Batch, Store
from queries import analysis, named, timeline
from queries.analysis import Window

SRC = "tests/queries/test_grouped.py"
WINDOWS = [Window(), Window(2019, None), Window(None, 2017), Window(2018, 2020), Window(2024, 2024)]


def _date(rnd: random.Random) -> str:
    y = rnd.randint(2012, 2026)
    return rnd.choice([str(y), f"{y}-0{rnd.randint(1, 9)}", f"{y}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}"])


def rich_records(seed: int = 3) -> list[Node | Relationship]:
    """30 countries, 40 organisations (10 of them agencies of a donor), 150 programmes, seeded."""
    rnd = random.Random(seed)
    regions = [("Africa", "Eastern Africa"), ("Africa", "Western Africa"), ("Asia", "Southern Asia"), ("Americas", "Caribbean")]
    isos = "AFG AGO ARM BDI BEN BFA BGD BOL BTN CAF CIV CMR COD COG COM CPV DJI DMA DOM ERI ETH FJI GHA GIN GMB GNB GTM".split()
    isos += "HND HTI JAM".split()
    out: list[Node | Relationship] = []
    for i, iso in enumerate(isos):
        region, sub = regions[i % len(regions)]
        out.append(Country(iso3=iso, name=f"Country {iso}", region=region, subregion=sub, source=SRC))
    orgs = [f"o{i}" for i in range(40)]
    out += [Organisation(id=o, name=f"Org {o}", kind="government", source=SRC) for o in orgs]
    out += [PartOf(src=a, dst=rnd.choice(orgs[:6]), source=SRC) for a in orgs[30:]]
    for i in range(150):
        kw: dict[str, Any] = {}
        if rnd.random() < 0.7:
            kw["start_date"] = _date(rnd)
            if rnd.random() < 0.5:
                kw["end_date"] = _end(rnd, kw["start_date"], int(kw["start_date"][:4]) + rnd.randint(0, 5))
        if rnd.random() < 0.4:
            kw |= {"budget": rnd.choice([1e6, 333333.33, 0.1]) * rnd.randint(1, 9), "currency": rnd.choice(["EUR", "USD"])}
        themes = sorted(rnd.sample("ABCDE", rnd.randint(0, 3)))
        out.append(Programme(id=f"p{i}", name=f"Programme {i}", themes=themes, source=SRC, **kw))
        for f in rnd.sample(orgs, rnd.choice([0, 1, 1, 2, 3])):
            out.append(Funds(src=f, dst=f"p{i}", source=SRC, **_validity(rnd)))
        out += [Implements(src=o, dst=f"p{i}", source=SRC) for o in rnd.sample(orgs, rnd.randint(0, 2))]
        currency = rnd.choice(["EUR", "USD"])
        for c in rnd.sample(isos, rnd.randint(1, 5)):
            money = {}
            if rnd.random() < 0.5:
                money = {"amount": rnd.choice([1e5, 0.1, 1 / 3]) * rnd.randint(1, 50), "currency": currency}
            out.append(Targets(src=f"p{i}", dst=c, source=SRC, **money, **_validity(rnd)))
    return out


def _validity(rnd: random.Random) -> dict[str, str]:
    kw = {}
    if rnd.random() < 0.3:
        kw["valid_from"] = _date(rnd)
    if rnd.random() < 0.3:
        kw["valid_to"] = _end(rnd, kw.get("valid_from"), rnd.randint(2012, 2026))
    return kw


def _end(rnd: random.Random, start: str | None, year: int) -> str:
    """An end in ``year`` or later, not before ``start``: a bare year where it can be (the window's edge case)."""
    year = max(year, int(start[:4]) if start else year)
    return str(year) if (not start or int(start[:4]) < year) and rnd.random() < 0.5 else f"{year}-12-31"


@pytest.fixture
def rich(store: Store) -> Store:
    store.write(Batch().extend(rich_records()))
    return store


def reference_flows(store: Store, window: Window, theme: str | None = None) -> list[dict[str, Any]]:
    """Every flow, the window and theme applied in Python, as before the filters moved into Cypher."""
    up = analysis.donors(store)
    out = []
    for r in store.query(named.FLOWS, Window().params()):
        if theme and theme not in (r["themes"] or []):
            continue
        if all(window.overlaps(r[a], r[b]) for a, b in (("start_date", "end_date"), ("t_from", "t_to"), ("f_from", "f_to"))):
            r["donor"] = up.get(r["funder"], (r["funder"],))[0]
            out.append(r)
    return out


def test_the_flow_table_applies_the_window_in_the_store_as_in_python(rich: Store) -> None:
    key = lambda r: (r["iso3"], r["programme"], r["funder"] or "")  # noqa: E731
    for w in WINDOWS:
        for theme in (None, "C"):
            got = analysis.flows(rich, w, theme=theme)
            want = sorted(reference_flows(rich, w, theme), key=key)
            assert [key(r) for r in got] == [key(r) for r in want], (w, theme)
    assert 0 < len(analysis.flows(rich, Window(2018, 2020))) < len(analysis.flows(rich))


def test_gaps_count_what_the_flows_hold(rich: Store) -> None:
    for w in WINDOWS:
        for theme in (None, "A"):
            flows = reference_flows(rich, w, theme)
            rows = {r["iso3"]: r for r in analysis.country_gaps(rich, window=w, theme=theme, all_countries=True)}
            per: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for f in flows:
                per[f["iso3"]].append(f)
            for iso3, row in rows.items():
                fl = per.get(iso3, [])
                assert row["programmes"] == len({f["programme"] for f in fl}), (w, theme, iso3)
                assert row["funders"] == len({f["donor"] for f in fl if f["funder"]})
                assert row["themes"] == sorted({t for f in fl for t in f["themes"] or []})
                money: dict[str, float] = defaultdict(float)
                for (_, _), f in sorted({(f["programme"], f["iso3"]): f for f in fl if f["amount"] is not None}.items()):
                    money[f["currency"]] += f["amount"]
                assert row["amount"] == (dict(sorted(money.items())) or None)
    assert any(r["amount"] for r in analysis.country_gaps(rich, all_countries=True))  # amounts were there to count


def test_concentration_and_supports_agree_with_the_flows(rich: Store) -> None:
    for w in WINDOWS[:4]:
        flows = [f for f in reference_flows(rich, w) if f["funder"]]
        donors_of: dict[str, set[str]] = defaultdict(set)
        for f in flows:
            donors_of[f["iso3"]].add(f["donor"])
        conc = analysis.concentration(rich, window=w, all_countries=True, min_programmes=1)
        assert {r["iso3"]: r["funders"] for r in conc} == {k: len(v) for k, v in donors_of.items()}
        pairs: dict[tuple[str, str], set[str]] = defaultdict(set)
        for f in flows:
            pairs[(f["donor"], f["iso3"])].add(f["programme"])
        rows = analysis.supports(rich, window=w)
        got = {(r["funder"], r["country"]): set(r["programme_ids"]) for r in rows if r["funder"]}
        assert got == pairs, w
        # the programmes naming a country with no funder in the window are its row with an empty funder: none dropped
        unfunded: dict[str, set[str]] = defaultdict(set)
        for f in reference_flows(rich, w):
            unfunded[f["iso3"]].add(f["programme"])
        for (_, iso3), progs in pairs.items():
            unfunded[iso3] -= progs
        assert {r["country"]: set(r["programme_ids"]) for r in rows if not r["funder"]} == {
            k: v for k, v in unfunded.items() if v
        }, w
    agencies = {r["funder"] for r in analysis.supports(rich, by="funder", agencies=True)}
    assert agencies & {f"o{i}" for i in range(30, 40)}  # agencies stand alone with agencies=True ...
    assert not {r["funder"] for r in analysis.supports(rich, by="funder")} & {
        f"o{i}" for i in range(30, 40)
    }  # ... not by default


def test_both_stores_answer_alike(bolt: Any, tmp_path: Any) -> None:
    from graph.embedded import EmbeddedStore

    embedded, neo = EmbeddedStore(tmp_path / "g.lbdb"), bolt.store()
    try:
        neo.clear()
        for s in (embedded, neo):
            s.write(Batch().extend(rich_records(seed=5)))
        for fn in (
            lambda s: analysis.country_gaps(s, all_countries=True, window=Window(2018, None)),
            lambda s: analysis.theme_gaps(s, min_need=0),
            lambda s: analysis.concentration(s, agencies=True),
            lambda s: analysis.supports(s, by="pair", theme="B"),
            lambda s: analysis.supports(s, country="BEN"),
            lambda s: analysis.region_gaps(s, level="subregion"),
            lambda s: timeline.coverage(s, by="country").rows,  # read grouped per country, funder and period
            lambda s: timeline.coverage(s, by="donor", year_from=2015).rows,
            lambda s: timeline.spans(s),
        ):
            assert fn(embedded) == fn(neo)
        # the whole graph too, which crosses Bolt grouped by start node: same nodes, edges, order and attribute order
        ge, gn = embedded.to_networkx(), neo.to_networkx()
        assert [(n, list(d.items())) for n, d in ge.nodes(data=True)] == [(n, list(d.items())) for n, d in gn.nodes(data=True)]
        edges = [(u, v, k, list(d.items())) for u, v, k, d in ge.edges(keys=True, data=True)]
        assert edges == [(u, v, k, list(d.items())) for u, v, k, d in gn.edges(keys=True, data=True)]
        assert any(d.get("amount") for *_, d in ge.edges(data=True)) and ge.number_of_edges() > 500
    finally:
        embedded.close()
        neo.close()
