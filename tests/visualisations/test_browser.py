"""The network page in a real headless browser (Debian's Chromium, driven by Playwright), network cut off.

Skipped where Chromium or Playwright is missing, except under CI, where
``.ci/run`` installs both and a missing browser is a failure.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from graph.model import Country, Funds, Organisation, Programme, Targets
from tests.fixtures import SRC, example_store, small_batch
from visualisations import network as viz

ARTIFACTS = Path(os.environ.get("CCB_TEST_ARTIFACTS", "test-artifacts"))
HOSTILE = "<img src=x onerror=alert(1)>"


def open_page(browser: object, path: Path, *, settle: bool = True) -> tuple[object, list[str], list[str], list[str]]:
    page = browser.new_page(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    external: list[str] = []
    errors: list[str] = []
    dialogs: list[str] = []
    page.route(
        "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else (external.append(r.request.url), r.abort())
    )
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    if not settle:
        return page, external, errors, dialogs
    # Polled from here: the page's CSP forbids eval, which wait_for_function uses.
    deadline = time.monotonic() + 120
    while not page.evaluate("window.ccbStable === true"):
        assert time.monotonic() < deadline, "the layout did not settle in 120 s"
        time.sleep(0.05)
    return page, external, errors, dialogs


def test_network_page_offline(browser: object, tmp_path: Path) -> None:
    batch = small_batch().extend([Organisation(id="evil", name=HOSTILE, source=SRC), Funds(src="evil", dst="p2", source=SRC)])
    store = example_store(
        [r for recs in batch.nodes.values() for r in recs.values()] + [r for recs in batch.rels.values() for r in recs.values()]
    )
    g = store.to_networkx()
    store.close()
    path = tmp_path / "n.html"
    viz.write_network(g, path)
    page, external, errors, dialogs = open_page(browser, path)
    assert external == [] and errors == [] and dialogs == []
    shown = viz.filtered(g)  # Kosovo has no link in this graph: isolated nodes are not drawn
    assert page.evaluate("[ccbNodes.length, ccbEdges.length]") == [shown.number_of_nodes(), shown.number_of_edges()] == [8, 8]
    assert page.evaluate("ccbNetwork.physics.options.enabled") is False
    page.fill("#search", "Kenya")
    page.dispatch_event("#search", "change")
    assert page.evaluate("[window.ccbFocused, ccbNetwork.getSelectedNodes()]") == ["Country:KEN", ["Country:KEN"]]
    # the hostile name is data: no element was made from it, and it is offered as text in the search list
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert HOSTILE in page.evaluate("Array.from(document.querySelectorAll('#names option')).map(o => o.value)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "network.png"))
    page.close()


@pytest.mark.parametrize("view", sorted(viz.VIEWS))
def test_every_view_draws_what_its_legend_says_and_around_shows_its_focus(browser: object, tmp_path: Path, view: str) -> None:
    long_name = "Global Forum on Cyber Expertise Foundation for International Cooperation"
    batch = small_batch().extend([Organisation(id="gfce", name=long_name, source=SRC), Funds(src="gfce", dst="p1", source=SRC)])
    store = example_store(
        [r for recs in batch.nodes.values() for r in recs.values()] + [r for recs in batch.rels.values() for r in recs.values()]
    )
    g = store.to_networkx()
    store.close()
    path = tmp_path / f"{view}.html"
    around = "KEN" if view != "collaboration" else "gfce"  # the collaboration view holds organisations only
    viz.write_network(g, path, view=view, around=around, depth=2)
    page, external, errors, _ = open_page(browser, path)
    assert external == [] and errors == []
    nodes = page.evaluate("ccbNodes.get().map(n => [n.id, n.kind, n.shape, n.color.background || n.color, n.label, n.name])")
    legend = page.evaluate(
        "Array.from(document.querySelectorAll('.legend [data-kind]'))"
        ".map(e => [e.dataset.kind, e.dataset.shape, getComputedStyle(e.querySelector('.shape')).color])"
    )
    # the legend lists exactly the kinds drawn, each with the shape and colour its nodes have
    assert sorted({k for _, k, *_ in nodes}) == sorted(k for k, _, _ in legend)
    rgb = {k: c for k, _, c in legend}
    shapes = {k: sh for k, sh, _ in legend}
    for nid, kind, shape, colour, label, name in nodes:
        assert shape == shapes[kind], nid
        r, gg, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert rgb[kind] == f"rgb({r}, {gg}, {b})", nid
        assert label.replace("\n", " ") == name  # wrapped, never cut
    # and every edge type drawn, each in its edges' colour (an orange arrow said nothing of what it was)
    drawn = page.evaluate("ccbEdges.get().map(e => [e.type, e.color])")
    keys = page.evaluate(
        "Array.from(document.querySelectorAll('.legend [data-edge]'))"
        ".map(e => [e.dataset.edge, getComputedStyle(e.querySelector('.shape')).color, e.textContent])"
    )
    assert drawn and sorted({t for t, _ in drawn}) == sorted(t for t, _, _ in keys)
    ink = {t: c for t, c, _ in keys}
    for t, colour in drawn:
        r, gg, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert ink[t] == f"rgb({r}, {gg}, {b})", t
    assert all(text.strip().endswith(viz.EDGE_TEXT[t]) for t, _, text in keys)
    # funders keep the funder shape in every view, the collaboration view included
    assert {kind for nid, kind, *_ in nodes if nid in ("Organisation:eu", "Organisation:gfce")} == {"funder"}
    gfce = next(n for n in nodes if n[0] == "Organisation:gfce")
    assert "\n" in gfce[4] and max(len(x) for x in gfce[4].split("\n")) <= 30
    # --around: the focus is selected and drawn apart
    focus = "Country:KEN" if view != "collaboration" else "Organisation:gfce"
    assert page.evaluate("[window.ccbFocused, ccbNetwork.getSelectedNodes()]") == [focus, [focus]]
    assert page.evaluate(f"ccbNodes.get('{focus}').borderWidth") == 4
    page.close()


def test_two_thousand_nodes_settle(browser: object, tmp_path: Path) -> None:
    isos = ["GHA", "KEN", "NGA", "SEN", "UGA", "RWA", "IDN", "PHL", "LKA", "MUS"]
    recs: list = [Country(iso3=c, name=c, source=SRC) for c in isos]
    recs += [Organisation(id=f"o{i}", name=f"Org {i}", source=SRC) for i in range(190)]
    for i in range(1800):
        recs += [
            Programme(id=f"p{i}", name=f"P{i}", source=SRC),
            Funds(src=f"o{i % 190}", dst=f"p{i}", source=SRC),
            Targets(src=f"p{i}", dst=isos[i % 10], source=SRC),
        ]
    store = example_store(recs)
    g = store.to_networkx()
    store.close()
    assert g.number_of_nodes() == 2000
    path = tmp_path / "big.html"
    viz.write_network(g, path, max_nodes=2000)
    start = time.perf_counter()
    page, external, errors, _ = open_page(browser, path)
    settled = time.perf_counter() - start
    assert external == [] and errors == []
    assert page.evaluate("[ccbNodes.length, ccbEdges.length, ccbNetwork.physics.options.enabled]") == [2000, 3600, False]
    print(f"\n2,000 nodes / 3,600 edges: {path.stat().st_size / 1024:.0f} KiB, stable and frozen after {settled:.1f} s")
    page.close()


def test_map_page_offline(browser: object, tmp_path: Path) -> None:
    from visualisations import maps

    path = maps.write_map(
        maps.MapData({"KEN": 0.9, "GHA": 0.1, "BRA": None}, "Map", "Priority", "src", bounded=True, names={"KEN": HOSTILE}),
        tmp_path / "m.html",
    )
    page, external, errors, dialogs = open_page(browser, path, settle=False)
    assert external == [] and errors == [] and dialogs == []
    drawn = page.evaluate("""Array.from(document.querySelectorAll('g.country')).filter(g => {
        const b = g.getBBox(); return b.width > 0 && b.height > 0; }).length""")
    assert drawn == 249
    fills = page.evaluate("['KEN', 'GHA', 'BRA'].map(id => getComputedStyle(document.getElementById(id)).fill)")
    assert fills[:2] == ["rgb(68, 1, 84)", "rgb(253, 231, 37)"] and fills[2].startswith("url(")
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert page.evaluate("document.querySelector('#KEN > title').textContent").startswith(HOSTILE)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map.png"))
    page.close()
