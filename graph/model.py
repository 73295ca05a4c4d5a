"""The domain model: pydantic records for every node and relationship.

These classes are the one declaration of the graph's schema. Each node class
names its label and key; each relationship class names its type and its
endpoint labels. :mod:`graph.schema` reads them to produce the DDL of both
stores, the column order of every write and the checks on user-supplied
labels, so a property is added here and nowhere else.

Dates are ISO 8601 strings at the precision the source gives (``2016``,
``2016-03`` or ``2016-03-01``): a source that says "March 2016" must not
become "1 March 2016". ISO strings sort and compare correctly as text, in
both engines.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Self

import pycountry
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from graph.names import suggest

# A year, a month, or a day that exists: 31 only in long months, 30 not in February, 29 February
# only in leap years (divisible by 4, centuries by 400). One regex, so pydantic-core checks it without Python.
_LEAP = r"(\d\d(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)"
ISO_DATE = re.compile(
    r"^(\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|1\d|2[0-8]))?)?"
    r"|\d{4}-(0[13-9]|1[0-2])-(29|30)|\d{4}-(0[13578]|1[02])-31|" + _LEAP + r"-02-29)$"
)
# Text is printed to terminals, written to XML and CSV: no control characters but tab and newline
# (C0, DEL and C1 include NUL, ESC, BEL and the terminal's CSI).
NO_CONTROL = re.compile(r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$")
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/@+\-]*$")

# GFCE themes (Delhi Communiqué, 2017), one per working group.
THEMES: dict[str, str] = {
    "A": "Cyber Security Policy & Strategy",
    "B": "Cyber Incident Management & Critical Infrastructure Protection",
    "C": "Cybercrime",
    "D": "Cyber Security Culture & Skills",
    "E": "Cyber Security Standards",
}

ORG_KINDS = (
    "government",
    "intergovernmental",
    "regional_body",
    "academic",
    "non_profit",
    "private",
    "foundation",
    "other",
)
# the words people write for a kind, for the hint when a kind is refused
KIND_WORDS = {
    "company": "private",
    "business": "private",
    "corporate": "private",
    "ngo": "non_profit",
    "nonprofit": "non_profit",
    "non-profit": "non_profit",
    "charity": "non_profit",
    "civil society": "non_profit",
    "university": "academic",
    "research": "academic",
    "igo": "intergovernmental",
    "international organisation": "intergovernmental",
    "international organization": "intergovernmental",
    "ministry": "government",
    "agency": "government",
}

# UN M49 regions and the sub-regions used here: M49's sub-region, except that
# Sub-Saharan Africa and Latin America and the Caribbean are split into their
# M49 intermediate regions (Western Africa, South America...), the level at
# which programmes and strategies are planned. A test holds every country to it.
M49_REGIONS: dict[str, tuple[str, ...]] = {
    "Africa": ("Northern Africa", "Eastern Africa", "Middle Africa", "Southern Africa", "Western Africa"),
    "Americas": ("Caribbean", "Central America", "South America", "Northern America"),
    "Asia": ("Central Asia", "Eastern Asia", "South-eastern Asia", "Southern Asia", "Western Asia"),
    "Europe": ("Eastern Europe", "Northern Europe", "Southern Europe", "Western Europe"),
    "Oceania": ("Australia and New Zealand", "Melanesia", "Micronesia", "Polynesia"),
}
M49_AREAS: frozenset[str] = frozenset(M49_REGIONS) | frozenset(s for subs in M49_REGIONS.values() for s in subs)

# Kosovo has a user-assigned code (XK / XKX) that ISO and pycountry lack.
EXTRA_COUNTRIES: dict[str, str] = {"XKX": "Kosovo"}


def known_iso3(code: str) -> bool:
    """True when ``code`` is an ISO 3166-1 alpha-3 code or Kosovo's XKX.

    >>> known_iso3("KEN"), known_iso3("XKX"), known_iso3("KEX")
    (True, True, False)
    """
    return code in EXTRA_COUNTRIES or pycountry.countries.get(alpha_3=code) is not None


def _iso3(value: str | None) -> str | None:
    if value is None:
        return None
    if not known_iso3(value):
        raise ValueError(f"unknown country code {value!r}: expected ISO 3166-1 alpha-3 (or XKX)")
    return value


def _areas(value: list[str]) -> list[str]:
    bad = [a for a in value if a not in M49_AREAS]
    if bad:
        # The 27 names would not fit one error line: the 5 regions, and the closest sub-regions.
        regions = ", ".join(M49_REGIONS)
        hint = suggest(bad[0], M49_AREAS, "")
        raise ValueError(
            f"unknown UN M49 region {bad[0]!r}: expected a region ({regions}) or a sub-region such as Western Africa"
            + (f"; {hint}" if hint else "")
        )
    return sorted(set(value))


def _themes(value: list[str]) -> list[str]:
    bad = [t for t in value if t not in THEMES]
    if bad:
        raise ValueError(f"unknown GFCE theme {bad[0]!r}: expected one of A, B, C, D, E")
    return sorted(set(value))


# Keys and dates are checked by pydantic-core's own regex (no Python call per value:
# a third of validation time at 660k rows); pattern_message() words the errors.
PATTERN_MESSAGES = {
    ISO_DATE.pattern: "expected an ISO date: YYYY, YYYY-MM or YYYY-MM-DD",
    KEY.pattern: "expected an identifier of letters, digits and _ . : / @ + -",
    NO_CONTROL.pattern: "control characters are not allowed (only tab and newline)",
}
IsoDate = Annotated[str | None, Field(pattern=ISO_DATE.pattern)]
Iso3 = Annotated[str, AfterValidator(_iso3)]
OptIso3 = Annotated[str | None, AfterValidator(_iso3)]
Key = Annotated[str, Field(min_length=1, max_length=200, pattern=KEY.pattern)]
Text = Annotated[str, Field(min_length=1, max_length=1000, pattern=NO_CONTROL.pattern)]
OptText = Annotated[str | None, Field(max_length=1000, pattern=NO_CONTROL.pattern)]
LongText = Annotated[str, Field(max_length=20000, pattern=NO_CONTROL.pattern)]
# Money: finite and below 10^15 (a thousand trillion; beyond any programme, and exact in a float).
MAX_AMOUNT = 1e15
Amount = Annotated[float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
Score = Annotated[float, Field(ge=-1e9, le=1e9, allow_inf_nan=False)]
# ISO 4217 codes withdrawn since the euro (ISO 4217 List Three), in which older IATI files and pages state amounts
# (Sierra Leone's SLL until 2022, Croatia's HRK until 2023): pycountry lists the current codes only.
WITHDRAWN_CURRENCIES = frozenset(
    "ATS AZM BEF BYR CSD CUC CYP DEM EEK ESP FIM FRF GHC GRD HRK IEP ITL LTL LUF LVL MRO MTL MZM NLG PTE ROL SDD SIT "
    "SKK SLL STD TMM TRL VEB VEF XEU YUM ZMK ZWD ZWL ZWN ZWR".split()
)
CURRENT_CURRENCIES = frozenset(c.alpha_3 for c in pycountry.currencies)
CURRENCIES = CURRENT_CURRENCIES | WITHDRAWN_CURRENCIES


def _currency(value: str) -> str:
    """An ISO 4217 code, current or withdrawn: a typo ('EUO') would be a currency of its own, in no EUR total.

    >>> _currency("EUR")
    'EUR'
    >>> _currency("EUO")
    Traceback (most recent call last):
    ...
    ValueError: unknown currency 'EUO': expected an ISO 4217 code (did you mean EUR?)
    """
    if value not in CURRENCIES:
        raise ValueError(f"unknown currency {value!r}: expected an ISO 4217 code ({currency_hint(value) or 'EUR, USD, GBP...'})")
    return value


def currency_hint(value: str) -> str:
    """The codes ``value`` was probably meant to be: its letters swapped first (GPB for GBP), else the closest; ''
    when none is close.

    >>> currency_hint("GPB"), currency_hint("QQQ")
    ('did you mean GBP?', '')
    """
    for codes in (CURRENT_CURRENCIES, WITHDRAWN_CURRENCIES):  # EUR before XEU, the ECU it replaced
        swapped = sorted(c for c in codes if sorted(c) == sorted(value.upper()))
        if swapped:
            return f"did you mean {', '.join(swapped)}?"
    return suggest(value, CURRENT_CURRENCIES, "") or suggest(value, WITHDRAWN_CURRENCIES, "")


Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$"), AfterValidator(_currency)]


def literal_message(error: Mapping[str, Any]) -> str | None:
    """A value outside a fixed vocabulary (an organisation's kind, a link's role) in plain words, with the nearest.

    >>> literal_message({"type": "literal_error", "input": "Goverment", "ctx": {"expected": "'government' or 'other'"}})
    'expected one of government, other: did you mean government?'
    >>> literal_message({"type": "literal_error", "input": "Company", "ctx": {"expected": "'private' or 'other'"}})
    'expected one of private, other: did you mean private?'
    """
    if error.get("type") != "literal_error":
        return None
    allowed = re.findall(r"'([^']*)'", str((error.get("ctx") or {}).get("expected", "")))
    given = str(error.get("input", "")).strip().lower()
    word = KIND_WORDS.get(given)
    near = f"did you mean {word}?" if word in allowed else suggest(given, allowed, "")
    return f"expected one of {', '.join(allowed)}" + (f": {near}" if near else "")


def pattern_message(error: Mapping[str, Any]) -> str | None:
    """The plain-words message for a pydantic pattern error on a key or a date, else None."""
    if error.get("type") == "string_pattern_mismatch":
        return PATTERN_MESSAGES.get((error.get("ctx") or {}).get("pattern", ""))
    return None


def error_message(error: Mapping[str, Any]) -> str:
    """A pydantic error of one field in plain words, with the value given (cut to 60 characters) unless the
    validator's own message already names it.

    >>> error_message({"type": "string_pattern_mismatch", "ctx": {"pattern": ISO_DATE.pattern}, "input": "2021-13-01"})
    "expected an ISO date: YYYY, YYYY-MM or YYYY-MM-DD (got '2021-13-01')"
    >>> error_message({"type": "missing", "input": {"id": "x"}, "msg": "Field required"})
    'required field is missing'
    """
    if error.get("type") == "missing":
        return "required field is missing"
    msg = pattern_message(error) or literal_message(error) or str(error.get("msg", "")).removeprefix("Value error, ")
    if error.get("type") in ("float_parsing", "int_parsing") and "," in str(error.get("input", "")):
        msg += "; write it without thousands separators"  # "1,000,000" from a spreadsheet or a page
    if "input" in error and error.get("type") != "value_error":
        shown = repr(error["input"])
        msg += f" (got {shown[:60] + '...' if len(shown) > 60 else shown})"
    return msg


class Record(BaseModel):
    """Fields every node and relationship carries: where the fact comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    source: Text = Field(description="URL, or file and record, the fact was read from")
    as_of: IsoDate = Field(default=None, description="date the source was read or published")

    @classmethod
    def revive(cls, rows: list[dict[str, Any]]) -> list[Self]:
        """Records of this class rebuilt, unvalidated, from the field dicts of validated ones.

        For records validated in another process: their rows cross as plain
        dicts (pickling models costs ten times more) and come back here
        through pydantic's own unpickling step. Every field counts as set.

        >>> p = Programme(id="p1", name="One", themes=["C"], source="s")
        >>> Programme.revive([dict(p.__dict__)]) == [p]
        True
        """
        out = []
        for row in rows:
            record = cls.__new__(cls)
            record.__setstate__(
                {"__dict__": row, "__pydantic_fields_set__": set(row), "__pydantic_extra__": None, "__pydantic_private__": None}
            )
            out.append(record)
        return out


