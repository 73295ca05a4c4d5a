"""One definition of each fact that every command, report and page counts.

- **Donor**: the organisation at the top of a funder's ``PART_OF`` chain
  (the FCDO and the CSSF are the United Kingdom; the European Commission
  is the European Union) unless a caller asks for ``agencies``.
  :func:`donors`, :func:`family` and :func:`same_donor` say it.
- **Reach**: a programme reaches a country when it names it (``TARGETS``,
  *targeted*), when the country is within its stated regional or bloc
  scope (*regional*), or because it is *global*. Counts of programmes
  "in" a country are of the programmes that name it; regional and global
  programmes are always counted beside them in their own column, never
  dropped and never divided among countries. :data:`REACH` names the three.
- **Money**: an amount on a country row is one stated for that country.
  A programme's whole money (its budget, else its stated contributions)
  is shown once per programme and, when the
  programme names several countries, labelled as shared
  (:func:`money_label`), never repeated on each country's row as if it
  were that country's.
- **Families**: a programme may be a component of an umbrella
  (``COMPONENT_OF``). A family counts once: the components where they are
  stated, else the umbrella; in a country, the flow queries drop an
  umbrella where a component serves it; in any other set of programmes (a
  donor's, a region's, a theme's), :func:`count_once` does. Money is never
  summed across an umbrella and its components, and never left out for
  them: an umbrella's stated money holds its components', so a family's
  money is the umbrella's where it states some, else its components'
  (:func:`money_once`).
- **Time**: a programme is active in a year its stated period covers; one
  with a start and no stated end is *open-ended* (counted apart, never as
  running forever); one with no start cannot be placed (:func:`period_kind`).
- **Evidence**: a theme with fewer than :data:`MIN_THEME_PROGRAMMES`
  programmes in the graph gives "too little evidence", not a ranking.
- **Completeness**: the graph is a sample of the field; :func:`completeness`
  says how large against the field's published size (:data:`FIELD`).
"""

from __future__ import annotations

from typing import Any

from graph.model import THEMES
from graph.store import Store, memo
from queries import named

Row = dict[str, Any]

MIN_THEME_PROGRAMMES = 3  # below this, a theme's "experience" is one or two programmes: no ranking
# A bloc membership counts for at most 1 point in the matchmaking, divided by the bloc's size over this:
# a group of 5 or fewer (the Eastern Partnership) counts fully, the Commonwealth's 56 members 0.09.
SMALL_BLOC = 5

# The size of the field, as its most recent published study states it.
FIELD = {
    "projects_a_year": 250,
    "organisations": 650,
    "said": "more than 250 international cyber capacity building projects running each year, involving over 650 organisations",
    "by": "R. Collett and N. Barmpaliou, International Cyber Capacity Building: Global Trends and Scenarios "
    "(EU Institute for Security Studies for the European Commission, 2021)",
    "source": "https://directionsblog.eu/cyber-capacity-building-trends-and-scenarios",
}


def programmes_per_theme(store: Store) -> dict[str, int]:
    """GFCE theme -> how many programmes in the graph name it (every theme listed, 0 where none does): what the
    evidence rule (:data:`MIN_THEME_PROGRAMMES`) reads, for the plan, the matchmaking and the theme gaps alike. Read
    as a count per set of themes, a few rows at any size; once per cached store."""

    def build() -> dict[str, int]:
        out = dict.fromkeys(THEMES, 0)
        for r in store.query(named.THEME_SET_COUNTS):
            for t in r["themes"] or []:
                out[t] = out.get(t, 0) + r["programmes"]
        return out

    return memo(store, "facts.programmes_per_theme", build)  # type: ignore[no-any-return]


def counted(count: int, one: str, many: str) -> str:
    """A count with its noun in the right number, as every explanation writes one.

    >>> counted(1, "theme", "themes"), counted(3, "Eastern Africa country", "Eastern Africa countries")
    ('1 theme', '3 Eastern Africa countries')
    """
    return f"{count} {one if count == 1 else many}"


