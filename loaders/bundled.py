"""The data files shipped inside the package, and the demo's store handling."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from graph.model import Country

if TYPE_CHECKING:
    from graph.store import Store

DATA = Path(__file__).resolve().parent / "data"
COUNTRIES = DATA / "countries.csv"
BLOCS = DATA / "blocs.organisations.csv"
MEMBERSHIPS = DATA / "blocs.member_of.csv"
PROGRAMMES = DATA / "programmes.yaml"
ALIASES = DATA / "aliases.csv"
INDICES_SAMPLE = DATA / "indices.sample.csv"
GCI_2024 = DATA / "indices.gci-2024.csv"
GCI_2020 = DATA / "indices.gci-2020.csv"  # the fourth edition, for change between editions (ccb progress)
INDEX_FILES = (GCI_2024, GCI_2020, INDICES_SAMPLE)

REFERENCE_FILES = (COUNTRIES, BLOCS, MEMBERSHIPS)
DEMO_FILES = (*REFERENCE_FILES, PROGRAMMES)


@cache
def _countries() -> dict[str, Country]:
    from loaders.tabular import read_batch

    return read_batch(COUNTRIES).nodes["Country"]  # type: ignore[return-value]


def reference_codes() -> list[str]:
    """Every country code of the bundled reference table."""
    return sorted(_countries())


def reference_countries(iso3s: Iterable[str]) -> list[Country]:
    """The reference records of these countries, so a fresh store can take a file that names them."""
    return [_countries()[c] for c in sorted(set(iso3s)) if c in _countries()]


def missing_countries(store: Store | None, iso3s: Iterable[str]) -> list[Country]:
    """Reference records of the countries in ``iso3s`` that ``store`` lacks (all of them without a store).

    A loader adds these so a file that names a country loads into a fresh
    store; a country already stored is left alone, so its income group or
    flags, set by another source, are never blanked.
    """
    wanted = sorted(set(iso3s))
    have = store.existing_keys("Country", wanted) if store is not None else set()
    return reference_countries(c for c in wanted if c not in have)


def remove_embedded(path: Path) -> None:
    """Delete an embedded store and its side files (``.wal``...), if present."""
    for p in [path, *path.parent.glob(path.name + ".*")] if path.parent.exists() else []:
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
