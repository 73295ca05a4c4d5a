"""`ccb mcp`: the SDK's own client against the real server, over stdio (a subprocess) and streamable HTTP, both stores.

Each tool's rows are the rows the command of the same name prints as JSON; names are resolved with suggestions; a
write through `query` is refused; the store is the same record for record afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from cli import cli
from graph.embedded import EmbeddedStore
from graph.store import Store
from tests.conftest import free_port
from tests.queries.test_plan import fingerprint
from tests.test_consistency import _load_bundled

ROOT = Path(__file__).resolve().parents[2]
CCB = [sys.executable, "-c", "from cli import main; main()"]
TOOLS = {
    *("search", "profile", "supports", "gaps", "concentration", "partners", "match", "timeline", "breakdown"),
    *("progress", "plan", "query", "programmes", "organisations"),
}


class Served:
    """The bundled data in one store, as the CLI and the MCP server are pointed at it."""

    def __init__(self, db: str, env: dict[str, str], open_store: Any) -> None:
        self.db, self.env, self.open = db, env, open_store

    def cli_json(self, *args: str) -> list[dict[str, Any]]:
        out = CliRunner().invoke(cli, ["--db", self.db, *args, "--format", "json"], env=self.env, catch_exceptions=False)
        assert out.exit_code == 0, out.stderr
        return json.loads(out.stdout)  # type: ignore[no-any-return]

    def cli_stderr(self, *args: str) -> list[str]:
        """The lines the command says beside its JSON (its notes), as an answer's notes give them."""
        out = CliRunner().invoke(cli, ["--db", self.db, *args, "--format", "json"], env=self.env, catch_exceptions=False)
        assert out.exit_code == 0, out.stderr
        return out.stderr.splitlines()

    def fingerprint(self) -> dict[str, Any]:
        s: Store = self.open()
        try:
            return fingerprint(s)
        finally:
            s.close()


@pytest.fixture(scope="module", params=["embedded", "neo4j"])
def served(request: pytest.FixtureRequest, demo: Path) -> Iterator[Served]:
    if request.param == "embedded":
        yield Served(str(demo), {}, lambda: EmbeddedStore(demo, read_only=True))
        return
    bolt = request.getfixturevalue("bolt")
    s = bolt.store()
    s.clear()
    _load_bundled(s)
    s.close()
    yield Served(bolt.uri, bolt.env(), bolt.store)


def _content(result: Any) -> dict[str, Any]:
    assert not result.is_error, result.content
    return result.structured_content  # type: ignore[no-any-return]


def _error(result: Any) -> str:
    assert result.is_error and result.structured_content is None
    (text,) = [c.text for c in result.content]
    return text  # type: ignore[no-any-return]