def donors(store: Store) -> dict[str, tuple[str, str]]:
    """Agency or fund id -> (donor id, donor name): PART_OF followed to the top (the FCDO to the UK).

    An organisation that is part of nothing is its own donor and is not listed.
    """
    up = {r["agency"]: (r["donor"], r["donor_name"]) for r in store.query(named.PART_OF)}
    out = {}
    for agency, donor in up.items():
        seen = {agency}
        while donor[0] in up and donor[0] not in seen:  # a cycle stops where it closes
            seen.add(donor[0])
            donor = up[donor[0]]
        out[agency] = donor
    return out


def family(org: str, up: dict[str, tuple[str, str]]) -> str:
    """The donor ``org`` belongs to (itself when it is part of nothing): ``up`` is :func:`donors`.

    >>> family("uk-fcdo", {"uk-fcdo": ("gov-gbr", "UK")}), family("gov-gbr", {"uk-fcdo": ("gov-gbr", "UK")})
    ('gov-gbr', 'gov-gbr')
    """
    return up.get(org, (org, ""))[0]


def same_donor(a: str, b: str, up: dict[str, tuple[str, str]]) -> bool:
    """Whether ``a`` and ``b`` are one donor: one is part of the other, or both are part of the same state or bloc.

    Suggestions never pair them: an agency does not "partner" with its own ministry.

    >>> up = {"uk-fcdo": ("gov-gbr", "UK"), "uk-cssf": ("gov-gbr", "UK")}
    >>> same_donor("uk-fcdo", "gov-gbr", up), same_donor("uk-fcdo", "uk-cssf", up), same_donor("uk-fcdo", "eu", up)
    (True, True, False)
    """
    return family(a, up) == family(b, up)


def components(store: Store) -> dict[str, set[str]]:
    """Umbrella programme id -> the ids of its stated components."""
    out: dict[str, set[str]] = {}
    for r in store.query(named.COMPONENTS):
        out.setdefault(r["umbrella"], set()).add(r["component"])
    return out


def count_once(programmes: set[str] | list[str], families: dict[str, set[str]]) -> set[str]:
    """``programmes`` with every umbrella left out whose component is among them: a family counted once.

    >>> sorted(count_once({"oas", "oas-talent", "other"}, {"oas": {"oas-talent", "oas-policy"}}))
    ['oas-talent', 'other']
    >>> sorted(count_once({"oas", "other"}, {"oas": {"oas-talent"}}))  # no component here: the umbrella stands
    ['oas', 'other']
    """
    progs = set(programmes)
    return {p for p in progs if not (families.get(p, set()) & progs)}


def money_once(priced: set[str] | list[str], families: dict[str, set[str]]) -> set[str]:
    """Of the programmes ``priced`` (those with money stated), the ones whose money counts, a family's once: a
    component whose umbrella (at any depth) has money stated is inside it and left out; an umbrella is never left
    out for its components, as :func:`count_once` leaves it out of a count (its money would be lost: the UK's GBP
    22m for its 2021 programme, where its component AFJOC states GBP 2.9m).

    >>> sorted(money_once({"uk-2021", "afjoc", "other"}, {"uk-2021": {"afjoc"}}))
    ['other', 'uk-2021']
    >>> sorted(money_once({"afjoc"}, {"uk-2021": {"afjoc"}}))  # the umbrella states none here: the component's
    ['afjoc']
    >>> sorted(money_once({"oas", "citi"}, {"oas": {"talent"}, "talent": {"citi"}}))  # a grandchild too
    ['oas']
    """
    money = set(priced)
    above = ancestors(families)
    return {p for p in money if not above.get(p, set()) & money}


