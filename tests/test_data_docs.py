"""docs/data.md stays true: its worked example loads and passes the check, its sample and tables are reproducible."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "data.md"


def test_the_worked_example_loads_and_passes_the_check(tmp_path: Path) -> None:
    example = re.search(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S).group(1)
    (tmp_path / "p4c.yaml").write_text(example, encoding="utf-8")
    db = tmp_path / "demo.lbdb"
    assert CliRunner().invoke(cli, ["demo", "--db", str(db), "--format", "json"]).exit_code == 0
    loaded = CliRunner().invoke(cli, ["--db", str(db), "load", str(tmp_path / "p4c.yaml")])
    assert loaded.exit_code == 0, loaded.stderr
    checked = CliRunner().invoke(cli, ["--db", str(db), "check", "--format", "json"])
    assert checked.exit_code == 0 and all(r["count"] == 0 for r in json.loads(checked.stdout))
    scopes = CliRunner().invoke(
        cli, ["--db", str(db), "query", "--format", "json", "MATCH (p:Programme {id: 'p4c-2023'}) RETURN p.scope_regions AS r"]
    )
    assert json.loads(scopes.stdout) == [{"r": ["Oceania"]}]


def test_the_sample_is_seeded_and_every_drawn_record_has_a_source() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    import sample_records

    a, b = sample_records.sample(30, 12), sample_records.sample(30, 12)
    assert a == b and len(a) == 30 and sample_records.sample(30, 13) != a
    assert all(r["source"].startswith("http") and r["as_of"] for _, r in a)
    # the doc's table lists the same 30 draws, in order
    rows = re.findall(r"^\| (\d+) \| (\S+) ", DOC.read_text(encoding="utf-8"), re.M)
    assert [int(n) for n, _ in rows] == list(range(1, 31))
    kinds = {
        "targets": "targets",
        "implements": "implements",
        "part_of": "part_of",
        "funds": "funds",
        "partners_with": "partners_with",
        "programmes": "programme",
        "organisations": "organisation",
    }
    assert [k for _, k in rows] == [kinds[s] for s, _ in a]


def test_the_tables_are_the_report() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "data_report.py")], capture_output=True, text=True, check=True)
    assert out.stdout.strip() in DOC.read_text(encoding="utf-8")
