"""Issue 24: a programme family counted once, and only beneficiaries counted as support; both engines."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.examples import gaps_records as records  # noqa: E402 (GHA, KEN, NPL, GBR; f1, f2; pA, pB)
from graph.model import ComponentOf, Funds, Programme, Targets
from graph.store import Batch, Store
from queries import analysis as a
from queries import facts, profile, provenance, timeline
from queries.named import COMPONENTS

S = "tests/queries/test_families.py"


@pytest.fixture
def family(store: Store) -> Store:
    """pU, an umbrella (EUR 9,000) naming GHA and NPL, funded by f2; pC, its component (EUR 4,000), naming GHA,
    funded by f2 too; pD, a drill naming KEN as a participant and NPL as its host."""
    store.write(
        Batch().extend(
            [
                *records(),
                Programme(id="pU", name="Umbrella", themes=["D"], budget=9000, currency="EUR", source=S),
                Programme(id="pC", name="Component", themes=["D"], budget=4000, currency="EUR", source=S),
                Programme(id="pD", name="Drill", themes=["B"], source=S),
                ComponentOf(src="pC", dst="pU", source=S),
                Funds(src="f2", dst="pU", source=S),
                Funds(src="f2", dst="pC", source=S),
                Targets(src="pU", dst="GHA", source=S),
                Targets(src="pU", dst="NPL", source=S),
                Targets(src="pC", dst="GHA", source=S),
                Targets(src="pD", dst="KEN", role="participant", source=S),
                Targets(src="pD", dst="NPL", role="host", source=S),
            ]
        )
    )
    return store


def test_a_family_counts_once_in_every_view(family: Store) -> None:
    assert family.query(COMPONENTS) == [{"component": "pC", "umbrella": "pU"}]
    # Ghana: pA, pB and, of the family, the component alone (it is stated there); Nepal: the umbrella (no component)
    gha = {p for r in a.supports(family, country="GHA") for p in r["programme_ids"]}
    assert gha == {"pA", "pB", "pC"}
    npl = {p for r in a.supports(family, country="NPL") for p in r["programme_ids"]}
    assert npl == {"pU"}
    rows = {r["iso3"]: r["programmes"] for r in a.country_gaps(family, all_countries=True)}
    assert (rows["GHA"], rows["NPL"], rows["KEN"]) == (3, 1, 1)
    # f2's programmes: pB and the family once (the component); its money the family's once too, the umbrella's
    # EUR 9,000, which holds the component's 4,000: never 9,000 + 4,000, and never the 4,000 alone (the umbrella's
    # other 5,000, in Nepal, would be lost)
    (f2,) = a.supports(family, funder="f2", by="funder")
    assert (f2["programme_ids"], f2["budget"], f2["contributed"]) == (["pB", "pC"], {"EUR": 9000.0}, {"EUR": 9000.0})
    assert "umbrellas whose money holds their components': pU" in f2["explanation"]
    chart = {r["funder"]: r["programmes"] for r in a.breakdown(family, by="funder")}
    assert chart["Funder Two"] == 2
    assert {r["theme"]: r["programmes"] for r in a.breakdown(family, by="theme")}["D"] == 1
    f2_years = timeline.coverage(family, by="donor", only="f2")
    assert sorted(f2_years.members["f2"]) == ["pB", "pC"]
    # one donor's page names its own undated programme, not the graph's three (pC, pD, pU)
    assert f2_years.notes()[1:] == [
        "not placed in time: 1 programme(s) with no start date (pC)",
        "f2: 2 programme(s) in all, 1 placed in time, 1 with no start date",
    ]
    assert facts.count_once({"pU", "pC", "pA"}, facts.components(family)) == {"pC", "pA"}


def test_participants_and_hosts_are_shown_not_counted(family: Store) -> None:
    # Kenya takes part in the drill and Nepal hosts it: neither is support
    rows = {r["iso3"]: r for r in a.country_gaps(family, all_countries=True)}
    assert rows["KEN"]["programmes"] == 1 and rows["NPL"]["programmes"] == 1
    kenya = dict(profile.profile(family, "KEN"))
    taking_part = kenya["Takes part in (as a participant or host, not counted as support)"]
    assert [(r["programme"], r["role"]) for r in taking_part] == [("pD", "participant")]
    assert "pD" not in {p for r in kenya["Supported by"] for p in r["programme_ids"]}


def test_the_check_refuses_a_cycle_and_flags_an_umbrella_smaller_than_its_parts(family: Store) -> None:
    family.write(
        Batch().extend(
            [
                Programme(id="pC", name="Component", themes=["D"], budget=12000, currency="EUR", source=S),  # > 9,000
                Programme(id="pX", name="X", source=S),
                Programme(id="pY", name="Y", source=S),
                ComponentOf(src="pX", dst="pY", source=S),
                ComponentOf(src="pY", dst="pX", source=S),
            ]
        )
    )
    found = {r["rule"]: r for r in provenance.check(family)}
    assert found["component_cycle"]["examples"] == ["Programme:pX", "Programme:pY"]
    assert found["components_exceed_umbrella"]["examples"] == ["Programme:pU"]
    assert found["umbrella_funder_hidden"]["count"] == 0  # f2 funds the umbrella and its component


def test_the_check_names_an_umbrella_funder_a_component_would_hide(family: Store) -> None:
    # f1 funds the umbrella only; in Ghana the family counts as the component (f2's), so f1 would vanish there
    family.write(Batch().extend([Funds(src="f1", dst="pU", source=S)]))
    found = {r["rule"]: r for r in provenance.check(family)}
    assert (found["umbrella_funder_hidden"]["count"], found["umbrella_funder_hidden"]["examples"]) == (1, ["FUNDS:f1->pU"])
    # which is what the views do: f1's support of Ghana is its own pA, never the umbrella that names Ghana
    assert "pU" not in {p for r in a.supports(family, country="GHA") if r["funder"] == "f1" for p in r["programme_ids"]}
    # an umbrella whose component serves none of its countries hides nothing: Nepal keeps the umbrella and its funders
    family.write(
        Batch().extend(
            [
                Programme(id="pV", name="Umbrella two", themes=["D"], source=S),
                Programme(id="pW", name="Component two", themes=["D"], source=S),
                ComponentOf(src="pW", dst="pV", source=S),
                Funds(src="f1", dst="pV", source=S),
                Funds(src="f2", dst="pW", source=S),
                Targets(src="pV", dst="NPL", source=S),
                Targets(src="pW", dst="GHA", source=S),
            ]
        )
    )
    assert [r for r in provenance.check(family) if r["rule"] == "umbrella_funder_hidden"][0]["examples"] == ["FUNDS:f1->pU"]


def test_the_check_refuses_a_component_of_itself() -> None:
    with pytest.raises(ValueError, match="a programme cannot be a component of itself"):
        ComponentOf(src="pX", dst="pX", source=S)


def test_a_breakdown_says_what_its_groups_leave_out(family: Store) -> None:
    """Rows plus what they leave out add up: pC, pD and pU have no start date; pD has no funder and names no
    beneficiary (a participant and a host); pU is counted through its component under f2 (a family once), but
    stands for itself in Asia, where pC does not reach."""
    by_year = a.breakdown(family, by="year")
    assert (by_year.left_out, by_year.through) == (["pC", "pD", "pU"], [])
    assert sum(r["programmes"] for r in by_year) + len(by_year.left_out) == 5
    assert by_year.notes() == ["in no year: 3 programmes with no start date (pC, pD, pU)"]
    by_funder = a.breakdown(family, by="funder")
    assert (by_funder.left_out, by_funder.through) == (["pD"], ["pU"])
    assert by_funder.notes()[1] == "counted through their components (a family once): 1 umbrella (pU)"
    money = a.breakdown(family, by="funder", measure="amount", currency="EUR")  # pU's EUR 9,000 holds pC's 4,000
    assert next(r["amount"] for r in money if r["funder"] == "Funder Two") == 9000.0
    assert money.notes()[1].endswith("(pU); in the amounts an umbrella's stated money counts, holding its components'")
    by_region = a.breakdown(family, by="region")
    assert (by_region.left_out, by_region.through) == (["pD"], [])
    assert "in no region: 1 programme with a global scope or no stated reach (pD)" in by_region.notes()


def test_a_breakdown_by_year_says_the_latest_years_fill_in_late(family: Store) -> None:
    """pA starts in 2016 and pB in 2020, neither with an as-of day: no note. Then pN, starting in 2025 and read on
    2025-09-30: the last two start years before that day are said to fill in late, on the rows' notes."""
    assert a.breakdown(family, by="year").lag() == ""
    family.write(
        Batch().extend([Programme(id="pN", name="New", themes=["B"], start_date="2025-03", as_of="2025-09-30", source=S)])
    )
    by_year = a.breakdown(family, by="year")
    assert by_year.lag() == (
        "recent start years fill in late: a programme counts once a source reports it, and the newest source was "
        "read on 2025-09-30, so a fall in 2024-2025 may be that lag, not the field's"
    )
    assert by_year.lag() in by_year.notes()
    # coverage over time says it too, of the years it shows: pN is active from 2025
    lag = "recent years fill in late: a programme counts once a source reports it, and the newest source was read"
    assert any(n.startswith(lag) and "a fall in 2024-2025 may" in n for n in timeline.coverage(family).notes())
    assert not any(n.startswith(lag) for n in timeline.coverage(family, year_to=2022).notes())
    assert a.breakdown(family, by="year", window=a.Window(None, 2021)).lag() == ""  # years long read
    assert a.breakdown(family, by="region").lag() == ""