async def _conversation(client: Client, served: Served) -> None:
    assert {t.name for t in (await client.list_tools()).tools} == TOOLS
    # the question the issue asks, answered as the command answers it, with each score's explanation and its pages
    gaps = _content(await client.call_tool("gaps", {"region": "western africa", "theme": "cybercrime", "limit": 200}))
    assert gaps["rows"] == served.cli_json("gaps", "--region", "western africa", "--theme", "cybercrime")
    assert gaps["rows"] and all(r["explanation"].startswith("need ") for r in gaps["rows"])
    assert gaps["data"].startswith("data: a sample, not a census") and any("weights" in n for n in gaps["notes"])
    kenya = _content(await client.call_tool("gaps", {"country": "Kenya"}))
    assert kenya["rows"] == served.cli_json("gaps", "--country", "Kenya")
    assert kenya["notes"][0].startswith("Kenya ranks ") and "by priority (1 is the most in need" in kenya["notes"][0]
    assert "country goes with by='country'" in _error(await client.call_tool("gaps", {"country": "KEN", "by": "region"}))
    page = _content(await client.call_tool("profile", {"name": "Kenya"}))
    assert page["notes"][0] == kenya["notes"][0] + "."  # its page says where it ranks, as the gaps answer does
    # and opens as the command's page does; its rows give themes as letters, so it ends with what they stand for
    assert page["notes"][:-1] == served.cli_stderr("profile", "Kenya")
    assert page["notes"][-1].startswith("themes: A Cyber Security Policy & Strategy; B Cyber Incident Management")
    supports = _content(await client.call_tool("supports", {"country": "Kenya", "limit": 200}))
    assert supports["rows"] == served.cli_json("supports", "--country", "Kenya")
    assert supports["sources"] and all(u.startswith("http") for u in supports["sources"].values())
    named = {p for r in supports["rows"] for p in r["programme_ids"]}
    assert named and named <= set(supports["sources"])  # every programme the answer names, with the page behind it
    # the programmes themselves and the local partners, as the commands list them, each programme with its page
    listed = _content(await client.call_tool("programmes", {"country": ["Kenya"], "theme": ["cybercrime"], "limit": 200}))
    assert listed["rows"] == served.cli_json("programmes", "--country", "Kenya", "--theme", "cybercrime")
    assert listed["rows"] and set(listed["sources"]) == {r["programme"] for r in listed["rows"]}
    local = _content(await client.call_tool("organisations", {"country": ["KEN"], "limit": 200}))
    assert local["rows"] and local["rows"] == served.cli_json("organisations", "--country", "KEN")
    uk = _content(await client.call_tool("programmes", {"donor": ["fcdo"], "limit": 1}))
    assert "(uk-fcdo) is counted with its donor, gov-gbr" in uk["notes"][0] and "the first 1 shown" in uk["notes"][1]
    assert "did you mean Kenya (KEN)" in _error(await client.call_tool("programmes", {"country": ["Kenia"]}))
    match = _content(await client.call_tool("match", {"country": "KEN", "theme": "cybercrime", "limit": 5}))
    vatican = _content(await client.call_tool("match", {"country": "VAT", "theme": "cybercrime", "limit": 1}))
    assert any(n.startswith("Holy See (Vatican City State) is not ranked by the gaps model") for n in vatican["notes"])
    assert match["rows"] == served.cli_json("match", "KEN", "--theme", "cybercrime", "--limit", "5")
    eritrea = _content(await client.call_tool("match", {"country": "ERI", "limit": 2}))  # two on each theme it lacks
    assert eritrea["rows"] == served.cli_json("match", "ERI", "--limit", "2")
    assert {r["theme"] for r in eritrea["rows"] if r["org"]} == {"A", "B", "C", "D"}
    pairs = _content(await client.call_tool("partners", {"region": "western africa", "limit": 5}))
    assert pairs["rows"] and pairs["rows"] == served.cli_json("partners", "--region", "western africa", "--limit", "5")
    years = _content(await client.call_tool("timeline", {"by": "country", "only": "Kenya"}))
    assert years["rows"] == served.cli_json("timeline", "--by", "country", "--only", "Kenya")
    money = _content(await client.call_tool("breakdown", {"by": "donor", "measure": "amount", "limit": 200}))
    assert money["rows"] == served.cli_json("breakdown", "--by", "funder", "--measure", "amount")
    assert money["notes"][0].startswith("summed in USD alone, never converted") and "EUR" in money["notes"][0]
    change = _content(await client.call_tool("progress", {"theme": "cybercrime"}))
    assert change["rows"] == served.cli_json("progress", "--theme", "cybercrime")
    assert any(n.startswith("caveat: an association, never an effect") for n in change["notes"])
    found = _content(await client.call_tool("search", {"text": "kenya"}))["rows"]
    assert (found[0]["kind"], found[0]["iso3"], found[0]["name"]) == ("country", "KEN", "Kenya")
    assert {"cyber-shujaa", "afjoc"} <= {r.get("programme") for r in found}  # full text: what reaches Kenya too
    assert any(r["kind"] == "organisation" for r in found)
    long = _content(await client.call_tool("search", {"text": " ".join(f"w{i}" for i in range(40))}))
    assert "Only the first 32 distinct words were searched; 8 more were left out (w32, w33, w34, w35, w36, ...)." in long["notes"]
    # bad input: one line naming the closest real names; a write refused; a year out of range said, not a traceback
    assert "no country, organisation or programme 'Kenia' in the graph (did you mean Kenya (KEN)" in _error(
        await client.call_tool("profile", {"name": "Kenia"})
    )
    assert "writes to the graph; nothing was changed" in _error(
        await client.call_tool("query", {"cypher": "CREATE (:Country {iso3: 'ZZZ', name: 'Nowhere'})"})
    )
    # a year is named as the tool's parameter, not the command's option
    assert "year_to 1990 is before year_from 2020" in _error(await client.call_tool("gaps", {"year_from": 2020, "year_to": 1990}))
    assert "year_from 1800 is not a year between" in _error(await client.call_tool("timeline", {"year_from": 1800}))
    zzz = await client.call_tool("query", {"cypher": "MATCH (c:Country {iso3: $c}) RETURN count(c) AS n", "params": {"c": "ZZZ"}})
    assert _content(zzz)["rows"] == [{"n": 0}]
    # NaN and Infinity are no JSON: null, as the CLI's --format json writes them
    odd = await client.call_tool("query", {"cypher": "RETURN 0.0 / 0.0 AS a, 1.0 / 0.0 AS b"})
    assert _content(odd)["rows"] == [{"a": None, "b": None}]
    # a cartesian product (a million rows here) is refused before it becomes rows, not read into memory and cut
    assert "more than the 10,000 read (add LIMIT, or aggregate" in _error(
        await client.call_tool("query", {"cypher": "MATCH (a:Country), (b:Country), (c:Country) RETURN a.iso3, b.iso3, c.iso3"})
    )
    many = _content(await client.call_tool("query", {"cypher": "MATCH (a:Country), (b:Country) RETURN a.iso3 LIMIT 300"}))
    assert len(many["rows"]) == 200 and "300 rows, the first 200 shown" in many["notes"][0]
    # the method pages as resources, and the prompts a strategist starts from
    assert {str(r.uri) for r in (await client.list_resources()).resources} == {
        "ccb://docs/need-model",
        "ccb://docs/data",
        "ccb://docs/plan",
    }
    (page,) = (await client.read_resource("ccb://docs/need-model")).contents
    assert page.text == (ROOT / "docs" / "need-model.md").read_text(encoding="utf-8")
    assert {p.name for p in (await client.list_prompts()).prompts} == {"brief_region", "who_could_help", "next_fund"}
    brief = await client.get_prompt("brief_region", {"region": "Western Africa"})
    assert "region='Western Africa'" in brief.messages[0].content.text


