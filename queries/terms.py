"""What a person types, turned into graph keys: the one place every command, analysis and figure resolves names.

Countries are found by ISO alpha-3 or alpha-2 code, their name in the
graph, the ISO 3166-1 names (official and common) and a few everyday short
forms (``UK``, ``DRC``...); organisations by id, name or alias; themes by
letter or name; regions by UN M49 name. Case, accents, punctuation and a
leading "the" never matter. An unknown term is one :class:`UnknownName`
naming the closest real terms of the same kind.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any, overload

import pycountry

from graph.errors import CCBError
from graph.model import CURRENCIES, M49_AREAS, M49_REGIONS, THEMES, currency_hint
from graph.names import normalise_name
from graph.store import is_cached
from queries import named

Row = dict[str, Any]


class UnknownName(CCBError):
    """A country, organisation, theme or region that is not in the graph."""


# Everyday English forms that ISO 3166-1 does not list (its own names, official and common, are read from pycountry).
EVERYDAY: dict[str, str] = {
    "UK": "GBR",
    "Great Britain": "GBR",
    "Britain": "GBR",
    "US": "USA",
    "U.S.": "USA",
    "U.S.A.": "USA",
    "USA": "USA",
    "United States": "USA",
    "United States of America": "USA",
    "America": "USA",
    "U.K.": "GBR",
    "United Kingdom": "GBR",
    "Holland": "NLD",
    "Korea": "KOR",
    "South Korea": "KOR",
    "North Korea": "PRK",
    "UAE": "ARE",
    "Emirates": "ARE",
    "Czechia": "CZE",
    "Russia": "RUS",
    "DRC": "COD",
    "DR Congo": "COD",
    "Congo-Kinshasa": "COD",
    "Congo-Brazzaville": "COG",
    "Ivory Coast": "CIV",
    "Cape Verde": "CPV",
    "Swaziland": "SWZ",
    "Burma": "MMR",
    "Turkey": "TUR",
    "East Timor": "TLS",
    "Macedonia": "MKD",
    "Brunei": "BRN",
    "Vatican": "VAT",
    "Palestine": "PSE",
    "Syria": "SYR",
    "Laos": "LAO",
    "Moldova": "MDA",
    "Bosnia": "BIH",
    "Micronesia": "FSM",
    "Sao Tome": "STP",
    "Vatican City": "VAT",
    "Holy See": "VAT",
    "Saint Helena": "SHN",
    "Falkland Islands": "FLK",
    "Cocos Islands": "CCK",
    "Caribbean Netherlands": "BES",
    "Sint Maarten": "SXM",
    "Saint Martin": "MAF",  # the French part, as UN M49 names it; the Dutch part is Sint Maarten
}

# The names other reference tables give where ISO 3166-1's differ: the World Bank's (its classification and the
# ITU GCI tables as the World Bank publishes them) and UN M49's (CLDR short and official forms), as the bundled
# copies spell them, so that a name pasted from one of them is found.
REFERENCE_NAMES: dict[str, str] = {
    "Bahamas, The": "BHS",
    "Congo, Dem. Rep.": "COD",
    "Congo, Rep.": "COG",
    "Egypt, Arab Rep.": "EGY",
    "Gambia, The": "GMB",
    "Hong Kong SAR, China": "HKG",
    "Iran, Islamic Rep.": "IRN",
    "Korea, Dem. People's Rep.": "PRK",
    "Korea, Rep.": "KOR",
    "Lao PDR": "LAO",
    "Macao SAR, China": "MAC",
    "Micronesia, Fed. Sts.": "FSM",
    "Taiwan, China": "TWN",
    "Venezuela, RB": "VEN",
    "West Bank and Gaza": "PSE",
    "Yemen, Rep.": "YEM",
    "China, Hong Kong Special Administrative Region": "HKG",
    "China, Macao Special Administrative Region": "MAC",
    "Heard & McDonald Islands": "HMD",
    "South Georgia & South Sandwich Islands": "SGS",
    "St. Vincent & Grenadines": "VCT",
    "Svalbard and Jan Mayen Islands": "SJM",
    "U.S. Outlying Islands": "UMI",
    "United States Virgin Islands": "VIR",
    "Wallis and Futuna Islands": "WLF",
}

# Words a person may use for a GFCE theme, beside its letter and full name.
THEME_WORDS: dict[str, str] = {
    "policy": "A",
    "strategy": "A",
    "incident": "B",
    "incidents": "B",
    "incident management": "B",
    "cert": "B",
    "csirt": "B",
    "critical infrastructure": "B",
    "cybercrime": "C",
    "crime": "C",
    "skills": "D",
    "culture": "D",
    "awareness": "D",
    "standards": "E",
}

YEARS = (1945, 2100)  # a window outside these years is a typo, not a question


# a page's quotes and dashes, as typed in ASCII. Folded here, for looking names up, and not in
# graph.names.normalise_name: that also makes the slugs new organisations are keyed by, and a changed slug would
# give a reloaded IATI file's organisation a second node.
_TYPOGRAPHIC = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u2013": "-", "\u2014": "-"})
_SAINT = re.compile(r"\bst\b")


def _fold(text: str) -> str:
    """A term as it is compared: case, accents and punctuation folded (``Côte d’Ivoire`` as ``Cote d'Ivoire``), and
    "St." read as "Saint" (``St. Lucia``).

    >>> _fold("Côte d’Ivoire") == _fold("Cote d'Ivoire"), _fold("St. Kitts & Nevis")
    (True, 'saint kitts and nevis')
    """
    return _SAINT.sub("saint", normalise_name(text.translate(_TYPOGRAPHIC)))


def _inverted(name: str) -> str | None:
    """ISO's "Korea, Republic of" read the everyday way: "Republic of Korea"."""
    head, sep, tail = name.partition(", ")
    return f"{tail} {head}" if sep else None


def theme(text: str | None) -> str | None:
    """The GFCE theme letter for ``text``: a letter in any case, the theme's name or a common word for it.

    >>> theme("c"), theme("Cybercrime"), theme("cyber security culture & skills"), theme(None)
    ('C', 'C', 'D', None)
    """
    if text is None:
        return None
    t = _fold(text)
    if t.upper() in THEMES:
        return t.upper()
    for letter, name in THEMES.items():
        if t == _fold(name):
            return letter
    if t in THEME_WORDS:
        return THEME_WORDS[t]
    known = ", ".join(f"{k} ({v})" for k, v in THEMES.items())
    raise UnknownName(f"unknown GFCE theme {text!r}", f"themes are {known}")


def rows_legend(rows: Sequence[Mapping[str, Any]], *, hidden: Iterable[str] = (), letters: Iterable[str] = ()) -> str:
    """What the GFCE theme letters a table shows stand for, or "" when it shows none: letters in a theme column (a
    letter, a list of them, or "A; B; D") or as a column's name, of the columns a reader sees (all but ``hidden``),
    with ``letters`` a row's label or a note gives; a letter named beside it (``theme_name``) needs no legend.

    >>> rows_legend([{"theme": "C", "themes": ["A", "C"]}, {"theme": "Cybercrime", "themes": "A; C"}])
    'themes: A Cyber Security Policy & Strategy; C Cybercrime'
    >>> rows_legend([{"iso3": "KEN", "B": 2}]), rows_legend([{"iso3": "KEN", "themes": ["B"]}], hidden=["themes"])
    ('themes: B Cyber Incident Management & Critical Infrastructure Protection', '')
    >>> rows_legend([{"theme": "C", "theme_name": "Cybercrime"}]), rows_legend([{"theme_name": "X"}], hidden=["theme"])
    ('', '')
    >>> rows_legend([{"themes": ["D"]}], letters=["A"])
    'themes: A Cyber Security Policy & Strategy; D Cyber Security Culture & Skills'
    """
    gone = set(hidden)
    shown = [c for c in dict.fromkeys(k for r in rows for k in r) if c not in gone]
    if "theme_name" in shown:  # the letter is named beside it already (and a hidden theme column is no error)
        shown = [c for c in shown if c != "theme"]
    seen = {c for c in shown if c in THEMES} | set(letters)
    for r in rows:
        for c in shown:
            if c in LETTER_COLUMNS:
                v = r.get(c)
                seen.update(t.strip() for t in (v.split(";") if isinstance(v, str) else v or []) if isinstance(t, str))
    return "themes: " + "; ".join(f"{t} {THEMES[t]}" for t in sorted(seen & set(THEMES))) if seen & set(THEMES) else ""


# The columns whose cells are GFCE theme letters (as queries name them), not a count or a name.
LETTER_COLUMNS = frozenset({"theme", "themes", "shared_themes", "no_programme_on", "gaps"})


@overload
def currency(text: str) -> str: ...
@overload
def currency(text: None) -> None: ...
def currency(text: str | None) -> str | None:
    """The ISO 4217 code ``text`` names, in any case: a sum in a misspelt currency would be an empty sum.

    >>> currency("eur"), currency(None)
    ('EUR', None)
    >>> currency("EUO")
    Traceback (most recent call last):
    ...
    queries.terms.UnknownName: unknown currency 'EUO' (did you mean EUR?)
    """
    if text is None:
        return None
    code = text.strip().upper()
    if code not in CURRENCIES:
        raise UnknownName(f"unknown currency {text!r}", currency_hint(code) or "give an ISO 4217 code, as EUR")
    return code


# Everyday names of one UN M49 area; the answer names the area as M49 does.
REGION_WORDS: dict[str, str] = {
    "West Africa": "Western Africa",
    "East Africa": "Eastern Africa",
    "North Africa": "Northern Africa",
    "Central Africa": "Middle Africa",
    "Southeast Asia": "South-eastern Asia",
    "South East Asia": "South-eastern Asia",
    "East Asia": "Eastern Asia",
    "South Asia": "Southern Asia",
    "West Asia": "Western Asia",
    "North America": "Northern America",
}

# Groupings people use that are no one area here: what to give instead.
_SSA = "UN M49's Sub-Saharan Africa is split here into its intermediate regions"
_LAC = "UN M49's Latin America and the Caribbean is split here into its intermediate regions"
NOT_AREAS: dict[str, str] = {
    "Sub-Saharan Africa": f"{_SSA}: give Eastern, Middle, Southern or Western Africa (or Africa, them and Northern Africa)",
    "Latin America and the Caribbean": f"{_LAC}: give Caribbean, Central America or South America (or Americas)",
    "Latin America": "give Central America or South America (UN M49 sub-regions)",
    "Middle East": "not a UN M49 area: give Western Asia or Northern Africa",
    "MENA": "not a UN M49 area: give Western Asia or Northern Africa",
    "Pacific": "give Melanesia, Micronesia or Polynesia, the Pacific islands (or Oceania, them and Australia and New Zealand)",
    "Pacific Islands": "give Melanesia, Micronesia or Polynesia (or Oceania, them and Australia and New Zealand)",
    "Western Balkans": "not a UN M49 area: its states are in Southern Europe",
    "Balkans": "not a UN M49 area: give Southern Europe or Eastern Europe",
}


def region(text: str | None) -> str | None:
    """The UN M49 region or sub-region ``text`` names, spelled as M49 spells it.

    >>> region("western africa"), region("South-Eastern Asia"), region("south eastern asia"), region("Southeast Asia")
    ('Western Africa', 'South-eastern Asia', 'South-eastern Asia', 'South-eastern Asia')
    """
    if text is None:
        return None
    folded = {_fold(a): a for a in M49_AREAS} | {_fold(w): a for w, a in REGION_WORDS.items()}
    found = folded.get(_fold(text))
    if found is None and (instead := {_fold(w): why for w, why in NOT_AREAS.items()}.get(_fold(text))):
        raise UnknownName(f"{text!r} is not one area here", instead)
    if found is None:
        raise UnknownName(
            f"no region or sub-region {text!r} in UN M49",
            _hint(
                text,
                {_fold(a): a for a in M49_AREAS},
                "regions: " + ", ".join(M49_REGIONS) + "; sub-regions such as Western Africa: "
                "`ccb gaps --by subregion` lists them",
            ),
        )
    return found


def spoken(items: Sequence[str], last: str = "and") -> str:
    """Items as said in a sentence: "A", "A and B", "A, B and C" (``last`` joins the final two).

    >>> spoken(["Africa"]), spoken(["Africa", "Oceania"]), spoken(["A", "B", "C"], "or")
    ('Africa', 'Africa and Oceania', 'A, B or C')
    """
    return ", ".join(items[:-1]) + f" {last} {items[-1]}" if len(items) > 1 else "".join(items)


def area_said(area: str) -> str:
    """A UN M49 area's name inside a sentence: "the Americas", "the Caribbean", else as it is ("Africa").

    >>> area_said("Americas"), area_said("Western Africa")
    ('the Americas', 'Western Africa')
    """
    return f"the {area}" if area in ("Americas", "Caribbean") else area


def level_of(area: str) -> str:
    """``region`` or ``subregion``."""
    return "region" if area in M49_REGIONS else "subregion"


def years(
    year_from: int | None, year_to: int | None, names: tuple[str, str] = ("--from", "--to")
) -> tuple[int | None, int | None]:
    """The window's years, checked: each within 1945-2100, and ``to`` not before ``from``; an error names them as the
    asker gave them (``names``: the command's options, a page's fields, a tool's parameters).

    >>> years(2020, 2019, names=("'from'", "'to'"))
    Traceback (most recent call last):
    ...
    graph.errors.CCBError: 'to' 2019 is before 'from' 2020: give a 'to' year of 2020 or later
    """
    for name, y in zip(names, (year_from, year_to), strict=True):
        if y is not None and not YEARS[0] <= y <= YEARS[1]:
            raise CCBError(f"{name} {y} is not a year between {YEARS[0]} and {YEARS[1]}")
    if year_from is not None and year_to is not None and year_to < year_from:
        raise CCBError(f"{names[1]} {year_to} is before {names[0]} {year_from}: give a {names[1]} year of {year_from} or later")
    return year_from, year_to


def _hint(text: str, index: dict[str, str], otherwise: str, n: int = 3) -> str:
    """The closest real terms: ``did you mean Kenya (KEN)?``, or ``otherwise``."""
    close = get_close_matches(_fold(text), list(index), n=n * 3, cutoff=0.5)
    shown = list(dict.fromkeys(index[c] for c in close))[:n]
    return f"did you mean {', '.join(shown)}?" if shown else otherwise


@dataclass
class Terms:
    """The names of the countries and organisations in one graph.

    Examples
    --------
    >>> t = Terms.from_rows([{"iso3": "KEN", "iso2": "KE", "name": "Kenya"}],
    ...                     [{"id": "uk-fcdo", "name": "Foreign, Commonwealth & Development Office", "aliases": ["FCDO"],
    ...                       "kind": "government", "country": "GBR"}])
    >>> t.country("kenya"), t.country("KE"), t.organisation("fcdo"), t.actor("Kenya")
    ('KEN', 'KEN', 'uk-fcdo', ('country', 'KEN'))
    >>> t.country("Kenia")
    Traceback (most recent call last):
    ...
    queries.terms.UnknownName: no country 'Kenia' in the graph (did you mean Kenya (KEN)?)
    """

    countries: dict[str, str] = field(default_factory=dict)  # folded term -> iso3
    organisations: dict[str, str] = field(default_factory=dict)  # folded term -> id
    country_names: dict[str, str] = field(default_factory=dict)  # iso3 -> name
    org_names: dict[str, str] = field(default_factory=dict)  # id -> name
    governments: dict[str, str] = field(default_factory=dict)  # iso3 -> the one donor-state organisation based there

    @classmethod
    def of(cls, store: Any) -> Terms:
        """The terms of ``store``; built once per cached store (:func:`graph.store.cached`), as a page asks often."""
        if is_cached(store):
            terms: Terms = store.memo("terms", lambda: cls._read(store))
            return terms
        return cls._read(store)

    @classmethod
    def _read(cls, store: Any) -> Terms:
        links = store.query(named.PART_OF)
        return cls.from_rows(
            store.query(named.COUNTRY_TERMS),
            store.query(named.ORGANISATIONS),
            part_of={r["agency"] for r in links},
            parents_of={r["donor"] for r in links},
        )

    @classmethod
    def from_rows(
        cls, countries: Iterable[Row], organisations: Iterable[Row], part_of: Iterable[str] = (), parents_of: Iterable[str] = ()
    ) -> Terms:
        """Terms from country rows (iso3, iso2, name) and organisation rows (id, name, aliases, kind, country);
        ``part_of`` names the organisations that are part of another, ``parents_of`` those others are part of."""
        t = cls()
        for c in countries:
            iso3 = c["iso3"]
            t.country_names[iso3] = c.get("name") or iso3
            iso = pycountry.countries.get(alpha_3=iso3)
            names = [getattr(iso, a, None) for a in ("name", "official_name", "common_name")] if iso else []
            names = [*names, c.get("name")]
            names += [_inverted(n) for n in names if n]
            for term in [iso3, c.get("iso2"), *names]:
                if term:
                    t.countries.setdefault(_fold(term), iso3)
        for word, iso3 in (EVERYDAY | REFERENCE_NAMES).items():
            if iso3 in t.country_names:
                t.countries.setdefault(_fold(word), iso3)
        inside = set(part_of)
        parents = set(parents_of)
        state_orgs: dict[str, list[str]] = {}
        for o in organisations:
            t.org_names[o["id"]] = o.get("name") or o["id"]
            for term in [o["id"], o.get("name"), *(o.get("aliases") or [])]:
                if term:
                    t.organisations.setdefault(_fold(term), o["id"])
            if o.get("kind") == "government" and o.get("country") and o["id"] not in inside:
                state_orgs.setdefault(o["country"], []).append(o["id"])
        for iso3, ids in state_orgs.items():
            # the state: the one government body there that is part of nothing; where several are, the one its agencies
            # are part of (the Government of the United States, not a department not yet linked to it)
            roots = ids if len(ids) == 1 else [i for i in ids if i in parents]
            if len(roots) == 1:
                t.governments[iso3] = roots[0]
        return t

    def _country_hint(self, text: str) -> str:
        shown = {k: f"{self.country_names[v]} ({v})" for k, v in self.countries.items()}
        return _hint(text, shown, "give an ISO code (KEN, KE) or a country's name")

    def _org_hint(self, text: str) -> str:
        shown = {
            k: f"{self.org_names[v]} ({v})" if _fold(self.org_names[v]) != _fold(v) else v for k, v in self.organisations.items()
        }
        return _hint(text, shown, 'see `ccb supports --by funder` or `ccb query "MATCH (o:Organisation) RETURN o.id, o.name"`')

    def find_country(self, text: str) -> str | None:
        """The ISO alpha-3 code ``text`` names, or None (no error: see :meth:`country`)."""
        return self.countries.get(_fold(text))

    def find_organisation(self, text: str) -> str | None:
        """The organisation id ``text`` names, or None (no error: see :meth:`organisation`)."""
        return self.organisations.get(_fold(text))

    def country(self, text: str) -> str:
        """The ISO3 code of the country ``text`` names."""
        found = self.find_country(text)
        if found is None:
            raise UnknownName(f"no country {text!r} in the graph", self._country_hint(text))
        return found

    def organisation(self, text: str, *, donor_of_country: bool = True) -> str:
        """The id of the organisation ``text`` names; a country's name names its government when exactly one is a donor there."""
        found = self.find_organisation(text)
        if found is None and donor_of_country and (iso3 := self.find_country(text)):
            found = self.governments.get(iso3)
        if found is None:
            raise UnknownName(f"no organisation {text!r} in the graph", self._org_hint(text))
        return found

    def actor(self, text: str) -> tuple[str, str]:
        """``("organisation", id)`` or ``("country", iso3)``: an organisation's exact id first, then a country, then an
        organisation's name or alias."""
        key = _fold(text)
        if key in self.organisations and self.organisations[key] == text:
            return "organisation", text
        if (iso3 := self.find_country(text)) is not None:
            return "country", iso3
        if (oid := self.find_organisation(text)) is not None:
            return "organisation", oid
        hints = [h for h in (self._country_hint(text), self._org_hint(text)) if h.startswith("did you mean")]
        raise UnknownName(
            f"no country or organisation {text!r} in the graph",
            "did you mean " + ", ".join(h.removeprefix("did you mean ").rstrip("?") for h in hints) + "?"
            if hints
            else "give an ISO code, a country's name, an organisation id or a name",
        )
