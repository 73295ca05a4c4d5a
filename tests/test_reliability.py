"""Hostile input and misuse, as a table of cases and the clean outcome each must have (issue 13).

Covered here so far: read-only queries that would touch files, read commands on a
mistyped store path, passwords in URIs, and curated country data kept when another
loader names the country again. Each store-facing case runs on both engines.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import cli
from graph.errors import LoadError, ReadOnlyViolation
from graph.model import Country
from graph.store import Batch, Store
from loaders import iati, indices, worldbank
from loaders.tabular import load_file
from tests.loaders.test_iati import CYBER, activities
from tests.loaders.test_iati import write as write_xml

# statement -> the file it would create or read: each must be refused before it runs, on both stores
FILE_QUERIES = [
    "COPY (RETURN 1 AS x) TO '{out}'",
    "EXPORT DATABASE '{out}'",
    "LOAD FROM '/etc/passwd' (header=false) RETURN *",
    "UNWIND [1] AS x LOAD FROM '/etc/passwd' (header=false) RETURN *",
    "LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line",
    "CALL show_tables() RETURN *",
    "MATCH (n) WITH n LIMIT 1 CALL db.labels() YIELD label RETURN label",
    "ATTACH '{out}' AS other (dbtype lbug)",
    "INSTALL httpfs",
]


@pytest.mark.parametrize("statement", FILE_QUERIES)
def test_read_only_query_touches_no_file(store: Store, tmp_path: Path, statement: str) -> None:
    out = tmp_path / "leak.csv"
    store.write(Batch().extend([Country(iso3="GHA", name="Ghana", source="s")]))
    with pytest.raises(ReadOnlyViolation, match="not a read-only query"):
        store.query(statement.format(out=out))
    assert not out.exists() and not list(tmp_path.glob("leak*"))
    assert store.query("MATCH (c:Country) RETURN c.iso3 AS k") == [{"k": "GHA"}]  # reads still work
    # words inside strings, property names and comments are data, not clauses
    assert store.query("MATCH (c:Country) WHERE c.name <> 'LOAD FROM x; COPY' RETURN c.iso3 AS load_ // CALL") == [
        {"load_": "GHA"}
    ]


def test_read_commands_refuse_a_missing_store(tmp_path: Path) -> None:
    typo = tmp_path / "typo.lbdb"
    for cmd in (["stats"], ["gaps"], ["query", "RETURN 1 AS x"], ["check"], ["profile", "KEN"]):
        out = CliRunner().invoke(cli, ["--db", str(typo), *cmd])
        assert (
            out.exit_code == 1
            and out.stderr
            == f"Error: no store at {typo} (create one with `ccb init` (or `ccb demo` for the bundled data), or pass --db)\n"
        ), cmd
    assert not list(tmp_path.iterdir())  # nothing was created
    assert CliRunner().invoke(cli, ["--db", str(typo), "init", "--no-reference"]).exit_code == 0  # init creates it


SECRETS = ["PASSWORD", "PASS@WORD", "PASS/WORD", "PASS'WORD", "PASS?WORD", "PASS WORD", "PASS%40WORD"]


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("scheme", ["bolt", "neo4j"])
def test_a_password_in_the_uri_is_never_printed(scheme: str, secret: str) -> None:
    """Issue 25 #6: passwords holding @ / ' ? or a space were printed; each part of one is absent from every line."""
    out = CliRunner().invoke(cli, ["--db", f"{scheme}://neo4j:{secret}@127.0.0.1:1", "stats"])
    for part in ("PASS", "WORD", secret):
        assert part not in out.output and part not in out.stderr, out.stderr
    assert out.exit_code == 1 and out.stderr.startswith("Error: ") and out.stderr.count("\n") == 1 and "***" in out.stderr


