"""Every command speaks the same language (issue 14): names, widths, raw values, empty answers, --db and demo."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import cli
from graph.embedded import EmbeddedStore
from graph.model import THEMES, Country, Funds, Implements, Organisation, PartOf, Programme, Targets
from graph.store import Batch, Store
from queries import analysis, network, profile, terms
from queries.terms import UnknownName
from tests.conftest import Bolt

SRC = "https://example.org/test"


def records() -> list:
    return [
        Country(
            iso3="KEN",
            iso2="KE",
            name="Kenya",
            region="Africa",
            subregion="Eastern Africa",
            sovereignty="independent",
            income_group="Lower middle income",
            source=SRC,
        ),
        Country(
            iso3="CIV",
            iso2="CI",
            name="Côte d'Ivoire",
            region="Africa",
            subregion="Western Africa",
            sovereignty="independent",
            income_group="Lower middle income",
            source=SRC,
        ),
        Country(
            iso3="GBR",
            iso2="GB",
            name="United Kingdom",
            region="Europe",
            subregion="Northern Europe",
            sovereignty="independent",
            income_group="High income",
            source=SRC,
        ),
        Organisation(id="gov-gbr", name="Government of the United Kingdom", kind="government", country="GBR", source=SRC),
        Organisation(
            id="uk-fcdo",
            name="Foreign, Commonwealth & Development Office",
            aliases=["FCDO"],
            kind="government",
            country="GBR",
            source=SRC,
        ),
        Organisation(
            id="unodc", name="United Nations Office on Drugs and Crime", aliases=["UNODC"], kind="intergovernmental", source=SRC
        ),
        PartOf(src="uk-fcdo", dst="gov-gbr", source=SRC),
        Programme(id="p1", name="Cybercrime in East Africa", themes=["C"], start_date="2019", end_date="2022", source=SRC),
        Programme(id="p2", name="Incident response in West Africa", themes=["B"], start_date="2020", source=SRC),
        Funds(src="uk-fcdo", dst="p1", source=SRC),
        Funds(src="uk-fcdo", dst="p2", source=SRC),
        Implements(src="unodc", dst="p1", source=SRC),
        Implements(src="unodc", dst="p2", source=SRC),
        Targets(src="p1", dst="KEN", source=SRC),
        Targets(src="p2", dst="CIV", source=SRC),
    ]


@pytest.fixture
def graph(store: Store) -> Store:
    store.write(Batch().extend(records()))
    return store


def test_one_rule_for_names_in_every_analysis(graph: Store) -> None:
    kenya = analysis.supports(graph, country="KEN")
    for typed in ("kenya", "KENYA", "KE", "ken", " Kenya "):
        assert analysis.supports(graph, country=typed.strip()) == kenya, typed
    assert analysis.supports(graph, country="cote d'ivoire") == analysis.supports(graph, country="Côte d'Ivoire") != []
    # an organisation by id, name or alias, and a donor state by its country's name
    fcdo = analysis.supports(graph, funder="uk-fcdo", by="funder")
    for typed in ("FCDO", "fcdo", "Foreign, Commonwealth and Development Office", "UK", "United Kingdom", "gov-gbr"):
        assert analysis.supports(graph, funder=typed, by="funder") == fcdo, typed
    # themes by letter in any case or by name, regions in any case
    assert (
        analysis.supports(graph, theme="c") == analysis.supports(graph, theme="Cybercrime") == analysis.supports(graph, theme="C")
    )
    assert (
        analysis.concentration(graph, region="eastern africa", min_programmes=1)
        == analysis.concentration(graph, region="Eastern Africa", min_programmes=1)
        != []
    )
    assert [s[0] for s in profile.profile(graph, "kenya")][0] == "Country"
    assert profile.match(graph, "Kenya", theme="incidents") == profile.match(graph, "KEN", theme="B")
    assert network.partners(graph, org="UNODC") == network.partners(graph, org="unodc")


def test_one_error_for_unknown_names_everywhere(graph: Store) -> None:
    said = "no country 'Kenia' in the graph (did you mean Kenya (KEN)?)"
    for call in (lambda: analysis.supports(graph, country="Kenia"), lambda: profile.match(graph, "Kenia")):
        with pytest.raises(UnknownName) as e:
            call()
        assert str(e.value) == said
    with pytest.raises(
        UnknownName, match=r"^no country, organisation or programme 'Kenia' in the graph \(did you mean Kenya \(KEN\)"
    ):
        profile.profile(graph, "Kenia")
    with pytest.raises(UnknownName, match=r"no organisation 'UNDOC' in the graph \(did you mean .*\(unodc\)"):
        network.partners(graph, org="UNDOC")
    # a region is checked the same way whichever analysis asks
    for call in (
        lambda: analysis.concentration(graph, region="Atlantis"),
        lambda: analysis.gaps(graph, region="Atlantis"),
        lambda: analysis.theme_gaps(graph, region="Atlantis"),
    ):
        with pytest.raises(UnknownName, match="^no region or sub-region 'Atlantis' in UN M49"):
            call()
    with pytest.raises(UnknownName, match="did you mean Western Africa"):
        analysis.gaps(graph, region="Westren Africa")
    with pytest.raises(UnknownName, match="^unknown GFCE theme 'Z'"):
        analysis.supports(graph, theme="Z")
    with pytest.raises(Exception, match="--to 2019 is before --from 2020"):
        analysis.Window(2020, 2019)
    with pytest.raises(Exception, match="--from 20200 is not a year"):
        analysis.Window(20200, None)


@pytest.mark.parametrize(
    "said, area",
    [("West Africa", "Western Africa"), ("southeast asia", "South-eastern Asia"), ("Central Africa", "Middle Africa")],
)
def test_a_region_by_its_everyday_name(demo: Path, said: str, area: str) -> None:
    rows = json.loads(ccb("--db", str(demo), "gaps", "--region", said, "--format", "json").stdout)
    assert rows and {r["subregion"] for r in rows} == {area}


@pytest.mark.parametrize(
    "said, hint",
    [
        # UN M49 has Sub-Saharan Africa: "no region or sub-region ... in UN M49" was untrue, and its hint was Southern Africa
        ("Sub-Saharan Africa", "split here into its intermediate regions: give Eastern, Middle, Southern or Western Africa"),
        ("Latin America and the Caribbean", "give Caribbean, Central America or South America"),
        ("Middle East", "not a UN M49 area: give Western Asia or Northern Africa"),  # its hint was Middle Africa
    ],
)
def test_a_grouping_that_is_no_one_area_says_what_to_give(demo: Path, said: str, hint: str) -> None:
    out = ccb("--db", str(demo), "gaps", "--region", said)
    assert out.exit_code == 1 and f"'{said}' is not one area here" in out.stderr and hint in out.stderr


def test_terms_are_pure() -> None:
    t = terms.Terms.from_rows([{"iso3": "COD", "iso2": "CD", "name": "Congo, The Democratic Republic of the"}], [])
    assert {t.country(x) for x in ("DRC", "Democratic Republic of the Congo", "congo, the democratic republic of the", "CD")} == {
        "COD"
    }
    assert terms.region("SOUTH-EASTERN ASIA") == "South-eastern Asia" and terms.level_of("Africa") == "region"


REFERENCE = Path(__file__).resolve().parents[1] / "loaders" / "data" / "reference"


def test_a_name_pasted_from_a_reference_table_finds_its_country(demo: Path) -> None:
    """The World Bank's "Egypt, Arab Rep.", the GCI's "St. Lucia" and UN M49's "Côte d’Ivoire" (a typographic
    apostrophe) named no country; every name the bundled tables give now finds its own."""
    with EmbeddedStore(demo, read_only=True) as store:
        t = terms.Terms.of(store)
    tables = {
        "wb_class_fy25.csv": ["economy"],
        "itu_gci_2024.csv": ["country"],
        "itu_gci_2020.csv": ["country"],
        "country_flags_datasets_country_codes.csv": ["name_en_cldr", "official_name_en"],
    }
    wrong = [
        (table, row["iso3"], row[col], t.find_country(row[col]))
        for table, cols in tables.items()
        for row in csv.DictReader((REFERENCE / table).open(encoding="utf-8"))
        for col in cols
        if row["iso3"] in t.country_names and row[col] and t.find_country(row[col]) != row["iso3"]
    ]
    assert wrong == []
    assert [t.find_country(x) for x in ("St Lucia", "Sao Tome", "bosnia", "Micronesia", "Congo")] == [
        "LCA", "STP", "BIH", "FSM", "COG"
    ]  # fmt: skip


def test_an_organisation_by_the_name_people_use(demo: Path) -> None:
    """ "CoE" was in the identity table the IATI loader reads, but not among the Council of Europe's aliases in the
    graph, so `ccb profile CoE` found nothing; "Home Office" found only its near misses."""
    with EmbeddedStore(demo, read_only=True) as store:
        t = terms.Terms.of(store)
    said = ("CoE", "Home Office", "Dutch Ministry of Foreign Affairs", "FCDO", "GCSCC", "Auswärtiges Amt")
    assert [t.find_organisation(x) for x in said] == [
        "council-of-europe", "uk-home-office", "nld-mfa", "uk-fcdo", "gcscc", "german-federal-foreign-office"
    ]  # fmt: skip


def ccb(*args: str, env: dict[str, str] | None = None, columns: int = 80) -> Result:
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": str(columns), **(env or {})})


HEADLINES = {  # command: the columns a reader must see in the table, at any width
    ("gaps", "--limit", "10"): ["iso3", "country", "need", "programmes", "priority"],
    ("supports", "--country", "KEN"): ["funder", "funder_name", "programmes"],
    ("match", "KEN"): ["theme", "org", "name", "score"],
    ("concentration", "--limit", "10"): ["iso3", "country", "hhi"],
    ("partners", "--limit", "5"): ["a", "a_name", "b", "score"],
    ("brokers", "--limit", "5"): ["org", "name", "rank", "betweenness"],
    ("communities",): ["community", "size"],
    ("breakdown", "--by", "funder"): ["funder", "programmes"],
    ("profile", "KEN"): ["iso3", "name", "funder"],
    ("gaps", "--by", "theme", "--limit", "5"): ["iso3", "country", "need"],
    ("timeline", "--only", "Kenya"): ["group", "2024"],
    # its second table, the top-ups, has a title longer than 80 characters
    ("plan", "--budget", "GBP 5000000", "--donor", "UK"): ["iso3", "theme", "grants", "amount", "programme"],
}


@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("args", list(HEADLINES), ids=[" ".join(a) for a in HEADLINES])
def test_tables_fit_the_terminal_and_keep_their_key_columns(demo: Path, args: tuple[str, ...], columns: int) -> None:
    out = ccb("--db", str(demo), *args, columns=columns)
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines and max(len(line) for line in lines) <= columns, max(lines, key=len)
    notes = out.stderr.splitlines() or [""]  # what is said beside the table fits too
    assert max(len(line) for line in notes) <= columns, max(notes, key=len)
    headers = [line.split() for line in lines]
    for col in HEADLINES[args]:
        assert any(col in h for h in headers), (col, args)
    wide = ccb("--db", str(demo), *args, "--wide", columns=columns)
    assert max(len(line) for line in wide.stdout.splitlines()) > columns or "not shown" not in out.stderr


def test_gaps_at_80_columns_shows_names_priorities_and_explanations(demo: Path) -> None:
    rows = json.loads(ccb("--db", str(demo), "gaps", "--limit", "3", "--format", "json").stdout)
    text = ccb("--db", str(demo), "gaps", "--limit", "3").stdout
    for r in rows:
        line = next(x for x in text.splitlines() if x.startswith(r["iso3"]))
        assert r["country"] in line and line.rstrip().endswith(str(r["priority"]))
    assert text.count("explanation: need") == 3  # each explanation whole, under its row
    joined = " ".join(x.strip() for x in text.splitlines())
    assert all(r["explanation"].split(";")[0] in joined for r in rows)


@pytest.mark.parametrize("args", [("gaps", "--by", "theme", "--limit", "3"), ("timeline", "--by", "theme")])
def test_a_table_of_theme_letters_says_what_they_stand_for(demo: Path, args: tuple[str, ...]) -> None:
    """Gaps and coverage by theme gave letters alone ("B 139"), which say nothing outside the GFCE."""
    out = ccb("--db", str(demo), *args)
    joined = " ".join(x.strip() for x in out.stdout.splitlines())
    assert "B Cyber Incident Management & Critical Infrastructure Protection" in joined and "C Cybercrime" in joined


@pytest.mark.parametrize(
    ("args", "letters"),
    [
        (("partners", "--limit", "3"), "A B D"),
        (("partners", "--funder", "Japan", "--limit", "3"), "A B C D"),
        (("match", "KEN"), "A B C D E"),  # the row is E; the note names those it has already, A to D
        (("match", "ERI", "--theme", "cybercrime", "--limit", "2"), "C"),
        (("programmes", "--country", "Kenya", "--theme", "C"), "A C"),
        (("organisations", "--country", "KEN"), "A B D"),
        (("breakdown", "--by", "theme"), ""),  # each letter is named in its row already: no legend
    ],
)
def test_tables_say_what_their_theme_letters_stand_for(demo: Path, args: tuple[str, ...], letters: str) -> None:
    """`ccb partners` gave shared themes as "A; B; D", `ccb match` its rows and the themes met, `ccb programmes` and
    `ccb organisations` their themes, as letters alone; each now has the legend of the letters it shows."""
    out = ccb("--db", str(demo), *args)
    joined = " ".join(x.strip() for x in out.stdout.splitlines())
    legend = joined.split("themes: ", 1)[1] if "themes: " in joined else ""
    assert all(f"{t} {THEMES[t]}" in legend for t in letters.split()), joined[-400:]
    assert bool(legend) == bool(letters)
    assert all(f"{t} {n}" not in legend for t, n in THEMES.items() if t not in letters.split())  # only its own


def test_the_demo_briefing_says_what_its_theme_letters_stand_for(tmp_path: Path) -> None:
    """The demo's "Who serves each region" gave "A; B; C; D" and no_programme_on "E", and the partnership its
    shared themes, as letters alone: a minister's adviser reads "no programme on E" as nothing."""
    out = ccb("--db", str(tmp_path / "d.lbdb"), "demo")
    assert out.exit_code == 0, out.stderr
    tail = " ".join(x.strip() for x in out.stdout.split("Who serves each region", 1)[1].splitlines())
    serves = tail.split("A partnership to explore", 1)[0]
    assert all(f"{t} {n}" in serves for t, n in THEMES.items()), serves