def ancestors(families: dict[str, set[str]]) -> dict[str, set[str]]:
    """Component -> every umbrella above it, at any depth (a cycle, which `ccb check` refuses, stops where it closes).

    >>> ancestors({"oas": {"talent"}, "talent": {"citi"}}) == {"talent": {"oas"}, "citi": {"talent", "oas"}}
    True
    """
    parents: dict[str, set[str]] = {}
    for umbrella, parts in families.items():
        for part in parts:
            parents.setdefault(part, set()).add(umbrella)
    out: dict[str, set[str]] = {}
    for part in parents:
        seen: set[str] = set()
        todo = list(parents[part])
        while todo:
            u = todo.pop()
            if u not in seen and u != part:
                seen.add(u)
                todo.extend(parents.get(u, ()))
        out[part] = seen
    return out


def reach_kind(programme: Row, named_countries: int) -> str:
    """``targeted`` when the programme names countries, else ``regional`` or ``global`` by its stated scope.

    A programme that names no country and states no scope counts as ``targeted`` with none (it reaches
    nobody the graph can say).

    >>> reach_kind({"scope": "global"}, 0), reach_kind({"scope": "regional"}, 3), reach_kind({"scope": None}, 0)
    ('global', 'targeted', 'targeted')
    """
    scope = programme.get("scope")
    return scope if not named_countries and scope in ("regional", "global") else "targeted"


def money_label(amount: float, currency: str, countries: int, what: str = "budget of") -> str:
    """How a programme's whole money (its budget, or ``what`` it is: "stated contributions to") reads beside a
    country: shared, never that country's own.

    >>> money_label(10_000_000, "GBP", 5)
    'GBP 10,000,000: budget of a programme shared by 5 countries'
    >>> money_label(25_600_000, "USD", 1, "stated contributions to")
    'USD 25,600,000: stated contributions to a programme naming this country alone'
    """
    shared = f"shared by {countries} countries" if countries > 1 else "naming this country alone"
    return f"{currency} {amount:,.0f}: {what} a programme {shared}"


def period_kind(start: str | None, end: str | None) -> str:
    """``stated`` (start and end), ``open-ended`` (a start, no end) or ``undated`` (no start).

    >>> period_kind("2019", "2022"), period_kind("2019", None), period_kind(None, "2022")
    ('stated', 'open-ended', 'undated')
    """
    if not start:
        return "undated"
    return "stated" if end else "open-ended"


# An open-ended programme whose latest source is older than this is not known to be running today: a page from
# 2016 saying it began is no evidence that it runs in 2026 (CCB programmes mostly run two to four years)
STALE_YEARS = 3


def status_of(start: str | None, end: str | None, stated: str | None, today: str, as_of: str | None = None) -> str:
    """A programme's status on ``today`` (an ISO date), derived from its dates, never a stored word gone stale.

    Dates decide where they can: ended before today is ``completed``, starting after it ``pipeline``; a status
    the source gives that dates cannot show stands (cancelled, suspended, or completed with no end date). Started
    and not ended is ``active`` while its source (``as_of``) is under :data:`STALE_YEARS` old, else ``unknown``:
    nothing says it still runs; one whose stated end is still ahead is ``active``, as its source planned. With no
    dates, the stated status, under the same rule for ``active``.

    >>> status_of("2019", "2022-06", "active", "2026-12-04"), status_of("2027", None, None, "2026-12-04")
    ('completed', 'pipeline')
    >>> status_of("2020", None, None, "2026-12-04"), status_of(None, None, "cancelled", "2026-12-04")
    ('active', 'cancelled')
    >>> status_of("2010", None, "active", "2026-12-04", as_of="2016-07-29")  # last reported ten years ago
    'unknown'
    >>> status_of("2013", None, "completed", "2026-12-04"), status_of("2024-03", None, None, "2026-12-04", "2024-03-05")
    ('completed', 'active')
    >>> status_of("2023", "2026", None, "2026-12-04", as_of="2023-08-22")  # planned to 2026 on a page of 2023
    'active'
    """
    if stated in ("cancelled", "suspended"):
        return stated
    # an end "2022" or "2022-06" runs to the end of that year or month: compare on its own precision
    if end and end < today[: len(end)]:
        return "completed"
    if start and start > today[: len(start)]:
        return "pipeline"
    if stated == "completed" and not end:
        return stated
    if start or stated == "active":
        # a stated end not yet reached is the source's word that it runs until then, however old the source
        return "unknown" if not end and as_of and stale(as_of, today) else "active"
    return stated or "unknown"