@pytest.mark.bolt
def test_a_user_and_password_in_the_uri_connect(bolt: Any) -> None:
    """The README's `bolt://user:password@host` form works: the credentials are taken out of the URI for the driver."""
    from urllib.parse import quote

    host = bolt.uri.split("://", 1)[1]
    uri = f"bolt://{quote(bolt.user, safe='')}:{quote(bolt.password, safe='')}@{host}"
    out = CliRunner().invoke(
        cli,
        ["--db", uri, "query", "RETURN 1 AS one", "--format", "json"],
        env={**bolt.env(), "NEO4J_PASSWORD": "", "NEO4J_USERNAME": ""},
    )
    assert out.exit_code == 0 and json.loads(out.stdout) == [{"one": 1}], out.stderr
    wrong = CliRunner().invoke(cli, ["--db", f"bolt://{bolt.user}:no%20such@{host}", "stats"], env=bolt.env())
    assert wrong.exit_code == 1 and "no such" not in wrong.stderr and "refused the credentials" in wrong.stderr


def test_other_loaders_never_blank_curated_country_data(store: Store, tmp_path: Path) -> None:
    """A World Bank classification survives an index file and an IATI file that name the same countries."""
    store.write(Batch().extend([Country(iso3=c, name=c, source="iso", as_of="2024") for c in ("KEN", "GHA", "AFG")]))
    cls = tmp_path / "CLASS.csv"
    cls.write_text(
        "Economy,Code,Region,Income group,Lending category\nKenya,KEN,Sub-Saharan Africa,Lower middle income,Blend\n"
        "Afghanistan,AFG,South Asia,Low income,IDA\n",
        encoding="utf-8",
    )
    worldbank.load_world_bank(store, cls, vintage="FY25")
    idx = tmp_path / "gci.csv"
    idx.write_text("country,index,edition,score,source,as_of\nKEN,gci,2024,98.5,https://example.org/gci,2024\n", encoding="utf-8")
    indices.load_indices(store, idx)
    iati.load_iati(store, write_xml(tmp_path, activities(CYBER)), jobs=1)

    def kept() -> dict:
        return {
            r["k"]: (r["ig"], r["v"], r["s"])
            for r in store.query(
                "MATCH (c:Country) WHERE c.iso3 IN ['KEN', 'AFG'] RETURN c.iso3 AS k, c.income_group AS ig, c.income_vintage AS v, c.source AS s"
            )
        }

    assert kept() == {"KEN": ("Lower middle income", "FY25", "iso"), "AFG": ("Low income", "FY25", "iso")}


# -- loaders refuse what they cannot represent: one problem, one line, nothing written ------------------------

BOMB = "a: &a ['x','x','x','x','x','x','x','x','x']\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
    f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
    for i in range(8)
)
ORG = "organisations:\n  - {id: o1, name: One, source: s, as_of: '2024'}\n"
PROG = "programmes:\n  - {id: p1, name: P, source: s, as_of: '%s'}\n"