class Node(Record):
    """A node of the graph: its label, its key property and its input-file section are class-level."""

    is_node: ClassVar[bool] = True  # cheaper than isinstance(): pydantic classes check through ABCMeta
    label: ClassVar[str]
    key: ClassVar[str]
    section: ClassVar[str]  # name of the section / file stem in input files


class Relationship(Record):
    """A relationship between two nodes, identified by (type, from key, to key)."""

    is_node: ClassVar[bool] = False
    type: ClassVar[str]
    src_label: ClassVar[str]
    dst_label: ClassVar[str]
    section: ClassVar[str]
    # The end with few relationships of this type (a programme has few funders,
    # a funder many programmes): pattern lookups start there, or a server that
    # expands left to right walks every edge of a big funder for each row.
    anchor: ClassVar[Literal["src", "dst"]] = "src"

    src: Key = Field(alias="from", description="key of the start node")
    dst: Key = Field(alias="to", description="key of the end node")
    valid_from: IsoDate = None
    valid_to: IsoDate = None

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, populate_by_name=True)

    # Set on a type whose links must form a tree (PART_OF, COMPONENT_OF): the message refusing a link to itself.
    self_link: ClassVar[str | None] = None

    @model_validator(mode="after")
    def _period(self) -> Relationship:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        if self.self_link and self.src == self.dst:
            raise ValueError(self.self_link)
        return self


