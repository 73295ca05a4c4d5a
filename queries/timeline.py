"""Coverage over time: programmes active each year, per country, region, sub-region, theme or donor.

A programme is active in a year when its period covers that year. One
whose end is not stated is never taken to run forever: from its start year
on it counts apart, as ``end_unknown``. One whose start is not stated
cannot be placed in time and is left out (and counted). A regional
programme counts in the regions its stated scope reaches, never in
countries it does not name.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from graph.model import THEMES
from graph.store import Store, memo
from queries import analysis, facts, named, terms

Row = dict[str, Any]
FIRST_YEAR = 2013  # the field as this project covers it
BY = ("country", "region", "subregion", "theme", "donor")


@dataclass
class Timeline:
    """Long rows (group, name, year, active, end_unknown) and what could not be placed in time."""

    rows: list[Row]
    years: list[int]
    undated: list[str] = field(default_factory=list)  # programmes with no start date
    members: dict[str, list[str]] = field(default_factory=dict)  # group -> every programme counting in it, dated or not
    read_on: str | None = None  # the day the newest source was read: the last years before it fill in late

    def notes(self) -> list[str]:
        """What the reader needs to read the rows: what counts as active, and what was left out."""
        out = [
            f"active = programmes whose stated period covers the year; end_unknown = started by then, end not stated "
            f"(never counted as running forever); {self.years[0]}-{self.years[-1]}"
            if self.years
            else "no year to show"
        ]
        one = len(self.members) == 1  # one group's page: its own undated programmes, not the whole graph's
        mine = set(next(iter(self.members.values()))) if one else set()
        undated = [p for p in self.undated if p in mine] if one else self.undated
        if undated:
            shown = ", ".join(undated[:5]) + (", ..." if len(undated) > 5 else "")
            out.append(f"not placed in time: {len(undated)} programme(s) with no start date ({shown})")
        if one:  # its count, as every other view gives it
            group, progs = next(iter(self.members.items()))
            out.append(
                f"{group}: {len(progs)} programme(s) in all, {len(progs) - len(undated)} placed in time, "
                f"{len(undated)} with no start date"
            )
        if lag := facts.lag(self.years, self.read_on):
            out.append(lag)
        return out


def _year(date: str | None) -> int | None:
    return int(date[:4]) if date else None


def spans(store: Store) -> list[Row]:
    """Every programme's ``start_date``, ``end_date``, ``themes`` and scope, by programme id; read grouped by value,
    built once per cached store (the rows are shared: read-only)."""
    return memo(store, "timeline.spans", lambda: _spans(store))  # type: ignore[no-any-return]


def _spans(store: Store) -> list[Row]:
    rows = [
        {"programme": p, **{k: v for k, v in r.items() if k != "programmes"}}
        for r in store.query(named.PROGRAMME_SPANS)
        for p in r["programmes"]
    ]
    return sorted(rows, key=lambda r: r["programme"])


def _groups(store: Store, by: str, agencies: bool, progs: list[Row]) -> tuple[dict[str, set[str]], dict[str, str]]:
    """programme -> the groups it counts in; group -> its display name (``progs``: :func:`spans`)."""
    names: dict[str, str] = {}
    groups: dict[str, set[str]] = defaultdict(set)
    progs = analysis.with_bloc_reach(store, progs)
    if by == "theme":
        for p in progs:
            groups[p["programme"]].update(p["themes"] or [])
        names.update(THEMES)
    elif by == "donor":
        up = {} if agencies else analysis.donors(store)
        for r in store.query(named.FUNDER_PROGRAMMES):  # a row per funder, its programmes collected
            donor, donor_name = up.get(r["funder"], (r["funder"], r["funder_name"]))
            for p in r["programmes"]:
                groups[p].add(donor)
            names[donor] = donor_name
    else:
        key = {"country": "iso3", "region": "region", "subregion": "subregion"}[by]
        for r in store.query(named.COUNTRY_PROGRAMMES):  # a row per country, its programmes collected
            if r[key]:
                for p in r["programmes"]:
                    groups[p].add(r[key])
                names[r[key]] = r["country"] if by == "country" else r[key]
        if by != "country":
            parent = {c["subregion"]: c["region"] for c in store.query(named.COUNTRIES) if c["subregion"]}
            areas = set(parent) if by == "subregion" else set(parent.values())
            for p in progs:
                if p["scope"] == "regional":
                    for a in areas:
                        if analysis._covers(p, a, by, parent):
                            groups[p["programme"]].add(a)
                            names[a] = a
    return groups, names


def _once(groups: dict[str, set[str]], families: dict[str, set[str]]) -> dict[str, set[str]]:
    """programme -> groups, with an umbrella taken out of each group where one of its components counts:
    a family counted once (:func:`queries.facts.count_once`)."""
    out = {p: set(gs) for p, gs in groups.items()}
    for umbrella, parts in families.items():
        for g in list(out.get(umbrella, ())):
            if any(g in out.get(c, ()) for c in parts):
                out[umbrella].discard(g)
    return out


def coverage(
    store: Store,
    *,
    by: str = "country",
    only: str | None = None,
    theme: str | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    agencies: bool = False,
) -> Timeline:
    """Programmes active each year per group (``by``), from ``year_from`` (default 2013) to ``year_to`` (default: the
    latest year a programme starts: the data's horizon), optionally for one group (``only``, resolved as its kind) and one theme.

    Examples
    --------
    >>> import os, tempfile
    >>> from graph.embedded import EmbeddedStore
    >>> from graph.model import Country, Programme, Targets
    >>> from graph.store import Batch
    >>> s = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "g.lbdb"))
    >>> _ = s.write(Batch().extend([
    ...     Country(iso3="KEN", name="Kenya", source="s"),
    ...     Programme(id="p1", name="P1", start_date="2019", end_date="2020", source="s"),
    ...     Programme(id="p2", name="P2", start_date="2020", source="s"),
    ...     Programme(id="p3", name="P3", source="s"),
    ...     Targets(src="p1", dst="KEN", source="s"), Targets(src="p2", dst="KEN", source="s"),
    ...     Targets(src="p3", dst="KEN", source="s")]))
    >>> t = coverage(s, year_from=2019)
    >>> [(r["year"], r["active"], r["end_unknown"]) for r in t.rows], t.undated
    ([(2019, 1, 0), (2020, 1, 1)], ['p3'])
    >>> s.close()
    """
    if by not in BY:
        raise terms.UnknownName(f"cannot show coverage over time by {by!r}", f"by one of {', '.join(BY)}")
    theme = terms.theme(theme)
    progs = spans(store)
    if only is not None:
        only = _resolve(store, by, only)
    on_theme = [p for p in progs if not theme or theme in (p["themes"] or [])]
    kind = {p["programme"]: facts.period_kind(p["start_date"], p["end_date"]) for p in on_theme}  # the one rule of time
    dated = [p for p in on_theme if kind[p["programme"]] != "undated"]
    undated = sorted(p["programme"] for p in on_theme if kind[p["programme"]] == "undated")
    # the last year the data observes something begin: later years would only carry open-ended programmes forward
    last = max([y for p in dated if (y := _year(p["start_date"]))] or [FIRST_YEAR])
    # `is None`, not `or`: a year 0 is a typo to refuse (terms.years), never the default in disguise
    y0, y1 = terms.years(FIRST_YEAR if year_from is None else year_from, last if year_to is None else year_to)
    assert y0 is not None and y1 is not None
    years = list(range(y0, y1 + 1))
    groups, names = memo(  # the groups of every programme, once per cached store and grouping (read-only)
        store,
        f"timeline.groups.{by}.{agencies}",
        lambda: (lambda gn: (_once(gn[0], facts.components(store)), gn[1]))(_groups(store, by, agencies, progs)),
    )
    active: dict[tuple[str, int], int] = defaultdict(int)
    open_: dict[tuple[str, int], int] = defaultdict(int)
    seen: set[str] = set()
    if only is not None:  # one group's programmes, not every programme's groups (a country page at L: 100k of them)
        dated = [p for p in dated if only in groups.get(p["programme"], ())]
    for p in dated:
        start, end = _year(p["start_date"]), _year(p["end_date"])
        for g in groups.get(p["programme"], ()):
            if only is not None and g != only:
                continue
            seen.add(g)
            for y in years:
                if start is not None and start <= y and (end is None or y <= end):
                    if kind[p["programme"]] == "open-ended":
                        open_[(g, y)] += 1
                    else:
                        active[(g, y)] += 1
    rows = [
        {"group": g, "name": names.get(g, g), "year": y, "active": active[(g, y)], "end_unknown": open_[(g, y)]}
        for g in sorted(seen)
        for y in years
    ]
    members: dict[str, list[str]] = defaultdict(list)
    if only is not None:  # one group's view holds that group even when nothing counts in it (its notes are its own)
        members[only] = []
    for p in progs:
        if not theme or theme in (p["themes"] or []):
            for g in groups.get(p["programme"], ()):
                if only is None or g == only:
                    members[g].append(p["programme"])
    return Timeline(rows, years, undated, dict(sorted(members.items())), facts.read_on(store))


def _resolve(store: Store, by: str, text: str) -> str:
    if by == "theme":
        return str(terms.theme(text))
    if by in ("region", "subregion"):
        return str(terms.region(text))
    names = terms.Terms.of(store)
    return names.country(text) if by == "country" else names.organisation(text)


def wide(t: Timeline, *, limit: int | None = None) -> list[Row]:
    """One row per group, a column per year: ``"3"``, or ``"3+2"`` when 2 more have started and state no end;
    groups with the most programme-years first.

    >>> wide(Timeline([{"group": "KEN", "name": "Kenya", "year": 2020, "active": 1, "end_unknown": 2}], [2020]))
    [{'group': 'KEN', '2020': '1+2'}]
    """
    per: dict[str, dict[int, Row]] = defaultdict(dict)
    for r in t.rows:
        per[r["group"]][r["year"]] = r
    order = sorted(per, key=lambda g: (-sum(r["active"] + r["end_unknown"] for r in per[g].values()), g))[:limit]
    out = []
    for g in order:
        row: Row = {"group": g}
        for y in t.years:
            r = per[g].get(y, {"active": 0, "end_unknown": 0})
            row[str(y)] = f"{r['active']}+{r['end_unknown']}" if r["end_unknown"] else str(r["active"]) if r["active"] else "."
        out.append(row)
    return out