# name -> (file name, content, what the one problem says)
HOSTILE: dict[str, tuple[str, str | bytes, str]] = {
    "yaml alias bomb": ("bomb.yaml", BOMB, "aliases (*name) are not allowed"),
    "yaml alias in a record": (
        "alias.yaml",
        "organisations:\n  - &o {id: o1, name: One, source: s}\n  - *o\n",
        "aliases (*name) are not allowed",
    ),
    "yaml deep flow nesting": (
        "deep.yaml",
        "organisations: " + "[" * 5000 + "]" * 5000 + "\n",
        "nested more than 32 levels deep",
    ),
    "yaml deep block nesting": (
        "deepb.yaml",
        "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "v\n",
        "nested more than 32 levels deep",
    ),
    "json deep nesting": ("deep.json", '{"organisations": ' + "[" * 100000 + "]" * 100000 + "}", "nested too deeply"),
    "jsonl deep nesting": (
        "deep.jsonl",
        '{"type": "organisations", "id": ' + "[" * 100000 + "]" * 100000 + "}\n",
        "malformed JSON",
    ),
    "yaml section twice": ("twice.yaml", ORG + ORG.replace("o1", "o2"), "key 'organisations' given twice"),
    "yaml field twice": (
        "field.yaml",
        "organisations:\n  - {id: o1, name: One, name: Two, source: s}\n",
        "key 'name' given twice",
    ),
    "json section twice": (
        "twice.json",
        '{"organisations": [], "organisations": [{"id": "o1", "name": "One", "source": "s"}]}',
        "key 'organisations' given twice",
    ),
    "json field twice": (
        "field.json",
        '{"organisations": [{"id": "o1", "id": "o2", "name": "One", "source": "s"}]}',
        "key 'id' given twice",
    ),
    "jsonl id twice": (
        "twice.jsonl",
        '{"type": "organisations", "id": "o1", "id": "o2", "name": "One", "source": "s"}\n',
        "key 'id' given twice",
    ),
    "csv column twice": ("orgs.organisations.csv", "id,name,name,source\no1,One,Two,s\n", "column given twice in the header"),
    "yaml infinite amount": (
        "inf.yaml",
        ORG + PROG % "2024" + "funds:\n  - {from: o1, to: p1, amount: .inf, currency: EUR, source: s}\n",
        "amount: Input should be a finite number",
    ),
    "yaml nan budget": (
        "nan.yaml",
        "programmes:\n  - {id: p1, name: P, budget: .nan, currency: EUR, source: s}\n",
        "budget: Input should be a finite number",
    ),
    "json overflowing amount": (
        "big.json",
        '{"programmes": [{"id": "p1", "name": "P", "budget": 1e400, "currency": "EUR", "source": "s"}]}',
        "budget: Input should be a finite number",
    ),
    "json Infinity": (
        "infty.json",
        '{"programmes": [{"id": "p1", "name": "P", "budget": Infinity, "currency": "EUR", "source": "s"}]}',
        "Infinity is not a number this format accepts",
    ),
    "jsonl overflowing amount": (
        "big.jsonl",
        '{"type": "programmes", "id": "p1", "name": "P", "budget": 1e400, "currency": "EUR", "source": "s"}\n',
        "malformed JSON: number is infinity",
    ),
    "csv inf": (
        "p.programmes.csv",
        "id,name,budget,currency,source\np1,P,inf,EUR,s\n",
        "budget: Input should be a finite number",
    ),
    "csv nan": (
        "p.programmes.csv",
        "id,name,budget,currency,source\np1,P,nan,EUR,s\n",
        "budget: Input should be a finite number",
    ),
    "amount too large": (
        "large.yaml",
        "programmes:\n  - {id: p1, name: P, budget: 1e16, currency: EUR, source: s}\n",
        "budget: Input should be less than or equal to 1000000000000000",
    ),
    "30 February": ("feb.yaml", PROG % "2023-02-30", "as_of: expected an ISO date"),
    "31 April": ("apr.yaml", PROG % "2024-04-31", "as_of: expected an ISO date"),
    "29 February 1900": ("1900.yaml", PROG % "1900-02-29", "as_of: expected an ISO date"),
    "NUL in a name": (
        "nul.yaml",
        'organisations:\n  - {id: o1, name: "a\\0b", source: s}\n',
        "name: control characters are not allowed",
    ),
    "ESC in a name": (
        "esc.json",
        '{"organisations": [{"id": "o1", "name": "\\u001b[31mred", "source": "s"}]}',
        "name: control characters are not allowed",
    ),
    "BEL in a CSV cell": ("o.organisations.csv", "id,name,source\no1,ring\x07,s\n", "name: control characters are not allowed"),
    "C1 CSI in a description": (
        "csi.yaml",
        'programmes:\n  - {id: p1, name: P, description: "x\\x9b2J", source: s}\n',
        "description: control characters are not allowed",
    ),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_loaders_refuse_what_they_cannot_represent(store: Store, tmp_path: Path, case: str) -> None:
    name, content, said = HOSTILE[case]
    store.write(Batch().extend([Country(iso3="GHA", name="Ghana", source="s")]))
    before = store.counts()
    f = tmp_path / name
    f.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    with pytest.raises(LoadError) as err:
        load_file(store, f)
    assert len(err.value.problems) == 1 and said in str(err.value.problems[0]), [str(p) for p in err.value.problems]
    assert "\n" not in str(err.value.problems[0]) and len(str(err.value.problems[0])) < 400
    assert store.counts() == before


def test_hostile_input_is_one_line_on_the_command_line(tmp_path: Path) -> None:
    f = tmp_path / "bomb.yaml"
    f.write_text(BOMB, encoding="utf-8")
    out = CliRunner().invoke(cli, ["--db", str(tmp_path / "s.lbdb"), "load", str(f)])
    assert out.exit_code == 1 and out.stderr.count("\n") == 1 and "aliases (*name) are not allowed" in out.stderr


IATI_HOSTILE = {
    "version 2.99": ('<iati-activities version="2.99"></iati-activities>', "IATI 2.99 is not supported"),
    "version 1.05": ('<iati-activities version="1.05"></iati-activities>', "IATI 1.05 is not supported"),
}


@pytest.mark.parametrize("case", IATI_HOSTILE, ids=list(IATI_HOSTILE))
def test_iati_versions_outside_2_01_to_2_03_are_refused(store: Store, tmp_path: Path, case: str) -> None:
    xml, said = IATI_HOSTILE[case]
    f = tmp_path / "a.xml"
    f.write_text(xml, encoding="utf-8")
    before = store.counts()
    with pytest.raises(LoadError, match=re.escape(said)):
        iati.load_iati(store, f, jobs=1)
    assert store.counts() == before


def test_an_infinite_iati_value_is_refused(store: Store, tmp_path: Path) -> None:
    xml = write_xml(tmp_path, activities(CYBER)).read_text(encoding="utf-8")
    assert "<value" in xml
    bad = re.sub(r"(<value[^>]*>)[^<]*(</value>)", r"\1inf\2", xml, count=1)
    f = tmp_path / "inf.xml"
    f.write_text(bad, encoding="utf-8")
    before = store.counts()
    with pytest.raises(LoadError, match="expected a finite number"):
        iati.load_iati(store, f, jobs=1)
    assert store.counts() == before


def test_a_multi_file_load_says_what_was_and_was_not_loaded(tmp_path: Path) -> None:
    good, bad, later = tmp_path / "good.yaml", tmp_path / "bad.yaml", tmp_path / "later.yaml"
    good.write_text(ORG, encoding="utf-8")
    bad.write_text("organisations:\n  - {id: o2, source: s}\n", encoding="utf-8")
    later.write_text(ORG.replace("o1", "o3"), encoding="utf-8")
    db = tmp_path / "s.lbdb"
    out = CliRunner().invoke(cli, ["--db", str(db), "load", str(good), str(bad), str(later)])
    assert out.exit_code == 1 and out.stderr.splitlines()[-1].startswith("Error: ")
    err = out.stderr.splitlines()[-1]
    assert f"nothing of {bad} was loaded; already loaded: {good}; not tried: {later}" in err and "nothing was loaded" not in err
    rows = CliRunner().invoke(cli, ["--db", str(db), "query", "--format", "json", "MATCH (o:Organisation) RETURN o.id AS id"])
    assert rows.stdout.count('"id"') == 1 and '"o1"' in rows.stdout  # good.yaml stays loaded, later.yaml was not tried


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def test_iati_workers_die_with_their_parent(tmp_path: Path) -> None:
    """kill -9 of `ccb load-iati` leaves no worker behind (they used to live on, 155 MB each)."""
    from bench import iati_gen

    xml = tmp_path / "big.xml"
    iati_gen.write(str(xml), 30)
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from cli import cli; cli()",
            "--db",
            str(tmp_path / "s.lbdb"),
            "load-iati",
            "--jobs",
            "2",
            str(xml),
        ],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(workers) < 2:
            workers = _children(parent.pid)
            time.sleep(0.05)
        assert len(workers) >= 2, "the workers never started"
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{w}").exists() and "zombie" not in _state(w) for w in workers):
            time.sleep(0.05)
        assert not [w for w in workers if Path(f"/proc/{w}").exists() and "zombie" not in _state(w)]
    finally:
        parent.kill()
        for w in workers:  # no orphan outlives a failing run either
            with contextlib.suppress(OSError):
                os.kill(w, signal.SIGKILL)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (OSError, IndexError):
        return "zombie"


