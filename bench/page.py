"""The network page in Chromium: time to the first stable frame, and frames per second while zooming.

A page's layout used to run in the browser (vis-network's physics, which
never stops moving at thousands of nodes); it now ships fixed positions.
Both are measured on the same seeded graph in the same run: the old page
is the new page's data with the physics options of before put back and
the positions taken out. Chromium is Debian's (``apt-get install
chromium``), driven by Playwright; the page loads from a file and fetches
nothing.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import networkx as nx

from visualisations import network as network_viz

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# What the page did before its layout moved to Python (visualisations/network.py until session 6).
PHYSICS_BEFORE = {
    "layout": {"randomSeed": 42, "improvedLayout": False},
    "physics": {"solver": "forceAtlas2Based", "stabilization": {"enabled": True, "iterations": 400, "updateInterval": 50}},
}
STABLE_BEFORE = 'network.once("stabilizationIterationsDone", function () { window.ccbStable = true; });'
ZOOM_FRAMES = 30


def graph(nodes: int, edges: int, seed: int = 7) -> nx.MultiDiGraph:
    """A seeded graph shaped like the data: funders and implementers linked to programmes, programmes to countries."""
    rng = random.Random(seed)
    g = nx.MultiDiGraph()
    kinds = [("Organisation", 0.45), ("Programme", 0.45), ("Country", 0.10)]
    names = []
    for i in range(nodes):
        label = rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        n = f"{label}:{i}"
        g.add_node(n, label=label, name=f"{label} {i}")
        names.append(n)
    by = {k: [n for n in names if g.nodes[n]["label"] == k] for k, _ in kinds}
    pairs = [
        ("Organisation", "Programme", "FUNDS"),
        ("Organisation", "Programme", "IMPLEMENTS"),
        ("Programme", "Country", "TARGETS"),
    ]
    while g.number_of_edges() < edges:
        a, b, t = rng.choice(pairs)
        u, v = rng.choice(by[a]), rng.choice(by[b])
        if not g.has_edge(u, v, key=t):
            g.add_edge(u, v, key=t, type=t)
    return g


def pages(g: nx.MultiDiGraph, folder: Path) -> tuple[Path, Path]:
    """The page of ``g`` as written now (fixed positions), and as it was (physics in the browser)."""
    html = network_viz.page(g)
    now = folder / f"page-{g.number_of_nodes()}.html"
    now.write_text(html, encoding="utf-8")
    found = re.search(r'(<script id="data" type="application/json">)(.*?)(</script>)', html, re.S)
    assert found, "the page keeps its data in a JSON script element"
    data = json.loads(found.group(2))
    for node in data["nodes"]:
        node.pop("x"), node.pop("y")
    data["options"].update(PHYSICS_BEFORE)
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    old = html[: found.start(2)] + text + html[found.end(2) :]
    # The old page was stable when its physics stopped, not at its first frame: its handler goes on an event never sent.
    old = old.replace('network.once("afterDrawing"', STABLE_BEFORE + '\n  network.once("afterDrawing_unused"')
    before = folder / f"page-{g.number_of_nodes()}-physics.html"
    before.write_text(old, encoding="utf-8")
    return now, before


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Debian's), closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            yield browser
        finally:
            browser.close()


def first_stable_frame(browser: Any, path: Path, timeout: float) -> float:
    """Seconds from opening ``path`` to its first stable frame (``window.ccbStable``); ``inf`` past ``timeout``."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
        t = time.perf_counter()
        page.goto(path.as_uri())
        while not page.evaluate("window.ccbStable === true"):
            if time.perf_counter() - t > timeout:
                return float("inf")
            time.sleep(0.02)
        return time.perf_counter() - t
    finally:
        page.close()


def zooming(browser: Any, path: Path, steps: int = ZOOM_FRAMES) -> tuple[int, float]:
    """``(frames, seconds)``: the frames the page draws while a user zooms in and out with the mouse wheel."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(path.as_uri())
        while not page.evaluate("window.ccbStable === true"):
            time.sleep(0.02)
        page.evaluate(
            """() => { window.ccbFrames = 0; window.ccbCounting = true;
                 const tick = () => { window.ccbFrames++; if (window.ccbCounting) requestAnimationFrame(tick); };
                 requestAnimationFrame(tick); }"""
        )
        page.mouse.move(700, 450)
        t = time.perf_counter()
        for i in range(steps):
            page.mouse.wheel(0, -120 if (i // 5) % 2 == 0 else 120)
            time.sleep(0.03)
        seconds = time.perf_counter() - t
        frames = page.evaluate("() => { window.ccbCounting = false; return window.ccbFrames; }")
        return int(frames), seconds
    finally:
        page.close()
