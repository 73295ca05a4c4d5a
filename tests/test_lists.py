"""`ccb programmes` and `ccb organisations`: the app's faceted lists in a terminal, checked against Cypher.

Every expected answer is read from the store by a query of its own, not from the code under test.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import cli
from graph.embedded import EmbeddedStore
from graph.store import Store
from queries import lists, terms


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=False)


def ask(db: Path, cypher: str, **params: object) -> list[dict[str, object]]:
    s = EmbeddedStore(db, read_only=True)
    try:
        return s.query(cypher, params)
    finally:
        s.close()


def ids(result: Result, key: str = "programme") -> set[str]:
    assert result.exit_code == 0, result.stderr
    return {r[key] for r in json.loads(result.stdout)}


def test_programmes_for_a_country_and_theme_are_those_that_name_it(demo: Path) -> None:
    expected = {
        r["id"]
        for r in ask(
            demo,
            "MATCH (p:Programme)-[t:TARGETS]->(c:Country {iso3: $iso3}) "
            "WHERE coalesce(t.role, 'beneficiary') = 'beneficiary' AND 'C' IN p.themes RETURN p.id AS id",
            iso3="KEN",
        )
    }
    assert len(expected) >= 3
    # a name, a theme's word: as every command reads them
    assert ids(run(demo, "programmes", "--country", "Kenya", "--theme", "cybercrime", "--format", "json")) == expected


def test_a_donor_s_agency_is_counted_with_its_donor_and_said(demo: Path) -> None:
    expected = {
        r["id"]
        for r in ask(
            demo,
            "MATCH (o:Organisation)-[:FUNDS]->(p:Programme) WHERE o.id = 'gov-gbr' OR "
            "EXISTS { MATCH (o)-[:PART_OF*1..4]->(:Organisation {id: 'gov-gbr'}) } RETURN DISTINCT p.id AS id",
        )
    }
    out = run(demo, "programmes", "--donor", "FCDO", "--format", "json")
    assert ids(out) == expected
    assert "(uk-fcdo) is counted with its donor, gov-gbr" in out.stderr


def test_a_country_no_programme_names_is_an_empty_list_not_a_mistake(demo: Path) -> None:
    assert not ask(demo, "MATCH (:Programme)-[:TARGETS]->(c:Country {iso3: 'ERI'}) RETURN c.iso3")
    out = run(demo, "programmes", "--country", "Eritrea")
    assert out.exit_code == 0
    assert out.stdout == ""
    assert "no programmes for country ERI" in out.stderr
    assert "`ccb profile ERI`" in out.stderr


def test_a_value_nothing_could_hold_is_one_clear_error(demo: Path) -> None:
    out = run(demo, "programmes", "--country", "Kenia")
    assert out.exit_code == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "'Kenia'" in lines[0] and "Kenya (KEN)" in lines[0]
    out = run(demo, "programmes", "--status", "activ")
    assert out.exit_code == 1 and "did you mean active?" in out.stderr


def test_the_table_fits_80_columns_and_keeps_who_funds(demo: Path) -> None:
    out = CliRunner(env={"COLUMNS": "80"}).invoke(
        cli, ["--db", str(demo), "programmes", "--region", "western africa"], catch_exceptions=False
    )
    assert out.exit_code == 0
    assert max(len(line) for line in out.stdout.splitlines()) <= 80
    assert "donors" in out.stdout and "ocwar-c" in out.stdout
    assert "not shown at this width" not in out.stderr or "donors" not in out.stderr.split("not shown")[1]


def test_an_id_is_never_broken_and_status_is_never_left_out(demo: Path) -> None:
    """`unodc-almaty-cybercrime-workshop-2016` was split over two lines, so it could not be copied into `ccb profile`;
    a long id now takes its width, and the status, with no room beside it, goes under the row, not out of it."""
    longest = max((r["id"] for r in ask(demo, "MATCH (p:Programme) RETURN p.id AS id")), key=len)
    for args in (["--donor", "eu"], ["--country", "IRN"], ["--search", longest], ["--theme", "C", "--limit", "500"]):
        out = CliRunner(env={"COLUMNS": "80"}).invoke(cli, ["--db", str(demo), "programmes", *args], catch_exceptions=False)
        assert out.exit_code == 0 and max(len(line) for line in out.stdout.splitlines()) <= 80
        listed = ids(CliRunner().invoke(cli, ["--db", str(demo), "programmes", *args, "--format", "json"]))
        table = out.stdout.split("\nthemes: ")[0].split(f"\n{len(listed)} programme")[0]  # the notes follow the table
        rows = [line.split(" ", 1)[0] for line in table.splitlines()[2:] if line and not line.startswith(" ")]
        assert set(rows) == listed, set(rows) ^ listed  # each row starts with a whole id, and only rows do
        assert "status" in out.stdout.splitlines()[0] or out.stdout.count("\n    status: ") == len(listed)
        assert "status" not in out.stderr  # never "not shown at this width: status"


def test_csv_carries_raw_values_sorted_as_asked(demo: Path) -> None:
    out = run(demo, "programmes", "--sort", "budget", "--desc", "--limit", "3", "--format", "csv")
    assert out.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    stated = ask(
        demo,
        "MATCH (p:Programme) WHERE p.budget IS NOT NULL RETURN p.id AS id, p.budget AS budget ORDER BY budget DESC LIMIT 3",
    )
    assert [float(r["budget"]) for r in rows] == [r["budget"] for r in stated]
    assert all(r["source"].startswith("http") and r["as_of"] for r in rows)


def test_active_years_keep_what_overlaps_them(demo: Path) -> None:
    out = run(demo, "programmes", "--from", "2024", "--to", "2024", "--format", "json")
    rows = json.loads(out.stdout)
    assert rows
    for r in rows:
        assert not r["start_date"] or r["start_date"][:4] <= "2024"
        assert not r["end_date"] or r["end_date"][:4] >= "2024"
    ended = ask(demo, "MATCH (p:Programme) WHERE p.end_date < '2024' RETURN p.id AS id")
    assert ended and not {r["id"] for r in ended} & {r["programme"] for r in rows}


def test_organisations_based_in_a_country(demo: Path) -> None:
    expected = {r["id"] for r in ask(demo, "MATCH (o:Organisation {country: 'KEN'}) RETURN o.id AS id")}
    assert len(expected) >= 3
    assert ids(run(demo, "organisations", "--country", "KEN", "--format", "json"), "id") == expected


def test_the_library_list_reads_names_on_both_stores(store: Store) -> None:
    from graph.examples import gaps_records
    from graph.store import Batch

    store.write(Batch().extend(gaps_records()))
    found = lists.listing(store, "programmes", {"country": ["kenya"]})
    assert [r["programme"] for r in found.browse.matching] == ["pA"]
    with pytest.raises(terms.UnknownName, match="did you mean Kenya"):
        lists.listing(store, "programmes", {"country": ["Kenia"]})


def test_a_programme_s_profile_by_id_or_name_gives_its_funders_and_countries(demo: Path) -> None:
    funders = ask(
        demo,
        "MATCH (o:Organisation)-[f:FUNDS]->(:Programme {id: 'ocwar-c'}) RETURN o.id AS id, f.amount AS amount, f.source AS source",
    )
    named = ask(demo, "MATCH (:Programme {id: 'ocwar-c'})-[:TARGETS]->(c:Country) RETURN c.iso3 AS iso3")
    name = ask(demo, "MATCH (p:Programme {id: 'ocwar-c'}) RETURN p.name AS name")[0]["name"]
    for asked in ("ocwar-c", str(name).upper()):
        rows = json.loads(run(demo, "profile", asked, "--format", "json").stdout)
        sections = {r["section"] for r in rows}
        assert {"Programme", "Funded by", "Implemented by", "Countries it names"} <= sections
        head = next(r for r in rows if r["section"] == "Programme")
        assert (head["programme"], head["name"]) == ("ocwar-c", name) and head["source"].startswith("http")
        got = [(r["funder"], r["amount"], r["source"]) for r in rows if r["section"] == "Funded by"]
        assert sorted(got) == sorted((f["id"], f["amount"], f["source"]) for f in funders)
        assert sorted(r["iso3"] for r in rows if r["section"] == "Countries it names") == sorted(c["iso3"] for c in named)
    table = run(demo, "profile", "ocwar-c")
    assert "EUR 7,500,000" in table.stdout and "Expertise France" in table.stdout


def test_a_programme_s_empty_sections_say_why_and_a_typo_names_it(demo: Path) -> None:
    assert not ask(demo, "MATCH (o)-[:FUNDS]->(:Programme {id: 'access-now-helpline'}) RETURN o.id")
    out = run(demo, "profile", "access-now-helpline")
    assert out.exit_code == 0
    said = " ".join(out.stderr.split())  # as wrapped to the terminal's width
    assert "no funder recorded for Access Now Digital Security Helpline" in said
    assert "names no country: it is a global programme, open to every country" in said
    # which region, not "a region or the world" (the scope's columns are hidden at 80 columns)
    hub = " ".join(run(demo, "profile", "au-gfce").stderr.split())
    assert "AU-GFCE Collaboration Project names no country: it is a regional programme for Africa" in hub
    typo = run(demo, "profile", "Octopus projec")
    assert typo.exit_code == 1 and "did you mean the programme Octopus Project (octopus)" in typo.stderr


def test_the_app_s_list_and_the_command_give_the_same_rows(demo: Path) -> None:
    from visualisations.app import create_app

    s = EmbeddedStore(demo, read_only=True)
    try:
        client = create_app(s).test_client()
        for query, args in (
            ("country=Kenya&theme=C", ("--country", "Kenya", "--theme", "C")),
            ("donor=fcdo&status=active", ("--donor", "fcdo", "--status", "active")),
        ):
            page = client.get(f"/api/programmes?{query}")
            assert page.status_code == 200
            said = run(demo, "programmes", *args, "--format", "json")
            assert said.exit_code == 0 and page.get_json() == json.loads(said.stdout)  # the same rows, sources and all
            download = client.get(f"/programmes?{query}&format=csv").get_data(as_text=True)
            assert download.splitlines()[0].endswith(",source,as_of")
        none = client.get("/api/programmes?country=Eritrea")  # a country in the graph that no programme names
        assert (none.status_code, none.get_json()) == (200, [])
    finally:
        s.close()


def test_a_programme_with_an_end_alone_reads_to_its_year(demo: Path) -> None:
    """The list gave "-2025" for a programme with an end date and no start: a typo, or a negative year, to a reader."""
    rows = ask(
        demo, "MATCH (p:Programme) WHERE p.start_date IS NULL AND p.end_date IS NOT NULL RETURN p.id AS id, p.end_date AS e"
    )
    assert rows
    pid, end = rows[0]["id"], rows[0]["e"][:4]
    out = CliRunner(env={"COLUMNS": "120"}).invoke(
        cli, ["--db", str(demo), "programmes", "--search", pid], catch_exceptions=False
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith(pid))
    assert f" to {end} " in line and f" -{end}" not in line
