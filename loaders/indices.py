"""Need and maturity indices: indicator tables to ``Indicator`` nodes and ``MEASURED`` links.

One CSV format for every index, a row per country and edition::

    country,index,edition,pillar,score,tier,stage,year,source,as_of
    GBR,gci,2020,,99.54,,,,https://www.itu.int/...,2021-06-29
    KEN,gci,2024,,98.59,,,2024,https://www.itu.int/...,2024
    KEN,gci,2024,legal,20.0,,,2024,https://www.itu.int/...,2024
    SOM,cmm,reviews,,,,,2020,https://...,2020-12

``country`` is ISO alpha-3 or alpha-2 (XK/XKX for Kosovo); ``index`` a
family (``gci``: ITU Global Cybersecurity Index, scores 0-100 in 2020,
tiers 1-5 in 2024; ``cmm``: Oxford CMM reviews, a row saying a review took
place, with its year and, where published, a stage; ``ncsi``: National Cyber
Security Index, scores 0-100; any other name is kept as given). ``pillar``
(optional) names the part of the index a value measures: for GCI 2024 the
five pillars ``legal``, ``technical``, ``organisational``,
``capacity_development`` and ``cooperation``, 0-20 each; empty for the
overall value. Each family, edition and pillar becomes one ``Indicator``
node (``gci-2024``, ``gci-2024-legal``). The package ships GCI 2024 for 194
countries (``data/indices.gci-2024.csv``, built from the copy and
provenance note in ``data/reference/``) and the CMM reviews its source
names (``data/indices.sample.csv``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pycountry
from pydantic import ValidationError

from graph.errors import LoadError, Problem
from graph.model import Indicator, Measured
from graph.names import slug
from graph.store import Batch, Store
from loaders import bundled
from loaders.tabular import LoadReport, RawRecord, dangling_references, other_separator, validation_problems

FAMILIES = {
    "gci": (
        "ITU Global Cybersecurity Index",
        {
            "2020": "score 0-100, higher is more committed",
            "2024": "score 0-100 (each pillar 0-20), higher is more committed; "
            "tier 1 (role-modelling) to 5 (building) where a tier is loaded",
        },
    ),
    "cmm": ("Cybersecurity Capacity Maturity Model review (GCSCC, Oxford)", {}),
    "ncsi": ("National Cyber Security Index (e-Governance Academy)", {}),
}
GCI_PILLARS = ("legal", "technical", "organisational", "capacity_development", "cooperation")
COLUMNS = ("country", "index", "edition", "pillar", "score", "tier", "stage", "year", "source", "as_of")


def load_indices(store: Store, path: str | Path, *, dry_run: bool = False) -> LoadReport:
    """Validate an index file (GCI, NCSI...) whole, then write its values to ``store`` in one transaction."""
    batch = read_indices(path, store)
    return LoadReport(str(path), len(batch), None if dry_run else store.write(batch))


def read_indices(path: str | Path, store: Store | None = None) -> Batch:
    """An index file's values as a batch of ``MEASURED`` links; a :class:`LoadError` lists every problem."""
    path = Path(path)
    problems: list[Problem] = []
    batch = Batch()
    refs: list[tuple[RawRecord, Measured]] = []
    seen: dict[tuple[str, str], str] = {}
    for where, row in _rows(path, problems):
        iso3 = _iso3(row.get("country") or "")
        family = slug(row.get("index") or "")
        edition = (row.get("edition") or "").strip()
        if iso3 is None:
            problems.append(
                Problem(str(path), where, "country", f"unknown country {row.get('country')!r}: expected ISO alpha-3 or alpha-2")
            )
            continue
        if not edition or family == "unnamed":
            problems.append(Problem(str(path), where, "index" if family == "unnamed" else "edition", "required field is missing"))
            continue
        pillar = slug(row["pillar"]).replace("-", "_") if (row.get("pillar") or "").strip() else None
        if family == "gci" and pillar is not None and pillar not in GCI_PILLARS:
            problems.append(
                Problem(
                    str(path),
                    where,
                    "pillar",
                    f"unknown GCI pillar {row['pillar']!r}: expected {', '.join(GCI_PILLARS)} or empty",
                )
            )
            continue
        ind_id = f"{family}-{slug(edition)}" + (f"-{pillar}" if pillar else "")
        name, scales = FAMILIES.get(family, (row["index"].strip(), {}))
        scale = scales.get(edition) if pillar is None else "score 0-20, higher is more committed" if family == "gci" else None
        raw = RawRecord(
            "measured",
            {k: v for k, v in row.items() if v not in (None, "") and k not in ("country", "index", "edition", "pillar")},
            where,
        )
        try:
            indicator = Indicator(
                id=ind_id,
                family=family,
                edition=edition,
                pillar=pillar,
                scale=scale,
                source=row.get("source") or "",
                as_of=(row.get("as_of") or "").strip() or None,
                name=f"{name} {edition}" + (f" ({pillar.replace('_', ' ')})" if pillar else ""),
            )
            rec = Measured.model_validate({"from": iso3, "to": ind_id, **raw.data})
        except ValidationError as e:
            problems.extend(validation_problems(path, raw, Measured, e))
            continue
        if family != "cmm" and rec.score is None and rec.tier is None and rec.stage is None:  # a CMM row records a review
            problems.append(Problem(str(path), where, "score", "a row needs a score, tier or stage"))
            continue
        if (iso3, ind_id) in seen:
            problems.append(Problem(str(path), where, "country", f"duplicate of {seen[(iso3, ind_id)]}: {iso3} in {ind_id}"))
            continue
        seen[(iso3, ind_id)] = where
        batch.nodes.setdefault("Indicator", {}).setdefault(ind_id, indicator)
        batch.add(rec)
        refs.append((raw, rec))
    batch.extend(bundled.missing_countries(store, (iso for iso, _ in seen)))
    problems.extend(dangling_references(path, batch, refs, store))
    if not problems and not len(batch):
        problems.append(Problem(str(path), "file", "", "holds no rows"))
    if problems:
        raise LoadError(problems)
    return batch


def _rows(path: Path, problems: list[Problem]) -> Any:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as e:
        problems.append(Problem(str(path), "file", "", f"cannot read: {e.strerror}"))
        return
    except UnicodeDecodeError as e:
        problems.append(Problem(str(path), "file", "", f"not UTF-8 (byte {e.start}); save the file as UTF-8"))
        return
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    if wrong := other_separator(reader.fieldnames or []):
        problems.append(Problem(str(path), "line 1", "", wrong))
        return
    missing = [c for c in ("country", "index", "edition", "source") if c not in (reader.fieldnames or [])]
    if missing:
        problems.append(Problem(str(path), "line 1", missing[0], f"missing column; expected columns {', '.join(COLUMNS)}"))
        return
    last = 1
    try:
        for row in reader:
            where, last = f"line {last + 1}", reader.line_num
            extra = set(row) - set(COLUMNS)
            if extra:
                problems.append(
                    Problem(str(path), where, sorted(map(str, extra))[0], f"unknown column; expected {', '.join(COLUMNS)}")
                )
                continue
            yield where, row
    except csv.Error as e:
        problems.append(Problem(str(path), f"line {last + 1}", "", f"malformed CSV: {e}"))


def _iso3(code: str) -> str | None:
    code = code.strip().upper()
    if code in ("XK", "XKX"):
        return "XKX"
    c = (
        pycountry.countries.get(alpha_3=code)
        if len(code) == 3
        else pycountry.countries.get(alpha_2=code)
        if len(code) == 2
        else None
    )
    return c.alpha_3 if c else None
