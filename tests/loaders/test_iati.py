"""The IATI loader, on the IATI Standard's annotated example and on small files written here."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from graph.errors import LoadError
from graph.store import Batch, Store
from loaders.iati import iter_iati, load_iati, read_iati, split
from tests.fixtures import SMALL_COUNTS, small_batch

EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "activity-standard-example-annotated.xml"


def test_annotated_example(store: Store) -> None:
    report = load_iati(store, EXAMPLE)
    assert (report.activities, report.skipped, report.warnings) == (1, 0, [])
    # Read off the file: one activity; reporting-org AA-AAA-123456789; participating
    # orgs BB (role 1 funding), CC (role 2 accountable), AA (role 3 extending), none
    # implementing; recipient countries AF and AG at 25% each (regions 489 and A1
    # take the other 50%); status 2; dates planned start 2012-04-15, actual start
    # 2012-04-28, planned end 2015-12-31; sectors 111 and 112 (vocabulary 2); one
    # budget of 3000 EUR; its only transaction is type 1 (incoming funds), so no
    # commitment or disbursement amounts.
    assert store.counts() == {
        "Country": 2,
        "Organisation": 3,
        "Programme": 1,
        "FUNDS": 1,
        "IMPLEMENTS": 0,
        "TARGETS": 2,
        "PARTNERS_WITH": 0,
        "MEMBER_OF": 0,
        "Indicator": 0,
        "MEASURED": 0,
        "PART_OF": 0,
        "COMPONENT_OF": 0,
    }
    [p] = store.query(
        "MATCH (p:Programme) RETURN p.id AS id, p.name AS name, p.status AS status, p.start_date AS s, p.end_date AS e, "
        "p.budget AS budget, p.currency AS cur, p.sectors AS sectors, p.regions AS regions, p.reporting_org AS rep, "
        "p.extending_orgs AS ext, p.accountable_orgs AS acc, p.themes AS themes"
    )
    assert p == {
        "id": "AA-AAA-123456789-ABC123",
        "name": "Activity title",
        "status": "active",
        "s": "2012-04-28",
        "e": "2015-12-31",
        "budget": 3000.0,
        "cur": "EUR",
        "sectors": ["111", "112"],
        "regions": ["489"],
        "rep": "AA-AAA-123456789",
        "ext": ["AA-AAA-123456789"],
        "acc": ["CC-CCC-123456789"],
        "themes": [],
    }
    funds = store.query("MATCH (o:Organisation)-[f:FUNDS]->(:Programme) RETURN o.id AS org, o.name AS name, f.amount AS a")
    assert funds == [{"org": "BB-BBB-123456789", "name": "Name of Agency B", "a": None}]
    targets = store.query("MATCH (:Programme)-[t:TARGETS]->(c:Country) RETURN c.iso3 AS iso3, t.share AS s ORDER BY iso3")
    assert targets == [{"iso3": "AFG", "s": 25.0}, {"iso3": "ATG", "s": 25.0}]
    again = load_iati(store, EXAMPLE)
    assert sum(again.summary.created.values()) == 0 and store.counts()["Organisation"] == 3


def activities(*bodies: str, version: str = "2.03") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="{version}">\n'
        + "\n".join(bodies)
        + "\n</iati-activities>\n"
    )


CYBER = """<iati-activity default-currency="EUR">
  <iati-identifier>XX-TEST-1</iati-identifier>
  <reporting-org ref="GB-GOV-1" type="10"><narrative>Foreign Office</narrative></reporting-org>
  <title><narrative xml:lang="fr">Appui</narrative><narrative>Support to the national CERT and Budapest Convention accession</narrative></title>
  <description type="1"><narrative>Training on electronic evidence for prosecutors.</narrative></description>
  <participating-org ref="GB-GOV-1" role="1" type="10"><narrative>FCDO</narrative></participating-org>
  <participating-org role="4" type="80"><narrative>University of Somewhere</narrative></participating-org>
  <participating-org ref="XM-DAC-47066" role="4" type="40"><narrative>Another Implementer</narrative></participating-org>
  <activity-status code="4"/>
  <activity-date iso-date="2019-01-01" type="1"/><activity-date iso-date="2022-06-30" type="4"/>
  <recipient-country code="KE" percentage="60"/><recipient-country code="GH" percentage="40"/>
  <sector vocabulary="1" code="15210" percentage="100"/>
  <transaction><transaction-type code="2"/><transaction-date iso-date="2019-01-01"/><value value-date="2019-01-01">1000</value></transaction>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2019-06-01"/><value value-date="2019-06-01">250.5</value>
    <provider-org ref="GB-GOV-1"><narrative>FCDO</narrative></provider-org></transaction>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2020-06-01"/><value value-date="2020-06-01">149.5</value></transaction>