def test_a_sum_in_one_currency_says_what_money_it_leaves_out(family: Store) -> None:
    """pA and the family state euros; pG, funded by f1, states GBP 500: summed in EUR, the sums say pG's pounds are
    left out, counted per currency; summed in GBP, the three programmes stating euros are."""
    family.write(
        Batch().extend(
            [
                Programme(id="pG", name="Pounds", themes=["A"], source=S),
                Funds(src="f1", dst="pG", amount=500, currency="GBP", source=S),
                Targets(src="pG", dst="KEN", source=S),
            ]
        )
    )
    eur = a.breakdown(family, by="funder", measure="amount", currency="EUR")
    assert eur.other_currencies() == (
        "summed in EUR alone, never converted; not in these sums, programmes with money stated in other currencies: "
        "GBP 1 (--currency sums one)"
    )
    assert eur.notes()[0] == eur.other_currencies()
    gbp = a.breakdown(family, by="region", measure="amount", currency="GBP")
    assert gbp.other_currencies().endswith("other currencies: EUR 3 (--currency sums one)")  # pA, pU and pC state euros
    assert a.breakdown(family, by="region").other_currencies() == ""  # counts hold every programme


def test_a_region_says_how_its_programmes_reach_it(family: Store) -> None:
    """A region's count splits into programmes naming a country there and regional ones in by scope alone, so it
    can be matched with the views that count only named countries: in Africa pA, pB and the family (pC for pU),
    all naming GHA or KEN; pR, scoped to Western Africa, names none."""
    family.write(
        Batch().extend(
            [
                Programme(id="pR", name="Regional", themes=["B"], scope="regional", scope_regions=["Western Africa"], source=S),
                Funds(src="f1", dst="pR", source=S),
            ]
        )
    )
    africa = next(r for r in a.breakdown(family, by="region") if r["region"] == "Africa")
    assert africa["programmes"] == 4
    assert africa["explanation"] == "4 programme(s) in any year: 3 naming a country there, 1 regional by scope only"
    west = next(r for r in a.breakdown(family, by="subregion") if r["subregion"] == "Western Africa")
    assert west["explanation"].endswith(": 3 naming a country there, 1 regional by scope only")  # pA, pB, pC: GHA