class Country(Node):
    """A country or territory, keyed by ISO alpha-3, with its UN M49 and World Bank classifications."""

    label: ClassVar[str] = "Country"
    key: ClassVar[str] = "iso3"
    section: ClassVar[str] = "countries"

    iso3: Iso3
    iso2: Annotated[str | None, Field(pattern=r"^[A-Z]{2}$")] = None
    iso_numeric: Annotated[str | None, Field(pattern=r"^\d{3}$")] = None
    name: Text
    region: OptText = Field(default=None, description="UN M49 region")
    subregion: OptText = Field(default=None, description="UN M49 sub-region")
    income_group: OptText = Field(default=None, description="World Bank income group")
    wb_region: OptText = Field(default=None, description="World Bank region")  # added later: new fields go last
    sovereignty: OptText = Field(
        default=None,
        description="'independent', or the dependency as statoids.com states it "
        "('Territory of GB', 'Part of FR', 'In contention'...)",
    )
    ldc: bool | None = Field(default=None, description="UN least developed country (M49)")
    lldc: bool | None = Field(default=None, description="UN landlocked developing country (M49)")
    sids: bool | None = Field(default=None, description="UN small island developing state (M49)")
    lending_category: OptText = Field(default=None, description="World Bank lending category (IDA, IBRD, Blend)")
    income_vintage: OptText = Field(default=None, description="World Bank fiscal year of the classification, e.g. FY25")
    income_source: Text | None = Field(
        default=None, description="where income group, World Bank region and lending category come from"
    )
    restriction: OptText = Field(
        default=None, description="why donors cannot lawfully deliver capacity building there (a UN sanctions regime)"
    )
    restriction_source: Text | None = Field(default=None, description="the page that states the restriction")

    @model_validator(mode="after")
    def _regions(self) -> Country:
        if self.subregion and self.subregion not in M49_REGIONS.get(self.region or "", ()):
            raise ValueError(f"sub-region {self.subregion!r} is not in region {self.region!r} (UN M49)")
        return self


