"""Matchmaking and profiles on the hand-built network graph."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from graph.embedded import EmbeddedStore
from graph.examples import bloc_records as with_bloc  # noqa: E402 (the example the docstrings use)
from graph.model import THEMES
from graph.store import Batch, Store
from queries.profile import match, profile
from queries.terms import UnknownName
from tests.fixtures import plain_reach


@pytest.fixture
def graph(store: Store) -> Store:
    store.write(Batch().extend(with_bloc()))
    return store


def test_match_ranks_with_reasons(graph: Store) -> None:
    # Kenya has p2 (C) and p3 (A): themes B, D, E are unmet and nobody has run them -> too little evidence, no ranking.
    assert [(r["theme"], r["org"], r["score"]) for r in match(graph, "KEN", min_evidence=1)] == [
        ("B", "", None),
        ("D", "", None),
        ("E", "", None),
    ]
    # Theme C for Kenya: o3 ran p2 (1 programme, already in KEN: +1) = 2; o1 and o2 ran p1 in Ghana only
    # (1 programme, no region data: +0); o2 also works in Kenya (p3): +1 -> 2. Ties by id.
    rows = match(graph, "KEN", theme="C", min_evidence=1)
    assert [(r["org"], r["score"]) for r in rows] == [("o2", 2.0), ("o3", 2.0), ("o1", 1.0)]
    assert rows[0]["explanation"] == "experience 1 (1 programme(s) on theme C) + presence 1 (already active in KEN) = 2"
    # By default a theme needs 3 programmes in the graph before anyone is ranked on it: C has 2 here.
    assert [(r["theme"], r["org"], r["score"]) for r in match(graph, "KEN", theme="C")] == [("C", "", None)]
    with pytest.raises(UnknownName, match="no country 'Kenia'"):
        match(graph, "Kenia")


def test_profiles(graph: Store) -> None:
    country = dict(profile(graph, "Kenya"))
    assert country["Country"] == [{"iso3": "KEN", "name": "Kenya", "region": None, "subregion": None, "member_of": ["Bloc"]}]
    assert [r["funder"] for r in country["Supported by"]] == ["o3", "o4"]
    org = dict(profile(graph, "o2"))
    assert org["Programmes"] == [
        {"programme": "p1", "roles": ["IMPLEMENTS"], "themes": ["C"], "countries": ["GHA"]},
        {"programme": "p3", "roles": ["IMPLEMENTS"], "themes": ["A"], "countries": ["KEN"]},
    ]
    assert [r["org"] for r in org["Collaborators"]] == ["o1", "o4"]
    assert org["Broker standing"][0]["betweenness"] == 0.6667
    assert [r["b"] for r in org["Partnership opportunities"]] == ["o3"]
    with pytest.raises(UnknownName, match="no country, organisation or programme 'o9'"):
        profile(graph, "o9")


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_cli(tmp_path: Path, fmt: str) -> None:
    db = tmp_path / "g.lbdb"
    with EmbeddedStore(db) as s:
        s.write(Batch().extend(with_bloc()))
    for cmd in (["match", "KEN", "--theme", "C"], ["profile", "o2"], ["profile", "GHA"]):
        out = CliRunner().invoke(cli, ["--db", str(db), *cmd, "--format", fmt], catch_exceptions=False)
        assert out.exit_code == 0, out.stderr
        if fmt == "json":
            assert json.loads(out.stdout)


@pytest.mark.parametrize("seed", [7, 8])
def test_the_array_built_experience_is_the_plain_one(tmp_path: Path, seed: int) -> None:
    """Who worked on each theme and where (counted on codes in numpy), the organisations at work in each country and
    the programmes per theme equal a plain loop over who funds or implements what (placed where it funds or
    delivered), on a seeded synthetic graph."""
    from bench import synthetic
    from graph.model import THEMES
    from queries import facts, named
    from queries import profile as p

    with EmbeddedStore(tmp_path / "g.lbdb") as s:
        s.write(Batch().extend(synthetic.records(150, 600, seed=seed)))
        reach = plain_reach(s)
        worked: dict = {t: {} for t in THEMES}
        present: dict = {}
        names = {}
        # where it worked: the programmes it funds or delivered (led, or implemented where no lead is named)
        by_role = s.query(named.IMPLEMENTS_BY_ROLE)
        led = {prog for r in by_role if r["role"] == "lead" for prog in r["programmes"]}
        placed = {(r["org"], prog) for r in by_role for prog in r["programmes"] if r["role"] == "lead" or prog not in led}
        for r in s.query(named.ORG_PROGRAMMES):
            names[r["org"]] = r["name"]
            for prog in r["programmes"]:
                themes, countries = reach[prog]
                there = countries if r["role"] == "FUNDS" or (r["org"], prog) in placed else set()
                for t in themes:
                    mine = worked[t].setdefault(r["org"], {})
                    mine[prog] = set(mine.get(prog, set())) | set(there)
                for c in there:
                    present.setdefault(c, set()).add(r["org"])
        experience, at_work, named_as = p._activity(s)
        assert {t: {o: (e.programmes, set(e.countries)) for o, e in orgs.items()} for t, orgs in experience.items()} == {
            t: {o: (len(ps), {c for cs in ps.values() for c in cs}) for o, ps in orgs.items()} for t, orgs in worked.items()
        }
        assert any(experience.values()) and at_work == present and named_as == names
        assert len(placed) < sum(len(r["programmes"]) for r in by_role)  # the seeded graph has partners to leave out
        assert facts.programmes_per_theme(s) == {t: sum(t in themes for themes, _ in reach.values()) for t in THEMES}


def test_a_country_outside_the_ranking_says_why(tmp_path: Path) -> None:
    """The profile's empty Gap section names the rule that leaves the country out, not a list of possible ones."""
    from graph.examples import gaps_records

    db = tmp_path / "g.lbdb"
    with EmbeddedStore(db) as s:
        s.write(Batch().extend(gaps_records()))
    out = CliRunner().invoke(cli, ["--db", str(db), "profile", "GBR"], catch_exceptions=False)
    said = " ".join(out.stderr.split())  # a line under a table is wrapped to the terminal's width
    assert "United Kingdom is not ranked: high income (`ccb gaps --all-countries` ranks it)" in said
    kenya = CliRunner().invoke(cli, ["--db", str(db), "profile", "Kenya"], catch_exceptions=False).stderr
    assert "is not ranked" not in kenya  # ranked: its Gap section has its row


