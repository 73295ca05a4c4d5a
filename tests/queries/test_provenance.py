"""The provenance check: each rule caught on hand-made records, and the bundled data passing it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli import cli
from graph.model import Country, Funds, Organisation, Programme, Targets
from graph.store import Batch, Store
from queries.provenance import check

S = "https://www.coe.int/en/web/cybercrime/glacy"


def test_each_rule_counts_what_breaks_it(store: Store) -> None:
    store.write(
        Batch().extend(
            [
                Country(iso3="GHA", name="Ghana", source=S, as_of="2026-11"),
                Organisation(id="eu", name="EU", source=S, as_of="2026-11"),
                Organisation(id="lonely", name="Lonely", source="https://www.lonely.org/", as_of="2026-11"),  # homepage, unlinked
                Programme(id="p1", name="One", source=S, as_of="2026-11"),
                Programme(id="p2", name="Two", scope="global", source=S),  # no as_of; a stated scope is enough
                Programme(id="p3", name="Three", source=S, as_of="2026-11"),  # reaches nowhere
                Programme(id="p6", name="Six", source=S, as_of="2026-11"),  # only hosted: serves no one
                Targets(src="p6", dst="GHA", role="host", source=S, as_of="2026-11"),
                Funds(src="eu", dst="p1", source="https://www.coe.int/ (GLACY)", as_of="2026-11"),  # a title after a homepage
                Funds(src="eu", dst="p3", source="https://docslib.org/doc/1/a-report", as_of="2026-11"),  # a mirror
                Targets(src="p1", dst="GHA", source=S),  # no as_of
                Organisation(id="gov-a", name="A", kind="government", country="GHA", source=S, as_of="2026-11"),
                Organisation(id="gov-b", name="B", kind="government", country="GHA", source=S, as_of="2026-11"),
                Funds(src="gov-a", dst="p1", source=S, as_of="2026-11"),  # two bodies of Ghana, neither part of the other
                Funds(src="gov-b", dst="p1", source=S, as_of="2026-11"),
                # money in a currency no loader would take ('EUO' for EUR), as a Cypher write or another tool leaves it
                Programme(id="p7", name="Seven", scope="global", source=S, as_of="2026-11"),
                Funds.model_construct(src="eu", dst="p7", amount=5.0, currency="EUO", source=S, as_of="2026-11"),
                # the same programme twice under two ids; "One+" is another programme, not a copy
                Programme(id="p1-again", name=" one ", scope="global", source=S, as_of="2026-11"),
                Programme(id="p1-plus", name="One+", scope="global", source=S, as_of="2026-11"),
                Organisation(id="eu-2", name="European Union", aliases=["EU"], source=S, as_of="2026-11"),
                Funds(src="eu-2", dst="p1-plus", source=S, as_of="2026-11"),
                # a high-income donor listed among the states its own programme serves; hosting is not benefiting
                Country(iso3="SGP", name="Singapore", income_group="High income", source=S, as_of="2026-11"),
                Organisation(id="gov-sgp", name="Singapore", kind="government", country="SGP", source=S, as_of="2026-11"),
                Programme(id="p4", name="Four", source=S, as_of="2026-11"),
                Programme(id="p5", name="Five", source=S, as_of="2026-11"),
                Funds(src="gov-sgp", dst="p4", source=S, as_of="2026-11"),
                Funds(src="gov-sgp", dst="p5", source=S, as_of="2026-11"),
                Targets(src="p4", dst="SGP", source=S, as_of="2026-11"),
                Targets(src="p4", dst="GHA", source=S, as_of="2026-11"),
                Targets(src="p5", dst="SGP", role="host", source=S, as_of="2026-11"),
                Targets(src="p5", dst="GHA", source=S, as_of="2026-11"),
                Funds(src="gov-a", dst="p4", source=S, as_of="2026-11"),  # Ghana (no income group here) co-funds: not flagged
            ]
        )
    )
    rows = {r["rule"]: r for r in check(store)}
    assert {k: (r["count"], r["examples"]) for k, r in rows.items()} == {
        "no_as_of": (2, ["Programme:p2", "TARGETS:p1->GHA"]),
        "homepage_source": (2, ["FUNDS:eu->p1", "Organisation:lonely"]),
        "unlinked_organisation": (1, ["Organisation:lonely"]),
        "unreached_programme": (2, ["Programme:p3", "Programme:p6"]),
        "mirror_source": (1, ["FUNDS:eu->p3"]),
        "empty_bloc": (0, []),
        "component_cycle": (0, []),
        "components_exceed_umbrella": (0, []),
        "umbrella_funder_hidden": (0, []),
        "donor_as_beneficiary": (1, ["TARGETS:p4->SGP"]),
        "loose_government_body": (2, ["Organisation:gov-a", "Organisation:gov-b"]),
        "duplicate_name": (4, ["Organisation:eu", "Organisation:eu-2", "Programme:p1", "Programme:p1-again"]),
        "unknown_currency": (1, ["FUNDS:eu->p7"]),
    }


def test_cli_exits_1_on_problems_and_0_on_clean_data(tmp_path: Path) -> None:
    from graph.embedded import EmbeddedStore

    db = tmp_path / "g.lbdb"
    with EmbeddedStore(db) as s:
        s.write(
            Batch().extend(
                [
                    Organisation(id="eu", name="EU", source=S, as_of="2026-11"),
                    Programme(id="p", name="P", scope="global", source=S, as_of="2026-11"),
                    Funds(src="eu", dst="p", source=S, as_of="2026-11"),
                ]
            )
        )
    ok = CliRunner().invoke(cli, ["--db", str(db), "check", "--format", "csv"])
    assert ok.exit_code == 0 and ok.stdout.count(",0,") == 13
    with EmbeddedStore(db) as s:
        s.write(Batch().extend([Organisation(id="x", name="X", source=S)]))
    bad = CliRunner().invoke(cli, ["--db", str(db), "check"])
    assert bad.exit_code == 1 and "2 problem(s) in 2 rule(s)" in bad.stderr


def test_bundled_data_passes_the_check(tmp_path: Path) -> None:
    """Issue 12: every bundled record and relationship names a specific page and an as-of, every organisation is
    linked, every programme reaches somewhere; `ccb check` proves it (and exits 0) on the demo store."""
    db = tmp_path / "demo.lbdb"
    out = CliRunner().invoke(cli, ["demo", "--db", str(db), "--format", "json"], catch_exceptions=False)
    assert out.exit_code == 0
    ok = CliRunner().invoke(cli, ["--db", str(db), "check", "--format", "json"], catch_exceptions=False)
    assert ok.exit_code == 0, ok.stdout
    assert {r["rule"]: r["count"] for r in json.loads(ok.stdout)} == {
        "no_as_of": 0,
        "homepage_source": 0,
        "unlinked_organisation": 0,
        "unreached_programme": 0,
        "mirror_source": 0,
        "empty_bloc": 0,
        "component_cycle": 0,
        "components_exceed_umbrella": 0,
        "umbrella_funder_hidden": 0,
        "donor_as_beneficiary": 0,
        "loose_government_body": 0,
        "duplicate_name": 0,
        "unknown_currency": 0,
    }