def stale(as_of: str, today: str) -> bool:
    """Whether a source read or published on ``as_of`` is :data:`STALE_YEARS` or more before ``today``.

    >>> stale("2023-12-04", "2026-12-04"), stale("2023-12-05", "2026-12-04"), stale("2023", "2026-12-04")
    (True, False, False)
    """
    cutoff = f"{int(today[:4]) - STALE_YEARS:04d}{today[4:10]}"
    # a date of lesser precision ("2023", "2023-12") is taken at its latest day: it only says "by then"
    latest = as_of[:10] + "-12-31"[len(as_of) - 4 :] if len(as_of) < 10 else as_of[:10]
    return latest <= cutoff


def read_on(store: Store) -> str | None:
    """The day the newest programme source was read (``as_of``): how far the graph's record reaches in time."""
    return max((str(r["as_of"])[:10] for r in store.query(named.PROGRAMME_AS_OF)), default=None)


def lag(years: list[int], newest: str | None, what: str = "years") -> str:
    """That the last ``years`` before the newest source was read are still filling in; empty when none is recent.

    A programme is counted once a source reports it, often a year or more after it starts, so a fall in the
    last years is no sign that the field shrank.

    >>> lag([2023, 2024, 2025, 2026], "2026-12-06", "start years")
    "recent start years fill in late: a programme counts once a source reports it, and the newest source was read on 2026-12-06, so a fall in 2025-2026 may be that lag, not the field's"
    >>> lag([2019, 2020], "2026-12-06"), lag([2026], None)
    ('', '')
    """
    if not newest:
        return ""
    recent = sorted(y for y in years if y >= int(newest[:4]) - 1)
    if not recent:
        return ""
    span = f"{recent[0]}-{recent[-1]}" if len(recent) > 1 else str(recent[0])
    return (
        f"recent {what} fill in late: a programme counts once a source reports it, and the newest source was read "
        f"on {newest}, so a fall in {span} may be that lag, not the field's"
    )


# The source every programme `ccb plan` writes starts with: a planned grant, not a fact (queries.plan writes it).
SCENARIO_SOURCE = "scenario planned with ccb plan, not a fact"


def completeness(store: Store) -> str:
    """One line: how much of the field the graph holds, against the field's published size, with the source.

    Under ``--assume`` the store is a copy holding a plan's programmes too: they are counted apart, so the line
    gives the graph's own count (the same as without the plan), not one raised by grants that do not exist.
    """
    counts = store.counts()
    planned = store.query(named.PLANNED_PROGRAMMES, {"prefix": SCENARIO_SOURCE})[0]["n"] if counts.get("Programme") else 0
    also = f" (and {planned:,} planned, assumed)" if planned else ""
    return (
        f"data: a sample, not a census: {counts.get('Programme', 0) - planned:,} programmes{also} and "
        f"{counts.get('Organisation', 0):,} organisations in the graph, where the field has {FIELD['said']} "
        f"({FIELD['by']}, {FIELD['source']}); a country with 0 programmes and few sources may be unrecorded, not unserved"
    )


def programme_sources(store: Store) -> dict[str, str]:
    """Programme id -> the page it was read from (read grouped by page: a row per source; built once per cached
    store, read-only)."""
    return memo(  # type: ignore[no-any-return]
        store,
        "facts.programme_sources",
        lambda: {p: r["source"] for r in store.query(named.PROGRAMME_SOURCES) for p in r["programmes"] if r["source"]},
    )
