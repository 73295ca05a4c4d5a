"""The data files shipped inside the package, and the demo's store handling."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from graph.model import Country

DATA = Path(__file__).resolve().parent / "data"
COUNTRIES = DATA / "countries.csv"
BLOCS = DATA / "blocs.organisations.csv"
MEMBERSHIPS = DATA / "blocs.member_of.csv"
PROGRAMMES = DATA / "programmes.yaml"
ALIASES = DATA / "aliases.csv"
INDICES_SAMPLE = DATA / "indices.sample.csv"

REFERENCE_FILES = (COUNTRIES, BLOCS, MEMBERSHIPS)
DEMO_FILES = (*REFERENCE_FILES, PROGRAMMES)


@cache
def _countries() -> dict[str, Country]:
    from loaders.tabular import read_batch

    return read_batch(COUNTRIES).nodes["Country"]  # type: ignore[return-value]


def reference_countries(iso3s: Iterable[str]) -> list[Country]:
    """The reference records of these countries, so a fresh store can take a file that names them."""
    return [_countries()[c] for c in sorted(set(iso3s)) if c in _countries()]


def remove_embedded(path: Path) -> None:
    """Delete an embedded store and its side files (``.wal``...), if present."""
    for p in [path, *path.parent.glob(path.name + ".*")] if path.parent.exists() else []:
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
