"""The ``ccb`` command, through Click's CliRunner, on real stores."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli import cli
from loaders import bundled
from tests.conftest import Bolt, free_port

COUNTS_AFTER_INIT = {"Country": 250, "Organisation": 10, "MEMBER_OF": 278}


def run(db: Path | str, *args: str, env: dict[str, str] | None = None) -> click.testing.Result:  # noqa: F821
    return CliRunner().invoke(cli, ["--db", str(db), *args], env=env, catch_exceptions=False)


@pytest.fixture
def initialised(db_path: Path) -> Path:
    assert run(db_path, "init").exit_code == 0
    return db_path


def test_init_loads_reference_data_and_is_idempotent(db_path: Path) -> None:
    first = run(db_path, "init")
    assert first.exit_code == 0
    assert "loaded 250 reference records from countries.csv" in first.stderr
    run(db_path, "init")
    counts = {r["name"]: r["count"] for r in json.loads(run(db_path, "stats", "--format", "json").stdout)}
    assert {k: counts[k] for k in COUNTS_AFTER_INIT} == COUNTS_AFTER_INIT


def test_a_store_of_ones_own_answers_as_the_demo(db_path: Path, demo: Path) -> None:
    """`ccb init` loaded GCI 2024 only, the demo the CMM reviews and GCI 2020 too: `init` and `load` of the bundled
    programmes ranked Madagascar's need 0.773 against the demo's 0.673 (its CMM review), ten more countries likewise,
    and `ccb progress` found no country scored in both editions. One set of facts, whichever way the store was built."""
    first = run(db_path, "init")
    for f in bundled.INDEX_FILES:
        assert f"index records from {f.name}" in first.stderr
    assert run(db_path, "load", str(bundled.PROGRAMMES)).exit_code == 0
    for args in (("gaps", "--limit", "300"), ("progress",), ("gaps", "--by", "region")):
        mine, theirs = (json.loads(run(db, *args, "--format", "json").stdout) for db in (db_path, demo))
        assert mine == theirs and mine, args
    need = {r["iso3"]: r["need"] for r in json.loads(run(db_path, "gaps", "--limit", "300", "--format", "json").stdout)}
    assert need["MDG"] == 0.673  # Madagascar's CMM review on record (indices.sample.csv) lowers its need by 0.1


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_stats_formats(initialised: Path, fmt: str) -> None:
    out = run(initialised, "stats", "--format", fmt)
    assert out.exit_code == 0
    if fmt == "json":
        assert json.loads(out.stdout)[0] == {"name": "Country", "kind": "node", "count": 250}
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out.stdout)))
        assert rows[0] == {"name": "Country", "kind": "node", "count": "250"}
        assert [r["name"] for r in rows][-1] == "COMPONENT_OF"
    else:
        assert "Country" in out.stdout and "250" in out.stdout and "MEMBER_OF" in out.stdout


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_query_formats_and_params(initialised: Path, fmt: str) -> None:
    q = "MATCH (c:Country)-[:MEMBER_OF]->(:Organisation {id: $bloc}) RETURN c.iso3 AS iso3, c.name AS name ORDER BY iso3 LIMIT $n"
    out = run(initialised, "query", q, "--param", "bloc=asean", "--param", "n=2", "--format", fmt)
    assert out.exit_code == 0, out.stderr
    expected = [{"iso3": "BRN", "name": "Brunei Darussalam"}, {"iso3": "IDN", "name": "Indonesia"}]
    if fmt == "json":
        assert json.loads(out.stdout) == expected
    elif fmt == "csv":
        assert out.stdout == "iso3,name\nBRN,Brunei Darussalam\nIDN,Indonesia\n"
    else:
        assert "Brunei Darussalam" in out.stdout and "Indonesia" in out.stdout


def _strict(text: str) -> object:
    """JSON as a strict reader (jq, a browser's JSON.parse) takes it: NaN and Infinity are no JSON."""

    def refuse(name: str) -> object:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_query_json_is_standard_json_when_a_number_is_not_finite(initialised: Path) -> None:
    """0/0 printed `NaN` and 1/0 `Infinity`: Python reads them, jq and JSON.parse refuse the whole answer. They are
    null, as JSON.stringify writes them; the table and CSV keep nan and inf."""
    out = run(initialised, "query", "RETURN 0.0 / 0.0 AS a, 1.0 / 0.0 AS b, [1.5, $x] AS c", "-p", "x=1e999", "--format", "json")
    assert out.exit_code == 0, out.stderr
    assert _strict(out.stdout) == [{"a": None, "b": None, "c": [1.5, None]}]
    assert run(initialised, "query", "RETURN 0.0 / 0.0 AS a", "--format", "csv").stdout == "a\nnan\n"


def test_query_from_file(initialised: Path, tmp_path: Path) -> None:
    f = tmp_path / "q.cypher"
    f.write_text("MATCH (c:Country {iso3: $iso}) RETURN c.name AS name")
    out = run(initialised, "query", "--file", str(f), "-p", "iso=XKX", "--format", "json")
    assert json.loads(out.stdout) == [{"name": "Kosovo"}]


# Together about 2 s of every command's start (0.9 s is left); each is imported where its work is done.
HEAVY = ("igraph", "scipy", "neo4j", "pyvis", "matplotlib")


def loaded_after(db: Path, *commands: list[str]) -> list[str]:
    """The heavy libraries a fresh interpreter has imported after running ``commands`` on ``db`` (each must succeed)."""
    code = (
        "import sys; from click.testing import CliRunner; from cli import cli\n"
        f"for args in {list(commands)!r}:\n"
        f"    r = CliRunner().invoke(cli, ['--db', {str(db)!r}, *args])\n"
        "    assert r.exit_code == 0, (args, r.output)\n"
        f"import json; print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[1])
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_everyday_commands_start_without_the_heavy_libraries(demo: Path, tmp_path: Path) -> None:
    assert loaded_after(demo, ["--version"], ["stats"], ["query", "MATCH (c:Country) RETURN count(c) AS n"], ["gaps"]) == []
    # each is still there where its work is: the network page draws with pyvis, igraph and scipy
    page = ["viz", "network", "--around", "KEN", "-o", str(tmp_path / "n.html")]
    assert {"igraph", "pyvis", "scipy"} <= set(loaded_after(demo, page))


def test_query_says_which_text_is_missing(initialised: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.cypher"
    empty.write_text("\n")
    q = "MATCH (c:Country) RETURN count(c) AS n"
    for args, said in (
        ([], "no query given: give one as an argument"),
        (["  "], "no query given: give one as an argument"),
        (["--file", str(empty)], f"{empty} is empty: give one as an argument"),
        ([q, "--file", str(empty)], "give the query as an argument or with --file, not both"),
    ):
        out = CliRunner().invoke(cli, ["--db", str(initialised), "query", *args])
        assert out.exit_code == 2 and said in out.stderr, (args, out.stderr)
    assert json.loads(run(initialised, "query", q, "--format", "json").stdout) == [{"n": 250}]


def test_query_refuses_more_rows_than_max_rows(initialised: Path) -> None:
    q = "MATCH (c:Country) RETURN c.iso3 AS iso3"
    out = CliRunner().invoke(cli, ["--db", str(initialised), "query", q, "--max-rows", "100"])
    assert out.exit_code == 1
    assert out.stderr == (
        "Error: the query gives 250 rows, more than the 100 read "
        "(add LIMIT, or aggregate (count, collect); --max-rows reads more)\n"
    )
    assert len(json.loads(run(initialised, "query", q, "--max-rows", "250", "--format", "json").stdout)) == 250


def test_query_refuses_writes_without_write_flag(initialised: Path) -> None:
    out = run(initialised, "query", "CREATE (:Country {iso3:'ZZZ', name: 'x', source: 'x'})")
    assert out.exit_code == 1
    assert out.stderr == "Error: this query writes to the graph; nothing was changed (pass --write to allow writes)\n"
    check = run(initialised, "query", "MATCH (c:Country {iso3: 'ZZZ'}) RETURN count(c) AS n", "--format", "json")
    assert json.loads(check.stdout) == [{"n": 0}]


def test_query_write_flag(initialised: Path) -> None:
    out = run(
        initialised,
        "query",
        "--write",
        "MATCH (c:Country {iso3: 'KEN'}) SET c.income_group = $g RETURN c.income_group AS g",
        "-p",
        "g=Lower middle income",
        "--format",
        "json",
    )
    assert out.exit_code == 0
    assert json.loads(out.stdout) == [{"g": "Lower middle income"}]


def test_query_usage_errors(initialised: Path) -> None:
    assert run(initialised, "query").exit_code == 2
    bad = run(initialised, "query", "RETURN 1", "--param", "no-equals")
    assert bad.exit_code == 2 and "expected name=value" in bad.stderr


def test_query_syntax_error_is_one_line(initialised: Path) -> None:
    out = run(initialised, "query", "MATCH (n RETURN n")
    assert out.exit_code == 1
    assert out.stderr.startswith("Error: query failed:") and out.stderr.count("\n") == 1


def test_debug_shows_the_traceback(initialised: Path) -> None:
    with pytest.raises(Exception, match="query failed"):
        CliRunner().invoke(cli, ["--db", str(initialised), "--debug", "query", "MATCH (n RETURN n"], catch_exceptions=False)


def test_load_and_dry_run(initialised: Path, tmp_path: Path) -> None:
    good = tmp_path / "p.yaml"
    good.write_text("programmes:\n  - {id: p1, name: One, source: s}\ntargets:\n  - {from: p1, to: GHA, source: s}\n")
    dry = run(initialised, "load", "--dry-run", str(good))
    assert dry.exit_code == 0 and "2 records valid (dry run: nothing written)" in dry.stderr
    out = run(initialised, "load", str(good))
    assert out.exit_code == 0 and "2 created, 0 updated, 0 unchanged" in out.stderr
    again = run(initialised, "load", str(good))
    assert "0 created, 0 updated, 2 unchanged" in again.stderr


def test_load_bad_file_is_one_line_and_dry_run_lists_all(initialised: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("programmes:\n  - {id: p1, source: s}\n  - {id: p2, name: Two, budget: -1, currency: EUR, source: s}\n")
    out = run(initialised, "load", str(bad))
    assert out.exit_code == 1
    assert out.stderr.count("\n") == 1
    assert (
        "bad.yaml: programmes[0] (line 2): name: required field is missing (+1 more; run with --dry-run to list all)"
        in out.stderr
    )
    dry = run(initialised, "load", "--dry-run", str(bad))
    assert dry.exit_code == 1
    assert dry.stderr.splitlines() == [
        f"{bad}: programmes[0] (line 2): name: required field is missing",
        f"{bad}: programmes[1] (line 3): budget: Input should be greater than or equal to 0 (got -1)",
    ]
    counts = {r["name"]: r["count"] for r in json.loads(run(initialised, "stats", "--format", "json").stdout)}
    assert counts["Programme"] == 0


def test_load_missing_file(initialised: Path) -> None:
    out = run(initialised, "load", "/nonexistent/x.yaml")
    assert out.exit_code == 1 and "cannot read" in out.stderr


def test_clear_needs_yes(initialised: Path) -> None:
    refused = run(initialised, "clear")
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert run(initialised, "clear", "--yes").exit_code == 0
    counts = json.loads(run(initialised, "stats", "--format", "json").stdout)
    assert all(r["count"] == 0 for r in counts)


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_demo_prints_a_briefing_from_real_data(tmp_path: Path, fmt: str) -> None:
    out = CliRunner().invoke(cli, ["demo", "--db", str(tmp_path / "demo.lbdb"), "--format", fmt], catch_exceptions=False)
    assert out.exit_code == 0, out.stderr
    assert "loaded programmes.yaml" in out.stderr
    if fmt == "json":
        rows = json.loads(out.stdout)
        funders = [r for r in rows if r["section"] == "Top donors by programmes"]
        # the EU (with the Commission rolled up) funds the most bundled programmes: count them in the YAML itself,
        # a family once (an umbrella whose component the EU also funds gives way to it)
        data = yaml.safe_load(bundled.PROGRAMMES.read_text(encoding="utf-8"))
        funded = {f["to"] for f in data["funds"] if f["from"] in {"eu", "european-commission"}}
        umbrellas = {c["to"] for c in data["component_of"] if c["from"] in funded}
        eu = len(funded - umbrellas)
        assert funders[0] == {"section": "Top donors by programmes", "donor": "European Union", "programmes": eu}
    else:
        assert "European Union" in out.stdout


def test_embedded_store_in_use_is_one_clear_line(db_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from graph.embedded import EmbeddedStore; s = EmbeddedStore({str(db_path)!r}); print('ready', flush=True); import time; time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        out = run(db_path, "stats")
        assert out.exit_code == 1
        assert out.stderr.startswith(f"Error: the embedded store {db_path} is in use by another process")
        assert out.stderr.count("\n") == 1
    finally:
        holder.kill()
        holder.wait()


# -- Neo4j over Bolt --------------------------------------------------------------


def test_query_on_bolt_store(bolt: Bolt) -> None:
    env = bolt.env()
    bolt.store().clear()
    assert run(bolt.uri, "init", env=env).exit_code == 0
    out = run(bolt.uri, "query", "MATCH (n) RETURN count(n) AS n", "--format", "json", env=env)
    assert out.exit_code == 0, out.stderr
    # 250 countries + 10 blocs + 14 indicators: GCI 2024's and GCI 2020's six each (overall and 5 pillars) and the CMM
    # sample's two; init loads the demo's indices since session 29
    assert json.loads(out.stdout) == [{"n": 274}]
    refused = run(bolt.uri, "query", "CREATE (:Country {iso3:'ZZZ'})", env=env)
    assert refused.exit_code == 1 and "writes to the graph" in refused.stderr
    again = run(bolt.uri, "query", "MATCH (n) RETURN count(n) AS n", "--format", "json", env=env)
    assert json.loads(again.stdout) == [{"n": 274}]


@pytest.mark.parametrize("scheme", ["bolt", "neo4j"])
def test_unreachable_bolt_port_is_one_line(scheme: str) -> None:
    start = time.monotonic()
    # the installed command in its own process: there the driver's log of a neo4j:// failure ("Unable to retrieve
    # routing information") reached stderr above the error; under pytest a log handler of its own swallows it
    ccb = Path(sys.executable).parent / "ccb"
    uri = f"{scheme}://127.0.0.1:{free_port()}"
    env = {**os.environ, "NEO4J_USERNAME": "neo4j", "NEO4J_PASSWORD": "x"}
    out = subprocess.run([str(ccb), "--db", uri, "stats"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 1
    assert out.stderr.startswith(f"Error: cannot reach Neo4j at {scheme}://127.0.0.1:")
    assert "docker compose up -d" in out.stderr and out.stderr.count("\n") == 1
    assert time.monotonic() - start < 60


def test_a_web_address_is_not_taken_for_a_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # `init` made the directories http:/localhost:7474 here, an empty store in them
    out = run("http://localhost:7474", "init")
    assert out.exit_code == 1 and out.stderr == (
        "Error: http://localhost:7474 is not a store address "
        "(Neo4j is reached over Bolt: bolt://HOST:7687 or neo4j://HOST:7687)\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_wrong_password_is_one_line(bolt: Bolt) -> None:
    out = run(bolt.uri, "stats", env=bolt.env() | {"NEO4J_PASSWORD": "wrong-password"})
    assert out.exit_code == 1
    assert (
        out.stderr
        == f"Error: Neo4j at {bolt.uri} refused the credentials of user {bolt.user!r} (set NEO4J_USERNAME and NEO4J_PASSWORD)\n"
    )


def test_missing_database_is_one_line(bolt: Bolt) -> None:
    out = run(bolt.uri, "stats", env=bolt.env() | {"NEO4J_DATABASE": "no_such_db"})
    assert out.exit_code == 1
    assert out.stderr.startswith("Error: database 'no_such_db' does not exist") and out.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "args, said",
    [
        (["gaps", "--by", "theme", "--min-need", "nan"], "'--min-need': 'nan' is not a number"),
        (["communities", "--resolution", "nan"], "'--resolution': 'nan' is not a number"),
        (["communities", "--resolution", "-inf"], "'--resolution'"),
        (["timeline", "--from", "0"], "--from 0 is not a year between 1945 and 2100"),
        (["timeline", "--to", "0"], "--to 0 is not a year between 1945 and 2100"),
    ],
)
def test_not_a_number_is_refused_not_answered(demo: Path, args: list[str], said: str) -> None:
    """Issue 25 #5: nan and a year 0 exited 0 with wrong answers (nan compares false with every bound)."""
    out = CliRunner().invoke(cli, ["--db", str(demo), *args])
    assert out.exit_code != 0 and said in out.stderr and "Traceback" not in out.stderr, out.stderr


def test_reads_fall_back_to_the_demo_store_until_the_user_makes_one(tmp_path: Path) -> None:
    """Issue 23 #8: the first command a newcomer runs after `ccb demo` answers from the demo's data."""
    env = {"XDG_DATA_HOME": str(tmp_path), "CCB_DB": ""}
    assert CliRunner().invoke(cli, ["demo", "--format", "json"], env=env).exit_code == 0
    gaps = CliRunner().invoke(cli, ["gaps", "--limit", "3", "--format", "json"], env=env)
    assert gaps.exit_code == 0 and len(json.loads(gaps.stdout)) == 3
    assert f"reading the demo store {tmp_path / 'ccb' / 'ccb-demo.lbdb'}" in gaps.stderr
    init = CliRunner().invoke(cli, ["init", "--no-reference"], env=env)  # a store of one's own: no more fallback
    assert init.exit_code == 0 and (tmp_path / "ccb" / "graph.lbdb").exists()
    mine = CliRunner().invoke(cli, ["gaps", "--format", "json"], env=env)
    assert "reading the demo store" not in mine.stderr and json.loads(mine.stdout or "[]") == []


def test_a_command_opens_its_store_once(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ccb profile ATA` opened the store again for each empty section (seven connections, the demo notice seven
    times, each analysis cache lost); `ccb match` three times. One command, one store."""
    import cli as cli_module

    opened: list[str] = []
    real = cli_module.open_store

    def counting(db: str | None, **kw: object) -> object:
        opened.append(str(db))
        return real(db, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(cli_module, "open_store", counting)
    for args in (["profile", "ATA"], ["match", "VAT"]):
        opened.clear()
        out = run(demo, *args)
        assert out.exit_code == 0, out.stderr
        assert opened == [str(demo)], args