</iati-activity>"""
NOT_CYBER = """<iati-activity default-currency="USD">
  <iati-identifier>XX-TEST-2</iati-identifier>
  <reporting-org ref="GB-GOV-1" type="10"><narrative>FCDO</narrative></reporting-org>
  <title><narrative>Rural water supply</narrative></title>
  <participating-org ref="GB-GOV-1" role="1" type="10"><narrative>FCDO</narrative></participating-org>
  <activity-status code="2"/>
  <recipient-country code="TZ" percentage="100"/>
</iati-activity>"""


def write(tmp_path: Path, text: str | bytes, name: str = "a.xml") -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def test_transactions_splits_identity_and_cyber_keywords(store: Store, tmp_path: Path) -> None:
    report = load_iati(store, write(tmp_path, activities(CYBER, NOT_CYBER)))
    assert (report.activities, report.skipped) == (2, 0)
    [p] = store.query(
        "MATCH (p:Programme {id: 'XX-TEST-1'}) RETURN p.name AS n, p.themes AS t, p.cyber_keywords AS k, p.status AS s, p.start_date AS a, p.end_date AS b"
    )
    # English narrative preferred over the French one listed first; CERT -> B, Budapest Convention and electronic evidence -> C
    assert p == {
        "n": "Support to the national CERT and Budapest Convention accession",
        "t": ["B", "C"],
        "k": ["Budapest Convention", "CERT", "electronic evidence"],
        "s": "completed",
        "a": "2019-01-01",
        "b": "2022-06-30",
    }
    # GB-GOV-1 resolves to the FCDO of the bundled data (alias table), named "Foreign, Commonwealth & Development Office"
    funds = store.query(
        "MATCH (o:Organisation)-[f:FUNDS]->(p:Programme {id: 'XX-TEST-1'}) RETURN o.id AS o, o.name AS n, f.amount AS a, f.disbursed AS d, f.currency AS c"
    )
    # commitment 1000 (provider implicit: the reporting org); disbursements 250.5 + 149.5 = 400
    assert funds == [{"o": "uk-fcdo", "n": "Foreign, Commonwealth & Development Office", "a": 1000.0, "d": 400.0, "c": "EUR"}]
    targets = store.query(
        "MATCH (:Programme {id: 'XX-TEST-1'})-[t:TARGETS]->(c:Country) RETURN c.iso3 AS iso3, t.share AS s, t.amount AS a, t.currency AS cur ORDER BY iso3"
    )
    assert targets == [{"iso3": "GHA", "s": 40.0, "a": 400.0, "cur": "EUR"}, {"iso3": "KEN", "s": 60.0, "a": 600.0, "cur": "EUR"}]
    impl = store.query(
        "MATCH (o:Organisation)-[i:IMPLEMENTS]->(:Programme {id: 'XX-TEST-1'}) RETURN o.id AS o, i.role AS r, o.kind AS k ORDER BY r"
    )
    assert impl == [
        {"o": "university-of-somewhere", "r": "lead", "k": "academic"},
        {"o": "XM-DAC-47066", "r": "partner", "k": "intergovernmental"},
    ]


def test_cyber_only_skips_and_counts(store: Store, tmp_path: Path) -> None:
    report = load_iati(store, write(tmp_path, activities(CYBER, NOT_CYBER)), cyber_only=True)
    assert (report.activities, report.skipped) == (1, 1)
    assert [r["id"] for r in store.query("MATCH (p:Programme) RETURN p.id AS id")] == ["XX-TEST-1"]


def test_unknown_codes_warn_and_load(store: Store, tmp_path: Path) -> None:
    body = CYBER.replace('code="15210"', 'code="99999"').replace('<activity-status code="4"/>', '<activity-status code="9"/>')
    body = body.replace('<recipient-country code="GH" percentage="40"/>', '<recipient-country code="QQ" percentage="40"/>')
    report = load_iati(store, write(tmp_path, activities(body)))
    joined = "\n".join(report.warnings)
    assert "activity XX-TEST-1 (line 3): unknown ActivityStatus code '9'" in joined
    assert "unknown DAC sector code '99999'" in joined
    assert "unknown recipient-country code 'QQ': not linked" in joined
    assert store.counts()["TARGETS"] == 1


BAD = {
    "IATI 1.x": (activities(CYBER, version="1.05"), ["a.xml: line 2: version: IATI 1.05 is not supported"]),
    "malformed XML": (
        activities(CYBER).replace("</title>", "</titel>", 1),
        ["a.xml: line 6: malformed XML: Opening and ending tag mismatch"],
    ),
    "truncated file": (activities(CYBER)[:900], ["malformed XML", "a.xml: line"]),
    "not IATI": ('<?xml version="1.0"?>\n<rss version="2.0"/>\n', ["expected an <iati-activities> document, found <rss>"]),
    "percentages": (
        activities(CYBER.replace('percentage="40"', 'percentage="30"')),
        ["activity XX-TEST-1 (line 3): recipient-country/@percentage: country and region percentages sum to 90, expected 100"],
    ),
    "negative amount": (
        activities(CYBER.replace(">1000<", ">-1000<")),
        ["transaction[2]/value: expected a non-negative number, got '-1000'"],
    ),
    "non-numeric amount": (
        activities(CYBER.replace(">1000<", ">lots<")),
        ["transaction[2]/value: expected a number, got 'lots'"],
    ),
    "duplicate identifier": (activities(CYBER, CYBER), ["iati-identifier: duplicate of the activity on line 3"]),
    "identifier with a space": (
        activities(CYBER.replace("XX-TEST-1", "XX TEST 1")),
        ["a.xml: activity XX TEST 1 (line 3): id: expected an identifier of letters, digits"],
    ),
    "no identifier": (
        activities(CYBER.replace("<iati-identifier>XX-TEST-1</iati-identifier>", "")),
        ["iati-identifier: required"],
    ),
    "wrong encoding": (activities(CYBER).replace("Support", "Coopération").encode("latin-1"), ["malformed XML", "a.xml: line"]),
    "empty file": ("  \n", ["a.xml: file: is empty"]),
    "impossible date": (  # the value given is named, as the tabular loader names it
        activities(
            CYBER.replace('<activity-date iso-date="2019-01-01" type="1"/>', '<activity-date iso-date="2019-13-01" type="1"/>')
        ),
        ["activity XX-TEST-1 (line 3): start_date: expected an ISO date: YYYY, YYYY-MM or YYYY-MM-DD (got '2019-13-01')"],
    ),
}


@pytest.fixture
def tiny_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut files into pieces of ~100 bytes, so even a test file goes through the worker processes."""
    monkeypatch.setattr(split, "BLOCK_BYTES", 100)
    monkeypatch.setattr(split, "CHUNK_ACTIVITIES", 1)  # and the one-process path into a batch an activity


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("case", list(BAD))
def test_bad_iati_is_named_and_changes_nothing(store: Store, tmp_path: Path, case: str, jobs: int, tiny_pieces: None) -> None:
    text, expected = BAD[case]
    store.write(small_batch())
    with pytest.raises(LoadError) as info:
        load_iati(store, write(tmp_path, text), jobs=jobs)
    for part in expected:
        assert part in str(info.value), f"{part!r} not in {str(info.value)!r}"
    assert store.counts() == SMALL_COUNTS