def test_who_supports_whom_shows_the_country_beside_its_donor_at_80_columns(demo: Path) -> None:
    """`ccb supports` left the country out at 80 columns (its agencies kept): two rows of "Government of Australia,
    8" with no country read as one donor counted twice."""
    rows = json.loads(ccb("--db", str(demo), "supports", "--limit", "5", "--format", "json").stdout)
    lines = ccb("--db", str(demo), "supports", "--limit", "5").stdout.splitlines()
    assert lines[0].split()[:5] == ["funder", "funder_name", "country", "country_name", "programmes"]
    rows_shown = [x for x in lines[2:] if not x.startswith(" ")][: len(rows)]  # the notes follow
    assert [x.split()[0] for x in rows_shown] == [r["funder"] for r in rows]
    assert all(r["country"] in x and r["country_name"] in x for r, x in zip(rows, rows_shown, strict=True))


def test_kenya_supporters_show_their_funders_at_80_columns(demo: Path) -> None:
    rows = json.loads(ccb("--db", str(demo), "supports", "--country", "kenya", "--format", "json").stdout)
    text = ccb("--db", str(demo), "supports", "--country", "kenya").stdout
    assert rows and all(r["funder"] in text and r["funder_name"].split()[0] in text for r in rows)
    # a row's implementers are its programmes' anywhere (CARICOM IMPACS under the UK's row), and the table says so
    assert "implementers: those of the programmes wherever they run" in " ".join(text.split())
    page = " ".join(ccb("--db", str(demo), "profile", "kenya").stdout.split())
    assert "Supported by" in page and "implementers: those of the programmes wherever they run" in page


