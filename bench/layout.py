"""How the network page's positions (:func:`visualisations.network.positions`) grow with the graph: seeded random
graphs of 500 to 16,000 nodes (two edges a node), the time of each and the fitted exponent of time against nodes
(n log n fits about 1.1 over this range; 2 is quadratic)::

    python -m bench.layout
"""

from __future__ import annotations

import random
import time

import networkx as nx
import numpy as np

from visualisations.network import positions

SIZES = (500, 1_000, 2_000, 4_000, 8_000, 16_000)


def graph(n: int, seed: int = 1) -> nx.MultiDiGraph:
    rnd = random.Random(seed)
    g: nx.MultiDiGraph = nx.MultiDiGraph()
    g.add_edges_from((f"n{i}", f"n{rnd.randrange(n)}") for i in range(n) for _ in range(2))
    return g


def main() -> None:
    rows = []
    for n in SIZES:
        g = graph(n)
        t0 = time.perf_counter()
        positions(g)
        rows.append((n, time.perf_counter() - t0))
        print(f"{n:>7,} nodes  {rows[-1][1]:6.2f} s", flush=True)
    x, y = np.log([n for n, _ in rows]), np.log([t for _, t in rows])
    above = [i for i, (n, _) in enumerate(rows) if n >= 2_000]
    print(f"exponent from 2,000 nodes on: {np.polyfit(x[above], y[above], 1)[0]:.2f}")


if __name__ == "__main__":
    main()
