"""A list as a user asks for it: the programmes, organisations or countries that facet values choose, that a
search finds and that are active in some years, sorted, a page at a time (the app's lists, `ccb programmes`,
`ccb organisations`). The rows and the browsing are :mod:`queries.catalogue`'s; the search is
:mod:`queries.fulltext`'s; this module reads what the user typed as every command reads it (:mod:`queries.terms`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graph.errors import CCBError
from graph.store import Store
from queries import analysis, facts, fulltext, terms
from queries.catalogue import (
    COLUMNS,
    FACETS,
    LISTS,
    ONE_OF,
    PER_PAGE,
    SORTS,
    Browse,
    Facet,
    Row,
    browse,
    chosen,
)

# What a list carries when it is read rather than browsed (`ccb programmes --format json`, the MCP tool): the app's
# download columns and the page each row was read from.
FIELDS = {
    "programmes": (*COLUMNS["programmes"], "source", "as_of"),
    "organisations": (*COLUMNS["organisations"], "source"),
    "countries": COLUMNS["countries"],
}


@dataclass
class Listing:
    """A list as asked: the page of it (``browse``), the facet values as the facets hold them (``chosen``), the
    values left out because no row could hold them (``refused``) and lines to show beside it (``notes``: the words a
    search left out, an agency counted with its donor)."""

    browse: Browse
    chosen: dict[str, list[str]]
    refused: list[CCBError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def records(self, kind: str) -> list[Row]:
        """Every matching row with the list's :data:`FIELDS`, raw values."""
        return [{c: r.get(c) for c in FIELDS[kind]} for r in self.browse.matching]


def listing(
    store: Store,
    kind: str,
    given: dict[str, list[str]],
    *,
    text: str = "",
    window: analysis.Window | None = None,
    sort: str = "name",
    desc: bool = False,
    page: int = 1,
    per_page: int = PER_PAGE,
    lenient: bool = False,
) -> Listing:
    """The programmes, organisations or countries (``kind``) that the facet values ``given`` choose (any of a facet's
    values, every facet), that a search for ``text`` finds and, for programmes, that are active in ``window``; sorted
    and one page of them, with each facet's counts. The app's lists and `ccb programmes` / `ccb organisations` ask
    this, so a list and its download, on a page or in a terminal, always agree.

    A facet value no row could hold raises :class:`queries.terms.UnknownName` (naming the nearest values), or with
    ``lenient`` is left out and said in ``refused``, so a page can show the rest of the choice.

    Examples
    --------
    >>> from graph.examples import example_store, gaps_records
    >>> s = example_store(gaps_records())
    >>> found = listing(s, "programmes", {"country": ["Kenya"]})
    >>> [r["programme"] for r in found.browse.matching], found.chosen["country"]
    (['pA'], ['KEN'])
    >>> listing(s, "programmes", {"country": ["Kenia"]})
    Traceback (most recent call last):
    ...
    queries.terms.UnknownName: no programme has beneficiary country 'Kenia' (did you mean Kenya (KEN)?)
    >>> s.close()
    """
    if kind not in LISTS:
        raise CCBError(f"no list of {kind!r}: the lists are {', '.join(LISTS)}")
    if sort not in SORTS[kind]:
        raise CCBError(f"cannot sort {kind} by {sort!r}: sort by {', '.join(SORTS[kind])}")
    rows = LISTS[kind](store)
    facets = FACETS[kind]
    t = terms.Terms.of(store)
    words = t.org_names | t.country_names  # a facet value's words: an organisation's or a country's name
    given, valid, notes = _named(store, t, facets, given)
    refused: list[CCBError] = []
    chose = chosen(rows, facets, given, ONE_OF[kind], words, refused=refused if lenient else None, valid=valid)
    keys: set[str] | None = None
    if text.strip():
        found = fulltext.search(store, text, limit=0)  # the keys only: no row built, no match marked
        keys = set(found.keys[ONE_OF[kind]])
        notes += fulltext.dropped_note(found.dropped)
    window = window or analysis.Window()

    def keep(r: Row) -> bool:
        if keys is not None and r.get("programme", r.get("id", r.get("iso3"))) not in keys:
            return False
        return kind != "programmes" or window.overlaps(r["start_date"], r["end_date"])

    b = browse(rows, facets, chose, keep=keep, sort=sort, desc=desc, page=page, per_page=per_page, names=words)
    return Listing(b, chose, refused, notes)


def _named(
    store: Store, t: terms.Terms, facets: tuple[Facet, ...], given: dict[str, list[str]]
) -> tuple[dict[str, list[str]], dict[str, set[str]], list[str]]:
    """The values of the facets that name a country or an organisation read as every command reads them ("Ivory
    Coast" is CIV, "FCDO" is uk-fcdo; a donor's agency is counted with its donor, as the donor facet holds it,
    and said), the values those facets may take though no row holds them (any country or organisation in the
    graph: choosing one gives no row, not an error), and the notes to show."""
    up = facts.donors(store)
    out, valid, notes = dict(given), {}, []
    for f in facets:
        if f.names == "country":
            out[f.name] = [t.find_country(v) or v for v in given.get(f.name) or ()]
            valid[f.name] = set(t.country_names)
        elif f.names == "organisation":
            values = []
            for v in given.get(f.name) or ():
                oid = t.find_organisation(v) or (t.governments.get(t.find_country(v) or "") if f.name == "donor" else None)
                if oid and f.name == "donor" and (donor := facts.family(oid, up)) != oid:
                    notes.append(f"{t.org_names.get(oid, oid)} ({oid}) is counted with its donor, {donor}")
                    oid = donor
                values.append(oid or v)
            out[f.name] = values
            valid[f.name] = set(t.org_names)
    return out, valid, notes