def test_cli_load_iati(tmp_path: Path) -> None:
    db = tmp_path / "g.lbdb"
    f = write(tmp_path, activities(CYBER, NOT_CYBER))
    out = CliRunner().invoke(cli, ["--db", str(db), "load-iati", "--cyber-only", str(f)], catch_exceptions=False)
    assert out.exit_code == 0
    assert "1 activities, 1 skipped as not cyber-related" in out.stderr
    out = CliRunner().invoke(cli, ["--db", str(db), "load-iati", "--jobs", "2", "--dry-run", str(f)], catch_exceptions=False)
    # 6 + 3 records and the one country not stored yet; the orgs and the other countries are stored, and left as they are
    assert out.exit_code == 0 and "2 activities; 10 records (dry run" in out.stderr
    out = CliRunner().invoke(cli, ["--db", str(db), "load-iati", "--jobs", "0", str(f)])
    assert out.exit_code == 2 and "--jobs" in out.stderr
    bad = write(tmp_path, activities(CYBER, version="1.05"), "old.xml")
    out = CliRunner().invoke(cli, ["--db", str(db), "load-iati", str(bad)], catch_exceptions=False)
    assert out.exit_code == 1 and out.stderr.startswith(f"Error: {bad}: line 2: version: IATI 1.05 is not supported")
    curated = write(tmp_path, "programmes:\n  - {id: p1, name: One, source: s}\n", "p.yaml")  # the wrong command
    out = CliRunner().invoke(cli, ["--db", str(db), "load-iati", str(curated)], catch_exceptions=False)
    assert out.exit_code == 1 and "malformed XML" in out.stderr and "a curated file loads with `ccb load`" in out.stderr