def test_csv_and_json_carry_raw_values(demo: Path) -> None:
    rows = list(
        csv.DictReader(
            io.StringIO(ccb("--db", str(demo), "breakdown", "--by", "funder", "--measure", "amount", "--format", "csv").stdout)
        )
    )
    assert rows and all("," not in r["amount"] for r in rows) and float(rows[0]["amount"]) > 10_000
    gaps = list(csv.DictReader(io.StringIO(ccb("--db", str(demo), "gaps", "--format", "csv").stdout)))
    assert float(gaps[0]["priority"]) > 0 and "; " not in "".join(r["themes"] for r in gaps)
    eu = json.loads(ccb("--db", str(demo), "supports", "--funder", "eu", "--by", "funder", "--format", "json").stdout)[0]
    assert isinstance(eu["budget"]["EUR"], float) and isinstance(eu["countries"], list)
    eu_csv = next(
        csv.DictReader(
            io.StringIO(ccb("--db", str(demo), "supports", "--funder", "eu", "--by", "funder", "--format", "csv").stdout)
        )
    )
    # sums per currency: one number column per currency, not "EUR 4200000.0" to parse
    assert float(eu_csv["budget_EUR"]) == eu["budget"]["EUR"] and eu_csv["countries"] == ";".join(eu["countries"])
    assert "budget" not in eu_csv
    plan = ("plan", "--budget", "GBP 1000000", "--donor", "UK", "--grant-size", "250000", "--format", "csv")
    grants = list(csv.DictReader(io.StringIO(ccb("--db", str(demo), *plan).stdout)))
    assert sum(float(r["amount_GBP"]) for r in grants) == 1_000_000


