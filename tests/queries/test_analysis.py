"""Analyses on a graph small enough to work out by hand; both engines, any load order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from graph.embedded import EmbeddedStore
from graph.errors import CCBError
from graph.model import Funds, Indicator, Measured, MemberOf, Organisation, PartOf, Programme, Targets
from graph.store import Batch, Store
from queries import analysis as a
from queries.terms import UnknownName
from tests.fixtures import write_reversed

S = "tests/queries/test_analysis.py"


from graph.examples import gaps_records as records  # noqa: E402 (the example the docstrings use)


@pytest.fixture
def graph(store: Store) -> Store:
    store.write(Batch().extend(records()))
    return store


def test_supports_by_pair(graph: Store) -> None:
    rows = a.supports(graph)
    # f1-GHA: pA and pB, amount known only for pA's GHA link (600); f1-KEN: pA (400); f2-GHA: pB, no amount
    assert [(r["funder"], r["country"], r["programmes"], r["amount"], r["implementers"]) for r in rows] == [
        ("f1", "GHA", 2, {"EUR": 600}, ["i1"]),
        ("f1", "KEN", 1, {"EUR": 400}, ["i1"]),
        ("f2", "GHA", 1, None, []),
    ]
    assert rows[0]["explanation"] == (
        "2 programme(s) active in any year; amount: stated for 1 of 2 programme-country links; "
        "programmes' whole money apart (programme_money), never summed as the country's"
    )
    assert rows[2]["explanation"] == "1 programme(s) active in any year; amount: stated for 0 of 1 programme-country links"
    # pA's budget is never a country's: each country row labels it as shared by the 2 countries pA names
    shared = ["pA EUR 5,000: budget of a programme shared by 2 countries"]
    assert [r["programme_money"] for r in rows] == [shared, shared, []]
    assert all("budget" not in r for r in rows)
    # a donor's row counts the budget once
    assert [(r["funder"], r["budget"]) for r in a.supports(graph, by="funder")] == [("f1", {"EUR": 5000}), ("f2", None)]


def test_supports_either_way_and_window(graph: Store) -> None:
    ghana = a.supports(graph, country="GHA", by="country")
    assert [(r["country"], r["funders"], r["programmes"]) for r in ghana] == [("GHA", ["f1", "f2"], 2)]
    f1 = a.supports(graph, funder="f1", by="funder")
    assert [(r["funder"], r["countries"], r["programmes"], r["amount"]) for r in f1] == [("f1", ["GHA", "KEN"], 2, {"EUR": 1000})]
    # from 2019 pA (ended 2018) drops out: only pB remains, in Ghana
    late = a.supports(graph, window=a.Window(2019, None))
    assert [(r["funder"], r["country"], r["programme_ids"]) for r in late] == [("f1", "GHA", ["pB"]), ("f2", "GHA", ["pB"])]
    assert a.supports(graph, theme="E") == []


def test_country_gaps(graph: Store) -> None:
    rows = a.country_gaps(graph)
    # see records(): NPL 0.6 / 1; KEN 0.5 / 2; GHA has no GCI value: listed apart, after the ranked, with no priority;
    # GBR is high income: not ranked
    assert [(r["iso3"], r["need"], r["programmes"], r["priority"]) for r in rows] == [
        ("NPL", 0.6, 0, 0.6),
        ("KEN", 0.5, 1, 0.25),
        ("GHA", None, 2, None),
    ]
    assert rows[1]["explanation"] == (
        "need 0.5 (GCI 2024 25 -> 0.75 x 0.4; Lower middle income (World Bank FY25) -> 0.667 x 0.3; not LDC -> 0 x 0.1; "
        "not SIDS -> 0 x 0.1; CMM review on record -> 0 x 0.1) / (1 + 1 programmes in any year) = 0.25; "
        "1 distinct source page(s) mention it"
    )
    assert rows[2]["explanation"].startswith("need unknown: no GCI value: listed apart, not ranked")


def test_gaps_universe_and_notes(graph: Store) -> None:
    g = a.gaps(graph)
    assert g.left_out == {"high income": ["GBR"]}
    notes = "\n".join(g.notes())
    assert "need weights: gci 0.4 (40%), income 0.3 (30%), ldc 0.1 (10%), sids 0.1 (10%), lldc 0, no_review 0.1 (10%)" in notes
    assert "listed apart, need unknown (no GCI value): 1 (GHA)" in notes and "not ranked: 1 high income (GBR)" in notes
    everyone = a.country_gaps(graph, all_countries=True)
    # GBR: .4 x .125 + .3 x 0 + 0 + 0 + 0 (reviewed) = 0.05
    assert [(r["iso3"], r["need"]) for r in everyone] == [("NPL", 0.6), ("KEN", 0.5), ("GBR", 0.05), ("GHA", None)]
    assert everyone[2]["explanation"].endswith("not ranked by default: high income")


def test_weights_change_the_ranking_and_sensitivity_says_so(graph: Store) -> None:
    # Income alone (gci kept just above 0): KEN and NPL are both lower middle income -> need 2/3 each, and
    # LDC/no-review off; NPL 0.667 / 1 beats KEN 0.667 / 2. With the GCI alone, KEN 0.75 / 2 = 0.375 < NPL 0.5.
    w = a.need.parse_weights(["gci=1", "income=0", "ldc=0", "sids=0", "no_review=0"])
    assert [(r["iso3"], r["need"], r["priority"]) for r in a.country_gaps(graph, weights=w)] == [
        ("NPL", 0.5, 0.5),
        ("KEN", 0.75, 0.375),
        ("GHA", None, None),
    ]
    # a weight that reorders: give programmes' absence little say by weighting LDC status heavily
    w = a.need.parse_weights(["ldc=5"])
    ranked = a.country_gaps(graph, weights=w)
    assert ranked[0]["iso3"] == "NPL" and ranked[0]["need"] == round((0.2 + 0.2 + 5 + 0.1) / 5.9, 3)
    g = a.gaps(graph)
    assert g.top == 2 and {r["weight"] for r in g.sensitivity} == {"gci", "income", "ldc", "sids", "no_review"}
    assert all(r["kept_minus"] == r["kept_plus"] == 2 for r in g.sensitivity)  # two ranked countries: the top 2 is all of them


def test_theme_need_reads_the_pillar(store: Store) -> None:
    recs = [r for r in records() if not (getattr(r, "dst", None) == "gci-2024" and r.src == "NPL")]
    recs += [
        Indicator(id="gci-2024-legal", family="gci", edition="2024", pillar="legal", name="GCI 2024 (legal)", source=S),
        Measured(src="NPL", dst="gci-2024", score=50, source=S),
        Measured(src="NPL", dst="gci-2024-legal", score=2, source=S),
    ]
    store.write(Batch().extend(recs))
    # theme C reads the legal pillar: 1 - 2/20 = 0.9 -> .4 x .9 + .2 + .1 + .1 = 0.76; other themes fall back to the overall 0.6
    assert [(r["iso3"], r["need"]) for r in a.country_gaps(store, theme="C")][0] == ("NPL", 0.76)
    row = next(r for r in a.theme_gaps(store, min_need=0.5, min_evidence=0) if r["iso3"] == "NPL")
    assert row["theme_need"] == {"A": 0.6, "B": 0.6, "C": 0.76, "D": 0.6, "E": 0.6} and row["top_need"] == 0.76
    assert row["explanation"].startswith("no programme in any year on C (need 0.76, GCI legal)")


def test_region_and_theme_gaps(graph: Store) -> None:
    regions = a.region_gaps(graph)
    # Asia: NPL unserved, priority 0.6. Africa: none unserved, 3 programme links; GHA's need is unknown, so the
    # means are KEN's alone: need 0.5, priority 0.25. Europe holds only GBR (high income): not listed.
    assert [
        (
            r["region"],
            r["countries"],
            r["unserved"],
            r["unserved_share"],
            r["programme_links"],
            r["mean_need"],
            r["mean_priority"],
        )
        for r in regions
    ] == [("Asia", 1, 1, 1.0, 0, 0.6, 0.6), ("Africa", 2, 0, 0.0, 3, 0.5, 0.25)]
    themes = a.theme_gaps(graph, min_need=0.5, min_evidence=0)
    # NPL (0.6) has nothing; KEN (0.5) has only C (pA); GHA's need is unknown
    assert [(r["iso3"], r["C"], r["gaps"]) for r in themes] == [
        ("NPL", 0, ["A", "B", "C", "D", "E"]),
        ("KEN", 1, ["A", "B", "D", "E"]),
    ]


def test_a_theme_the_graph_barely_records_is_no_gap(graph: Store) -> None:
    # two more programmes on C (in Ghana): C has 3 in the graph, A 1 (pB), B, D and E none. Only C can be a gap: a
    # theme of one programme shows "none" in nearly every country, which says what is recorded, not what is needed
    graph.write(
        Batch().extend(
            [Programme(id=f"pC{i}", name=f"C{i}", themes=["C"], start_date="2021", source=S) for i in (1, 2)]
            + [Targets(src=f"pC{i}", dst="GHA", source=S) for i in (1, 2)]
        )
    )
    rows = a.theme_gaps(graph, min_need=0.5)
    assert [(r["iso3"], r["gaps"], r["top_need"], r["A"], r["E"]) for r in rows] == [("NPL", ["C"], 0.6, 0, 0)]
    assert rows[0]["explanation"] == (
        "no programme in any year on C (need 0.6, GCI legal); not ranked on A (1 programme(s) in the graph), "
        "B (0 programme(s) in the graph), D (0 programme(s) in the graph), E (0 programme(s) in the graph): "
        "too little evidence (fewer than 3)"
    )


def test_regional_programmes_count_in_their_regions_not_in_countries(graph: Store) -> None:
    graph.write(
        Batch().extend(
            [
                Programme(
                    id="pR",
                    name="Regional",
                    themes=["D"],
                    scope="regional",
                    scope_regions=["Africa"],
                    budget=900,
                    currency="EUR",
                    source=S,
                ),
                Programme(id="pW", name="West", themes=["D"], scope="regional", scope_regions=["Western Africa"], source=S),
                Programme(id="pG", name="Global", themes=["A"], scope="global", source=S),
                Funds(src="f2", dst="pR", source=S),
            ]
        )
    )
    regions = {r["region"]: r for r in a.region_gaps(graph)}
    assert regions["Africa"]["regional"] == 2 and regions["Asia"]["regional"] == 0
    subs = {r["subregion"]: r for r in a.region_gaps(graph, level="subregion")}
    assert (subs["Western Africa"]["regional"], subs["Eastern Africa"]["regional"]) == (2, 1)
    rows = {r["iso3"]: r for r in a.country_gaps(graph)}
    assert (rows["KEN"]["programmes"], rows["KEN"]["regional"], rows["KEN"]["priority"]) == (1, 1, 0.25)  # unchanged priority
    money = {r["region"]: r["amount"] for r in a.breakdown(graph, by="region", measure="amount")}
    # Africa: pA stated per country (600 + 400) + pR's budget 900, whole; pB and pW state nothing
    assert money["Africa"] == 1900.0
    with pytest.raises(ValueError, match="a regional programme names its scope_regions"):
        Programme(id="x", name="x", scope="regional", source=S)
    with pytest.raises(ValueError, match="unknown UN M49 region 'Atlantis'"):
        Programme(id="x", name="x", scope="regional", scope_regions=["Atlantis"], source=S)
    with pytest.raises(ValueError, match="; did you mean Western Africa"):  # the nearest of 27 names, not all of them
        Programme(id="x", name="x", scope="regional", scope_regions=["West Africa"], source=S)


def test_a_programme_for_a_group_reaches_its_current_members_only(graph: Store) -> None:
    # Bloc "b": Ghana a member, Kenya a member until 2021. pE serves the bloc: Ghana, and Western Africa in the
    # regional views, but neither Kenya nor the rest of Africa (a programme of the Eastern Partnership is not in Yemen).
    graph.write(
        Batch().extend(
            [
                Organisation(id="b", name="The Bloc", kind="intergovernmental", source=S),
                MemberOf(src="GHA", dst="b", source=S),
                MemberOf(src="KEN", dst="b", valid_to="2021-06-28", source=S),
                Programme(id="pE", name="For the bloc", themes=["C"], scope="regional", scope_blocs=["b"], source=S),
            ]
        )
    )
    rows = {r["iso3"]: r for r in a.country_gaps(graph)}
    assert (rows["GHA"]["regional"], rows["KEN"]["regional"], rows["NPL"]["regional"]) == (1, 0, 0)
    assert "within the stated scope of 1 regional programme(s): pE;" in rows["GHA"]["explanation"]
    subs = {r["subregion"]: r["regional"] for r in a.region_gaps(graph, level="subregion")}
    assert (subs["Western Africa"], subs["Eastern Africa"]) == (1, 0)
    assert {r["region"]: r["regional"] for r in a.region_gaps(graph)}["Africa"] == 1
    with pytest.raises(ValueError, match="scope_regions and scope_blocs need scope: regional"):
        Programme(id="x", name="x", scope_blocs=["b"], source=S)


def test_agencies_roll_up_to_their_donor(graph: Store) -> None:
    # f2 becomes an agency of f1's state: GHA's support is then one donor, not two
    graph.write(
        Batch().extend(
            [
                Organisation(id="state", name="The State", kind="government", source=S),
                PartOf(src="f1", dst="state", source=S),
                PartOf(src="f2", dst="state", source=S),
            ]
        )
    )
    conc = {r["iso3"]: r for r in a.concentration(graph, min_programmes=1, all_countries=True)}
    assert (conc["GHA"]["funders"], conc["GHA"]["hhi"], conc["GHA"]["effective_donors"], conc["GHA"]["top_funders"]) == (
        1,
        1.0,
        1.0,
        ["state"],
    )
    assert conc["GHA"]["explanation"] == (
        f"shares by {conc['GHA']['basis']} of 1 donor(s): state 100%; agencies counted with their donor: f1, f2"
    )
    beneath = {r["iso3"]: r for r in a.concentration(graph, agencies=True, min_programmes=1, all_countries=True)}
    assert (beneath["GHA"]["funders"], beneath["GHA"]["hhi"]) == (2, 0.5556)
    by_funder = a.supports(graph, by="funder")
    assert [(r["funder"], r["agencies"], r["programmes"]) for r in by_funder] == [("state", ["f1", "f2"], 2)]
    assert [r["funder"] for r in a.supports(graph, funder="f2", by="funder")] == ["state"]  # an agency's id finds its donor
    assert [(r["funder"], r["programmes"]) for r in a.breakdown(graph, by="funder")] == [("The State", 2)]
    assert a.country_gaps(graph)[1]["funders"] == 1  # KEN: one donor


def test_concentration(graph: Store) -> None:
    left_out: dict[str, list[str]] = {}
    rows = a.concentration(graph, min_programmes=1, all_countries=True)
    # KEN: one link (f1, pA, EUR 400), all priced -> f1 100%, HHI 1.
    # GHA: pB has no amount -> programme counts: f1 2 (pA, pB), f2 1 -> (2/3)^2 + (1/3)^2 = 5/9 = 0.5556; 1/HHI = 1.8
    assert [(r["iso3"], r["hhi"], r["effective_donors"], r["top_funders"], r["basis"]) for r in rows] == [
        ("KEN", 1.0, 1.0, ["f1"], "amounts (EUR)"),
        ("GHA", 0.5556, 1.8, ["f1"], "programme counts (amounts missing)"),
    ]
    # By default, a country on fewer than 3 funded programmes is not ranked as "concentrated", and a recipient
    # state only: KEN (1) and GHA (2) are both thin here, and say so.
    assert a.concentration(graph, left_out=left_out) == []
    assert left_out == {"fewer than 3 funded programmes": ["GHA", "KEN"]}
    assert [r["iso3"] for r in a.concentration(graph, min_programmes=2)] == ["GHA"]


def test_concentration_never_splits_a_co_funded_amount(store: Store) -> None:
    # pB in Ghana given an amount: every Ghana link is priced, but pB's EUR 300 is f1's and f2's with no split stated,
    # so the shares cannot be of money without guessing one: Ghana falls back to programme counts, and says why
    rs = records() + [Targets(src="pB", dst="GHA", amount=300, currency="EUR", source=S)]
    store.write(Batch().extend(rs))
    conc = {r["iso3"]: r for r in a.concentration(store, min_programmes=1, all_countries=True)}
    assert (conc["GHA"]["hhi"], conc["GHA"]["basis"]) == (0.5556, "programme counts (a co-funded amount has no stated split)")
    assert (conc["KEN"]["hhi"], conc["KEN"]["basis"]) == (1.0, "amounts (EUR)")  # pA's EUR 400 is f1's alone


def test_unknown_names_suggest_close_matches(graph: Store) -> None:
    with pytest.raises(UnknownName, match=r"no country 'KEM' in the graph \(did you mean Kenya \(KEN\)"):
        a.supports(graph, country="KEM")
    with pytest.raises(UnknownName, match="no organisation 'f3'"):
        a.supports(graph, funder="f3")
    with pytest.raises(UnknownName, match="no region or sub-region 'Atlantis'"):
        a.country_gaps(graph, region="Atlantis")
    with pytest.raises(UnknownName, match="unknown GFCE theme 'Z'"):
        a.country_gaps(graph, theme="Z")


def test_same_answers_whatever_the_load_order(tmp_path: Path) -> None:
    forward, backward = EmbeddedStore(tmp_path / "f.lbdb"), EmbeddedStore(tmp_path / "b.lbdb")
    recs = records()
    forward.write(Batch().extend(recs))
    write_reversed(backward, recs)
    for fn in (a.supports, a.country_gaps, a.region_gaps, a.theme_gaps, a.concentration):
        assert fn(forward) == fn(backward), fn.__name__
    forward.close()
    backward.close()


@pytest.mark.parametrize(
    "cmd",
    [
        ["supports"],
        ["supports", "--by", "country"],
        ["gaps"],
        ["gaps", "--by", "region"],
        ["gaps", "--by", "subregion"],
        ["gaps", "--by", "theme", "--min-evidence", "0"],  # two programmes in the graph: thin evidence on every theme
        ["concentration", "--min-programmes", "1", "--all-countries"],
    ],
)
@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_cli_analyses(tmp_path: Path, cmd: list[str], fmt: str) -> None:
    db = tmp_path / "g.lbdb"
    with EmbeddedStore(db) as s:
        s.write(Batch().extend(records()))
    out = CliRunner().invoke(cli, ["--db", str(db), *cmd, "--format", fmt], catch_exceptions=False)
    assert out.exit_code == 0, out.stderr
    if fmt == "json":
        assert len(json.loads(out.stdout)) >= 2
    elif fmt == "csv":
        assert len(out.stdout.strip().splitlines()) >= 3 and "explanation" in out.stdout.splitlines()[0]
    else:
        assert "explanation" in out.stdout


def test_cli_theme_gaps_say_why_thin_evidence_leaves_them_empty(tmp_path: Path) -> None:
    db = tmp_path / "g.lbdb"
    with EmbeddedStore(db) as s:
        s.write(Batch().extend(records()))
    out = CliRunner().invoke(cli, ["--db", str(db), "gaps", "--by", "theme"], catch_exceptions=False)
    assert out.exit_code == 0 and "--min-evidence 0 counts the themes with fewer than 3 programmes too" in out.stderr


def test_cli_empty_filter_and_unknown_name(tmp_path: Path) -> None:
    db = tmp_path / "g.lbdb"
    with EmbeddedStore(db) as s:
        s.write(Batch().extend(records()))
    empty = CliRunner().invoke(cli, ["--db", str(db), "supports", "--theme", "E", "--format", "json"])
    assert empty.exit_code == 0 and json.loads(empty.stdout) == []
    bad = CliRunner().invoke(cli, ["--db", str(db), "supports", "--country", "KEM"])
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: no country 'KEM' in the graph (did you mean Kenya (KEN)?)")


def test_breakdown_counts(graph: Store) -> None:
    def counts(by: str, **kw: object) -> list:
        return [(r[by], r["programmes"]) for r in a.breakdown(graph, by=by, **kw)]

    assert counts("region") == [("Africa", 2), ("Asia", 0), ("Europe", 0)]
    assert counts("subregion") == [("Western Africa", 2), ("Eastern Africa", 1), ("Northern Europe", 0), ("Southern Asia", 0)]
    assert counts("theme") == [("A", 1), ("C", 1), ("B", 0), ("D", 0), ("E", 0)]
    # pA starts 2016, pB 2020: every year between is listed, in order
    assert counts("year") == [("2016", 1), ("2017", 0), ("2018", 0), ("2019", 0), ("2020", 1)]
    assert counts("funder") == [("Funder One", 2), ("Funder Two", 1)]
    assert counts("funder", window=a.Window(2019, None)) == [("Funder One", 1), ("Funder Two", 1)]  # pA ended 2018
    assert counts("region", theme="C") == [("Africa", 1), ("Asia", 0), ("Europe", 0)]


def test_breakdown_amounts_never_mix_currencies(graph: Store) -> None:
    rows = a.breakdown(graph, by="subregion", measure="amount")
    # pA: GHA EUR 600, KEN EUR 400; pB -> GHA has no amount
    assert [(r["subregion"], r["amount"], r["currency"], r["without_amount"]) for r in rows] == [
        ("Western Africa", 600.0, "EUR", 1),
        ("Eastern Africa", 400.0, "EUR", 0),
        ("Northern Europe", None, "EUR", 0),
        ("Southern Asia", None, "EUR", 0),
    ]
    usd = a.breakdown(graph, by="subregion", measure="amount", currency="USD")
    assert [(r["subregion"], r["amount"], r["without_amount"]) for r in usd] == [
        ("Western Africa", None, 2),
        ("Eastern Africa", None, 1),
        ("Northern Europe", None, 0),
        ("Southern Asia", None, 0),
    ]  # none anywhere: by programmes held, then by name
    # by funder: no contribution is stated, so each funder's row holds the budgets of the programmes it funds (pA, whole)
    funders = a.breakdown(graph, by="funder", measure="amount")
    assert [(r["funder"], r["amount"], r["without_amount"]) for r in funders] == [
        ("Funder One", 5000.0, 1),
        ("Funder Two", None, 1),
    ]
    assert "1 budget of a programme it funds" in funders[0]["explanation"]
    with pytest.raises(CCBError, match="cannot break 'amount' down by 'planet'"):
        a.breakdown(graph, by="planet", measure="amount")


def test_a_co_funded_budget_is_no_one_donors_money(store: Store) -> None:
    # pB is funded by f1 and f2 with no split stated: given a budget, it is credited whole to neither donor (each
    # would otherwise count it once, and donors' money would add up to more than the graph holds), and named as shared
    rs = [r.model_copy(update={"budget": 9000.0, "currency": "EUR"}) if getattr(r, "id", None) == "pB" else r for r in records()]
    store.write(Batch().extend(rs))
    funders = a.breakdown(store, by="funder", measure="amount")
    assert [(r["funder"], r["amount"], r["without_amount"]) for r in funders] == [
        ("Funder One", 5000.0, 1),  # pA's budget, which f1 alone funds
        ("Funder Two", None, 1),
    ]
    assert funders[0]["explanation"].endswith(
        "1 of 2 programme(s) have none in EUR (1 co-funded: whole budget EUR 9,000 shared with other donors, no split stated)"
    )
    assert "budgets of the programmes it alone funds" in funders[1]["explanation"]
    # ccb supports keeps each programme's whole budget on the donor's row, and says which are shared
    by_donor = {r["funder"]: r for r in a.supports(store, by="funder")}
    assert by_donor["f1"]["budget"] == {"EUR": 14000.0}
    assert by_donor["f1"]["explanation"].endswith("(1 co-funded with other donors: whole budget, not this donor's share)")
    assert by_donor["f2"]["explanation"].endswith("(1 co-funded with other donors: whole budget, not this donor's share)")


def test_money_in_another_currency_is_named_not_dropped(store: Store) -> None:
    # pA's Kenya amount stated in USD instead: the EUR sum for Eastern Africa cannot hold it, and says so
    rs = [
        r.model_copy(update={"currency": "USD"}) if type(r).__name__ == "Targets" and (r.src, r.dst) == ("pA", "KEN") else r
        for r in records()
    ]
    store.write(Batch().extend(rs))
    east = next(
        r for r in a.breakdown(store, by="subregion", measure="amount", currency="EUR") if r["subregion"] == "Eastern Africa"
    )
    assert (east["amount"], east["without_amount"]) == (None, 1)
    assert east["explanation"].endswith(
        "1 of 1 programme(s) have none in EUR; 1 of them with money in other currencies (USD 1; --currency sums one)"
    )
    usd = next(
        r for r in a.breakdown(store, by="subregion", measure="amount", currency="USD") if r["subregion"] == "Eastern Africa"
    )
    assert (usd["amount"], usd["without_amount"]) == (400.0, 0)


def test_a_country_row_gives_a_programme_s_stated_contributions_when_it_has_no_budget(store: Store) -> None:
    """Korea's USD 25.6m to the Philippines' national cyber centre (a contribution, no budget stated) was on no
    country row, where a budget of the same kind showed: a country's row gives each programme's budget, else its
    stated contributions (a donor's row, that donor's own), labelled with the countries the programme names."""
    from graph.model import Country, Funds, Organisation, Programme, Targets

    store.write(
        Batch().extend(
            [
                Country(iso3="PHL", name="Philippines", source="s"),
                Country(iso3="VNM", name="Vietnam", source="s"),
                Organisation(id="kor", name="Korea", source="s"),
                Organisation(id="usa", name="United States", source="s"),
                Programme(id="centre", name="Centre", themes=["B"], source="s"),
                Programme(id="fund", name="Fund", themes=["D"], source="s"),
                Funds(src="kor", dst="centre", amount=25_600_000, currency="USD", source="s"),
                Funds(src="kor", dst="fund", amount=1_000_000, currency="USD", source="s"),
                Funds(src="usa", dst="fund", amount=2_000_000, currency="USD", source="s"),
                Targets(src="centre", dst="PHL", source="s"),
                Targets(src="fund", dst="PHL", source="s"),
                Targets(src="fund", dst="VNM", source="s"),
            ]
        )
    )
    pairs = {(r["funder"], r["country"]): r["programme_money"] for r in a.supports(store)}
    assert pairs[("kor", "PHL")] == [
        "centre USD 25,600,000: stated contributions to a programme naming this country alone",
        "fund USD 1,000,000: stated contributions to a programme shared by 2 countries",
    ]
    assert pairs[("usa", "VNM")] == ["fund USD 2,000,000: stated contributions to a programme shared by 2 countries"]
    (vnm,) = a.supports(store, by="country", country="VNM")
    assert vnm["programme_money"] == ["fund USD 3,000,000: stated contributions to a programme shared by 2 countries"]
    assert "never summed as the country's" in vnm["explanation"] and vnm["amount"] is None
