"""One IATI activity onto the graph: its programme, participants, places and money.

:func:`map_activity` reads one ``<iati-activity>`` into a :class:`Mapped`
(plain field dicts, validated later a chunk at a time, which is much
faster than one model at a time); :func:`chunk_of` does so for a run of
activities and validates the result. Each part of an activity is read by a
small function that returns its value; what an activity has to say
(warnings, and problems that refuse the file) goes to its :class:`Notes`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from graph.errors import Problem
from graph.model import MAX_AMOUNT, Funds, Implements, Organisation, Programme, Record, Targets, error_message
from graph.store import Batch
from loaders import identity
from loaders.iati.codes import ORG_KIND, STATUS, classify, codelist, iso3_of, org_country
from loaders.iati.elements import XML_LANG, attr, children, first, narrative, number, text
from loaders.tabular import validate_all

Money = dict[str, dict[str, dict[str, float]]]  # provider -> transaction type ("2"|"3") -> currency -> sum


@dataclass(frozen=True)
class Context:
    """What reading an activity needs: the same in this process and in a worker."""

    file: str
    name: str
    cyber_only: bool
    resolver: identity.Resolver


@dataclass
class Chunk:
    """What a run of activities gave: records, and what to check or report across the file."""

    batch: Batch = field(default_factory=Batch)
    idents: list[tuple[str, int]] = field(default_factory=list)
    problems: list[tuple[int, Problem]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    countries: set[str] = field(default_factory=set)
    activities: int = 0
    skipped: int = 0
    end: int = 0  # bytes of the file read once this chunk was parsed (for progress)

    # Sent from a worker as rows, not models: unpickling 10k models took the
    # main process 120 ms a chunk (4 s of a 100 MB file), their rows 10 ms.
    def __getstate__(self) -> dict[str, Any]:
        parts: list[Mapping[Any, Record]] = [*self.batch.nodes.values(), *self.batch.rels.values()]
        rows = [(type(next(iter(p.values()))), [r.__dict__ for r in p.values()]) for p in parts if p]
        return {**self.__dict__, "batch": rows}

    def __setstate__(self, state: dict[str, Any]) -> None:
        batch = Batch()
        for cls, rows in state.pop("batch"):
            batch.extend(cls.revive(rows))
        self.__dict__.update(state, batch=batch)


@dataclass
class Notes:
    """What one activity has to say: warnings (it loads anyway) and problems (the file is refused)."""

    file: str
    where: str  # "activity XM-1 (line 40)"
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def warn(self, message: str) -> None:
        """A warning: the activity loads, and the report says this."""
        self.warnings.append(f"{self.file}: {self.where}: {message}")

    def problem(self, field_: str, message: str) -> None:
        """A problem: the file is refused, and the error names this field."""
        self.problems.append(Problem(self.file, self.where, field_, message))

    def number(self, raw: str | None, field_: str) -> float | None:
        """``raw`` as a number (see :func:`loaders.iati.elements.number`); a bad one is a problem."""
        return number(raw, self.file, self.where, field_, self.problems)


@dataclass
class Organisations:
    """The organisations a chunk names, each built once: resolved to known ids, else created from the file."""

    resolver: identity.Resolver
    new: dict[str, Organisation] = field(default_factory=dict)  # to write with the chunk

    def id_of(self, el: Any, lang: str, source: str, notes: Notes) -> str | None:
        """The id of the organisation an org element (``ref``, narrative, ``type``) names; None if it names none."""
        ref = (el.get("ref") or "").strip() or None
        name = narrative(el, lang)
        if not ref and not name:
            return None
        oid = self.resolver.resolve(ref, name)
        if oid in self.new or self.resolver.in_store(oid):
            return oid
        if (known := self.resolver.bundled_record(oid)) is not None:
            self.new[oid] = known
            return oid
        code = el.get("type")
        if code and code not in ORG_KIND:
            notes.warn(f"unknown OrganisationType code {code!r}")
        self.new[oid] = Organisation(
            id=oid,
            name=name or ref or oid,
            kind=ORG_KIND.get(code or "", "other"),
            country=org_country(ref),
            aliases=[ref] if ref and ref != oid else [],
            source=source,
        )
        return oid


@dataclass
class Mapped:
    """One activity's records as field dicts, and the countries it targets."""

    programme: dict[str, Any]
    funds: list[dict[str, Any]]
    implements: list[dict[str, Any]]
    targets: list[dict[str, Any]]

    @property
    def countries(self) -> set[str]:
        """The ISO alpha-3 codes of the countries the activity targets."""
        return {t["dst"] for t in self.targets}

    def records(self) -> Iterator[tuple[type, dict[str, Any]]]:
        """``(model, fields)`` pairs: the programme first, then its links."""
        yield Programme, self.programme
        yield from ((Funds, f) for f in self.funds)
        yield from ((Implements, i) for i in self.implements)
        yield from ((Targets, t) for t in self.targets)