@pytest.mark.parametrize(
    "args,why",
    [
        (
            ("supports", "--country", "kenya", "--theme", "standards"),
            "no programme for country kenya, theme E: widen or drop a filter",
        ),
        # no filter to drop: the country itself has no programme naming it, and the profile shows what reaches it
        (("supports", "--country", "Eritrea"), "no programme names Eritrea as a beneficiary; `ccb profile Eritrea` shows"),
        (("gaps", "--region", "australia and new zealand"), "no recipient state ranked for region Australia and New Zealand"),
        (("concentration", "--region", "Western Europe"), "no country with funded programmes for region Western Europe"),
        (("breakdown", "--by", "year", "--to", "2000"), "no programme for years 2000 or earlier"),
        (("duplicates", "--threshold", "100"), "no two organisations look like the same body at similarity 100"),
        (("query", "MATCH (c:Country {iso3: 'ZZZ'}) RETURN c"), "the query returned no rows"),
    ],
)
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_an_empty_answer_says_why(demo: Path, args: tuple[str, ...], why: str, fmt: str) -> None:
    out = ccb("--db", str(demo), *args, "--format", fmt)
    assert out.exit_code == 0, out.stderr
    said = out.stderr.splitlines()
    assert why in said[0]  # first; `gaps` then prints its usual notes (who was left out)
    assert out.stdout.strip() == "[]" if fmt == "json" else "─" not in out.stdout
    if fmt == "table":  # it fits the terminal as the table's notes do (duplicates' line was 102 characters)
        assert max(map(len, said)) <= 80, said
    # an empty ranking has no top whose stability to report ("keeps at least 0 of the top 0")
    assert "of the top 0" not in out.stderr


