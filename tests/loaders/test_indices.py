"""Index tables: GCI scores and tiers, CMM reviews, and bad rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import LoadError
from graph.store import Store
from loaders import bundled
from loaders.indices import load_indices
from tests.fixtures import SMALL_COUNTS, small_batch

# Test values, not facts: the bundled sample carries only CMM reviews named by their source.
TABLE = """country,index,edition,score,tier,stage,year,source,as_of
GH,gci,2020,50.5,,,,test,2021-06
KEN,GCI,2024,,3,,,test,2024-09
XK,cmm,2019,,,formative,2019,test,
"""


def write(tmp_path: Path, text: str | bytes) -> Path:
    p = tmp_path / "ind.csv"
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def test_scores_tiers_and_stages(store: Store, tmp_path: Path) -> None:
    load_indices(store, write(tmp_path, TABLE))
    rows = store.query(
        "MATCH (c:Country)-[m:MEASURED]->(i:Indicator) "
        "RETURN c.iso3 AS iso3, i.id AS ind, i.family AS fam, m.score AS score, m.tier AS tier, m.stage AS stage ORDER BY iso3"
    )
    assert rows == [
        {"iso3": "GHA", "ind": "gci-2020", "fam": "gci", "score": 50.5, "tier": None, "stage": None},
        {"iso3": "KEN", "ind": "gci-2024", "fam": "gci", "score": None, "tier": 3, "stage": None},
        {"iso3": "XKX", "ind": "cmm-2019", "fam": "cmm", "score": None, "tier": None, "stage": "formative"},
    ]
    [scale] = store.query("MATCH (i:Indicator {id: 'gci-2024'}) RETURN i.scale AS s, i.name AS n")
    assert scale == {
        "s": "score 0-100 (each pillar 0-20), higher is more committed; tier 1 (role-modelling) to 5 (building) where a tier is loaded",
        "n": "ITU Global Cybersecurity Index 2024",
    }


def test_bundled_sample_has_sources(store: Store) -> None:
    load_indices(store, bundled.INDICES_SAMPLE)
    rows = store.query(
        "MATCH (c:Country)-[m:MEASURED]->(:Indicator {family: 'cmm'}) RETURN c.iso3 AS iso3, m.source AS src ORDER BY iso3"
    )
    # the GCSCC round-up's ten, and the five reviews the bundled programmes record (OCSC, GCSCC pages)
    ten = ["BTN", "CYP", "GBR", "IDN", "KGZ", "LTU", "MDG", "SEN", "UGA", "XKX"]
    assert [r["iso3"] for r in rows] == sorted([*ten, "MKD", "SOM", "TON", "VUT", "WSM"])
    assert all(r["src"].startswith("https://") for r in rows)


BAD = {
    "unknown country": (
        "country,index,edition,score,source\nZZ,gci,2020,50,s\n",
        "ind.csv: line 2: country: unknown country 'ZZ'",
    ),
    "missing column": ("country,edition,score,source\nGHA,2020,50,s\n", "ind.csv: line 1: index: missing column"),
    "no value": ("country,index,edition,score,source\nGHA,gci,2020,,s\n", "line 2: score: a row needs a score, tier or stage"),
    "non-numeric score": (
        "country,index,edition,score,source\nGHA,gci,2020,high,s\n",
        "line 2: score: Input should be a valid number",
    ),
    "tier out of range": (
        "country,index,edition,tier,source\nGHA,gci,2024,12,s\n",
        "line 2: tier: Input should be less than or equal to 10",
    ),
    "duplicate": (
        "country,index,edition,score,source\nGHA,gci,2020,1,s\nGH,gci,2020,2,s\n",
        "line 3: country: duplicate of line 2",
    ),
    "unknown column": ("country,index,edition,score,rank,source\nGHA,gci,2020,1,4,s\n", "line 2: rank: unknown column"),
    "malformed": ('country,index,edition,score,source\nGHA,"gci"x,2020,1,s\n', "line 2: malformed CSV"),
    "encoding": ("country,index,edition,score,source\nGHA,gci,2020,1,Côte\n".encode("latin-1"), "not UTF-8"),
    "empty": ("", "line 1: country: missing column"),
    "tabs": ("country\tindex\tedition\tscore\tsource\nGHA\tgci\t2020\t1\ts\n", "line 1: the columns are separated by '\\t'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_index_rows(store: Store, tmp_path: Path, case: str) -> None:
    text, expected = BAD[case]
    store.write(small_batch())
    with pytest.raises(LoadError) as info:
        load_indices(store, write(tmp_path, text))
    assert expected in str(info.value)
    assert store.counts() == SMALL_COUNTS