class Organisation(Node):
    """An actor: a government or its agency, an international body, a company, a university, a foundation."""

    label: ClassVar[str] = "Organisation"
    key: ClassVar[str] = "id"
    section: ClassVar[str] = "organisations"

    id: Key
    name: Text
    aliases: list[Text] = Field(default_factory=list)
    kind: Literal[ORG_KINDS] = "other"  # type: ignore[valid-type]
    country: OptIso3 = Field(default=None, description="home country, ISO alpha-3")


class Programme(Node):
    """A capacity-building programme or project, with its themes, period, scope and budget."""

    label: ClassVar[str] = "Programme"
    key: ClassVar[str] = "id"
    section: ClassVar[str] = "programmes"

    id: Key
    name: Text
    description: LongText | None = None
    # Checked per field (not in _check) so an error names the field it is in.
    themes: Annotated[list[str], AfterValidator(_themes)] = Field(default_factory=list, description="GFCE themes A-E")
    status: Literal["pipeline", "active", "completed", "cancelled", "suspended", "unknown"] = "unknown"
    start_date: IsoDate = None
    end_date: IsoDate = None
    budget: Amount | None = None
    currency: Currency | None = None
    sectors: list[Text] = Field(default_factory=list, description="OECD DAC purpose codes")
    regions: list[Text] = Field(default_factory=list, description="recipient regions (IATI Region codes)")
    reporting_org: Key | None = Field(default=None, description="id of the organisation that reported it (IATI)")
    extending_orgs: list[Key] = Field(default_factory=list, description="ids of extending organisations (IATI role 3)")
    accountable_orgs: list[Key] = Field(default_factory=list, description="ids of accountable organisations (IATI role 2)")
    cyber_keywords: list[Text] = Field(default_factory=list, description="keywords that classed it as cyber capacity building")
    scope: Literal["countries", "regional", "global"] | None = Field(
        default=None,
        description="whom it reaches: the countries it TARGETS, the regions in scope_regions and the blocs in scope_blocs, or the world",
    )
    scope_regions: Annotated[list[str], AfterValidator(_areas)] = Field(
        default_factory=list, description="UN M49 regions or sub-regions a regional programme works in, its countries not named"
    )
    scope_blocs: list[Key] = Field(
        default_factory=list,
        description="ids of the groups (Organisations with MEMBER_OF links) whose member countries it serves",
    )

    @model_validator(mode="after")
    def _check(self) -> Programme:
        if self.scope == "regional" and not (self.scope_regions or self.scope_blocs):
            raise ValueError("a regional programme names its scope_regions or its scope_blocs")
        if (self.scope_regions or self.scope_blocs) and self.scope != "regional":
            raise ValueError("scope_regions and scope_blocs need scope: regional")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        if self.budget is not None and self.currency is None:
            raise ValueError("budget needs a currency")
        return self


