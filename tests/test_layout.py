"""The layout holds: imports run one way between the packages, and no module imports back round to itself (issue 17)."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("graph", "loaders", "queries", "visualisations")
ALLOWED = {  # a package may import itself and these
    "graph": set(),
    "loaders": {"graph"},
    "queries": {"graph"},
    "visualisations": {"graph", "queries"},
    "cli": {"graph", "loaders", "queries", "visualisations"},
}


def modules() -> dict[str, Path]:
    found = {"cli": ROOT / "cli.py"}
    for pkg in PACKAGES:
        for f in sorted((ROOT / pkg).rglob("*.py")):
            parts = f.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules ``name`` imports anywhere in its text, at the top or inside a function."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] in (*PACKAGES, "cli")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in (*PACKAGES, "cli"):
            for a in node.names:  # `from graph import cypher` imports the module graph.cypher
                sub = f"{node.module}.{a.name}"
                out.add(sub if sub in known else node.module)
    return out - {name}


def test_imports_run_one_way_and_never_in_a_circle() -> None:
    mods = modules()
    g = nx.DiGraph()
    for name, path in mods.items():
        g.add_node(name)
        for target in imports(name, path, set(mods)):
            g.add_edge(name, target)
            top, to = name.split(".")[0], target.split(".")[0]
            assert to == top or to in ALLOWED[top], f"{name} imports {target}"
    assert list(nx.simple_cycles(g)) == []


def test_the_fast_tier_starts_no_server_and_no_browser() -> None:
    import subprocess
    import sys

    def collected(marker: str) -> list[str]:
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "--collect-only",
                "-q",
                "-p",
                "no:cacheprovider",
                "-m",
                marker,
                "tests/graph/test_store_contract.py",
                "tests/visualisations/test_browser.py",
                "tests/test_crash.py",
                "tests/test_layout.py",
                "graph/names.py",
                "queries/provenance.py",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return [line for line in out.stdout.splitlines() if "::" in line]

    fast, bolt = collected("fast"), collected("bolt")
    assert fast and not [t for t in fast if "neo4j" in t or "test_browser" in t or "test_crash" in t]
    assert bolt and all("neo4j" in t or "one_shape" in t for t in bolt)
    # The fast tier splits into pure (no store) and embedded; a doctest that builds an example store is embedded.
    pure, embedded = collected("pure"), collected("embedded")
    assert sorted(pure + embedded) == sorted(fast) and not set(pure) & set(embedded)
    assert any("graph.names.slug" in t for t in pure) and any("test_layout" in t for t in pure)
    assert any("queries.provenance" in t for t in embedded) and any("[embedded" in t for t in embedded)


def test_nothing_outside_the_tests_imports_them() -> None:
    for folder in (*PACKAGES, "bench", "scripts"):
        for f in sorted((ROOT / folder).rglob("*.py")):
            text = f.read_text(encoding="utf-8")
            assert "from tests" not in text and "import tests" not in text, f  # docstring examples included
    assert "from tests" not in (ROOT / "cli.py").read_text(encoding="utf-8")
