"""IATI activity files (standard 2.01-2.03) to programmes, organisations and links.

Streaming, in parallel: the file is cut after an ``</iati-activity>`` every
:data:`BLOCK_BYTES`; worker processes parse the pieces (``lxml`` iterparse,
each activity cleared once read) into validated batches, handed back in
file order and written as they come inside one open transaction
(:meth:`graph.store.Store.write_stream`). The loader's memory therefore
stays flat whatever the file's size (the store's open transaction holds
what it has written), and an error anywhere rolls the whole file back.
Small files, files with a DOCTYPE or a non-ASCII-compatible encoding, and
any piece that does not parse on its own go through one parser in this
process instead, which also words every error (same records, same
messages: a test compares both paths).

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

import gc
import io
import math
import multiprocessing as mp
import os
import re
import sys
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import pycountry
from lxml import etree
from pydantic import ValidationError

from graph.errors import LoadError, Problem
from graph.model import MAX_AMOUNT, Funds, Implements, Organisation, Programme, Targets, pattern_message
from graph.store import Batch, Store, WriteSummary
from loaders import bundled, identity
from loaders.tabular import gc_paused, validate_all

T = TypeVar("T")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
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
BLOCK_BYTES = 2_000_000  # a worker's piece of the file: enough activities to outweigh the hand-over
CHUNK_ACTIVITIES = 2_000  # activities per batch when parsing in this process
MAX_PIECE_BYTES = 64_000_000  # a piece this long without an end tag: parse the file in order instead
_PROLOG = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(<\?xml[^>]*\?>)?(?:\s*<!--.*?-->)*\s*"
    rb'(<iati-activities\b(?:[^>"\']|"[^"]*"|\'[^\']*\')*(?<!/)>)',
    re.S,
)
_END = b"</iati-activity>"


@dataclass
class IatiReport:
    file: str
    activities: int = 0
    skipped: int = 0  # not cyber-relevant, with cyber_only
    warnings: list[str] = field(default_factory=list)
    summary: WriteSummary | None = None
    records: int = 0
    jobs: int = 1  # processes that parsed the file
    schema_violations: list[str] | None = None  # None: not checked (no schema given)


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
    themes = {t for w in found if (t := _theme_of(w))}
    return sorted(found, key=str.lower), sorted(themes)


@cache
def _theme_of(word: str) -> str:
    return next((t for rx, t in _THEME_OF if t and rx.match(word)), "")


@cache
def codelist(name: str) -> frozenset[str]:
    """The codes of one shipped IATI codelist (``Sector``, ``Region``...)."""
    tree = etree.parse(str(CODELISTS / f"{name}.xml"))
    return frozenset(tree.xpath("//codelist-item/code/text()"))


@cache
def iso3_of(alpha2: str) -> str | None:
    if alpha2 == "XK":
        return "XKX"
    c = pycountry.countries.get(alpha_2=alpha2)
    return c.alpha_3 if c else None


# -- loading: a file streams into one transaction --------------------------------


def schema_violations(path: str | Path, schema: str | Path) -> list[str]:
    """Each way ``path`` breaks the XML schema ``schema`` (the published ``iati-activities-schema.xsd``), as "line N: message".

    The schema's own includes (``iati-common.xsd``, ``xml.xsd``) are read from
    beside it. An unreadable schema is a :class:`LoadError`.
    """
    try:
        xsd = etree.XMLSchema(etree.parse(str(schema)))
    except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as e:
        raise LoadError([Problem(str(schema), "file", "", f"not a usable XML schema: {str(e).splitlines()[0][:200]}")]) from None
    try:
        doc = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    except etree.XMLSyntaxError:
        return []  # the loader itself names a malformed file
    xsd.validate(doc)
    return [f"line {e.line}: {e.message}" for e in xsd.error_log]


def load_iati(
    store: Store,
    path: str | Path,
    *,
    cyber_only: bool = False,
    dry_run: bool = False,
    jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    schema: str | Path | None = None,
) -> IatiReport:
    """Load ``path`` into ``store`` in one transaction: all of it, or nothing on any error.

    Validated chunks of the file are written as they are parsed, inside one
    open transaction, so the loader's memory stays flat whatever the file's
    size; an error anywhere rolls the whole file back. ``jobs`` processes parse it
    (default: one per CPU; small files are parsed in this process).
    ``progress`` is called with the bytes of the file read so far. With
    ``schema`` (the IATI XSD), the file is also validated against it and each
    violation is reported in :attr:`IatiReport.schema_violations`; violations
    do not stop the load (the loader's own checks decide what it can represent).
    """
    violations = schema_violations(path, schema) if schema is not None else None

    def run(jobs: int | None) -> IatiReport:
        report = IatiReport(str(path), schema_violations=violations)
        batches = iter_iati(path, cyber_only=cyber_only, store=store, jobs=jobs, report=report, progress=progress)
        if dry_run:
            for _ in batches:
                pass
        else:
            report.summary = store.write_stream(batches)  # a _SplitFailed rolls it back
        return report

    return _or_in_order(run, jobs)


def read_iati(
    path: str | Path, *, cyber_only: bool = False, store: Store | None = None, jobs: int | None = None
) -> tuple[Batch, IatiReport]:
    """The whole file as one :class:`Batch` (for small files and tests: :func:`iter_iati` streams)."""

    def run(jobs: int | None) -> tuple[Batch, IatiReport]:
        report = IatiReport(str(path))
        batch = Batch()
        for part in iter_iati(path, cyber_only=cyber_only, store=store, jobs=jobs, report=report):
            for records in [*part.nodes.values(), *part.rels.values()]:
                batch.extend(records.values())
        return batch, report

    return _or_in_order(run, jobs)


def _or_in_order(run: Callable[[int | None], T], jobs: int | None) -> T:
    """``run(jobs)``; if the file could not be cut into pieces that parse alone, ``run(1)`` from the start."""
    try:
        return run(jobs)
    except _SplitFailed:
        return run(1)


def iter_iati(
    path: str | Path,
    *,
    cyber_only: bool = False,
    store: Store | None = None,
    jobs: int | None = None,
    report: IatiReport | None = None,
    block: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[Batch]:
    """Validated batches of ``path``, in file order, each ready to write.

    Raises :class:`LoadError` with every problem of the file once it has
    been read to the end (after the last batch was handed out: write the
    batches in one transaction and roll back on the error). Each
    organisation and country is in the first batch that names it.
    ``progress`` is called with the bytes of the file read so far.
    """
    path = Path(path)
    # Read the store now, not when the first batch is asked for: by then a write transaction is open.
    ctx = Context(str(path), path.name, cyber_only, identity.Resolver.from_store(store))
    report = report if report is not None else IatiReport(str(path))
    # Countries already stored are never written again: their income group and flags may come from other sources.
    stored = store.existing_keys("Country", bundled.reference_codes()) if store is not None else set()
    return _batches(path, ctx, jobs, block or BLOCK_BYTES, report, progress or (lambda done: None), stored)


def _batches(
    path: Path,
    ctx: Context,
    jobs: int | None,
    block: int,
    report: IatiReport,
    progress: Callable[[int], None],
    stored_countries: set[str] = frozenset(),
) -> Iterator[Batch]:  # type: ignore[assignment]
    problems: list[Problem] = []
    seen: dict[str, int] = {}  # identifier -> line: the one thing that grows with the file (~100 bytes an activity)
    orgs_out: set[str] = set()
    countries_out: set[str] = set(stored_countries)
    with gc_paused():
        for chunk in _chunks(path, ctx, problems, jobs, block, report):
            found = chunk.problems
            for ident, line in chunk.idents:
                if ident in seen:
                    found.append(
                        (
                            line,
                            Problem(
                                str(path),
                                f"activity {ident} (line {line})",
                                "iati-identifier",
                                f"duplicate of the activity on line {seen[ident]}",
                            ),
                        )
                    )
                else:
                    seen[ident] = line
            problems.extend(p for _, p in sorted(found, key=lambda f: f[0]))  # in file order
            report.warnings.extend(chunk.warnings)
            report.activities += chunk.activities
            report.skipped += chunk.skipped
            progress(chunk.end)
            if problems:
                continue  # read on to list every problem; write nothing more
            orgs = chunk.batch.nodes.get("Organisation", {})
            for oid in orgs.keys() & orgs_out:
                del orgs[oid]
            orgs_out.update(orgs)
            chunk.batch.extend(bundled.reference_countries(chunk.countries - countries_out))
            countries_out |= chunk.countries
            report.records += len(chunk.batch)
            yield chunk.batch
    if problems:
        raise LoadError(problems)


# -- cutting a file into chunks, parsed here or by worker processes ---------------


class _SplitFailed(Exception):
    """A piece cut from the file would not parse alone: parse the whole file in order instead."""


@dataclass(frozen=True)
class Context:
    """What parsing an activity needs: the same in this process and in a worker."""

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
        parts = [*self.batch.nodes.values(), *self.batch.rels.values()]
        rows = [(type(next(iter(p.values()))), [r.__dict__ for r in p.values()]) for p in parts if p]
        return {**self.__dict__, "batch": rows}

    def __setstate__(self, state: dict[str, Any]) -> None:
        batch = Batch()
        for cls, rows in state.pop("batch"):
            batch.extend(cls.revive(rows))
        self.__dict__.update(state, batch=batch)


def default_jobs() -> int:
    """Worker processes for a large file: one per CPU this process may use, at most 8."""
    return max(1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def _chunks(
    path: Path, ctx: Context, problems: list[Problem], jobs: int | None, block: int, report: IatiReport
) -> Iterator[Chunk]:
    if not _readable(path, problems):
        return
    jobs = default_jobs() if jobs is None else jobs
    if "fork" not in mp.get_all_start_methods():
        jobs = 1  # see _parallel
    size = path.stat().st_size
    head = _prolog(path) if jobs > 1 and size > 2 * block else None
    if head is None:
        yield from _serial(path, ctx)
        return
    report.jobs = jobs
    yield from _parallel(path, ctx, head, jobs, block)


def _readable(path: Path, problems: list[Problem]) -> bool:
    try:
        with open(path, "rb") as f:
            if not f.read(4096).strip():
                problems.append(Problem(str(path), "file", "", "is empty"))
                return False
        return _check_root(path, problems)
    except etree.XMLSyntaxError as e:
        problems.append(_syntax_problem(path, e))
    except OSError as e:
        problems.append(Problem(str(path), "file", "", f"cannot read: {e}"))
    return False


def _serial(path: Path, ctx: Context) -> Iterator[Chunk]:
    """The whole file through one parser, in this process: the reference path, and every error's wording."""
    xml: list[Problem] = []
    with open(path, "rb") as f:
        acts = _activities(f, xml)
        while True:
            chunk = _chunk(_take(acts, CHUNK_ACTIVITIES), ctx)
            chunk.problems.extend((sys.maxsize, p) for p in xml)  # the parser stopped there: after every activity read
            if not (chunk.idents or chunk.problems):
                return
            xml.clear()
            chunk.end = f.tell()
            yield chunk


def _take(it: Iterator[Any], n: int) -> Iterator[Any]:
    for _, item in zip(range(n), it):
        yield item


def _prolog(path: Path) -> tuple[bytes, int] | None:
    """The root's start tag on one line (to wrap each piece in) and where the activities begin.

    None (parse in order instead) for any file whose prolog is not plain:
    a DOCTYPE (entities would be lost), another encoding than an
    ASCII-compatible one, a self-closing root.
    """
    with open(path, "rb") as f:
        start = f.read(65536)
    m = _PROLOG.match(start)
    if not m:
        return None
    decl = m.group(1) or b""
    if b"encoding" in decl and not re.search(rb'encoding=["\'](?:utf-8|us-ascii|ascii)["\']', decl, re.I):
        return None
    return decl + re.sub(rb"[\r\n]", b" ", m.group(2)), m.end()


def _pieces(path: Path, begin: int, block: int) -> Iterator[tuple[int, bytes, bool]]:
    r"""``(first line, bytes, last)``: the file from ``begin`` cut after an ``</iati-activity>`` every ``block`` bytes.

    >>> import tempfile; f = tempfile.NamedTemporaryFile(suffix=".xml", delete=False)
    >>> _ = f.write(b"<r>\n<iati-activity>1</iati-activity>\n<iati-activity>2</iati-activity>\n</r>\n"); f.close()
    >>> [(line, piece, last) for line, piece, last in _pieces(Path(f.name), 3, 20)]
    [(1, b'\n<iati-activity>1</iati-activity>', False), (2, b'\n<iati-activity>2</iati-activity>', False), (3, b'\n</r>\n', True)]
    """
    with open(path, "rb") as f:
        line = 1 + f.read(begin).count(b"\n")
        carry = b""
        while True:
            data = f.read(block)
            if not data:
                if carry:
                    yield line, carry, True
                return
            buf = carry + data
            cut = buf.rfind(_END)
            if cut < 0:
                if len(buf) > MAX_PIECE_BYTES:  # no end tag written as expected: do not hold the file in memory
                    raise _SplitFailed()
                carry = buf
                continue
            cut += len(_END)
            piece, carry = buf[:cut], buf[cut:]
            yield line, piece, False
            line += piece.count(b"\n")


def _parallel(path: Path, ctx: Context, head: tuple[bytes, int], jobs: int, block: int) -> Iterator[Chunk]:
    """Pieces of the file parsed by ``jobs`` worker processes, handed back in file order.

    At most two pieces a worker are in flight, so memory does not grow with
    the file when the store writes slower than the workers parse.
    """
    wrapper, begin = head
    # fork: the workers start at once with everything imported, and never re-run the
    # caller's script (spawn would, and fail without a __main__ guard). The store's
    # threads are not copied, and a worker never touches the store.
    with ProcessPoolExecutor(
        jobs, mp_context=mp.get_context("fork"), initializer=_init_worker, initargs=(ctx, os.getpid())
    ) as pool:
        pending: deque[tuple[Future[Chunk | None], int]] = deque()
        end = begin
        try:
            for line, piece, last in _pieces(path, begin, block):
                end += len(piece)
                pending.append((pool.submit(_work, wrapper, line, piece, last), end))
                if len(pending) >= 2 * jobs:
                    yield _result(*pending.popleft())
            while pending:
                yield _result(*pending.popleft())
        finally:
            for fut, _ in pending:
                fut.cancel()


def _result(fut: Future[Chunk | None], end: int) -> Chunk:
    chunk = fut.result()
    if chunk is None:
        raise _SplitFailed()
    chunk.end = end
    return chunk


_WORKER: Context | None = None


def _init_worker(ctx: Context, parent: int | None = None) -> None:
    global _WORKER
    _WORKER = ctx
    gc.disable()  # a worker's objects are freed by reference counting; cyclic GC only rescans them
    _die_with_parent(parent if parent is not None else os.getppid())


def _die_with_parent(parent: int) -> None:
    """A worker is killed when the process that started it dies, even by kill -9 (which runs no cleanup).

    Linux delivers SIGKILL on the parent's death (prctl PR_SET_PDEATHSIG); if the
    parent died before that was set, the worker exits at once.
    """
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def _work(wrapper: bytes, line: int, piece: bytes, last: bool) -> Chunk | None:
    """One piece, in a worker: None if it does not parse alone (the caller falls back)."""
    assert _WORKER is not None
    data = wrapper + piece + (b"" if last else b"</iati-activities>")
    problems: list[Problem] = []
    chunk = _chunk(_activities_in(data, line - 1, _WORKER.file, problems), _WORKER)
    return None if problems else chunk


def _activities_in(data: bytes, offset: int, file: str, problems: list[Problem]) -> Iterator[tuple[int, Any]]:
    try:
        yield from _iter_activities(
            etree.iterparse(io.BytesIO(data), events=("end",), tag="iati-activity", huge_tree=True), offset
        )
    except etree.XMLSyntaxError as e:
        problems.append(_syntax_problem(Path(file), e))


def _activities(f: BinaryIO, problems: list[Problem]) -> Iterator[tuple[int, Any]]:
    """Each ``iati-activity`` element of the open file with its line, cleared after use."""
    try:
        # Only iati-activity end events reach Python (the tag filter runs in C).
        yield from _iter_activities(etree.iterparse(f, events=("end",), tag="iati-activity", huge_tree=True), 0)
    except etree.XMLSyntaxError as e:
        problems.append(_syntax_problem(Path(f.name), e))
    except OSError as e:
        problems.append(Problem(f.name, "file", "", f"cannot read: {e}"))


def _iter_activities(events: Any, offset: int) -> Iterator[tuple[int, Any]]:
    for _, el in events:
        yield offset + el.sourceline, el
        el.clear()
        while el.getprevious() is not None:  # drop what has been read, keep memory flat
            del el.getparent()[0]


def _syntax_problem(path: Path, e: etree.XMLSyntaxError) -> Problem:
    line = max(1, e.lineno or (e.position[0] if e.position else 1))
    return Problem(str(path), f"line {line}", "", f"malformed XML: {e.msg}")


def _check_root(path: Path, problems: list[Problem]) -> bool:
    """The root must be ``<iati-activities version="2.01|2.02|2.03">``; read from its start tag only."""
    for _, el in etree.iterparse(str(path), events=("start",)):
        if el.tag != "iati-activities":
            problems.append(
                Problem(str(path), f"line {el.sourceline}", "", f"expected an <iati-activities> document, found <{el.tag}>")
            )
            return False
        version = el.get("version", "")
        if version not in IATI_VERSIONS:
            problems.append(
                Problem(
                    str(path),
                    f"line {el.sourceline}",
                    "version",
                    f"IATI {version or '(no version)'} is not supported: this loader reads IATI 2.01-2.03; convert 1.x files to 2.0x first",
                )
            )
            return False
        return True
    return True


# -- one activity ----------------------------------------------------------------


def _chunk(acts: Iterator[tuple[int, Any]], ctx: Context) -> Chunk:
    """Parse ``acts`` into one chunk; an organisation is built once a chunk, not once an activity."""
    chunk = Chunk()
    orgs: dict[str, Organisation] = {}
    pending: dict[type, list[tuple[dict[str, Any], str, int]]] = {}  # validated together at the end
    for line, act in acts:
        kids = _children(act)
        ident = _text(_first(kids, "iati-identifier"))
        where = f"activity {ident or '(no identifier)'} (line {line})"
        if not ident:
            chunk.problems.append((line, Problem(ctx.file, where, "iati-identifier", "required, and missing or empty")))
            continue
        chunk.idents.append((ident, line))
        problems: list[Problem] = []
        try:
            records, countries, kept = _activity(act, kids, ident, where, ctx, chunk.warnings, problems, orgs)
        except ValidationError as e:
            problems.extend(_problems(e, ctx.file, where))
            records, countries, kept = [], set(), True
        chunk.problems.extend((line, p) for p in problems)
        if not kept:
            chunk.skipped += 1
            continue
        chunk.activities += 1
        for cls, data in records:
            pending.setdefault(cls, []).append((data, where, line))
        chunk.countries |= countries
    for cls, items in pending.items():
        chunk.batch.extend(_validated(cls, items, ctx.file, chunk.problems))
    chunk.batch.extend(orgs.values())
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
    return [Problem(file, where, ".".join(map(str, err["loc"])), pattern_message(err) or err["msg"]) for err in e.errors()]


def _children(el: Any) -> dict[str, list[Any]]:
    """An element's children by tag, in one pass (a ``find`` costs as much as this whole walk)."""
    out: dict[str, list[Any]] = {}
    for c in el:
        tag = c.tag
        if tag in out:
            out[tag].append(c)
        else:
            out[tag] = [c]
    return out


def _first(kids: dict[str, list[Any]], tag: str) -> Any:
    got = kids.get(tag)
    return got[0] if got else None


def _activity(
    act: Any,
    kids: dict[str, list[Any]],
    ident: str,
    where: str,
    ctx: Context,
    warnings: list[str],
    problems: list[Problem],
    orgs: dict[str, Organisation],
) -> tuple[list[Any], set[str], bool]:
    src = f"{ctx.name}#{ident}"
    lang = act.get(XML_LANG, "en")
    title = _narrative(_first(kids, "title"), lang)
    description = _narrative(next((d for d in kids.get("description", ()) if d.get("type", "1") == "1"), None), lang)
    words, themes = classify(f"{title or ''}\n{description or ''}")
    if ctx.cyber_only and not words:
        return [], set(), False
    path, resolver = ctx.file, ctx.resolver

    def warn(msg: str) -> None:
        warnings.append(f"{ctx.file}: {where}: {msg}")

    records: list[tuple[type, dict[str, Any]]] = []  # (model, fields): the chunk validates them together

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
            orgs[oid] = Organisation(
                id=oid,
                name=name or ref,
                kind=kind,
                country=_org_country(ref),
                aliases=[ref] if ref and ref != oid else [],
                source=src,
            )
        return oid

    status_code = _attr(_first(kids, "activity-status"), "code")
    if status_code and status_code not in STATUS:
        warn(f"unknown ActivityStatus code {status_code!r}")
    dates = {d.get("type"): d.get("iso-date") for d in kids.get("activity-date", ())}
    currency = act.get("default-currency")

    sectors, regions = [], []
    for s in kids.get("sector", ()):
        vocab, code = s.get("vocabulary", "1"), s.get("code", "")
        if vocab in ("1", "2"):
            if vocab == "1" and code not in codelist("Sector"):
                warn(f"unknown DAC sector code {code!r}")
            sectors.append(code)
    country_shares: dict[str, float | None] = {}
    total_pct = 0.0
    any_pct = False
    for rc in kids.get("recipient-country", ()):
        code = rc.get("code", "")
        iso3 = iso3_of(code) if code in codelist("Country") else None
        pct = _float(rc.get("percentage"), where, "recipient-country/@percentage", path, problems)
        if pct is not None:
            any_pct, total_pct = True, total_pct + pct
        if iso3 is None:
            warn(f"unknown recipient-country code {code!r}: not linked")
            continue
        country_shares[iso3] = pct
    for rr in kids.get("recipient-region", ()):
        pct = _float(rr.get("percentage"), where, "recipient-region/@percentage", path, problems)
        if pct is not None:
            any_pct, total_pct = True, total_pct + pct
        if rr.get("vocabulary", "1") == "1":
            if rr.get("code") not in codelist("Region"):
                warn(f"unknown Region code {rr.get('code')!r}")
            regions.append(rr.get("code", ""))
    if any_pct and abs(total_pct - 100) > 0.5:
        problems.append(
            Problem(
                ctx.file,
                where,
                "recipient-country/@percentage",
                f"country and region percentages sum to {total_pct:g}, expected 100",
            )
        )

    budget, budget_cur = _budget(kids.get("budget", ()), currency, warn)
    reporting = _first(kids, "reporting-org")
    reporting_id = org(reporting) if reporting is not None else None

    roles: dict[str, list[str]] = defaultdict(list)
    for p in kids.get("participating-org", ()):
        role = p.get("role", "")
        if role not in ("1", "2", "3", "4"):
            warn(f"unknown OrganisationRole code {role!r}")
            continue
        oid = org(p)
        if oid and oid not in roles[role]:
            roles[role].append(oid)

    money = _transactions(kids.get("transaction", ()), currency, org, reporting_id, where, path, problems)
    funders = list(dict.fromkeys(roles["1"] + list(money)))
    year = int(dates["2"][:4]) if dates.get("2") else (int(dates["1"][:4]) if dates.get("1") else None)
    total_committed: dict[str, float] = defaultdict(float)
    for oid in funders:
        committed, disbursed, cur = _money_of(money.get(oid), warn, oid)
        if committed is not None:
            total_committed[cur] += committed
        records.append(
            (Funds, dict(src=oid, dst=ident, amount=committed, disbursed=disbursed, currency=cur, year=year, source=src))
        )
    for i, oid in enumerate(roles["4"]):
        records.append((Implements, dict(src=oid, dst=ident, role="lead" if i == 0 else "partner", source=src)))
    committed_cur = next(iter(total_committed.items())) if len(total_committed) == 1 else None
    for iso3, share in country_shares.items():
        amount = round(committed_cur[1] * share / 100, 2) if committed_cur and share is not None else None
        records.append(
            (
                Targets,
                dict(
                    src=ident,
                    dst=iso3,
                    share=share,
                    amount=amount,
                    currency=committed_cur[0] if amount is not None else None,
                    source=src,
                ),
            )
        )
    records.insert(
        0,
        (
            Programme,
            dict(
                id=ident,
                name=title or ident,
                description=description,
                themes=themes,
                status=STATUS.get(status_code or "", "unknown"),
                start_date=dates.get("2") or dates.get("1"),
                end_date=dates.get("4") or dates.get("3"),
                budget=budget,
                currency=budget_cur,
                sectors=sorted(set(sectors)),
                regions=sorted(set(regions)),
                reporting_org=reporting_id,
                extending_orgs=roles["3"],
                accountable_orgs=roles["2"],
                cyber_keywords=words,
                source=src,
            ),
        ),
    )
    return records, set(country_shares), True


def _transactions(
    transactions: list[Any],
    currency: str | None,
    org: Any,
    reporting_id: str | None,
    where: str,
    path: str,
    problems: list[Problem],
) -> dict[str, dict[str, dict[str, float]]]:
    """Commitments and disbursements by provider: ``{org: {"2"|"3": {currency: sum}}}``."""
    out: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
    for t in transactions:
        kids = _children(t)
        ttype = _attr(_first(kids, "transaction-type"), "code")
        if ttype not in ("2", "3"):
            continue
        value = _first(kids, "value")
        amount = _float(_text(value), where, f"transaction[{ttype}]/value", path, problems, money=True)
        if amount is None:
            continue
        cur = (value.get("currency") if value is not None else None) or currency
        if not cur:
            problems.append(Problem(path, where, "transaction/value/@currency", "no currency and no default-currency"))
            continue
        provider = _first(kids, "provider-org")
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


def _budget(budgets: list[Any], currency: str | None, warn: Any) -> tuple[float | None, str | None]:
    """Sum of budgets, a revised budget (type 2) replacing the original of its period."""
    by_period: dict[str, tuple[str, float, str | None]] = {}
    for b in budgets:
        kids = _children(b)
        value = _first(kids, "value")
        try:
            amount = float(_text(value) or "")
        except ValueError:
            continue
        if not math.isfinite(amount) or abs(amount) > MAX_AMOUNT:
            continue  # not a budget any source can state: left out, as an unparseable one is
        start = _attr(_first(kids, "period-start"), "iso-date") or ""
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
    found = list(el.iterchildren("narrative"))  # the tag filter runs in C
    if len(found) == 1:  # the usual case: one narrative, nothing to choose
        return " ".join((found[0].text or "").split()) or None
    texts = [(n.get(XML_LANG, lang), " ".join((n.text or "").split())) for n in found]
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


def _float(raw: str | None, where: str, field_: str, file: str, problems: list[Problem], money: bool = False) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        problems.append(Problem(file, where, field_, f"expected a number, got {raw!r}"))
        return None
    if not math.isfinite(value) or value > MAX_AMOUNT:
        problems.append(Problem(file, where, field_, f"expected a finite number below {MAX_AMOUNT:.0e}, got {raw[:40]!r}"))
        return None
    if value < 0:
        problems.append(Problem(file, where, field_, f"expected a non-negative number, got {raw!r}"))
        return None
    return value