def test_profile_sections_say_why_they_are_empty(demo: Path) -> None:
    out = ccb("--db", str(demo), "profile", "Eritrea")
    assert out.exit_code == 0
    assert "\nSupported by\n" in out.stdout and "(no rows)" not in out.stdout + out.stderr
    # the reason once, under the title the table would have had, not after a second copy of the title
    assert "  no funded programme targets Eritrea" in out.stderr.splitlines() and "Supported by" not in out.stderr


def test_an_empty_store_says_so(tmp_path: Path) -> None:
    db = tmp_path / "fresh.lbdb"
    assert ccb("--db", str(db), "init").exit_code == 0
    out = ccb("--db", str(db), "supports", "--country", "Kenya")
    assert out.exit_code == 0 and "holds no programmes yet" in out.stderr and "`ccb demo`" in out.stderr


def test_demo_follows_db_and_never_replaces_a_graph_it_did_not_build(tmp_path: Path) -> None:
    mine = tmp_path / "mine.lbdb"
    assert ccb("--db", str(mine), "init").exit_code == 0
    with EmbeddedStore(mine) as s:
        before = s.counts()
    refused = ccb("--db", str(mine), "demo")
    assert refused.exit_code == 1 and refused.stderr.startswith(f"Error: {mine} holds a graph (")
    assert "pass --yes" in refused.stderr
    with EmbeddedStore(mine) as s:
        assert s.counts() == before
    # the global --db and the demo's own --db mean the same; a demo store is rebuilt without asking
    fresh = tmp_path / "fresh.lbdb"
    assert ccb("--db", str(fresh), "demo", "--format", "json").exit_code == 0
    again = ccb("demo", "--db", str(fresh), "--format", "json")
    assert again.exit_code == 0 and f"export CCB_DB={fresh}" in again.stderr
    replaced = ccb("--db", str(mine), "demo", "--yes", "--format", "json")
    assert replaced.exit_code == 0
    with EmbeddedStore(mine) as s:
        assert s.counts()["Programme"] > 100