def test_the_breakdown_command_and_chart_say_it_too(family: Store, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli import cli

    if family.kind != "embedded":
        pytest.skip("the CLI is tested on the embedded store; the library above on both")
    db = family.location
    out = CliRunner().invoke(cli, ["--db", db, "breakdown", "--by", "year", "--format", "csv"], catch_exceptions=False)
    assert out.exit_code == 0 and "in no year: 3 programmes with no start date (pC, pD, pU)" in out.stderr
    # `donor`, the word `ccb timeline --by` uses, is the funder breakdown
    by = {w: CliRunner().invoke(cli, ["--db", db, "breakdown", "--by", w, "--format", "json"]) for w in ("funder", "donor")}
    assert by["donor"].exit_code == 0 and by["donor"].stdout == by["funder"].stdout and "Funder Two" in by["donor"].stdout
    svg = tmp_path / "years.svg"
    out = CliRunner().invoke(cli, ["--db", db, "viz", "chart", "--by", "year", "-o", str(svg)], catch_exceptions=False)
    assert out.exit_code == 0 and "not shown: 3 with no start date" in svg.read_text()


def test_the_check_compares_stated_contributions_where_no_budget_is_stated(family: Store) -> None:
    """An umbrella with no budget, its funder stating GBP 2,000, and a component whose funder states GBP 2,900: the
    totals count the umbrella's money as holding the component's, so the component's would be lost; flagged."""
    family.write(
        Batch().extend(
            [
                Programme(id="pV", name="Umbrella V", themes=["C"], source=S),
                Programme(id="pW", name="Component W", themes=["C"], source=S),
                ComponentOf(src="pW", dst="pV", source=S),
                Funds(src="f1", dst="pV", amount=2000, currency="GBP", source=S),
                Funds(src="f1", dst="pW", amount=2900, currency="GBP", source=S),
                Targets(src="pV", dst="GHA", source=S),
                Targets(src="pW", dst="GHA", source=S),
            ]
        )
    )
    found = {r["rule"]: r for r in provenance.check(family)}
    assert found["components_exceed_umbrella"]["examples"] == ["Programme:pV"]
    family.write(Batch().extend([Funds(src="f1", dst="pV", amount=22000, currency="GBP", source=S)]))  # 22,000 holds it
    assert {r["rule"]: r for r in provenance.check(family)}["components_exceed_umbrella"]["count"] == 0