# -- a run of activities ---------------------------------------------------------


def chunk_of(acts: Iterator[tuple[int, Any]], ctx: Context) -> Chunk:
    """``(line, element)`` activities read into one validated chunk; an organisation is built once a chunk."""
    chunk = Chunk()
    orgs = Organisations(ctx.resolver)
    pending: dict[type, list[tuple[dict[str, Any], str, int]]] = {}  # validated together at the end
    for line, act in acts:
        kids = children(act)
        ident = text(first(kids, "iati-identifier"))
        notes = Notes(ctx.file, f"activity {ident or '(no identifier)'} (line {line})")
        if not ident:
            chunk.problems.append((line, Problem(ctx.file, notes.where, "iati-identifier", "required, and missing or empty")))
            continue
        chunk.idents.append((ident, line))
        try:
            mapped = map_activity(act, kids, ident, ctx, orgs, notes)
            skipped = mapped is None
        except ValidationError as e:  # an organisation built from the file
            notes.problems.extend(_problems(e, ctx.file, notes.where))
            mapped, skipped = None, False
        chunk.warnings.extend(notes.warnings)
        chunk.problems.extend((line, p) for p in notes.problems)
        if skipped:
            chunk.skipped += 1
            continue
        chunk.activities += 1
        if mapped is None:
            continue
        for cls, data in mapped.records():
            pending.setdefault(cls, []).append((data, notes.where, line))
        chunk.countries |= mapped.countries
    for cls, items in pending.items():
        chunk.batch.extend(_validated(cls, items, ctx.file, chunk.problems))
    chunk.batch.extend(orgs.new.values())
    return chunk


def _validated(
    cls: type, items: list[tuple[dict[str, Any], str, int]], file: str, problems: list[tuple[int, Problem]]
) -> list[Any]:
    """``cls`` records from ``(data, where, line)``, validated together; a problem names its activity."""

    def bad(k: int, e: ValidationError) -> None:
        _, where, line = items[k]
        problems.extend((line, p) for p in _problems(e, file, where))

    return [r for r in validate_all(cls, [data for data, _, _ in items], bad) if r is not None]


def _problems(e: ValidationError, file: str, where: str) -> list[Problem]:
    return [Problem(file, where, ".".join(map(str, err["loc"])), error_message(err)) for err in e.errors()]


# -- one activity ------------------------------------------------------------------


