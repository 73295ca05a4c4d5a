"""The README's commands work in the order written, from the quick start on, on a fresh home directory."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CCB = Path(sys.executable).parent / "ccb"  # the installed entry point, as the quick start installs it


def blocks(lang: str) -> list[str]:
    """The README's code blocks in ``lang`` up to the Neo4j section (which needs Docker) and the benchmarks."""
    text = README.read_text(encoding="utf-8").split("\n## Neo4j", 1)[0]
    return re.findall(rf"```{lang}\n(.*?)```", text, re.S)


def script() -> str:
    """The shell blocks as one script: the install steps are already done, and the test command is this run."""
    lines = []
    for block in blocks("sh"):
        for line in block.splitlines():
            if "-m pytest" in line:
                continue
            if " serve" in line:  # a server runs until stopped: the app's own tests start it
                continue
            if line.startswith("python3 -m venv"):
                line = line.rsplit("&& ", 1)[1]  # `.venv/bin/ccb demo`: the install is this test's environment
            lines.append(line)
    return "\n".join(lines)


def test_quick_start_is_the_first_two_commands() -> None:
    sh = blocks("sh")
    assert sh[0].strip() == "python3 -m venv .venv && .venv/bin/pip install -q . && .venv/bin/ccb demo"
    assert sh[1].strip() == "python3 -m venv .venv && .venv/bin/pip install -q '.[test]' && .venv/bin/python -m pytest"
    assert (ROOT / ".ci" / "run").read_text().count(sh[1].strip()) == 1  # CI runs the README's test command


def test_every_command_block_runs_in_order(tmp_path: Path) -> None:
    assert CCB.exists(), f"{CCB}: install the package (pip install '.[test]') to run this test"
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    for name in ("docs", "loaders", "tests"):  # the files the README names, as in a checkout
        (work / name).symlink_to(ROOT / name)
    (work / ".venv" / "bin").mkdir(parents=True)
    (work / ".venv" / "bin" / "ccb").symlink_to(CCB)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCB_", "NEO4J_"))}
    env |= {"HOME": str(home), "PATH": f"{CCB.parent}{os.pathsep}{env.get('PATH', '')}", "COLUMNS": "80"}
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-xc", script()], cwd=work, env=env, capture_output=True, text=True, timeout=900
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert (home / ".local" / "share" / "ccb" / "ccb-demo.lbdb").exists()
    for made in (
        "ccb.gexf",
        "ccb.graphml",
        "ccb.json",
        "nodes.csv",
        "nodes.edges.csv",
        "kenya.html",
        "map.png",
        "funders.png",
        "years.svg",
        "world.html",
        "kenya.md",
        "kenya.map.svg",
        "kenya.timeline.svg",
        "uk.html",
        "regions.png",
    ):
        assert (work / made).stat().st_size > 0, made
    # the Python snippet, in the same place after the commands
    [snippet] = blocks("python")
    py = subprocess.run(
        [sys.executable, "-c", snippet],
        cwd=work,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert py.returncode == 0, py.stderr[-3000:]
    # the serve line, started as written (on a free port) and asked for its home page
    from tests.test_help_examples import serve_once

    [serve] = [line for block in blocks("sh") for line in block.splitlines() if " serve" in line]
    serve_once(shlex.split(serve.replace("~", str(home)))[1:], {**env, "HOME": str(home)}, work)
    shutil.rmtree(work / ".venv")
