"""The network page: offline, escaped, aggregated when large (browser checks: next in the issue)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from cli import cli
from graph.embedded import EmbeddedStore
from graph.model import Country, Funds, Organisation, PartOf, Programme, Targets
from graph.store import Batch
from queries.terms import UnknownName
from tests.fixtures import SRC, small_batch
from visualisations import network as viz

HOSTILE = "<img src=x onerror=alert(1)>"


def page_data(html: str) -> dict:
    m = re.search(r'<script id="data" type="application/json">(.*?)</script>', html, re.S)
    assert m, "data script missing"
    return json.loads(m.group(1))


def test_page_is_self_contained_and_escapes_values() -> None:
    g = nx.MultiDiGraph()
    g.add_node("Organisation:x", label="Organisation", name=HOSTILE, source="</script><script>alert(2)</script>")
    g.add_node("Country:KEN", label="Country", name="Kenya")
    g.add_edge("Organisation:x", "Country:KEN", key="PARTNERS_WITH", type="PARTNERS_WITH")
    html = viz.page(g)
    assert not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', html), "a resource would be fetched"
    assert "<img src=x" not in html and "</script><script>alert(2)" not in html
    data = page_data(html)
    [node] = [n for n in data["nodes"] if n["id"] == "Organisation:x"]
    assert (
        node["name"] == HOSTILE and node["label"] == "<img src=x\nonerror=alert(1)>"
    )  # characters, by JSON, never markup; wrapped, not cut
    assert "source: </script><script>alert(2)</script>" in node["title"]
    # laid out before the page is written: fixed positions, no physics in the browser, the same page every time
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) for n in data["nodes"])
    assert data["options"]["physics"] == {"enabled": False} and "vis.Network" in html
    # only the page's own two scripts may run: by hash, no 'unsafe-inline' (the browser tests run the page under it)
    [csp] = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp == viz.policy(html) and "script-src 'sha256-" in csp and "unsafe-inline'; img" in csp
    assert "unsafe-inline" not in csp.split("; ")[1] and csp.split("; ")[1].count("'sha256-") == 2
    assert viz.page(g) == html


def test_kinds_are_coloured_and_shaped(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "g.lbdb") as s:
        s.write(small_batch())
        g = s.to_networkx()
    data = page_data(viz.page(g))
    by_id = {n["id"]: n for n in data["nodes"]}
    assert (by_id["Organisation:eu"]["color"], by_id["Organisation:eu"]["shape"]) == viz.KINDS["funder"][:2]
    assert (by_id["Organisation:coe"]["color"], by_id["Organisation:coe"]["shape"]) == viz.KINDS["implementer"][:2]
    assert by_id["Country:GHA"]["shape"] == "dot" and by_id["Programme:p1"]["shape"] == "square"
    assert len(data["nodes"]) == 8 and len(data["edges"]) == 7


def test_around_and_depth(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "g.lbdb") as s:
        s.write(small_batch())
        g = s.to_networkx()
    # Kenya <- p1 (depth 1); p1 <- eu, coe and -> GHA (depth 2)
    assert sorted(viz.ego(g, "KEN", 1).nodes) == ["Country:KEN", "Programme:p1"]
    assert sorted(viz.ego(g, "Kenya", 2).nodes) == [
        "Country:GHA",
        "Country:KEN",
        "Organisation:coe",
        "Organisation:eu",
        "Programme:p1",
    ]
    with pytest.raises(UnknownName, match=r"no country or organisation 'Kenia' in the graph \(did you mean Kenya \(KEN\)\?\)"):
        viz.ego(g, "Kenia", 1)


def test_a_state_that_funds_through_an_agency_has_a_view(tmp_path: Path) -> None:
    """Italy funds CyberBridge through its foreign ministry: `ccb viz network --around "Government of Italy"` said
    "nothing to draw around Government of Italy", and the app's overview and Italy's page linked that view (404;
    Spain, Thailand and four more alike). An agency now stands with its state, as every analysis counts it; a
    state and agency whose programmes a filter leaves out are dropped together, not drawn as a pair alone."""
    db = tmp_path / "g.lbdb"
    recs = [
        Country(iso3="KEN", name="Kenya", source=SRC),
        Organisation(id="gov-x", name="Government of X", source=SRC),
        Organisation(id="x-mfa", name="X foreign ministry", source=SRC),
        Programme(id="p1", name="P1", themes=["D"], source=SRC),
        PartOf(src="x-mfa", dst="gov-x", source=SRC),
        Funds(src="x-mfa", dst="p1", source=SRC),
        Targets(src="p1", dst="KEN", source=SRC),
    ]
    with EmbeddedStore(db) as s:
        s.write(Batch().extend(recs))
        g = viz.graph_of(s)
    assert sorted(viz.ego(g, "gov-x", 1).nodes) == ["Organisation:gov-x", "Organisation:x-mfa", "Programme:p1"]
    assert viz.kind_of(g, "Organisation:gov-x") == "funder"  # through its agency, drawn as the donor it is
    assert sorted(viz.ego(g, "x-mfa", 1).nodes) == ["Organisation:gov-x", "Organisation:x-mfa", "Programme:p1"]
    assert sorted(viz.filtered(g, theme="C").nodes) == []  # no programme on C: nothing, not the pair alone
    out = CliRunner().invoke(
        cli, ["--db", str(db), "viz", "network", "-o", str(tmp_path / "n.html"), "--around", "Government of X"]
    )
    assert out.exit_code == 0, out.stderr
    drawn = {n["id"] for n in page_data((tmp_path / "n.html").read_text())["nodes"]}
    assert drawn == {"Organisation:gov-x", "Organisation:x-mfa", "Programme:p1"}


def test_large_graphs_are_folded_and_say_so() -> None:
    recs = [Country(iso3=c, name=c, source=SRC) for c in ("GHA", "KEN", "NGA")]
    recs += [Organisation(id=f"f{i}", name=f"F{i}", source=SRC) for i in range(2)]
    for i in range(30):
        recs += [
            Programme(id=f"p{i}", name=f"P{i}", source=SRC),
            Funds(src=f"f{i % 2}", dst=f"p{i}", source=SRC),
            Targets(src=f"p{i}", dst=("GHA", "KEN", "NGA")[i % 3], source=SRC),
        ]
    g = nx.MultiDiGraph()
    b = Batch().extend(recs)
    for label, recs_ in b.nodes.items():
        for k, r in recs_.items():
            g.add_node(f"{label}:{k}", label=label, name=r.name)
    for t, rels in b.rels.items():
        spec_src = {"FUNDS": ("Organisation", "Programme"), "TARGETS": ("Programme", "Country")}[t]
        for u, v in rels:
            g.add_edge(f"{spec_src[0]}:{u}", f"{spec_src[1]}:{v}", key=t, type=t)
    folded, note = viz.fold_programmes(g, max_nodes=10)
    # 30 programmes; f0 funds the even ones (targets GHA, NGA, KEN in turn: 5 each), f1 the odd ones: 6 links of 5
    assert sorted((u, v, d["programmes"]) for u, v, d in folded.edges(data=True)) == [
        ("Organisation:f0", "Country:GHA", 5),
        ("Organisation:f0", "Country:KEN", 5),
        ("Organisation:f0", "Country:NGA", 5),
        ("Organisation:f1", "Country:GHA", 5),
        ("Organisation:f1", "Country:KEN", 5),
        ("Organisation:f1", "Country:NGA", 5),
    ]
    assert note.startswith("35 nodes is more than a browser lays out smoothly")
    assert viz.fold_programmes(g, max_nodes=100) == (g, None)


def test_cli(tmp_path: Path) -> None:
    db = tmp_path / "g.lbdb"
    with EmbeddedStore(db) as s:
        s.write(small_batch())
    out = CliRunner().invoke(
        cli,
        ["--db", str(db), "viz", "network", "-o", str(tmp_path / "n.html"), "--around", "GHA", "--depth", "2"],
        catch_exceptions=False,
    )
    assert out.exit_code == 0, out.stderr
    assert len(page_data((tmp_path / "n.html").read_text())["nodes"]) == 5
    assert (tmp_path / "n.html").stat().st_mode & 0o644 == 0o644
    bad = CliRunner().invoke(cli, ["--db", str(db), "viz", "network", "-o", str(tmp_path / "m.html"), "--around", "Atlantis"])
    assert (
        bad.exit_code == 1
        and bad.stderr.startswith("Error: no country or organisation 'Atlantis' in the graph")
        and not (tmp_path / "m.html").exists()
    )
    nodir = CliRunner().invoke(cli, ["--db", str(db), "viz", "network", "-o", str(tmp_path / "no" / "m.html")])
    assert nodir.exit_code == 1 and "no directory" in nodir.stderr


def test_views_and_filters(tmp_path: Path) -> None:
    with EmbeddedStore(tmp_path / "g.lbdb") as s:
        s.write(small_batch())
        g = s.to_networkx(
            labels=["Country", "Organisation", "Programme"], types=["FUNDS", "IMPLEMENTS", "TARGETS", "PARTNERS_WITH"]
        )
    # eu funds p1 and coe implements it; eu and coe are also partners: one link, of the one programme they share
    # (a partnership weighs 1 only between organisations that share none, as in `ccb brokers`)
    collab = viz.collaboration_view(g)
    assert [(u, v, d["programmes"]) for u, v, d in collab.edges(data=True)] == [("Organisation:coe", "Organisation:eu", 1)]
    # p1 targets GHA and KEN and is funded by eu; p2 has no target
    fc = viz.funder_country_view(g)
    assert sorted((u, v, d["programmes"]) for u, v, d in fc.edges(data=True)) == [
        ("Organisation:eu", "Country:GHA", 1),
        ("Organisation:eu", "Country:KEN", 1),
    ]
    # theme B keeps p2 only: eu -> p2, and the eu-coe partnership
    assert sorted(viz.filtered(g, theme="B").nodes) == ["Organisation:coe", "Organisation:eu", "Programme:p2"]
    # Western Africa keeps Ghana and drops Kenya (Eastern Africa)
    west = viz.filtered(g, region="Western Africa")
    assert "Country:GHA" in west and "Country:KEN" not in west
    # p1 starts 2016-03 with no end; p2 has no dates: a window before 2016 drops p1 only
    early = viz.filtered(g, window=viz.Window(None, 2015))
    assert "Programme:p1" not in early and "Programme:p2" in early
    # no programme on theme E: the funder-country view has nothing to draw
    empty = CliRunner().invoke(
        cli,
        [
            "--db",
            str(tmp_path / "g.lbdb"),
            "viz",
            "network",
            "-o",
            str(tmp_path / "e.html"),
            "--theme",
            "E",
            "--view",
            "funder-country",
        ],
    )
    assert empty.exit_code == 1 and empty.stderr.startswith("Error: nothing to draw") and not (tmp_path / "e.html").exists()
    ok = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "g.lbdb"), "viz", "network", "-o", str(tmp_path / "c.html"), "--view", "collaboration"]
    )
    assert ok.exit_code == 0 and len(page_data((tmp_path / "c.html").read_text())["nodes"]) == 2


def test_the_page_and_the_analyses_draw_one_collaboration_graph(tmp_path: Path) -> None:
    from graph.model import Implements, PartnersWith
    from queries import network as analyses

    batch = small_batch().extend(
        [
            Implements(src="commonwealth", dst="p1", source=SRC),
            PartnersWith(src="eu", dst="coe", source=SRC),  # they also share p1: no extra weight
            PartnersWith(src="commonwealth", dst="coe", source=SRC),
        ]
    )
    with EmbeddedStore(tmp_path / "g.lbdb") as s:
        s.write(batch)
        g = s.to_networkx()
        analysed = analyses.collaboration_graph(analyses.activity(s))
    page = viz.collaboration_view(g)
    drawn = {tuple(sorted((u.split(":")[1], v.split(":")[1]))): d["programmes"] for u, v, d in page.edges(data=True)}
    assert drawn == {tuple(sorted(e)): d["weight"] for *e, d in analysed.edges(data=True)}
    assert drawn[("coe", "eu")] >= 1 and ("coe", "commonwealth") in drawn


def test_labels_have_room_at_full_size() -> None:
    """`ccb viz network --around Kenya` drew its 22 programmes 31 px from one another around Kenya, each under a
    label some 140 px wide: illegible at any zoom, since type and distances scale together. The median node now has
    its nearest neighbour :data:`LABEL_PX` away at least, and the median edge stays :data:`EDGE_PX` long at least."""
    import numpy as np

    star = nx.MultiDiGraph([(f"Programme:p{i}", "Country:KEN") for i in range(22)])
    at = viz.positions(star)
    xy = np.array([at[n] for n in sorted(at)])
    gaps = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(gaps, np.inf)
    assert np.median(gaps.min(axis=1)) >= viz.LABEL_PX - 0.5  # positions are rounded to 0.1 px
    edges = [np.hypot(*np.subtract(at[u], at[v])) for u, v in star.edges()]
    assert np.median(edges) >= viz.EDGE_PX - 0.5
    assert viz.positions(star) == at  # seeded: the same picture every time


def test_a_country_with_nothing_to_draw_says_so(tmp_path: Path) -> None:
    """Eritrea, which no programme names, got "no country or organisation 'Eritrea' in the graph" from `ccb viz network
    --around Eritrea`, and its app page linked to a network that answered the same: the command now says there is
    nothing to draw around it, and the page offers no such link (Ghana's still does)."""
    from graph.examples import gaps_records  # NPL: a country no programme names
    from visualisations.app import create_app

    db = tmp_path / "g.lbdb"
    with EmbeddedStore(db) as s:
        s.write(Batch().extend(gaps_records()))
    out = CliRunner().invoke(cli, ["--db", str(db), "viz", "network", "-o", str(tmp_path / "n.html"), "--around", "Nepal"])
    assert out.exit_code == 1 and not (tmp_path / "n.html").exists()
    assert out.stderr.startswith("Error: nothing to draw around Nepal (NPL): no programme in this view names it")
    with EmbeddedStore(db, read_only=True) as s:
        client = create_app(s).test_client()
        assert "/network?around=NPL" not in client.get("/country/NPL").get_data(as_text=True)
        assert "/network?around=GHA" in client.get("/country/GHA").get_data(as_text=True)
        said = client.get("/api/country/NPL")  # the page itself stands
        assert said.status_code == 200
        gone = client.get("/network?around=NPL")
        assert "nothing to draw around Nepal (NPL)" in gone.get_data(as_text=True)