def numbered(n: int) -> list[str]:
    """``n`` distinct activities; every third has an unknown sector code (a warning naming its line)."""
    return [
        CYBER.replace("XX-TEST-1", f"XX-GEN-{i}").replace('code="15210"', 'code="99999"' if i % 3 == 0 else 'code="15210"')
        for i in range(n)
    ]


def line_of(text: str, ident: str) -> int:
    """The line of the ``<iati-activity>`` start tag whose identifier is ``ident`` (what the loader reports)."""
    lines = text.splitlines()
    at = next(i for i, ln in enumerate(lines) if f">{ident}<" in ln)
    return 1 + max(i for i in range(at) if "<iati-activity" in lines[i])


def rows(batch: Batch) -> dict[str, dict]:
    return {name: {k: r.__dict__ for k, r in part.items()} for name, part in {**batch.nodes, **batch.rels}.items()}


def test_workers_give_what_one_process_gives(tmp_path: Path, tiny_pieces: None) -> None:
    text = activities(*numbered(12), NOT_CYBER)
    f = write(tmp_path, text)
    one, r1 = read_iati(f, jobs=1)
    two, r2 = read_iati(f, jobs=2)
    assert (r1.jobs, r2.jobs) == (1, 2)
    for jobs in (1, 2):
        done: list[int] = []
        for _ in iter_iati(f, jobs=jobs, progress=done.append):
            pass
        assert done == sorted(done) and done[-1] == f.stat().st_size and len(done) > 1, (jobs, done)
    assert (
        rows(two) == rows(one) and len(one) == 12 * 6 + 3 + 3 + 3
    )  # a programme, FUNDS, 2 IMPLEMENTS, 2 TARGETS each; NOT_CYBER 3; 3 orgs; 3 countries
    assert r2.warnings == r1.warnings and len(r1.warnings) == 4
    assert f"activity XX-GEN-3 (line {line_of(text, 'XX-GEN-3')}): unknown DAC sector code '99999'" in r2.warnings[1]
    assert (r2.activities, r2.skipped, r2.records) == (r1.activities, r1.skipped, r1.records) == (13, 0, len(one))


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_problem_late_in_the_file_undoes_the_batches_before_it(
    store: Store, tmp_path: Path, jobs: int, tiny_pieces: None
) -> None:
    late = CYBER.replace("XX-TEST-1", "XX-TEST-LATE").replace('percentage="40"', 'percentage="30"')
    text = activities(*numbered(4), late)
    f = write(tmp_path, text)
    handed_out = 0
    with pytest.raises(LoadError, match="XX-TEST-LATE"):
        for _ in iter_iati(f, jobs=jobs):
            handed_out += 1
    assert handed_out >= 2  # batches went out before the problem was found...
    store.write(small_batch())
    with pytest.raises(
        LoadError, match=rf"activity XX-TEST-LATE \(line {line_of(text, 'XX-TEST-LATE')}\): recipient-country/@percentage"
    ):
        load_iati(store, f, jobs=jobs)
    assert store.counts() == SMALL_COUNTS  # ...and the store took none of them


def test_a_piece_that_will_not_parse_alone_falls_back_to_one_process(store: Store, tmp_path: Path, tiny_pieces: None) -> None:
    # A comment holding the end tag: a cut after it leaves a piece that is not XML on its own.
    tricky = CYBER.replace("<activity-status", "<!-- was </iati-activity> here --><activity-status")
    f = write(tmp_path, activities(*numbered(3), tricky.replace("XX-TEST-1", "XX-TEST-T")))
    report = load_iati(store, f, jobs=2)
    assert (report.activities, report.jobs) == (4, 1)
    assert store.counts()["Programme"] == 4


def test_a_file_without_plain_end_tags_is_parsed_in_order(
    store: Store, tmp_path: Path, tiny_pieces: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `</iati-activity >` is valid XML but never a cut point: rather than hold the file, parse it in one process.
    monkeypatch.setattr(split, "MAX_PIECE_BYTES", 2_000)
    f = write(tmp_path, activities(*numbered(4)).replace("</iati-activity>", "</iati-activity >"))
    report = load_iati(store, f, jobs=2)
    assert (report.activities, report.jobs) == (4, 1)
    assert store.counts()["Programme"] == 4
