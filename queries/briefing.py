"""The short briefing ``ccb demo`` prints: what the graph holds, at a glance."""

from __future__ import annotations

from typing import Any

from graph.store import Store
from queries import named

Rows = list[dict[str, Any]]


def _ints(rows: Rows) -> Rows:
    # LadybugDB's sum() over integers returns Decimal; plain ints print and serialise cleanly.
    return [{k: int(v) if hasattr(v, "as_integer_ratio") and not isinstance(v, (int, float)) else v for k, v in r.items()} for r in rows]


def briefing(store: Store, limit: int = 8) -> list[tuple[str, Rows]]:
    """Sections of ``(title, rows)``: counts, top funders, most supported countries, coverage by region.

    Examples
    --------
    >>> from graph.embedded import EmbeddedStore
    >>> import tempfile, os
    >>> s = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "g.lbdb"))
    >>> [title for title, _ in briefing(s)]
    ['What the graph holds', 'Top funders by programmes', 'Most supported countries', 'Coverage by UN M49 region']
    >>> s.close()
    """
    counts = [{"what": k, "count": v} for k, v in store.counts().items() if v]
    regions = _ints(store.query(named.REGION_COVERAGE))
    for r in regions:
        r["unserved_share"] = round(r["unserved"] / r["countries"], 2) if r["countries"] else None
    return [
        ("What the graph holds", counts),
        ("Top funders by programmes", store.query(named.TOP_FUNDERS, {"limit": limit})),
        ("Most supported countries", store.query(named.MOST_SUPPORTED, {"limit": limit})),
        ("Coverage by UN M49 region", regions),
    ]
