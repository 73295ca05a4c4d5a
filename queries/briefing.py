"""The short briefing ``ccb demo`` prints: what the graph holds, at a glance."""

from __future__ import annotations

from typing import Any

from graph.store import Store, cached
from queries import analysis, named, network

Rows = list[dict[str, Any]]


def briefing(store: Store, limit: int = 8) -> list[tuple[str, Rows]]:
    """Sections of ``(title, rows)``: counts, top funders, most supported countries, coverage by region.

    Examples
    --------
    >>> from graph.embedded import EmbeddedStore
    >>> import tempfile, os
    >>> s = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "g.lbdb"))
    >>> [title for title, _ in briefing(s)]
    ['What the graph holds', 'Top funders by programmes', 'Most supported countries', 'Highest priority: need against support', 'Coverage by UN M49 region', 'A partnership to explore']
    >>> s.close()
    """
    store = cached(store)  # the gaps and the partnership read tables other sections read too
    counts = [{"what": k, "count": v} for k, v in store.counts().items() if v]
    gaps = analysis.country_gaps(store)
    regions = sorted(({"region": r["region"], "countries": r["countries"], "unserved": r["unserved"],
                       "unserved_share": round(r["unserved"] / r["countries"], 2)}
                      for r in analysis.region_gaps(store, countries=gaps)), key=lambda r: r["region"])
    # States that belong to a regional or global bloc: keeps uninhabited territories off the list.
    members = {r["iso3"] for r in store.query(named.BLOC_MEMBERS)}
    priority = [{k: r[k] for k in ("iso3", "country", "need", "programmes", "priority", "explanation")}
                for r in gaps if r["iso3"] in members and r["need_known"]][:limit]
    if not priority:
        unserved = sum(1 for r in gaps if r["iso3"] in members and r["programmes"] == 0)
        priority = [{"note": f"{unserved} states have no programme in the graph; no need index (GCI) is loaded to rank them: "
                             "load one with `ccb load-indices` (country,index,edition,score,tier,...)"}]
    return [
        ("What the graph holds", counts),
        ("Top funders by programmes", store.query(named.TOP_FUNDERS, {"limit": limit})),
        ("Most supported countries", store.query(named.MOST_SUPPORTED, {"limit": limit})),
        ("Highest priority: need against support", priority),
        ("Coverage by UN M49 region", regions),
        ("A partnership to explore", [{k: r[k] for k in ("a_name", "b_name", "score", "shared_countries", "shared_themes", "explanation")}
                                      for r in network.partners(store, limit=1)]),
    ]
