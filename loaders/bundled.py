"""The data files shipped inside the package, and the demo's store handling."""

from __future__ import annotations

import shutil
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
COUNTRIES = DATA / "countries.csv"
BLOCS = DATA / "blocs.organisations.csv"
MEMBERSHIPS = DATA / "blocs.member_of.csv"
PROGRAMMES = DATA / "programmes.yaml"
ALIASES = DATA / "aliases.csv"

REFERENCE_FILES = (COUNTRIES, BLOCS, MEMBERSHIPS)
DEMO_FILES = (*REFERENCE_FILES, PROGRAMMES)


def remove_embedded(path: Path) -> None:
    """Delete an embedded store and its side files (``.wal``...), if present."""
    for p in [path, *path.parent.glob(path.name + ".*")] if path.parent.exists() else []:
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
