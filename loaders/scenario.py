"""Scenarios: planned programmes applied to a copy of the graph in memory, never to the store.

``ccb plan -o plan.yaml`` writes a portfolio as planned programmes in the
loader's own format; ``--assume plan.yaml`` on an analysis reads that file
with the loader's rules (line-precise errors, references resolved against
the store), copies the store into an in-memory embedded store, writes the
planned programmes there and answers from the copy. The store itself is
opened read-only and never written; ``ccb load plan.yaml`` makes a plan real.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from graph.embedded import memory_copy
from graph.store import Store
from loaders.tabular import read_batch


@dataclass(frozen=True)
class Scenario:
    """The graph as it would be with a file's planned programmes: ``store`` answers every read."""

    store: Store
    path: Path
    programmes: tuple[str, ...]  # the ids of the file's programmes

    @property
    def line(self) -> str:
        """What every answer given under the scenario says."""
        return f"assuming {len(self.programmes)} planned programme(s) from {self.path}"


@contextmanager
def assumed(store: Store, path: str | Path) -> Iterator[Scenario]:
    """``store`` as it would be with the records of ``path`` added, in memory, for the ``with`` block.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from graph.examples import example_store, gaps_records
    >>> s = example_store(gaps_records())
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "plan.yaml"
    >>> _ = f.write_text("programmes:\\n- {id: planned-1, name: Planned, themes: [C], source: scenario}\\n"
    ...                  "targets:\\n- {from: planned-1, to: NPL, source: scenario}\\n")
    >>> before = s.counts()["Programme"]
    >>> with assumed(s, f) as sc:
    ...     sc.line.startswith("assuming 1 planned programme(s) from"), sc.store.counts()["Programme"] - before
    (True, 1)
    >>> s.counts()["Programme"] == before
    True
    >>> s.close()
    """
    path = Path(path)
    batch = read_batch(path, store)  # the loader's rules and messages; refused before anything is copied
    copy = memory_copy(store, batch)
    try:
        yield Scenario(copy, path, tuple(sorted(batch.nodes.get("Programme", {}))))
    finally:
        copy.close()