def map_activity(
    act: Any, kids: dict[str, list[Any]], ident: str, ctx: Context, orgs: Organisations, notes: Notes
) -> Mapped | None:
    """One activity's records; None if ``ctx.cyber_only`` and nothing in it is about cyber security.

    Examples
    --------
    >>> from lxml import etree
    >>> act = etree.fromstring(
    ...     '<iati-activity default-currency="EUR"><iati-identifier>XM-1</iati-identifier>'
    ...     '<title><narrative>National CERT support</narrative></title>'
    ...     '<participating-org role="1" ref="GB-GOV-1"/><participating-org role="4" type="80"><narrative>A University</narrative></participating-org>'
    ...     '<recipient-country code="KE" percentage="60"/><recipient-country code="UG" percentage="40"/>'
    ...     '<transaction><transaction-type code="2"/><value>1000</value><provider-org ref="GB-GOV-1"/></transaction>'
    ...     '</iati-activity>')
    >>> ctx = Context("f.xml", "f.xml", False, identity.Resolver.from_store(None))
    >>> notes = Notes("f.xml", "activity XM-1 (line 1)")
    >>> m = map_activity(act, children(act), "XM-1", ctx, Organisations(ctx.resolver), notes)
    >>> m.programme["themes"], [(f["src"], f["amount"]) for f in m.funds], [i["src"] for i in m.implements]
    (['B'], [('uk-fcdo', 1000.0)], ['a-university'])
    >>> [(t["dst"], t["amount"], t["currency"]) for t in m.targets], notes.warnings
    ([('KEN', 600.0, 'EUR'), ('UGA', 400.0, 'EUR')], [])
    """
    lang = act.get(XML_LANG, "en")
    title = narrative(first(kids, "title"), lang)
    description = narrative(next((d for d in kids.get("description", []) if d.get("type", "1") == "1"), None), lang)
    words, themes = classify(f"{title or ''}\n{description or ''}")
    if ctx.cyber_only and not words:
        return None
    src = f"{ctx.name}#{ident}"
    status = _status(kids, notes)
    dates = {d.get("type"): d.get("iso-date") for d in kids.get("activity-date", ())}
    currency = act.get("default-currency")
    sectors = _sectors(kids, notes)
    shares, regions = _places(kids, notes)
    budget, budget_currency = _budget(kids.get("budget", []), currency, notes)
    reporting = first(kids, "reporting-org")
    reporting_id = orgs.id_of(reporting, lang, src, notes) if reporting is not None else None
    roles = _roles(kids, orgs, lang, src, notes)
    money = _transactions(kids.get("transaction", []), currency, orgs, lang, src, reporting_id, notes)
    start = dates.get("2") or dates.get("1")
    funds = _funds(ident, list(dict.fromkeys(roles["1"] + list(money))), money, int(start[:4]) if start else None, src, notes)
    programme = dict(
        id=ident,
        name=title or ident,
        description=description,
        themes=themes,
        status=status,
        start_date=start,
        end_date=dates.get("4") or dates.get("3"),
        budget=budget,
        currency=budget_currency,
        sectors=sorted(set(sectors)),
        regions=sorted(set(regions)),
        reporting_org=reporting_id,
        extending_orgs=roles["3"],
        accountable_orgs=roles["2"],
        cyber_keywords=words,
        source=src,
    )
    implements = [dict(src=oid, dst=ident, role="lead" if i == 0 else "partner", source=src) for i, oid in enumerate(roles["4"])]
    return Mapped(programme, funds, implements, _targets(ident, shares, funds, src))


def _status(kids: dict[str, list[Any]], notes: Notes) -> str:
    code = attr(first(kids, "activity-status"), "code")
    if code and code not in STATUS:
        notes.warn(f"unknown ActivityStatus code {code!r}")
    return STATUS.get(code or "", "unknown")


def _sectors(kids: dict[str, list[Any]], notes: Notes) -> list[str]:
    """DAC sector codes (vocabularies 1 and 2; other vocabularies are not DAC's)."""
    out = []
    for s in kids.get("sector", []):
        vocab, code = s.get("vocabulary", "1"), s.get("code", "")
        if vocab in ("1", "2"):
            if vocab == "1" and code not in codelist("Sector"):
                notes.warn(f"unknown DAC sector code {code!r}")
            out.append(code)
    return out


def _places(kids: dict[str, list[Any]], notes: Notes) -> tuple[dict[str, float | None], list[str]]:
    """Recipient countries with their percentage share, and recipient region codes (vocabulary 1).

    Stated percentages of countries and regions together must sum to 100.
    """
    shares: dict[str, float | None] = {}
    regions: list[str] = []
    stated: list[float] = []
    for rc in kids.get("recipient-country", ()):
        code = rc.get("code", "")
        iso3 = iso3_of(code) if code in codelist("Country") else None
        pct = notes.number(rc.get("percentage"), "recipient-country/@percentage")
        if pct is not None:
            stated.append(pct)
        if iso3 is None:
            notes.warn(f"unknown recipient-country code {code!r}: not linked")
            continue
        shares[iso3] = pct
    for rr in kids.get("recipient-region", ()):
        pct = notes.number(rr.get("percentage"), "recipient-region/@percentage")
        if pct is not None:
            stated.append(pct)
        if rr.get("vocabulary", "1") == "1":
            if rr.get("code") not in codelist("Region"):
                notes.warn(f"unknown Region code {rr.get('code')!r}")
            regions.append(rr.get("code", ""))
    if stated and abs(sum(stated) - 100) > 0.5:
        notes.problem("recipient-country/@percentage", f"country and region percentages sum to {sum(stated):g}, expected 100")
    return shares, regions


