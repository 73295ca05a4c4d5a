"""docs/data.md stays true: its worked example loads and passes the check, its sample and tables are reproducible."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "data.md"


def _sampler() -> ModuleType:
    """scripts/sample_records.py as a module, loaded from its file (the scripts folder stays off sys.path)."""
    spec = importlib.util.spec_from_file_location("sample_records", ROOT / "scripts" / "sample_records.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    sample_records = _sampler()
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
        "component_of": "component_of",
        "programmes": "programme",
        "organisations": "organisation",
    }
    assert [k for _, k in rows] == [kinds[s] for s, _ in a]


def test_the_tables_are_the_report() -> None:
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "data_report.py")], capture_output=True, text=True, check=True)
    assert out.stdout.strip() in DOC.read_text(encoding="utf-8")


def test_the_sample_stays_as_the_data_grows(tmp_path: Path) -> None:
    """Records added to the file leave the drawn sample as it was, but where one of them ranks among the first n."""
    import yaml

    sample_records = _sampler()
    before = sample_records.sample(30, 12)
    data = yaml.safe_load(sample_records.DATA.read_text(encoding="utf-8"))
    added = [{"id": f"added-{i}", "name": f"Added {i}", "source": "s", "as_of": "2026"} for i in range(200)]
    data["organisations"] = added + data["organisations"]  # at the front: every position in the file shifts
    grown = tmp_path / "programmes.yaml"
    grown.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    after = sample_records.sample(30, 12, grown)
    new = [r for _, r in after if r in added]
    assert new  # 200 new records out of ~2,200: some rank among the first 30
    kept = [(s, r) for s, r in after if r not in added]
    assert kept == before[: len(kept)]  # the old draws keep their order; the new ones only push the last out


def test_the_readme_counts_the_bundled_data_as_it_is() -> None:
    # the README said 210 programmes, 234 organisations and 1,315 links long after the file held 354, 373 and 2,181
    import csv

    import yaml

    data = ROOT / "loaders" / "data"
    held = yaml.safe_load((data / "programmes.yaml").read_text(encoding="utf-8"))
    with (data / "blocs.organisations.csv").open(encoding="utf-8") as f:
        blocs = sum(1 for _ in csv.DictReader(f))
    links = sum(len(v) for k, v in held.items() if k not in ("organisations", "programmes"))
    said = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    n_prog, n_org, n_all, n_links = re.search(
        r"`programmes.yaml`: (\d+) real CCB programmes.*? and (\d+) organisations \((\d+) with the blocs\), with ([\d,]+) "
        r"funding",
        said,
    ).groups()
    assert (int(n_prog), int(n_org), int(n_all), int(n_links.replace(",", ""))) == (
        len(held["programmes"]),
        len(held["organisations"]),
        len(held["organisations"]) + blocs,
        links,
    )