def test_a_record_elsewhere_does_not_outrank_one_in_the_region(store: Store) -> None:
    """Kenya, theme D: `far` ran three programmes, all in Nepal; `near` one in Ghana (Africa); `reg` one in Nepal and
    a regional programme over Africa on another theme; `agency` one in Nepal, while its state funds one in Ghana on
    another theme. Experience elsewhere does not put `far` first: those with a record in Africa come first, each row
    saying which it is."""
    from graph.examples import SRC, gaps_records
    from graph.model import Funds, Implements, Organisation, PartOf, Programme, Targets

    def ran(org: str, prog: str, theme: str, iso3: str, how: type[Funds] | type[Implements] = Implements) -> list:
        return [
            Programme(id=prog, name=prog, themes=[theme], source=SRC),
            how(src=org, dst=prog, source=SRC),
            Targets(src=prog, dst=iso3, source=SRC),
        ]

    records = gaps_records() + [Organisation(id=o, name=o, source=SRC) for o in ("far", "near", "reg", "agency", "state")]
    for i in range(3):
        records += ran("far", f"pf{i}", "D", "NPL")
    records += ran("near", "pn", "D", "GHA") + ran("reg", "pr", "D", "NPL") + ran("agency", "pa", "D", "NPL")
    records += ran("state", "ps", "C", "GHA", Funds) + [PartOf(src="agency", dst="state", source=SRC)]
    records += [
        Programme(id="pAfrica", name="pAfrica", themes=["C"], scope="regional", scope_regions=["Africa"], source=SRC),
        Implements(src="reg", dst="pAfrica", source=SRC),
    ]
    store.write(Batch().extend(records))
    rows = match(store, "KEN", theme="D", min_evidence=1)
    assert [(r["org"], r["score"], r["in_region"]) for r in rows] == [
        ("near", 1.5, True),
        ("agency", 1.0, True),
        ("reg", 1.0, True),
        ("far", 3.0, False),
    ]
    assert rows[1]["explanation"].endswith("; at work in Africa through another body of the same donor: state")
    assert rows[2]["explanation"].endswith("; at work in Africa on other themes or by a regional programme")
    assert rows[3]["explanation"].endswith("; no programme in Africa on record: listed after those with one")


