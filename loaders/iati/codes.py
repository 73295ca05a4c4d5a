"""The IATI codes this loader knows: versions, codelists, statuses, organisation types, cyber keywords."""

from __future__ import annotations

import re
from functools import cache

import pycountry
from lxml import etree

from loaders import bundled

CODELISTS = bundled.DATA / "iati"
IATI_VERSIONS = ("2.01", "2.02", "2.03")  # the versions this loader maps; others are refused, not guessed at
STATUS = {"1": "pipeline", "2": "active", "3": "completed", "4": "completed", "5": "cancelled", "6": "suspended"}
ORG_KIND = {
    "10": "government",
    "11": "government",
    "15": "government",
    "21": "non_profit",
    "22": "non_profit",
    "23": "non_profit",
    "24": "non_profit",
    "30": "other",
    "40": "intergovernmental",
    "60": "foundation",
    "70": "private",
    "71": "private",
    "72": "private",
    "73": "private",
    "80": "academic",
    "90": "other",
}
# Keyword -> GFCE theme ("" = cyber-relevant, no particular theme). Matched on
# word starts, case-insensitively, except the acronyms (CERT would match "certain").
KEYWORDS: dict[str, str] = {
    r"cyber ?security strateg\w*": "A",
    r"cyber ?(?:security )?polic\w*": "A",
    r"cyber diplomacy": "A",
    r"cyber norms?": "A",
    r"capacity maturity model": "A",
    r"national cyber\w*": "A",
    r"CERTs?": "B",
    r"CSIRTs?": "B",
    r"CIRTs?": "B",
    r"incident response": "B",
    r"critical (?:information )?infrastructure protection": "B",
    r"cyber ?-?crimes?": "C",
    r"budapest convention": "C",
    r"e-evidence": "C",
    r"electronic evidence": "C",
    r"digital forensics?": "C",
    r"computer crimes?": "C",
    r"cyber ?(?:security )?(?:awareness|hygiene|skills|education|training)": "D",
    r"cyber ?security standards?": "E",
    r"ISO/?(?:IEC )?27001": "E",
    r"cyber\w*": "",
}
_ACRONYMS = re.compile(r"\b(" + "|".join(k for k in KEYWORDS if k[0].isupper()) + r")\b")
_WORDS = re.compile(r"\b(" + "|".join(k for k in KEYWORDS if not k[0].isupper()) + r")\b", re.IGNORECASE)
_THEME_OF = [(re.compile(rf"^(?:{k})$", 0 if k[0].isupper() else re.IGNORECASE), t) for k, t in KEYWORDS.items()]

# Registration agencies whose org-id prefix starts with the country's ISO code
# (GB-GOV-1, US-EIN-..., NL-KVK-...). Other prefixes (XM-DAC, XI-IATI, or an
# unknown agency) say nothing reliable about a country.
_NATIONAL_AGENCIES = {"GOV", "COH", "CHC", "SC", "NIC", "EIN", "KVK", "CRN", "ABN", "ACNC", "CRA", "NZBN", "SIRET", "NPO", "RCS"}


def classify(text: str) -> tuple[list[str], list[str]]:
    """Cyber keywords found in ``text`` and the GFCE themes they indicate.

    IATI has no cyber sector or marker, so relevance is read from the words.

    Examples
    --------
    >>> classify("Support to the national CERT and to Budapest Convention accession")
    (['Budapest Convention', 'CERT'], ['B', 'C'])
    >>> classify("Certain concerts in the city")
    ([], [])
    """
    found = {m.group(0) for m in _ACRONYMS.finditer(text)} | {m.group(0) for m in _WORDS.finditer(text)}
    themes = {t for w in found if (t := _theme_of(w))}
    return sorted(found, key=str.lower), sorted(themes)


@cache
def _theme_of(word: str) -> str:
    return next((t for rx, t in _THEME_OF if t and rx.match(word)), "")


@cache
def codelist(name: str) -> frozenset[str]:
    """The codes of one shipped IATI codelist (``Sector``, ``Region``, ``Country``...).

    >>> "KE" in codelist("Country"), "15110" in codelist("Sector")
    (True, True)
    """
    tree = etree.parse(str(CODELISTS / f"{name}.xml"))
    return frozenset(c.text for c in tree.iterfind(".//codelist-item/code") if c.text)


@cache
def iso3_of(alpha2: str) -> str | None:
    """The ISO 3166 alpha-3 code of an alpha-2 code (Kosovo's user-assigned XK included).

    >>> iso3_of("KE"), iso3_of("XK"), iso3_of("ZZ")
    ('KEN', 'XKX', None)
    """
    if alpha2 == "XK":
        return "XKX"
    c = pycountry.countries.get(alpha_2=alpha2)
    return c.alpha_3 if c else None


def org_country(ref: str | None) -> str | None:
    """The country of an org-id like ``GB-GOV-1``, where its agency is a national register.

    >>> org_country("GB-GOV-1"), org_country("XM-DAC-41114"), org_country("BB-BBB-123")
    ('GBR', None, None)
    """
    parts = (ref or "").split("-")
    if len(parts) >= 3 and len(parts[0]) == 2 and parts[1] in _NATIONAL_AGENCIES:
        return iso3_of(parts[0])
    return None