# -- outputs never crash on stored data and never clobber --------------------------------------------------------

NASTY = '=HYPERLINK("http://x")\x1b[31m\x07\x00end'


def _nasty_store(path: Path) -> Path:
    """A store holding a name no loader would take (written as `ccb query --write` could)."""
    from graph.embedded import EmbeddedStore
    from graph.model import Organisation

    with EmbeddedStore(path) as s:
        s.write(
            Batch().extend(
                [
                    Country(iso3="GHA", name="Ghana", source="s"),
                    Organisation.model_construct(
                        id="o1", name=NASTY, kind="other", source="-cmd|' /C calc'!A0", aliases=[], country=None, as_of=None
                    ),
                ]
            )
        )
    return path


def test_gexf_and_graphml_always_parse_and_csv_neutralises_formulas(tmp_path: Path) -> None:
    import networkx as nx
    from lxml import etree

    db = _nasty_store(tmp_path / "s.lbdb")
    for fmt in ("gexf", "graphml"):
        out = CliRunner().invoke(cli, ["--db", str(db), "export", "--format", fmt, "-o", str(tmp_path / f"g.{fmt}")])
        assert out.exit_code == 0, out.stderr
        etree.parse(str(tmp_path / f"g.{fmt}"))  # well-formed XML
        g = nx.read_gexf(tmp_path / "g.gexf") if fmt == "gexf" else nx.read_graphml(tmp_path / "g.graphml")
        assert "\\x1b[31m\\x07\\x00end" in g.nodes["Organisation:o1"]["name"]
    assert CliRunner().invoke(cli, ["--db", str(db), "export", "--format", "csv", "-o", str(tmp_path / "n.csv")]).exit_code == 0
    cells = (tmp_path / "n.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in cells and "'-cmd|" in cells and "\n=HYPERLINK" not in cells
    assert (
        CliRunner().invoke(cli, ["--db", str(db), "export", "--format", "csv", "--raw", "-o", str(tmp_path / "r.csv")]).exit_code
        == 0
    )
    assert ',"=HYPERLINK' in (tmp_path / "r.csv").read_text(encoding="utf-8")
    q = ["--db", str(db), "query", "MATCH (o:Organisation) RETURN o.name AS name, o.source AS src"]
    printed = CliRunner().invoke(cli, [*q, "--format", "csv"]).stdout
    assert printed.splitlines()[1].startswith("\"'=HYPERLINK") and ",'-cmd|" in printed
    assert CliRunner().invoke(cli, [*q, "--format", "csv", "--raw"]).stdout.splitlines()[1].startswith('"=HYPERLINK')
    table = CliRunner().invoke(cli, [*q, "--format", "table"]).stdout
    assert "\x1b" not in table and "\x07" not in table and "\\x1b" in table  # shown, not obeyed by the terminal
    assert json.loads(CliRunner().invoke(cli, [*q, "--format", "json"]).stdout)[0]["name"] == NASTY  # JSON carries raw values


def test_exports_write_only_regular_files(tmp_path: Path) -> None:
    db = _nasty_store(tmp_path / "s.lbdb")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "out.gexf"
    link.symlink_to("/proc/self/fd/1")
    (tmp_path / "dir.gexf").mkdir()
    for target, said in (
        (fifo, "is a device, FIFO or other special file"),
        (Path("/dev/null"), "is a device, FIFO or other special file"),
        (link, "is a symbolic link"),
    ):
        out = CliRunner().invoke(cli, ["--db", str(db), "export", "--format", "gexf", "-o", str(target)])
        assert out.exit_code == 1 and said in out.stderr and out.stderr.count("\n") == 1, (target, out.stderr)
    out = CliRunner().invoke(cli, ["--db", str(db), "export", "--format", "gexf", "-o", str(tmp_path / "dir.gexf")])
    assert out.exit_code == 2 and "is a directory" in out.stderr  # click's own usage error
    assert fifo.is_fifo() and link.is_symlink() and Path("/dev/null").is_char_device()
    map_link, page_fifo = tmp_path / "map.svg", tmp_path / "net.html"
    map_link.symlink_to("/proc/self/fd/1")
    os.mkfifo(page_fifo)
    demo = tmp_path / "demo.lbdb"
    assert CliRunner().invoke(cli, ["demo", "--db", str(demo), "--format", "json"]).exit_code == 0
    for viz, said in (
        (["viz", "map", "-o", str(map_link)], "is a symbolic link"),
        (["viz", "network", "-o", str(page_fifo)], "not a regular file"),
    ):
        out = CliRunner().invoke(cli, ["--db", str(demo), *viz])
        assert out.exit_code == 1 and said in out.stderr and out.stderr.count("\n") == 1, out.stderr
    assert fifo.is_fifo() and link.is_symlink() and map_link.is_symlink() and page_fifo.is_fifo()
    std = CliRunner().invoke(cli, ["--db", str(db), "export", "--format", "graphml", "-o", "-"])
    assert std.exit_code == 0 and std.stdout.startswith("<?xml")
    assert "give -o a file path" in CliRunner().invoke(cli, ["--db", str(db), "export", "--format", "csv", "-o", "-"]).stderr


def test_a_full_disk_is_one_line_and_leaves_no_partial_set(tmp_path: Path) -> None:
    """The file-size limit makes writes fail with EFBIG just as a full disk fails with ENOSPC: same path, same outcome."""
    db = tmp_path / "demo.lbdb"
    assert CliRunner().invoke(cli, ["demo", "--db", str(db), "--format", "json"]).exit_code == 0
    probe = tmp_path / "probe"
    probe.mkdir()
    assert CliRunner().invoke(cli, ["--db", str(db), "export", "--format", "csv", "-o", str(probe / "g.csv")]).exit_code == 0
    nodes, edges = (probe / "g.csv").stat().st_size, (probe / "g.edges.csv").stat().st_size
    assert nodes < edges
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    script = (
        "import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({nodes + 100}, {nodes + 100})); "
        "from cli import cli; sys.argv = ['ccb'] + sys.argv[1:]; cli()"
    )
    run_ = subprocess.run(
        [sys.executable, "-c", script, "--db", str(db), "export", "--format", "csv", "-o", str(out_dir / "g.csv")],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert run_.returncode == 1 and run_.stderr.count("\n") == 1 and "File too large" in run_.stderr, run_.stderr
    assert list(out_dir.iterdir()) == []  # neither the nodes file nor a temporary one


def test_a_load_that_would_not_fit_is_refused_before_it_starts(tmp_path: Path) -> None:
    """LadybugDB aborts the process when its log cannot be written; the load checks for room first (issue 13 #8)."""
    from graph.embedded import EmbeddedStore
    from graph.model import Organisation

    db = tmp_path / "s.lbdb"
    with EmbeddedStore(db) as s:
        s.write(Batch().extend([Organisation(id=f"z{i}", name=f"z {i}", source="s") for i in range(10)]))
    big = tmp_path / "big.yaml"
    big.write_text(
        "organisations:\n" + "".join(f"  - {{id: o{i}, name: org {i}, source: s}}\n" for i in range(6000)), encoding="utf-8"
    )
    limit = big.stat().st_size + 40_000  # room for the file, not for what loading it writes
    script = (
        "import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit})); "
        "from cli import cli; sys.argv = ['ccb'] + sys.argv[1:]; cli()"
    )
    run_ = subprocess.run(
        [sys.executable, "-c", script, "--db", str(db), "load", str(big)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert run_.returncode == 1 and run_.stderr.count("\n") == 1 and "not enough room to write" in run_.stderr, run_.stderr
    with EmbeddedStore(db, read_only=True) as s:
        assert s.counts()["Organisation"] == 10


def test_query_write_checks_for_room_first(tmp_path: Path) -> None:
    """Issue 25 #6: `query --write` on a full disk aborted the process (SIGABRT); it checks for room as loads do."""
    from graph.embedded import EmbeddedStore
    from graph.model import Organisation

    db = tmp_path / "s.lbdb"
    with EmbeddedStore(db) as s:
        s.write(Batch().extend([Organisation(id=f"z{i}", name=f"z {i}", source="s") for i in range(10)]))
    limit = 2_000_000  # a file-size limit far below the room a write asks for (16 MB)
    script = (
        "import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit})); "
        "from cli import cli; sys.argv = ['ccb'] + sys.argv[1:]; cli()"
    )
    run_ = subprocess.run(
        [sys.executable, "-c", script, "--db", str(db), "query", "--write", "MATCH (o:Organisation) SET o.name = 'x'"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert run_.returncode == 1 and run_.stderr.count("\n") == 1 and "not enough room to write" in run_.stderr, run_.stderr
    with EmbeddedStore(db, read_only=True) as s:
        assert {r["n"] for r in s.query("MATCH (o:Organisation) RETURN o.name AS n")} == {f"z {i}" for i in range(10)}


# A stand-in for the published iati-activities-schema.xsd (not bundled): each activity starts with its identifier.
XSD = """<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="iati-activities">
    <xs:complexType><xs:sequence>
      <xs:element name="iati-activity" maxOccurs="unbounded">
        <xs:complexType><xs:sequence>
          <xs:element name="iati-identifier" type="xs:string"/>
          <xs:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/>
        </xs:sequence><xs:anyAttribute processContents="skip"/></xs:complexType>
      </xs:element>
    </xs:sequence><xs:anyAttribute processContents="skip"/></xs:complexType>
  </xs:element>
</xs:schema>
"""


def test_iati_schema_validation_reports_each_violation_and_a_count(tmp_path: Path) -> None:
    xsd = tmp_path / "iati-activities-schema.xsd"
    xsd.write_text(XSD, encoding="utf-8")
    good = write_xml(tmp_path, activities(CYBER), "good.xml")
    # the loader reads fields in any order; the schema wants the identifier first
    bad_text = good.read_text(encoding="utf-8").replace("<iati-identifier>", '<activity-status code="2"/><iati-identifier>', 1)
    bad = tmp_path / "bad.xml"
    bad.write_text(bad_text, encoding="utf-8")
    db = str(tmp_path / "s.lbdb")
    ok = CliRunner().invoke(cli, ["--db", db, "load-iati", "--jobs", "1", "--schema", str(xsd), str(good)])
    assert ok.exit_code == 0 and "0 schema violation(s)" in ok.stderr, ok.stderr
    plain = CliRunner().invoke(cli, ["--db", db, "load-iati", "--jobs", "1", str(good)])
    assert "schema not checked (--schema)" in plain.stderr
    dry = CliRunner().invoke(cli, ["--db", db, "load-iati", "--jobs", "1", "--dry-run", "--schema", str(xsd), str(bad)])
    lines = [x for x in dry.stderr.splitlines() if x.startswith("schema: ")]
    assert len(lines) == 1 and "iati-identifier" in lines[0] and "line " in lines[0], dry.stderr
    assert "1 schema violation(s)" in dry.stderr
    unusable = tmp_path / "not.xsd"
    unusable.write_text("<nope/>", encoding="utf-8")
    out = CliRunner().invoke(cli, ["--db", db, "load-iati", "--schema", str(unusable), str(good)])
    assert out.exit_code == 1 and "not a usable XML schema" in out.stderr and out.stderr.count("\n") == 1