def test_an_international_body_shares_no_group_through_its_seat(store: Store) -> None:
    """Ghana and Kenya share bloc b. A Ghanaian ministry shares it with Kenya; an intergovernmental body seated in
    Ghana does not (the World Bank, seated in Washington, is no member of the OAS), nor a company based there."""
    from graph.examples import SRC
    from graph.model import Implements, Organisation, Programme, Targets

    records = with_bloc()
    for org, kind in (("ministry", "government"), ("igo", "intergovernmental"), ("firm", "private")):
        records += [
            Organisation(id=org, name=org, kind=kind, country="GHA", source=SRC),
            Programme(id=f"p-{org}", name=org, themes=["C"], source=SRC),
            Implements(src=org, dst=f"p-{org}", source=SRC),
            Targets(src=f"p-{org}", dst="GHA", source=SRC),
        ]
    store.write(Batch().extend(records))
    rows = {r["org"]: r for r in match(store, "KEN", theme="C", min_evidence=1)}
    assert rows["ministry"]["parts"]["bloc"] == 1.0 and "shares b, 2 members with KEN" in rows["ministry"]["explanation"]
    for other in ("igo", "firm"):  # an international body's seat, a company's base: no membership
        assert rows[other]["parts"]["bloc"] == 0.0 and "shares" not in rows[other]["explanation"]


def test_delivered_means_led_or_implemented_where_no_lead_is_named(store: Store) -> None:
    """pL is led by L with P as a partner; pN names no lead (Q and R are partners). L, Q and R delivered their
    programme in Ghana; P, a partner in another's programme, did not, though it implements it: it has the
    experience, not the place."""
    from graph.examples import SRC, gaps_records
    from graph.model import Implements, Organisation, Programme, Targets
    from queries import profile as p

    records = gaps_records()
    records += [Organisation(id=o, name=o, source=SRC) for o in ("L", "P", "Q", "R")]
    for prog in ("pL", "pN"):
        records += [Programme(id=prog, name=prog, themes=["D"], source=SRC), Targets(src=prog, dst="GHA", source=SRC)]
    records += [
        Implements(src="L", dst="pL", role="lead", source=SRC),
        Implements(src="P", dst="pL", role="partner", source=SRC),
        Implements(src="Q", dst="pN", role="partner", source=SRC),
        Implements(src="R", dst="pN", role="partner", source=SRC),
    ]
    store.write(Batch().extend(records))
    delivered = p._experience(store, "D", delivered=True)
    assert sorted(delivered) == ["L", "Q", "R"] and {delivered[o].countries for o in delivered} == {frozenset({"GHA"})}
    assert sorted(p._experience(store, "D")) == ["L", "P", "Q", "R"]
    assert "P" not in p._present(store, delivered=True)["GHA"]
    # a partner's seat counts as experience, but places it nowhere: the OAS, a partner of the Commonwealth's
    # initiative in the Caribbean that also names Kenya, was listed for Eritrea as "worked in Kenya"
    everyone = p._experience(store, "D")
    assert (everyone["P"].programmes, everyone["P"].countries) == (1, frozenset())
    assert everyone["L"].countries == frozenset({"GHA"}) and "P" not in p._present(store)["GHA"]
    rows = {r["org"]: r for r in match(store, "KEN", theme="D", min_evidence=1)}
    assert (rows["L"]["parts"]["proximity"], rows["L"]["in_region"]) == (0.5, True)  # GHA: Africa, not Eastern Africa
    assert (rows["P"]["parts"]["proximity"], rows["P"]["in_region"]) == (0.0, False)
    assert rows["P"]["explanation"].endswith("; no programme in Africa on record: listed after those with one")


def test_match_says_which_themes_a_country_has(tmp_path: Path) -> None:
    """`ccb match KEN` printed one row, theme E "too little evidence", and nothing said that Kenya has programmes on
    A to D: the note under the rows names the themes met, from the same programmes `match` reads."""
    from queries.profile import themes_met

    db = tmp_path / "g.lbdb"
    with EmbeddedStore(db) as s:
        s.write(Batch().extend(with_bloc()))
        assert themes_met(s, "KEN") == ["A", "C"] and themes_met(s, "Ghana") == ["C"]
        lacks = {r["theme"] for r in match(s, "KEN", min_evidence=1)}
    assert lacks == {"B", "D", "E"}  # the rows: the other themes, so the note and the rows split A-E between them
    out = CliRunner().invoke(cli, ["--db", str(db), "match", "KEN"], catch_exceptions=False)
    assert out.exit_code == 0 and "themes with a programme in KEN already (any year): A, C" in out.stdout
    json_out = CliRunner().invoke(cli, ["--db", str(db), "match", "KEN", "--format", "json"], catch_exceptions=False)
    assert json.loads(json_out.stdout) and "A, C" in json_out.stderr  # stdout stays JSON; the note goes beside it
    themed = CliRunner().invoke(cli, ["--db", str(db), "match", "KEN", "--theme", "C"], catch_exceptions=False)
    assert "already" not in themed.stdout  # with --theme the question is who else works on it: no note


