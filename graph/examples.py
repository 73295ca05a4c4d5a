"""Small example graphs, shipped so that docstring examples, the notebook and the tests share them.

The organisations in :func:`small_batch` are real, the links made up; the
others are abstract (``f1``, ``o2``) and chosen so each analysis's answer
can be worked out by hand, as their docstrings say.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from graph.embedded import EmbeddedStore
from graph.model import (
    Country,
    Funds,
    Implements,
    Indicator,
    Measured,
    MemberOf,
    Node,
    Organisation,
    PartnersWith,
    Programme,
    Relationship,
    Targets,
)
from graph.store import Batch

SRC = "graph/examples.py"


def small_batch() -> Batch:
    """3 countries, 3 organisations, 2 programmes, 7 relationships."""
    return Batch().extend(
        [
            Country(iso3="GHA", iso2="GH", name="Ghana", region="Africa", subregion="Western Africa", source=SRC),
            Country(iso3="KEN", iso2="KE", name="Kenya", region="Africa", subregion="Eastern Africa", source=SRC),
            Country(iso3="XKX", name="Kosovo", region="Europe", source=SRC),
            Organisation(id="eu", name="European Union", kind="regional_body", aliases=["EU"], source=SRC),
            Organisation(id="coe", name="Council of Europe", kind="intergovernmental", country="FRA", source=SRC),
            Organisation(id="commonwealth", name="The Commonwealth", kind="intergovernmental", source=SRC),
            Programme(
                id="p1",
                name="Programme One",
                themes=["C", "A"],
                status="active",
                start_date="2016-03",
                budget=4.2e6,
                currency="EUR",
                source=SRC,
            ),
            Programme(id="p2", name="Programme Two", themes=["B"], source=SRC, as_of="2026-11-28"),
            Funds(src="eu", dst="p1", amount=1000.5, currency="EUR", year=2020, source=SRC, valid_from="2016"),
            Funds(src="eu", dst="p2", source=SRC),
            Implements(src="coe", dst="p1", role="lead", source=SRC),
            Targets(src="p1", dst="GHA", share=60.0, source=SRC),
            Targets(src="p1", dst="KEN", share=40.0, source=SRC),
            PartnersWith(src="eu", dst="coe", kind="joint programme", source=SRC),
            MemberOf(src="GHA", dst="commonwealth", source=SRC),
        ]
    )


def example_store(records: list[Node | Relationship]) -> EmbeddedStore:
    """A throwaway embedded store holding ``records`` (for doctest examples)."""
    store = EmbeddedStore(Path(tempfile.mkdtemp()) / "example.lbdb")
    store.write(Batch().extend(records))
    return store


def gaps_records() -> list[Node | Relationship]:
    """GHA, KEN, NPL, GBR; funders f1, f2; implementer i1.

    pA: theme C, 2016-2018, budget EUR 5,000, funded by f1, implemented by i1, targets GHA (EUR 600) and KEN (EUR 400).
    pB: theme A, from 2020, funded by f1 and f2, targets GHA (no amount).
    GCI 2024 overall: KEN 25, NPL 50, GBR 87.5; GHA has none (need unknown).
    KEN and GBR have a CMM review. NPL is an LDC and LLDC with no programme. GBR is high income.

    Need with the default weights (gci .4, income .3, ldc .1, sids .1, no_review .1; sum 1):
    KEN .4 x .75 + .3 x 2/3 = 0.5, priority 0.5 / 2 = 0.25;
    NPL .4 x .5 + .3 x 2/3 + .1 (LDC) + .1 (no review) = 0.6, priority 0.6;
    GBR .4 x .125 + .3 x 0 = 0.05 (ranked only with all_countries).
    """
    lmic: dict[str, Any] = {
        "sovereignty": "independent",
        "income_group": "Lower middle income",
        "income_vintage": "FY25",
        "sids": False,
    }
    return [
        Country(iso3="GHA", name="Ghana", region="Africa", subregion="Western Africa", ldc=False, lldc=False, **lmic, source=SRC),
        Country(iso3="KEN", name="Kenya", region="Africa", subregion="Eastern Africa", ldc=False, lldc=False, **lmic, source=SRC),
        Country(iso3="NPL", name="Nepal", region="Asia", subregion="Southern Asia", ldc=True, lldc=True, **lmic, source=SRC),
        Country(
            iso3="GBR",
            name="United Kingdom",
            region="Europe",
            subregion="Northern Europe",
            sovereignty="independent",
            income_group="High income",
            ldc=False,
            lldc=False,
            sids=False,
            source=SRC,
        ),
        Organisation(id="f1", name="Funder One", source=SRC),
        Organisation(id="f2", name="Funder Two", source=SRC),
        Organisation(id="i1", name="Implementer One", source=SRC),
        Programme(id="pA", name="A", themes=["C"], start_date="2016", end_date="2018", budget=5000, currency="EUR", source=SRC),
        Programme(id="pB", name="B", themes=["A"], start_date="2020", source=SRC),
        Funds(src="f1", dst="pA", source=SRC),
        Funds(src="f1", dst="pB", source=SRC),
        Funds(src="f2", dst="pB", source=SRC),
        Implements(src="i1", dst="pA", source=SRC),
        Targets(src="pA", dst="GHA", share=60, amount=600, currency="EUR", source=SRC),
        Targets(src="pA", dst="KEN", share=40, amount=400, currency="EUR", source=SRC),
        Targets(src="pB", dst="GHA", source=SRC),
        Indicator(id="gci-2024", family="gci", edition="2024", name="GCI 2024", source=SRC),
        Indicator(id="cmm-2019", family="cmm", edition="2019", name="CMM", source=SRC),
        Measured(src="KEN", dst="gci-2024", score=25, source=SRC),
        Measured(src="NPL", dst="gci-2024", score=50, source=SRC),
        Measured(src="GBR", dst="gci-2024", score=87.5, source=SRC),
        Measured(src="KEN", dst="cmm-2019", source=SRC),
        Measured(src="GBR", dst="cmm-2019", source=SRC),
    ]


def progress_records() -> list[Node | Relationship]:
    """Four low-income countries, GCI legal pillar (theme C) in both editions; programme pC (theme C, 2021-2023)
    names BEN and BFA.

    Worked by hand: supported BEN 1 -> 5 and BFA 2 -> 6 (change +4 each); not supported NER 1 -> 2 and MLI 3 -> 4
    (+1 each); all start in the 0-5 band: one stratum, difference 4 - 1 = +3, and every bootstrap resample of two
    constant arms gives +3, so the interval is 3 to 3. TGO has no 2020 score: left apart.
    """
    low: dict[str, Any] = {
        "sovereignty": "independent",
        "income_group": "Low income",
        "income_vintage": "FY25",
        "ldc": False,
        "lldc": False,
        "sids": False,
        "region": "Africa",
        "subregion": "Western Africa",
    }
    scores = {"BEN": (1, 5), "BFA": (2, 6), "NER": (1, 2), "MLI": (3, 4), "TGO": (None, 4)}
    out: list[Node | Relationship] = [Country(iso3=c, name=f"Country {c}", **low, source=SRC) for c in scores]
    for edition in ("2020", "2024"):
        out.append(Indicator(id=f"gci-{edition}", family="gci", edition=edition, name=f"GCI {edition}", source=SRC))
        out.append(
            Indicator(
                id=f"gci-{edition}-legal", family="gci", edition=edition, pillar="legal", name=f"GCI {edition} legal", source=SRC
            )
        )
    for c, (old, new) in scores.items():
        for edition, score in (("2020", old), ("2024", new)):
            if score is not None:
                out.append(Measured(src=c, dst=f"gci-{edition}-legal", score=score, source=SRC))
                out.append(Measured(src=c, dst=f"gci-{edition}", score=score * 5, source=SRC))
    out += [
        Organisation(id="f1", name="Funder One", source=SRC),
        Programme(id="pC", name="C", themes=["C"], start_date="2021", end_date="2023", source=SRC),
        Funds(src="f1", dst="pC", source=SRC),
        Targets(src="pC", dst="BEN", source=SRC),
        Targets(src="pC", dst="BFA", source=SRC),
    ]
    return out


def network_records() -> list[Node | Relationship]:
    """p1 (C, GHA): o1 funds, o2 implements. p2 (C, GHA+KEN): o3 funds. p3 (A, KEN): o4 funds, o2 implements.
    o3 and o4 are partners. Collaboration graph: the path o1 - o2 - o4 - o3."""
    return [
        Country(iso3="GHA", name="Ghana", source=SRC),
        Country(iso3="KEN", name="Kenya", source=SRC),
        *[Organisation(id=f"o{i}", name=f"Org {i}", source=SRC) for i in range(1, 5)],
        Programme(id="p1", name="P1", themes=["C"], source=SRC),
        Programme(id="p2", name="P2", themes=["C"], source=SRC),
        Programme(id="p3", name="P3", themes=["A"], source=SRC),
        Funds(src="o1", dst="p1", source=SRC),
        Implements(src="o2", dst="p1", source=SRC),
        Funds(src="o3", dst="p2", source=SRC),
        Funds(src="o4", dst="p3", source=SRC),
        Implements(src="o2", dst="p3", source=SRC),
        Targets(src="p1", dst="GHA", source=SRC),
        Targets(src="p2", dst="GHA", source=SRC),
        Targets(src="p2", dst="KEN", source=SRC),
        Targets(src="p3", dst="KEN", source=SRC),
        PartnersWith(src="o3", dst="o4", source=SRC),
    ]


def bloc_records() -> list[Node | Relationship]:
    """:func:`network_records`, with Ghana and Kenya both in bloc "b"."""
    return [
        *network_records(),
        Organisation(id="b", name="Bloc", kind="regional_body", source=SRC),
        MemberOf(src="GHA", dst="b", source=SRC),
        MemberOf(src="KEN", dst="b", source=SRC),
    ]