class Indicator(Node):
    """One edition of a need or maturity index (ITU GCI 2020, GCI 2024, Oxford CMM reviews, NCSI...)."""

    label: ClassVar[str] = "Indicator"
    key: ClassVar[str] = "id"
    section: ClassVar[str] = "indicators"

    id: Key  # "<family>-<edition>", e.g. gci-2020
    family: Key = Field(description="the index: gci, cmm, ncsi, ...")
    edition: Text = Field(description="edition or year")
    name: Text
    scale: OptText = Field(default=None, description="what a value means, e.g. 'score 0-100, higher is more mature'")
    pillar: OptText = Field(
        default=None,
        description="the part of the index measured (GCI: legal, technical, organisational, "
        "capacity_development, cooperation); empty for the overall value",
    )


class Funds(Relationship):
    """An organisation funds a programme, with the amount committed and disbursed where a source states it."""

    anchor: ClassVar[Literal["src", "dst"]] = "dst"
    type: ClassVar[str] = "FUNDS"
    src_label: ClassVar[str] = "Organisation"
    dst_label: ClassVar[str] = "Programme"
    section: ClassVar[str] = "funds"

    amount: Amount | None = Field(default=None, description="committed amount")
    disbursed: Amount | None = Field(default=None, description="disbursed amount, where reported")
    currency: Currency | None = None
    year: Annotated[int | None, Field(ge=1900, le=2100)] = None

    @model_validator(mode="after")
    def _money(self) -> Funds:
        if (self.amount is not None or self.disbursed is not None) and self.currency is None:
            raise ValueError("amount needs a currency")
        return self