def test_match_limit_ranks_as_many_as_asked(tmp_path: Path) -> None:
    """With --theme, --limit 15 gives the first 15 (it stopped at the 10 given without one), --limit 3 the first 3."""
    from tests.queries.test_grouped import rich_records

    db = tmp_path / "g.lbdb"
    with EmbeddedStore(db) as s:
        s.write(Batch().extend(rich_records(seed=7)))
        iso3 = s.query("MATCH (c:Country) RETURN c.iso3 AS iso3 ORDER BY iso3 LIMIT 1")[0]["iso3"]
        ranked = [r for r in match(s, iso3, theme="A", limit=40, min_evidence=0) if r["org"]]
    assert len(ranked) > 15  # the seeded graph has more than 15 to rank

    def rows(*args: str) -> list:
        out = CliRunner().invoke(cli, ["--db", str(db), "match", iso3, *args, "--format", "json"], catch_exceptions=False)
        return json.loads(out.stdout)

    assert [r["org"] for r in rows("--theme", "A", "--limit", "15")] == [r["org"] for r in ranked[:15]]
    assert [r["org"] for r in rows("--theme", "A", "--limit", "3")] == [r["org"] for r in ranked[:3]]


def test_a_programme_an_organisation_funds_and_implements_is_one_row(demo: Path) -> None:
    """The World Bank's page listed its CSIRT projects twice, once per role, so its programmes read as more."""
    with EmbeddedStore(demo, read_only=True) as s:
        rows = dict(profile(s, "World Bank"))["Programmes"]
        held = s.query(
            "MATCH (o:Organisation {id: 'world-bank'})-[r:FUNDS|IMPLEMENTS]->(p:Programme) RETURN p.id AS p, label(r) AS r"
        )
    assert [r["programme"] for r in rows] == sorted({h["p"] for h in held})
    both = {h["p"] for h in held if h["r"] == "FUNDS"} & {h["p"] for h in held if h["r"] == "IMPLEMENTS"}
    assert both and all(r["roles"] == ["FUNDS", "IMPLEMENTS"] for r in rows if r["programme"] in both)


def test_without_a_theme_the_limit_is_per_theme(demo: Path) -> None:
    """`ccb match Eritrea --limit 3` gave its first unmet theme alone, as if no one could help on the others."""
    with EmbeddedStore(demo, read_only=True) as s:
        every = [(r["theme"], r["org"]) for r in match(s, "ERI", limit=3)]
    out = CliRunner().invoke(cli, ["--db", str(demo), "match", "Eritrea", "--limit", "3", "--format", "json"])
    shown = [(r["theme"], r["org"]) for r in json.loads(out.stdout)]
    assert shown == every
    assert {t for t, org in shown if org} == {"A", "B", "C", "D"}  # E: too little evidence, one row saying so
    assert all(sum(t == theme for t, _ in shown) <= 3 for theme in "ABCDE")


def test_a_country_outside_the_recipients_is_not_matched(store: Store) -> None:
    """`ccb match GBR` offered the World Bank to help the United Kingdom with its policy: a high-income country, a
    territory or a state under UN sanctions gives one row saying it is no recipient; --all-countries matches a
    high-income one anyway (never a restricted one)."""
    from graph.examples import gaps_records

    store.write(Batch().extend(gaps_records()))
    (row,) = match(store, "GBR", theme="C", min_evidence=1)
    assert (row["org"], row["name"], row["score"]) == ("", "not a recipient", None)
    assert "left out of the gaps model's recipients (high income)" in row["explanation"]
    assert [r["org"] for r in match(store, "GBR", theme="C", min_evidence=1, all_countries=True)]  # ranked anyway
    assert all(r["org"] for r in match(store, "NPL", theme="C", min_evidence=1))  # a recipient: as before
    out = (
        CliRunner().invoke(cli, ["--db", str(store.location), "match", "GBR", "--format", "json"])
        if store.kind == "embedded"
        else None
    )
    if out is not None:
        assert out.exit_code == 0 and json.loads(out.stdout)[0]["name"] == "not a recipient"
    from queries import report

    uk = report.brief(store, country="GBR")
    assert "It is not ranked: high income." in uk.summary and [r["name"] for r in uk.ideas] == ["not a recipient"]


