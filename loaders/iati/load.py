"""Loading an IATI file: validated chunks stream into one open transaction, all of it or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from lxml import etree

from graph.errors import LoadError, Problem
from graph.store import Batch, Store, WriteSummary, gc_paused
from loaders import bundled, identity
from loaders.iati import split
from loaders.iati.mapping import Context

T = TypeVar("T")


@dataclass
class IatiReport:
    """What loading one file did: activities read and skipped, warnings, records written."""

    file: str
    activities: int = 0
    skipped: int = 0  # not cyber-relevant, with cyber_only
    warnings: list[str] = field(default_factory=list)
    summary: WriteSummary | None = None
    records: int = 0
    jobs: int = 1  # processes that parsed the file
    schema_violations: list[str] | None = None  # None: not checked (no schema given)


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
    return [f"line {e.line}: {e.message}" for e in xsd.error_log]  # type: ignore[attr-defined]  # iterable; lxml-stubs says not


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
            report.summary = store.write_stream(batches)  # a SplitFailed rolls it back
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
            batch.extend(r for records in part.nodes.values() for r in records.values())
            batch.extend(r for records in part.rels.values() for r in records.values())
        return batch, report

    return _or_in_order(run, jobs)


def _or_in_order(run: Callable[[int | None], T], jobs: int | None) -> T:
    """``run(jobs)``; if the file could not be cut into pieces that parse alone, ``run(1)`` from the start."""
    try:
        return run(jobs)
    except split.SplitFailed:
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
    return _batches(path, ctx, jobs, block or split.BLOCK_BYTES, report, progress or (lambda done: None), stored)


def _batches(
    path: Path,
    ctx: Context,
    jobs: int | None,
    block: int,
    report: IatiReport,
    progress: Callable[[int], None],
    stored_countries: set[str],
) -> Iterator[Batch]:
    problems: list[Problem] = []
    seen: dict[str, int] = {}  # identifier -> line: the one thing that grows with the file (~100 bytes an activity)
    orgs_out: set[str] = set()
    countries_out: set[str] = set(stored_countries)

    def started(jobs: int) -> None:
        report.jobs = jobs

    with gc_paused():
        for chunk in split.chunks(path, ctx, problems, jobs, block, started):
            found = chunk.problems
            for ident, line in chunk.idents:
                if ident in seen:
                    where = f"activity {ident} (line {line})"
                    found.append(
                        (line, Problem(str(path), where, "iati-identifier", f"duplicate of the activity on line {seen[ident]}"))
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