def test_demo_on_neo4j_asks_before_replacing(bolt: Bolt) -> None:
    env = bolt.env()
    s = bolt.store()
    s.clear()
    s.write(Batch().extend(records()))
    s.close()
    refused = ccb("--db", bolt.uri, "demo", env=env)
    assert refused.exit_code == 1 and "holds a graph" in refused.stderr and "pass --yes" in refused.stderr
    with bolt.store() as s2:
        assert s2.counts()["Programme"] == 2
    built = ccb("--db", bolt.uri, "demo", "--yes", "--format", "json", env=env)
    assert built.exit_code == 0, built.stderr
    with bolt.store() as s3:
        assert s3.counts()["Programme"] > 100
    kenya = ccb("--db", bolt.uri, "supports", "--country", "kenya", "--format", "json", env=env)
    assert kenya.exit_code == 0 and {r["funder"] for r in json.loads(kenya.stdout)} >= {"gov-gbr", "eu"}
    s4 = bolt.store()
    s4.clear()
    s4.close()


def test_a_country_s_need_indicators_cite_their_source(demo: Path) -> None:
    # the profile showed GCI scores with no source: now each edition's source once under the table, each row's in JSON
    text = " ".join(ccb("--db", str(demo), "profile", "KEN").stdout.split())
    assert "source, gci 2024: ITU Global Cybersecurity Index 2024" in text and text.count("source, gci 2024") == 1
    rows = json.loads(ccb("--db", str(demo), "profile", "KEN", "--format", "json").stdout)
    need = [r for r in rows if r["section"] == "Need indicators"]
    assert need and all(r["source"] for r in need)
    # the headline score is the overall one, as the GCI change table names it, not a row with a blank pillar
    assert {r["edition"] for r in need if r["pillar"] == "overall"} == {"2020", "2024"} and all(r["pillar"] for r in need)
    # a score reads as a reader reads it (ITU's tables give 2 decimals): 99.54, not 99.5399; JSON keeps it whole
    raw = next(r["score"] for r in need if r["edition"] == "2020" and r["pillar"] == "overall")
    assert round(raw, 6) != round(raw, 2) and f" {float(f'{raw:.4g}'):g} " in text and f" {raw:g} " not in text
    # a CMM review on record has no stage or score in the graph: its row says "reviewed", not "overall" and blanks
    uk = json.loads(ccb("--db", str(demo), "profile", "GBR", "--format", "json").stdout)
    cmm = [r for r in uk if r["section"] == "Need indicators" and r["family"] == "cmm"]
    assert [(r["edition"], r["pillar"], r["score"]) for r in cmm] == [("reviews to 2020", "reviewed", None)]


def test_a_currency_is_read_in_any_case_and_a_misspelt_one_is_refused(demo: Path) -> None:
    # `--currency eur` and `--currency EUO` summed nothing, silently: every row's amount empty
    args = ("--db", str(demo), "breakdown", "--by", "donor", "--measure", "amount", "--format", "json")
    exact = json.loads(ccb(*args, "--currency", "EUR").stdout)
    assert any(r["amount"] for r in exact) and json.loads(ccb(*args, "--currency", "eur").stdout) == exact
    typo = ccb(*args, "--currency", "EUO")
    assert typo.exit_code == 1 and "unknown currency 'EUO' (did you mean EUR?)" in typo.stderr and not typo.stdout


def test_a_ranking_by_amount_says_which_currency_it_sums(demo: Path) -> None:
    """`ccb breakdown --by donor --measure amount` at 80 columns hid its currency column: "158,050,000" at the top
    read as all the money, the EU's euros (in no USD sum) at the bottom. The title says which money it sums."""
    rows = json.loads(ccb("--db", str(demo), "breakdown", "--by", "donor", "--measure", "amount", "--format", "json").stdout)
    (currency,) = {r["currency"] for r in rows if r["currency"]}
    out = ccb("--db", str(demo), "breakdown", "--by", "donor", "--measure", "amount")
    assert out.stdout.startswith(f"Amounts stated in {currency}, never converted (other currencies under the table)\n")
    assert "currency" in out.stderr  # still hidden at this width: the title is what says it
    eur = ccb("--db", str(demo), "breakdown", "--by", "region", "--measure", "amount", "--currency", "eur")
    assert eur.stdout.startswith("Amounts stated in EUR, never converted")
    assert not ccb("--db", str(demo), "breakdown", "--by", "region").stdout.startswith("Amounts")  # counts: no title