def test_a_partner_only_organisation_has_a_page(tmp_path: Path) -> None:
    """`ccb profile civipol` failed whole, and its app page answered 404 (74 of 900 pages a crawl of the app
    reached), because an organisation that only partners in others' programmes has no places of its own to
    suggest partners from: the page now stands, its partnership section empty with that reason."""
    from graph.examples import SRC, gaps_records
    from graph.model import Implements, Organisation
    from queries import profile as p
    from visualisations.app import create_app

    db = tmp_path / "g.lbdb"
    with EmbeddedStore(db) as s:
        s.write(
            Batch().extend(
                [
                    *gaps_records(),
                    Organisation(id="helper", name="Helper", source=SRC),
                    Implements(src="i1", dst="pA", role="lead", source=SRC),
                    Implements(src="helper", dst="pA", role="partner", source=SRC),
                ]
            )
        )
        sections = dict(p.profile(s, "helper"))
        assert sections["Programmes"] and sections["Partnership opportunities"] == []
        assert p.no_partners_because(s, "helper").endswith(
            "it only partners in others' (partners are suggested from where an organisation acts itself)"
        )
        assert (
            p.no_partners_because(s, "i1").startswith("no organisation shares")
            or dict(p.profile(s, "i1"))["Partnership opportunities"]
        )
    out = CliRunner().invoke(cli, ["--db", str(db), "profile", "helper"], catch_exceptions=False)
    assert out.exit_code == 0 and "Helper funds or delivers no programme of its own" in out.output
    with EmbeddedStore(db, read_only=True) as s:
        page = create_app(s).test_client().get("/organisation/helper")
    assert page.status_code == 200 and "Helper funds or delivers no programme of its own" in page.get_data(as_text=True)


def test_antarctica_is_no_recipient_on_the_bundled_data(demo: Path) -> None:
    """`ccb match ATA` offered the World Bank and the EU to help Antarctica: it has no M49 region, and a gap in the data
    is no reason to refuse, so it passed as a recipient. It is no state (sovereignty "International"): not a
    recipient, said as such in match and in the gaps' not-ranked line."""
    from queries import analysis

    store = EmbeddedStore(demo, read_only=True)
    try:
        (row,) = match(store, "ATA")
        assert (row["org"], row["name"]) == ("", "not a recipient")
        assert "left out of the gaps model's recipients (not a state)" in row["explanation"]
        assert analysis.gaps(store).not_ranked.get("ATA") == "not a state"
    finally:
        store.close()


def test_matches_for_a_country_the_gaps_model_does_not_rank_say_so(demo: Path) -> None:
    """`ccb match VAT` ranked the World Bank to help the Holy See with no word that the gaps model leaves it out (no
    World Bank income group: a gap in the data, so match answers). The answer now says it is not ranked, and why."""
    said = "Holy See (Vatican City State) is not ranked by the gaps model (no World Bank income group): these are who"
    out = CliRunner().invoke(cli, ["--db", str(demo), "match", "VAT"])  # a table: the note under it
    assert out.exit_code == 0 and said in " ".join(out.stdout.split()), out.stdout
    out = CliRunner().invoke(cli, ["--db", str(demo), "match", "VAT", "--format", "json"])  # JSON: the note on stderr
    assert out.exit_code == 0 and said in out.stderr and json.loads(out.stdout)[0]["org"]
    kenya = CliRunner().invoke(cli, ["--db", str(demo), "match", "KEN"])
    assert kenya.exit_code == 0 and "not ranked by the gaps model" not in kenya.output


