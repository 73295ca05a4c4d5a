"""IATI activity files (standard 2.01-2.03) to programmes, organisations and links.

Streaming: ``lxml.etree.iterparse`` hands over one ``iati-activity`` at a
time and each is cleared once read, so parsing memory does not grow with
the file (the records kept for the atomic write do).

How an activity maps onto the graph:

- the activity is a ``Programme`` keyed by its ``iati-identifier``; title
  and description (type 1) from their English narrative, else the
  activity's default language, else the first; status from the
  ActivityStatus codelist; dates actual over planned; DAC sectors
  (vocabulary 1 and 2); recipient regions (vocabulary 1) as codes;
  budgets summed per currency (a revised budget replaces the original of
  its period; several currencies leave the budget empty, with a warning);
- ``participating-org`` role 1 (Funding) becomes ``FUNDS``, role 4
  (Implementing) ``IMPLEMENTS`` (the first listed is ``lead``, the others
  ``partner``); roles 3 (Extending) and 2 (Accountable), and the
  ``reporting-org``, are kept on the programme as organisation ids
  (``extending_orgs``, ``accountable_orgs``, ``reporting_org``);
- organisations are keyed by their IATI ref, resolved through
  :mod:`loaders.identity` (so ``GB-GOV-1`` is the FCDO of the bundled
  data); one without a ref by its normalised name;
- transactions of type 2 (commitment) and 3 (disbursement) sum into the
  provider's ``FUNDS`` ``amount`` and ``disbursed`` (the reporting org when
  no provider is named), in one currency: several currencies leave them
  empty, with a warning (no conversion without a rate table);
- ``recipient-country`` becomes ``TARGETS`` with its ``share``; where the
  activity's commitments are known, ``amount`` is that share of them;
- cyber relevance: IATI has no cyber sector or marker, so titles and
  descriptions are matched against :data:`KEYWORDS`; the matched words are
  stored in ``cyber_keywords`` and give the GFCE themes.

Unknown codes are warnings naming the activity. A 1.x file, malformed or
truncated XML, a duplicate identifier or percentages that do not sum to 100
are errors, and nothing of the file is written.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pycountry
from lxml import etree
from pydantic import ValidationError

from graph.errors import LoadError, Problem
from graph.model import Funds, Implements, Organisation, Programme, Targets, pattern_message
from graph.store import Batch, Store, WriteSummary
from loaders import bundled, identity
from loaders.tabular import gc_paused

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CODELISTS = bundled.DATA / "iati"
STATUS = {"1": "pipeline", "2": "active", "3": "completed", "4": "completed", "5": "cancelled", "6": "suspended"}
ORG_KIND = {
    "10": "government", "11": "government", "15": "government",
    "21": "non_profit", "22": "non_profit", "23": "non_profit", "24": "non_profit",
    "30": "other", "40": "intergovernmental", "60": "foundation",
    "70": "private", "71": "private", "72": "private", "73": "private",
    "80": "academic", "90": "other",
}
# Keyword -> GFCE theme ("" = cyber-relevant, no particular theme). Matched on
# word starts, case-insensitively, except the acronyms (CERT would match "certain").
KEYWORDS: dict[str, str] = {
    r"cyber ?security strateg\w*": "A", r"cyber ?(?:security )?polic\w*": "A", r"cyber diplomacy": "A",
    r"cyber norms?": "A", r"capacity maturity model": "A", r"national cyber\w*": "A",
    r"CERTs?": "B", r"CSIRTs?": "B", r"CIRTs?": "B", r"incident response": "B",
    r"critical (?:information )?infrastructure protection": "B",
    r"cyber ?-?crimes?": "C", r"budapest convention": "C", r"e-evidence": "C", r"electronic evidence": "C",
    r"digital forensics?": "C", r"computer crimes?": "C",
    r"cyber ?(?:security )?(?:awareness|hygiene|skills|education|training)": "D",
    r"cyber ?security standards?": "E", r"ISO/?(?:IEC )?27001": "E",
    r"cyber\w*": "",
}
_ACRONYMS = re.compile(r"\b(" + "|".join(k for k in KEYWORDS if k[0].isupper()) + r")\b")
_WORDS = re.compile(r"\b(" + "|".join(k for k in KEYWORDS if not k[0].isupper()) + r")\b", re.IGNORECASE)
_THEME_OF = [(re.compile(rf"^(?:{k})$", 0 if k[0].isupper() else re.IGNORECASE), t) for k, t in KEYWORDS.items()]


@dataclass
class IatiReport:
    file: str
    activities: int = 0
    skipped: int = 0  # not cyber-relevant, with cyber_only
    warnings: list[str] = field(default_factory=list)
    summary: WriteSummary | None = None
    records: int = 0


def classify(text: str) -> tuple[list[str], list[str]]:
    """Cyber keywords found in ``text`` and the GFCE themes they indicate.

    Examples
    --------
    >>> classify("Support to the national CERT and to Budapest Convention accession")
    (['Budapest Convention', 'CERT'], ['B', 'C'])
    >>> classify("Certain concerts in the city")
    ([], [])
    """
    found = {m.group(0) for m in _ACRONYMS.finditer(text)} | {m.group(0) for m in _WORDS.finditer(text)}
    themes = {t for w in found for rx, t in _THEME_OF if t and rx.match(w)}
    return sorted(found, key=str.lower), sorted(themes)


@cache
def codelist(name: str) -> frozenset[str]:
    """The codes of one shipped IATI codelist (``Sector``, ``Region``...)."""
    tree = etree.parse(str(CODELISTS / f"{name}.xml"))
    return frozenset(tree.xpath("//codelist-item/code/text()"))


def iso3_of(alpha2: str) -> str | None:
    if alpha2 == "XK":
        return "XKX"
    c = pycountry.countries.get(alpha_2=alpha2)
    return c.alpha_3 if c else None


def load_iati(store: Store, path: str | Path, *, cyber_only: bool = False, dry_run: bool = False) -> IatiReport:
    """Parse ``path`` whole, then write it in one transaction (nothing, on any error)."""
    with gc_paused():
        batch, report = read_iati(path, cyber_only=cyber_only, store=store)
        if not dry_run:
            report.summary = store.write(batch)
    return report


def read_iati(path: str | Path, *, cyber_only: bool = False, store: Store | None = None) -> tuple[Batch, IatiReport]:
    path = Path(path)
    report = IatiReport(str(path))
    problems: list[Problem] = []
    batch = Batch()
    resolver = identity.Resolver.from_store(store)
    seen: dict[str, int] = {}
    needed_countries: set[str] = set()
    orgs: dict[str, Organisation] = {}  # file-wide: an organisation is built once, not per activity
    with gc_paused():
        for countries in _parse_all(path, problems, resolver, report, cyber_only, orgs, seen, batch):
            needed_countries |= countries
    if problems:
        raise LoadError(problems)
    batch.extend(orgs.values())
    batch.extend(bundled.reference_countries(needed_countries))
    report.records = len(batch)
    return batch, report


def _parse_all(path: Path, problems: list[Problem], resolver: "identity.Resolver", report: IatiReport, cyber_only: bool,
               orgs: dict[str, Organisation], seen: dict[str, int], batch: Batch) -> Iterator[set[str]]:
    """Parse every activity into ``batch``; yield the countries each one targets."""
    for line, act in _activities(path, problems):
        ident = _text(act.find("iati-identifier"))
        where = f"activity {ident or '(no identifier)'} (line {line})"
        if not ident:
            problems.append(Problem(str(path), where, "iati-identifier", "required, and missing or empty"))
            continue
        if ident in seen:
            problems.append(Problem(str(path), where, "iati-identifier", f"duplicate of the activity on line {seen[ident]}"))
            continue
        seen[ident] = line
        try:
            records, countries, kept = _activity(act, ident, where, path, resolver, report, problems, cyber_only, orgs)
        except ValidationError as e:
            problems.extend(Problem(str(path), where, ".".join(map(str, err["loc"])), pattern_message(err) or err["msg"]) for err in e.errors())
            continue
        if not kept:
            report.skipped += 1
            continue
        report.activities += 1
        batch.extend(records)
        yield countries


def _activities(path: Path, problems: list[Problem]) -> Iterator[tuple[int, Any]]:
    """Each ``iati-activity`` element with its line, cleared after use."""
    try:
        with open(path, "rb") as f:
            if not f.read(4096).strip():
                problems.append(Problem(str(path), "file", "", "is empty"))
                return
        if not _check_root(path, problems):
            return
        # Only iati-activity end events reach Python (the tag filter runs in C).
        for _, el in etree.iterparse(str(path), events=("end",), tag="iati-activity", huge_tree=True):
            yield el.sourceline, el
            el.clear()
            while el.getprevious() is not None:  # drop what has been read, keep memory flat
                del el.getparent()[0]
    except etree.XMLSyntaxError as e:
        line = max(1, e.lineno or (e.position[0] if e.position else 1))
        problems.append(Problem(str(path), f"line {line}", "", f"malformed XML: {e.msg}"))
    except OSError as e:
        problems.append(Problem(str(path), "file", "", f"cannot read: {e}"))


def _check_root(path: Path, problems: list[Problem]) -> bool:
    """The root must be ``<iati-activities version="2.x">``; read from its start tag only."""
    for _, el in etree.iterparse(str(path), events=("start",)):
        if el.tag != "iati-activities":
            problems.append(Problem(str(path), f"line {el.sourceline}", "", f"expected an <iati-activities> document, found <{el.tag}>"))
            return False
        version = el.get("version", "")
        if not version.startswith("2."):
            problems.append(Problem(str(path), f"line {el.sourceline}", "version",
                                    f"IATI {version or '(no version)'} is not supported: this loader reads IATI 2.01-2.03; convert 1.x files to 2.0x first"))
            return False
        return True
    return True


def _activity(act: Any, ident: str, where: str, path: Path, resolver: "identity.Resolver", report: IatiReport,
              problems: list[Problem], cyber_only: bool, orgs: dict[str, Organisation]) -> tuple[list[Any], set[str], bool]:
    src = f"{path.name}#{ident}"
    lang = act.get(XML_LANG, "en")
    title = _narrative(act.find("title"), lang)
    description = _narrative(next((d for d in act.findall("description") if d.get("type", "1") == "1"), None), lang)
    words, themes = classify(f"{title or ''}\n{description or ''}")
    if cyber_only and not words:
        return [], set(), False

    def warn(msg: str) -> None:
        report.warnings.append(f"{path}: {where}: {msg}")

    records: list[Any] = []

    def org(el: Any) -> str | None:
        ref = (el.get("ref") or "").strip() or None
        name = _narrative(el, lang)
        if not ref and not name:
            return None
        oid = resolver.resolve(ref, name)
        if oid in orgs or resolver.in_store(oid):
            return oid
        if (known := resolver.bundled_record(oid)) is not None:
            orgs[oid] = known
        else:
            kind = ORG_KIND.get(el.get("type", ""), "other")
            if el.get("type") and el.get("type") not in ORG_KIND:
                warn(f"unknown OrganisationType code {el.get('type')!r}")
            orgs[oid] = Organisation(id=oid, name=name or ref, kind=kind, country=_org_country(ref),
                                     aliases=[ref] if ref and ref != oid else [], source=src)
        return oid

    status_code = _attr(act.find("activity-status"), "code")
    if status_code and status_code not in STATUS:
        warn(f"unknown ActivityStatus code {status_code!r}")
    dates = {d.get("type"): d.get("iso-date") for d in act.findall("activity-date")}
    currency = act.get("default-currency")

    sectors, regions = [], []
    for s in act.findall("sector"):
        vocab, code = s.get("vocabulary", "1"), s.get("code", "")
        if vocab in ("1", "2"):
            if vocab == "1" and code not in codelist("Sector"):
                warn(f"unknown DAC sector code {code!r}")
            sectors.append(code)
    country_shares: dict[str, float | None] = {}
    total_pct = 0.0
    any_pct = False
    for rc in act.findall("recipient-country"):
        code = rc.get("code", "")
        iso3 = iso3_of(code) if code in codelist("Country") else None
        pct = _float(rc.get("percentage"), where, "recipient-country/@percentage", path, problems)
        if pct is not None:
            any_pct, total_pct = True, total_pct + pct
        if iso3 is None:
            warn(f"unknown recipient-country code {code!r}: not linked")
            continue
        country_shares[iso3] = pct
    for rr in act.findall("recipient-region"):
        pct = _float(rr.get("percentage"), where, "recipient-region/@percentage", path, problems)
        if pct is not None:
            any_pct, total_pct = True, total_pct + pct
        if rr.get("vocabulary", "1") == "1":
            if rr.get("code") not in codelist("Region"):
                warn(f"unknown Region code {rr.get('code')!r}")
            regions.append(rr.get("code", ""))
    if any_pct and abs(total_pct - 100) > 0.5:
        problems.append(Problem(str(path), where, "recipient-country/@percentage",
                                f"country and region percentages sum to {total_pct:g}, expected 100"))

    budget, budget_cur = _budget(act, currency, warn)
    reporting = act.find("reporting-org")
    reporting_id = org(reporting) if reporting is not None else None

    roles: dict[str, list[str]] = defaultdict(list)
    for p in act.findall("participating-org"):
        role = p.get("role", "")
        if role not in ("1", "2", "3", "4"):
            warn(f"unknown OrganisationRole code {role!r}")
            continue
        oid = org(p)
        if oid and oid not in roles[role]:
            roles[role].append(oid)

    money = _transactions(act, currency, org, reporting_id, where, path, problems)
    funders = list(dict.fromkeys(roles["1"] + list(money)))
    year = int(dates["2"][:4]) if dates.get("2") else (int(dates["1"][:4]) if dates.get("1") else None)
    total_committed: dict[str, float] = defaultdict(float)
    for oid in funders:
        committed, disbursed, cur = _money_of(money.get(oid), warn, oid)
        if committed is not None:
            total_committed[cur] += committed
        records.append(Funds(src=oid, dst=ident, amount=committed, disbursed=disbursed, currency=cur, year=year, source=src))
    for i, oid in enumerate(roles["4"]):
        records.append(Implements(src=oid, dst=ident, role="lead" if i == 0 else "partner", source=src))
    committed_cur = next(iter(total_committed.items())) if len(total_committed) == 1 else None
    for iso3, share in country_shares.items():
        amount = round(committed_cur[1] * share / 100, 2) if committed_cur and share is not None else None
        records.append(Targets(src=ident, dst=iso3, share=share, amount=amount,
                               currency=committed_cur[0] if amount is not None else None, source=src))
    records.insert(0, Programme(
        id=ident, name=title or ident, description=description, themes=themes,
        status=STATUS.get(status_code or "", "unknown"),
        start_date=dates.get("2") or dates.get("1"), end_date=dates.get("4") or dates.get("3"),
        budget=budget, currency=budget_cur, sectors=sorted(set(sectors)), regions=sorted(set(regions)),
        reporting_org=reporting_id, extending_orgs=roles["3"], accountable_orgs=roles["2"],
        cyber_keywords=words, source=src,
    ))
    return records, set(country_shares), True


def _transactions(act: Any, currency: str | None, org: Any, reporting_id: str | None, where: str, path: Path,
                  problems: list[Problem]) -> dict[str, dict[str, dict[str, float]]]:
    """Commitments and disbursements by provider: ``{org: {"2"|"3": {currency: sum}}}``."""
    out: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
    for t in act.findall("transaction"):
        ttype = _attr(t.find("transaction-type"), "code")
        if ttype not in ("2", "3"):
            continue
        value = t.find("value")
        amount = _float(_text(value), where, f"transaction[{ttype}]/value", path, problems, money=True)
        if amount is None:
            continue
        cur = (value.get("currency") if value is not None else None) or currency
        if not cur:
            problems.append(Problem(str(path), where, "transaction/value/@currency", "no currency and no default-currency"))
            continue
        provider = t.find("provider-org")
        oid = (org(provider) if provider is not None else None) or reporting_id
        if oid:
            out[oid][ttype][cur] += amount
    return out


def _money_of(m: dict[str, dict[str, float]] | None, warn: Any, oid: str) -> tuple[float | None, float | None, str | None]:
    if not m:
        return None, None, None
    currencies = set(m["2"]) | set(m["3"])
    if len(currencies) > 1:
        warn(f"{oid}'s transactions are in several currencies ({', '.join(sorted(currencies))}): amounts left empty")
        return None, None, None
    cur = currencies.pop()
    return (m["2"][cur] if cur in m["2"] else None), (m["3"][cur] if cur in m["3"] else None), cur


def _budget(act: Any, currency: str | None, warn: Any) -> tuple[float | None, str | None]:
    """Sum of budgets, a revised budget (type 2) replacing the original of its period."""
    by_period: dict[str, tuple[str, float, str | None]] = {}
    for b in act.findall("budget"):
        value = b.find("value")
        try:
            amount = float(_text(value) or "")
        except ValueError:
            continue
        start = _attr(b.find("period-start"), "iso-date") or ""
        btype = b.get("type", "1")
        if start not in by_period or btype == "2":
            by_period[start] = (btype, amount, (value.get("currency") if value is not None else None) or currency)
    if not by_period:
        return None, None
    currencies = {c for _, _, c in by_period.values()}
    if len(currencies) != 1 or None in currencies:
        warn("budgets in several currencies (or none): budget left empty")
        return None, None
    return sum(a for _, a, _ in by_period.values()), currencies.pop()


# Registration agencies whose org-id prefix starts with the country's ISO code
# (GB-GOV-1, US-EIN-..., NL-KVK-...). Other prefixes (XM-DAC, XI-IATI, or an
# unknown agency) say nothing reliable about a country.
_NATIONAL_AGENCIES = {"GOV", "COH", "CHC", "SC", "NIC", "EIN", "KVK", "CRN", "ABN", "ACNC", "CRA", "NZBN", "SIRET", "NPO", "RCS"}


def _org_country(ref: str | None) -> str | None:
    """The country of an org-id like ``GB-GOV-1``, where its agency is a national register.

    >>> _org_country("GB-GOV-1"), _org_country("XM-DAC-41114"), _org_country("BB-BBB-123")
    ('GBR', None, None)
    """
    parts = (ref or "").split("-")
    if len(parts) >= 3 and len(parts[0]) == 2 and parts[1] in _NATIONAL_AGENCIES:
        return iso3_of(parts[0])
    return None


def _narrative(el: Any, lang: str) -> str | None:
    if el is None:
        return None
    texts = [(n.get(XML_LANG, lang), " ".join((n.text or "").split())) for n in el.findall("narrative")]
    texts = [(lg, t) for lg, t in texts if t]
    for want in ("en", lang):
        for lg, t in texts:
            if lg == want:
                return t
    return texts[0][1] if texts else None


def _text(el: Any) -> str | None:
    return el.text.strip() if el is not None and el.text and el.text.strip() else None


def _attr(el: Any, name: str) -> str | None:
    return el.get(name) if el is not None else None


def _float(raw: str | None, where: str, field_: str, path: Path, problems: list[Problem], money: bool = False) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        problems.append(Problem(str(path), where, field_, f"expected a number, got {raw!r}"))
        return None
    if value < 0:
        problems.append(Problem(str(path), where, field_, f"expected a non-negative number, got {raw!r}"))
        return None
    return value