def test_an_assistant_over_stdio_gets_the_commands_answers_and_writes_nothing(served: Served) -> None:
    before = served.fingerprint()
    params = StdioServerParameters(
        command=CCB[0], args=[*CCB[1:], "--db", served.db, "mcp"], env={**os.environ, **served.env}, cwd=str(ROOT)
    )

    async def main() -> None:
        async with Client(params) as client:
            await _conversation(client, served)

    asyncio.run(main())
    assert served.fingerprint() == before


def _wait_for(port: int, proc: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"ccb mcp --http exited: {proc.stderr.read() if proc.stderr else ''}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("ccb mcp --http did not listen")


def test_over_http_on_loopback_the_same_tools_answer(served: Served) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [*CCB, "--db", served.db, "mcp", "--http", "--port", str(port)],
        env={**os.environ, **served.env},
        cwd=str(ROOT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(port, proc)

        async def main() -> None:
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                assert {t.name for t in (await client.list_tools()).tools} == TOOLS
                conc = _content(await client.call_tool("concentration", {"region": "Africa", "limit": 200}))
                assert conc["rows"] == served.cli_json("concentration", "--region", "Africa")
                plan = _content(await client.call_tool("plan", {"budget": "GBP 2000000", "donor": "UK", "grant_size": 250000}))
                want = served.cli_json("plan", "--budget", "GBP 2000000", "--donor", "UK", "--grant-size", "250000")
                assert plan["rows"] == want and any("need-weighted gap" in n for n in plan["notes"])

        asyncio.run(main())
    finally:
        proc.terminate()
        proc.wait(timeout=30)