def _roles(kids: dict[str, list[Any]], orgs: Organisations, lang: str, src: str, notes: Notes) -> dict[str, list[str]]:
    """Participating organisations by OrganisationRole code (1 funding, 2 accountable, 3 extending, 4 implementing)."""
    roles: dict[str, list[str]] = {"1": [], "2": [], "3": [], "4": []}
    for p in kids.get("participating-org", ()):
        role = p.get("role", "")
        if role not in roles:
            notes.warn(f"unknown OrganisationRole code {role!r}")
            continue
        oid = orgs.id_of(p, lang, src, notes)
        if oid and oid not in roles[role]:
            roles[role].append(oid)
    return roles


def _transactions(
    transactions: list[Any],
    currency: str | None,
    orgs: Organisations,
    lang: str,
    src: str,
    reporting_id: str | None,
    notes: Notes,
) -> Money:
    """Commitments (type 2) and disbursements (type 3) by provider (the reporting org when none is named)."""
    out: Money = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
    for t in transactions:
        kids = children(t)
        ttype = attr(first(kids, "transaction-type"), "code")
        if ttype not in ("2", "3"):
            continue
        value = first(kids, "value")
        amount = notes.number(text(value), f"transaction[{ttype}]/value")
        if amount is None:
            continue
        cur = (value.get("currency") if value is not None else None) or currency
        if not cur:
            notes.problem("transaction/value/@currency", "no currency and no default-currency")
            continue
        provider = first(kids, "provider-org")
        oid = (orgs.id_of(provider, lang, src, notes) if provider is not None else None) or reporting_id
        if oid:
            out[oid][ttype][cur] += amount
    return out


def _funds(ident: str, funders: list[str], money: Money, year: int | None, src: str, notes: Notes) -> list[dict[str, Any]]:
    """A ``FUNDS`` link per funder, with its commitments and disbursements where they are in one currency."""
    out = []
    for oid in funders:
        committed, disbursed, cur = _money_of(money.get(oid), oid, notes)
        out.append(dict(src=oid, dst=ident, amount=committed, disbursed=disbursed, currency=cur, year=year, source=src))
    return out


def _money_of(m: dict[str, dict[str, float]] | None, oid: str, notes: Notes) -> tuple[float | None, float | None, str | None]:
    """``(committed, disbursed, currency)`` of one provider; all None over several currencies (no rate table)."""
    if not m:
        return None, None, None
    currencies = set(m["2"]) | set(m["3"])
    if len(currencies) > 1:
        notes.warn(f"{oid}'s transactions are in several currencies ({', '.join(sorted(currencies))}): amounts left empty")
        return None, None, None
    cur = currencies.pop()
    return (m["2"][cur] if cur in m["2"] else None), (m["3"][cur] if cur in m["3"] else None), cur


def _targets(ident: str, shares: dict[str, float | None], funds: list[dict[str, Any]], src: str) -> list[dict[str, Any]]:
    """A ``TARGETS`` link per recipient country; its amount is its share of the commitments, where they are in one currency."""
    committed: dict[str, float] = defaultdict(float)
    for f in funds:
        if f["amount"] is not None:
            committed[f["currency"]] += f["amount"]
    currency, total = next(iter(committed.items())) if len(committed) == 1 else (None, None)
    out = []
    for iso3, share in shares.items():
        amount = round(total * share / 100, 2) if total is not None and share is not None else None
        out.append(
            dict(src=ident, dst=iso3, share=share, amount=amount, currency=currency if amount is not None else None, source=src)
        )
    return out


def _budget(budgets: list[Any], currency: str | None, notes: Notes) -> tuple[float | None, str | None]:
    """Sum of budgets, a revised budget (type 2) replacing the original of its period; None over several currencies."""
    by_period: dict[str, tuple[str, float, str | None]] = {}
    for b in budgets:
        kids = children(b)
        value = first(kids, "value")
        try:
            amount = float(text(value) or "")
        except ValueError:
            continue
        if not math.isfinite(amount) or abs(amount) > MAX_AMOUNT:
            continue  # not a budget any source can state: left out, as an unparseable one is
        start = attr(first(kids, "period-start"), "iso-date") or ""
        btype = b.get("type", "1")
        if start not in by_period or btype == "2":
            by_period[start] = (btype, amount, (value.get("currency") if value is not None else None) or currency)
    if not by_period:
        return None, None
    currencies = {c for _, _, c in by_period.values()}
    if len(currencies) != 1 or None in currencies:
        notes.warn("budgets in several currencies (or none): budget left empty")
        return None, None
    return sum(a for _, a, _ in by_period.values()), currencies.pop()
