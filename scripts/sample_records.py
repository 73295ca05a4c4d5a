"""Draw a seeded random sample of bundled records to check against their sources.

Every record and relationship in ``loaders/data/programmes.yaml`` names the
page that states it (``source``) and when (``as_of``). This prints ``n``
of them, drawn with a fixed seed so that anyone can draw the same sample and
check each line against its page. A record's place in the draw is a hash of
the seed and the record's identity (its section and id, or its from and to),
so records added or edited elsewhere in the file leave a sample as it was,
except where a new record ranks among the first ``n``: a re-check stays
valid as the data grows, and only the newly drawn records need reading.

    python scripts/sample_records.py            # 30 records, seed 12
    python scripts/sample_records.py -n 50 --seed 7
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parent.parent / "loaders" / "data" / "programmes.yaml"
FACTS = {  # the fields that carry a checkable claim, per section
    "organisations": ("name", "kind", "country"),
    "programmes": ("name", "start_date", "end_date", "budget", "currency", "scope", "scope_regions"),
    "funds": ("from", "to", "amount", "currency"),
    "implements": ("from", "to", "role"),
    "targets": ("from", "to"),
    "partners_with": ("from", "to", "kind"),
    "part_of": ("from", "to"),
    "component_of": ("from", "to"),
}


def records(path: Path = DATA) -> list[tuple[str, dict]]:
    """Every (section, record) of the bundled file, in file order."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(section, r) for section in FACTS for r in data.get(section) or []]


def rank(seed: int, section: str, record: dict) -> str:
    """A record's place in the draw for ``seed``: a hash of the seed and what identifies the record.

    >>> rank(12, "programmes", {"id": "glacy", "name": "GLACY"}) == rank(12, "programmes", {"id": "glacy", "name": "x"})
    True
    >>> rank(12, "funds", {"from": "eu", "to": "glacy"}) != rank(13, "funds", {"from": "eu", "to": "glacy"})
    True
    """
    ident = record["id"] if "id" in record else f"{record['from']}->{record['to']}"
    return hashlib.sha256(f"{seed}:{section}:{ident}".encode()).hexdigest()


def sample(n: int = 30, seed: int = 12, path: Path = DATA) -> list[tuple[str, dict]]:
    """The ``n`` records that rank first for ``seed`` (:func:`rank`), in rank order."""
    return sorted(records(path), key=lambda sr: rank(seed, *sr))[:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=30)
    ap.add_argument("--seed", type=int, default=12)
    args = ap.parse_args()
    for i, (section, r) in enumerate(sample(args.n, args.seed), 1):
        facts = "; ".join(f"{k}={r[k]}" for k in FACTS[section] if r.get(k) not in (None, [], ""))
        print(f"{i:2}. {section}: {facts}\n    source: {r['source']} (as of {r['as_of']})")


if __name__ == "__main__":
    main()
