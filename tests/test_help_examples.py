"""Every command's --help ends with one or two examples, and every example runs on the demo store."""

from __future__ import annotations

import csv
import re
import shlex
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from cli import cli
from loaders import bundled

ROOT = Path(__file__).resolve().parents[1]


def commands(cmd: click.Command = cli, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name, sub in sorted(cmd.commands.items()):
            yield from commands(sub, (*path, name))


def examples(cmd: click.Command) -> list[str]:
    """The example lines at the end of a command's help page, as the user sees them."""
    ctx = click.Context(cmd, info_name="ccb")
    text = cmd.get_help(ctx)
    tail = text.rsplit("Examples:", 1)
    return [line.strip() for line in tail[1].splitlines() if line.strip().startswith("ccb ")] if len(tail) == 2 else []


ALL = list(commands())


@pytest.mark.parametrize("path,cmd", ALL, ids=[" ".join(p) or "ccb" for p, _ in ALL])
def test_every_help_page_ends_with_one_or_two_examples(path: tuple[str, ...], cmd: click.Command) -> None:
    found = examples(cmd)
    assert 1 <= len(found) <= 2, f"ccb {' '.join(path)} --help has {len(found)} examples"
    for line in found:  # each example is of this command
        assert [w for w in shlex.split(line)[1:] if not w.startswith("-") and "/" not in w and "." not in w][: len(path)] == list(
            path
        ), line
    assert cmd.get_help(click.Context(cmd, info_name="ccb")).rstrip().splitlines()[-1].strip().startswith("ccb ")


@pytest.mark.parametrize("path,cmd", ALL, ids=[" ".join(p) or "ccb" for p, _ in ALL])
def test_every_option_says_what_it_does(path: tuple[str, ...], cmd: click.Command) -> None:
    """`ccb viz network --help` gave "--depth INTEGER RANGE [default: 1; 1<=x<=6]" and nothing of what a step is."""
    bare = [p.opts[0] for p in cmd.params if isinstance(p, click.Option) and not p.hidden and not (p.help or "").strip()]
    assert not bare, f"ccb {' '.join(path)}: {bare} have no help text"


def user_files(where: Path) -> None:
    """The files the examples name, made from real data: a programme, a funding link, IATI's example activity file,
    GCI 2024, the World Bank's CLASS.xlsx."""
    doc = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    (where / "my-programmes.yaml").write_text(re.search(r"```yaml\n(.*?)```", doc, re.S).group(1), encoding="utf-8")
    link = yaml.safe_load(bundled.PROGRAMMES.read_text(encoding="utf-8"))["funds"][0]  # a real funding link, with its source
    with (where / "funds.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(link))
        w.writeheader()
        w.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in link.items()})
    shutil.copy(ROOT / "tests" / "data" / "activity-standard-example-annotated.xml", where / "activities.xml")
    shutil.copy(bundled.DATA / "indices.gci-2024.csv", where / "gci-2024.csv")
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Economy", "Code", "Region", "Income group", "Lending category"])
    with (bundled.DATA / "reference" / "wb_class_fy25.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            ws.append([r["economy"], r["iso3"], r["region"], r["income_group"], r["lending_category"]])
    wb.save(where / "CLASS.xlsx")


EXAMPLES = [(p, line) for p, c in ALL for line in examples(c)]


@pytest.mark.parametrize("path,line", EXAMPLES, ids=[line for _, line in EXAMPLES])
def test_every_example_runs_on_the_demo_store(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, path: tuple[str, ...], line: str
) -> None:
    store = tmp_path / "demo.lbdb"
    for f in demo.parent.glob(demo.name + "*"):  # the store and its marker: examples that write change a copy
        shutil.copy(f, tmp_path / f.name)
    user_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    env = {"CCB_DB": str(store), "HOME": str(tmp_path), "COLUMNS": "80"}
    if "bolt://localhost:7687" in line:  # the test Bolt server stands in for a local Neo4j
        bolt = request.getfixturevalue("bolt")
        bolt.store().clear()
        line, env = line.replace("bolt://localhost:7687", bolt.uri), {**env, **bolt.env()}
    args = shlex.split(line.replace("~/.local/share/ccb/ccb-demo.lbdb", str(store)))[1:]
    if path == ("serve",):  # runs until stopped: start it, ask it for its home page, stop it
        serve_once(args, env, tmp_path)
        return
    if path == ("mcp",):  # an MCP server: an MCP client starts it (stdio) or reaches it (HTTP) and lists its tools
        mcp_once(args, env, tmp_path)
        return
    before = set(tmp_path.iterdir())
    out = CliRunner().invoke(cli, args, env=env)
    assert out.exit_code == 0, f"{line}: {out.stderr or out.output}"
    made = set(tmp_path.iterdir()) - before
    assert out.stdout.strip() or made or out.stderr.strip(), f"{line} printed and wrote nothing"
    for f in made:
        assert f.stat().st_size > 0, f


def serve_once(args: list[str], env: dict[str, str], cwd: Path) -> None:
    import os
    import re as re_
    import subprocess
    import sys
    import urllib.request

    args = [a for a in args if a != "--port" and not a.isdigit()] + ["--port", "0"]  # any free port
    proc = subprocess.Popen(
        [sys.executable, "-c", "from cli import main; main()", *args],
        cwd=cwd,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
    )
    try:
        said = []  # a line per warming step, then the address once ready
        while not said or not said[-1].startswith("serving "):
            said.append(proc.stderr.readline())  # type: ignore[union-attr]
            assert said[-1], said  # the process ended before it served
        assert any(s.startswith("warming 1/") for s in said), said
        url = re_.search(r"at (http://127\.0\.0\.1:\d+/)", said[-1])
        assert url, said
        with urllib.request.urlopen(url.group(1), timeout=60) as r:  # noqa: S310 (loopback)
            assert r.status == 200 and b"Where support is missing" in r.read()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def mcp_once(args: list[str], env: dict[str, str], cwd: Path) -> None:
    import asyncio
    import os
    import subprocess
    import sys

    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    from tests.conftest import free_port
    from tests.visualisations.test_mcp import TOOLS, _wait_for

    command = [sys.executable, "-c", "from cli import main; main()"]
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}

    async def tools(server: object) -> set[str]:
        async with Client(server) as client:  # type: ignore[arg-type]
            return {t.name for t in (await client.list_tools()).tools}

    if "--http" not in args:
        params = StdioServerParameters(command=command[0], args=[*command[1:], *args], env=full_env, cwd=str(cwd))
        assert asyncio.run(tools(params)) == TOOLS
        return
    port = free_port()
    args = [a for a in args if a != "--port" and not a.isdigit()] + ["--port", str(port)]
    proc = subprocess.Popen([*command, *args], cwd=cwd, stderr=subprocess.PIPE, text=True, env=full_env)
    try:
        _wait_for(port, proc)
        assert asyncio.run(tools(f"http://127.0.0.1:{port}/mcp")) == TOOLS
    finally:
        proc.terminate()
        proc.wait(timeout=30)