class Implements(Relationship):
    """An organisation implements a programme, as its lead or as a partner."""

    anchor: ClassVar[Literal["src", "dst"]] = "dst"
    type: ClassVar[str] = "IMPLEMENTS"
    src_label: ClassVar[str] = "Organisation"
    dst_label: ClassVar[str] = "Programme"
    section: ClassVar[str] = "implements"

    role: Literal["lead", "partner"] = "lead"


REACH_ROLES = ("beneficiary", "participant", "host")


class Targets(Relationship):
    """A programme names a country: as a beneficiary (it serves it), a participant (it takes part, as in a drill or
    as a high-income partner) or a host (it hosts it); with its share where stated. Only beneficiaries count as
    support."""

    type: ClassVar[str] = "TARGETS"
    src_label: ClassVar[str] = "Programme"
    dst_label: ClassVar[str] = "Country"
    section: ClassVar[str] = "targets"

    share: Annotated[float | None, Field(ge=0, le=100, allow_inf_nan=False)] = Field(default=None, description="percent")
    amount: Amount | None = Field(default=None, description="the programme's commitments times share, where both are known")
    currency: Currency | None = None
    role: Literal["beneficiary", "participant", "host"] = Field(
        default="beneficiary", description="beneficiary (support), participant or host (shown, never counted as support)"
    )


class PartnersWith(Relationship):
    """Two organisations in a stated partnership (an MoU, a joint programme, an alliance)."""

    type: ClassVar[str] = "PARTNERS_WITH"
    src_label: ClassVar[str] = "Organisation"
    dst_label: ClassVar[str] = "Organisation"
    section: ClassVar[str] = "partners_with"

    kind: OptText = None


class PartOf(Relationship):
    """An agency or fund that belongs to a donor state or bloc (the FCDO to the United Kingdom).

    Analyses count donors at the top of these links by default.
    """

    type: ClassVar[str] = "PART_OF"
    src_label: ClassVar[str] = "Organisation"
    dst_label: ClassVar[str] = "Organisation"
    section: ClassVar[str] = "part_of"

    self_link: ClassVar[str | None] = "an organisation cannot be part of itself"


class ComponentOf(Relationship):
    """A programme that is a component of another (an umbrella): a family is counted once, money never summed
    across an umbrella and its components (:mod:`queries.facts`)."""

    type: ClassVar[str] = "COMPONENT_OF"
    src_label: ClassVar[str] = "Programme"
    dst_label: ClassVar[str] = "Programme"
    section: ClassVar[str] = "component_of"

    self_link: ClassVar[str | None] = "a programme cannot be a component of itself"


class MemberOf(Relationship):
    """A country is a member of an organisation (a regional bloc, a forum)."""

    type: ClassVar[str] = "MEMBER_OF"
    src_label: ClassVar[str] = "Country"
    dst_label: ClassVar[str] = "Organisation"
    section: ClassVar[str] = "member_of"


class Measured(Relationship):
    """A country's value on one index edition: a score, a tier or a stage."""

    type: ClassVar[str] = "MEASURED"
    src_label: ClassVar[str] = "Country"
    dst_label: ClassVar[str] = "Indicator"
    section: ClassVar[str] = "measured"

    score: Score | None = None
    tier: Annotated[int | None, Field(ge=1, le=10)] = None
    stage: Literal["start-up", "formative", "established", "strategic", "dynamic"] | None = None
    year: Annotated[int | None, Field(ge=1990, le=2100)] = None


NODE_MODELS: tuple[type[Node], ...] = (Country, Organisation, Programme, Indicator)
REL_MODELS: tuple[type[Relationship], ...] = (
    Funds,
    Implements,
    Targets,
    PartnersWith,
    MemberOf,
    Measured,
    PartOf,
    ComponentOf,
)
