"""Likely duplicate organisations (`ccb duplicates`), on both engines."""

from __future__ import annotations

from graph.model import Organisation
from graph.store import Batch, Store
from queries.identity import duplicate_organisations

S = "tests/queries/test_identity.py"


def test_alike_names_of_two_states_bodies_are_no_evidence(store: Store) -> None:
    store.write(
        Batch().extend(
            [
                # two states' agencies, 89% alike: two bodies
                Organisation(id="jica", name="Japan International Cooperation Agency", country="JPN", source=S),
                Organisation(id="koica", name="Korea International Cooperation Agency", country="KOR", source=S),
                # one state's, or one with no stated home: still a pair for a curator to decide
                Organisation(id="a1", name="National Cyber Security Centre", country="GHA", source=S),
                Organisation(id="a2", name="National Cyber Security Centres", country="GHA", source=S),
                Organisation(id="b1", name="Cyber Capacity Foundation", source=S),
                Organisation(id="b2", name="Cyber Capacity Foundations", country="KEN", source=S),
                # the same name in two countries is said, whatever the countries
                Organisation(id="c1", name="Ministry of ICT", country="UGA", source=S),
                Organisation(id="c2", name="Ministry of ICT", country="RWA", source=S),
            ]
        )
    )
    pairs = {(r["a"], r["b"]): r["evidence"] for r in duplicate_organisations(store)}
    assert ("jica", "koica") not in pairs
    assert pairs[("a1", "a2")][0].startswith("names ") and pairs[("b1", "b2")][0].startswith("names ")
    assert "both are called 'ministry of ict'" in pairs[("c1", "c2")]