def test_a_profile_opens_with_what_a_reader_looks_for_first(demo: Path) -> None:
    """A country's page put its rank and who funds it after every index score and programme: a reader scrolled past
    four tables to learn that Eritrea ranks first. Its first lines now say so, each figure as the tables under it give
    it, on the command's page (stderr beside JSON), the app's and the MCP answer."""
    runner = CliRunner()
    out = runner.invoke(cli, ["--db", str(demo), "profile", "KEN", "--format", "json"])
    rows, lead = json.loads(out.stdout), out.stderr.splitlines()
    support = [r for r in rows if r["section"] == "Supported by"]
    (gap,) = [r for r in rows if r["section"] == "Gap"]
    gaps = json.loads(runner.invoke(cli, ["--db", str(demo), "gaps", "--format", "json"]).stdout)
    ranked = [r["priority"] for r in gaps if r["priority"] is not None]
    assert lead[0].startswith(f"Kenya ranks {1 + sum(p > gap['priority'] for p in ranked)} of {len(ranked)} by priority")
    donors = [r for r in support if r["funder"]]
    top = max(r["programmes"] for r in donors)
    assert lead[1].startswith(
        f"{gap['programmes']} programmes name it as a beneficiary (a family once), "
        f"{len({p for r in donors for p in r['programme_ids']})} with a funder recorded, from {gap['funders']} donors: "
        f"most from {' and '.join(r['funder_name'] for r in donors if r['programmes'] == top)} ({top} programmes each); "
        f"{gap['regional']} regional programmes reach it"
    )
    # the themes its programmes cover, as the Gap row gives them, and by name those none is on (it gave "A, B, C, D"
    # and left the reader to work out which was missing and what it was)
    missing = [f"{t} ({n})" for t, n in THEMES.items() if t not in gap["themes"]]
    assert missing and f"; none is on {missing[-1]}." in " ".join(lead) and len(gap["themes"]) < len(THEMES)
    assert f"Its programmes cover {len(gap['themes'])} of the 5 GFCE themes ({', '.join(gap['themes'])})" in lead[2]
    # a country named by one programme: "Its programme covers", not "Its programmes cover 1 of the 5"
    one = next(r for r in gaps if r["programmes"] == 1 and r["themes"])
    said = runner.invoke(cli, ["--db", str(demo), "profile", one["iso3"], "--format", "json"]).stderr
    assert f"Its programme covers {len(one['themes'])} of the 5 GFCE themes" in said and "Its programmes" not in said
    table = runner.invoke(cli, ["--db", str(demo), "profile", "Eritrea"]).stdout
    assert table.startswith("Eritrea ranks 1 of ") and table.index("No programme names it") < table.index("\nCountry\n")
    # an agency's standing is its donor's row, said so, and its own as an implementer
    out = runner.invoke(cli, ["--db", str(demo), "profile", "uk-fcdo", "--format", "json"])
    progs = [r for r in json.loads(out.stdout) if r["section"] == "Programmes"]
    funds = sum("FUNDS" in r["roles"] for r in progs)
    assert out.stderr.startswith(f"Foreign, Commonwealth & Development Office (government, United Kingdom) funds {funds} ")
    assert "Its funding counts with its donor, Government of the United Kingdom, which ranks " in out.stderr
    assert "As an implementer, it ranks " in out.stderr
    # a donor's own funding, a family once, beside its funding with its agencies: the EU's page said 53 (its records,
    # umbrellas and their components both), then 51 as a donor
    out = runner.invoke(cli, ["--db", str(demo), "profile", "eu", "--format", "json"])
    (donor,) = [r for r in json.loads(out.stdout) if r["section"] == "As a donor (through its agencies)"]
    own = int(out.stderr.split(" funds ", 1)[1].split()[0])
    assert own <= donor["programmes"] and f"it funds {donor['programmes']} programmes" in out.stderr
    # a programme's first section already says what it is
    assert runner.invoke(cli, ["--db", str(demo), "profile", "cybereast"]).stdout.startswith("Programme\n")


def test_experience_counts_a_family_once(demo: Path) -> None:
    """A match's experience counted an umbrella and its component as two programmes: Impact Amplifier's two on theme
    D were one fund and its 2023 cohort, which made it the plan's second implementer for the Central African
    Republic (two or more needed). Experience is now each organisation's programmes on the theme, a family once."""
    from graph.store import cached
    from queries import catalogue, facts, network
    from queries.profile import _experience

    with EmbeddedStore(demo, read_only=True) as raw:
        s = cached(raw)
        act, families, progs = network.whole_activity(s), facts.components(s), catalogue.by_id(s)
        for delivered, held in ((False, act.programmes), (True, act.implemented)):
            for t in "ABCDE":
                exp = _experience(s, t, delivered)
                for org, ps in held.items():
                    once = facts.count_once({p for p in ps if t in (progs[p]["themes"] or [])}, families)
                    assert (exp[org].programmes if org in exp else 0) == len(once), (org, t, delivered)
        assert _experience(s, "D", delivered=True)["impact-amplifier"].programmes == 1
        (row,) = [r for r in match(s, "CAF", theme="D", limit=100) if r["org"] == "impact-amplifier"]
        assert row["explanation"].startswith("experience 1 (1 programme(s) on theme D)")
