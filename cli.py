"""``ccb``: the command line. Thin by design: parse, call the library, format.

Every library error (:class:`graph.errors.CCBError`) becomes one line on
stderr and a non-zero exit; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
import shlex
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from graph import schema
from graph.errors import CCBError, LoadError, TooManyRows
from graph.model import ORG_KINDS
from graph.open import chosen, default_db_path, open_store
from graph.store import Store, cached, is_neo4j_uri, shown_uri
from loaders import bundled, iati, indices, scenario, tabular, worldbank
from queries import analysis, briefing, catalogue, facts, lists, network, provenance, terms, timeline
from queries import identity as identity_queries
from queries import need as need_model
from queries import plan as plan_queries
from queries import profile as profile_queries
from queries import progress as progress_queries
from queries import report as report_queries
from visualisations import charts, maps, terminal
from visualisations import export as exporters
from visualisations import network as network_viz
from visualisations import report as report_viz

FORMATS = ("table", "json", "csv")
QUERY_ROWS = 1_000_000  # `ccb query` reads at most this many rows by default: about 1 GB as Python rows


# -- output ------------------------------------------------------------------------


def output_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The shared output options of every command that prints rows: --format, --wide, --raw."""

    @click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="table for reading; json and csv carry raw values (numbers as numbers) for scripts and spreadsheets.",
    )
    @click.option("--wide", is_flag=True, help="Table: every column on one line, whatever the terminal's width.")
    @click.option(
        "--raw",
        is_flag=True,
        help="CSV: keep cells that start with = + - @ tab or CR as they are (by default they get a "
        "leading ' so a spreadsheet does not run them as formulas).",
    )
    @functools.wraps(fn)
    def wrapper(*args: Any, raw: bool = False, wide: bool = False, **kwargs: Any) -> Any:
        meta = click.get_current_context().meta
        meta["ccb.raw_csv"], meta["ccb.wide"] = raw, wide
        return fn(*args, **kwargs)

    return wrapper


def limit_option(default: int | None = None) -> Callable[..., Any]:
    """--limit: at most this many rows, the same in every command."""
    return click.option(
        "--limit", type=click.IntRange(1), default=default, show_default=default is not None, metavar="N", help="At most N rows."
    )


def width() -> int | None:
    """The table width: the terminal's (or $COLUMNS), 80 when there is no terminal; no limit with --wide."""
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.meta.get("ccb.wide"):
        return None
    return max(60, shutil.get_terminal_size((80, 24)).columns)


def emit(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    *,
    title: str | None = None,
    empty: str | Callable[[], str] | None = None,
    under: Sequence[str] = (),
    letters: Iterable[str] = (),
) -> None:
    """Print ``rows`` as a terminal table, JSON (a list of objects) or CSV; an empty answer says why (``empty``) on
    stderr; ``under``: the table's columns that go under their row when they do not fit, never left out.

    A table that shows GFCE theme letters (in a theme column, or as its columns' names) says what they stand for
    under it, with ``letters`` too (those a row's label or a note gives)."""
    hidden: list[str] = []
    if fmt == "json":
        click.echo(terminal.json_text(list(rows)))
    elif fmt == "csv":
        ctx = click.get_current_context(silent=True)
        raw = ctx is not None and ctx.meta.get("ccb.raw_csv")
        terminal.write_csv(rows, sys.stdout, safe=(lambda v: v) if raw else exporters.csv_safe)
    elif rows:
        text, hidden = terminal.table(rows, width=width(), title=title, under=under)
        click.echo(text)
        if hidden:
            info(f"not shown at this width: {', '.join(hidden)} (--wide or --format csv shows every column)", wrap=True)
    elif title:
        click.echo(textwrap.fill(title, width() or len(title), subsequent_indent="  ", break_on_hyphens=False))
    if rows and fmt == "table":  # JSON and CSV carry the letters raw, for a program; their stderr stays the notes
        notes([line] if (line := terms.rows_legend(rows, hidden=hidden, letters=letters)) else [], fmt)
    if not rows:
        why = empty() if callable(empty) else empty
        # under its title (just printed on stdout), not after a second copy of it
        info(f"{'  ' if title and fmt == 'table' else ''}{why or 'no rows'}", wrap=True)


def info(message: str, *, wrap: bool = False) -> None:
    """Progress and summaries go to stderr, so stdout stays clean for pipes; ``wrap`` fits a note about a table to
    the table's width."""
    if wrap and width():
        lead = message[: len(message) - len(message.lstrip(" "))]  # an indented line's continuation sits under its text
        message = "\n".join(textwrap.wrap(message, width(), subsequent_indent=lead + "  ", break_on_hyphens=False))
    click.echo(message, err=True)


def notes(lines: Sequence[str], fmt: str) -> None:
    """Footer lines a reader needs beside the rows: under a table; on stderr when stdout is JSON or CSV."""
    for line in lines:
        if fmt == "table":
            # a word longer than the line (a source's address) stays whole, so it can be copied or clicked
            wrapped = textwrap.wrap(
                line, width() or len(line), subsequent_indent="  ", break_on_hyphens=False, break_long_words=False
            )
            click.echo("\n".join(wrapped))
        else:
            click.echo(line, err=True)


def why_empty(what: str, *, also: str = "", otherwise: str | None = None, **filters: Any) -> Callable[[], str]:
    """The one line an empty answer prints (worked out only when the answer is empty): that the store holds no
    programmes yet, else ``otherwise`` or which filters left nothing; ``also`` is a further hint."""
    store = click.get_current_context().meta.get("ccb.store")

    def line() -> str:
        if store is not None and not store.counts().get("Programme"):
            return (
                f"{store.location} holds no programmes yet: build the demo store (`ccb demo`) and point at it, "
                f"or load your own (`ccb load FILE`)"
            )
        said = [f"{k} {v}" for k, v in filters.items() if v not in (None, "", False) and str(v) != "any year"]
        text = otherwise or f"no {what}" + (f" for {', '.join(said)}: widen or drop a filter" if said else " in the graph")
        return text + (f"; {also}" if also else "")

    return line


# -- the group ---------------------------------------------------------------------


class CCBGroup(click.Group):
    """Turns library errors into one line on stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CCBError as e:
            if ctx.params.get("debug") or (ctx.obj or {}).get("debug"):
                raise
            click.echo(f"Error: {e}", err=True)
            ctx.exit(1)


@click.group(
    cls=CCBGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="""\b
Examples:
  ccb demo
  ccb --db ~/.local/share/ccb/ccb-demo.lbdb gaps --limit 10
""",
)
@click.option(
    "--db",
    metavar="PATH|URI",
    help="Embedded store path, or bolt:// / neo4j:// URI for Neo4j. [env: CCB_DB; default: ~/.local/share/ccb/graph.lbdb]",
)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="ccb-graph")
@click.pass_context
def cli(ctx: click.Context, db: str | None, debug: bool) -> None:
    """CCB Graph: who supports whom in cyber capacity building."""
    ctx.obj = {"db": db, "debug": debug}


def store_of(ctx: click.Context, *, read_only: bool = False, create: bool = False) -> Store:
    """Open the store once per command and close it when the command ends; only commands that load may create it.

    With no --db and no $CCB_DB, a command that does not load reads the demo store while the default store does
    not exist yet: the first command a newcomer runs after `ccb demo` answers from the demo's data.
    """
    # once per command: `profile` asked per empty section, and each call opened the store again (a fresh connection,
    # the demo notice printed again, the analyses' per-store caches lost) and, with --assume, lost the scenario
    opened = ("ccb.opened", read_only, create)
    if opened in ctx.meta:
        return ctx.meta[opened]  # type: ignore[no-any-return]
    ctx.meta[opened] = store = _open(ctx, read_only=read_only, create=create)
    return store


def _open(ctx: click.Context, *, read_only: bool, create: bool) -> Store:
    db = ctx.obj["db"]
    demo = default_db_path().with_name("ccb-demo.lbdb")
    if not create and not chosen(db) and not default_db_path().exists() and demo.exists():
        info(f"reading the demo store {demo} (no store of your own yet: `ccb init` makes one; --db picks another)")
        db = str(demo)
    store = open_store(db, read_only=read_only, create=create)
    ctx.call_on_close(store.close)
    ctx.meta["ccb.store"] = store
    if note := getattr(store, "recovered", None):  # a crashed write was rolled back on opening: say so once
        info(f"note: {store.location}: {note}")
    if assume := ctx.meta.pop("ccb.assume", None):  # --assume: answer from an in-memory copy with the planned programmes
        sc = ctx.with_resource(scenario.assumed(store, assume))
        ctx.meta["ccb.scenario"] = sc
        return sc.store
    return store


def assume_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--assume FILE: answer as if the planned programmes of FILE (`ccb plan -o`) were in the graph, never writing them.

    The command's store (:func:`store_of`) becomes an in-memory copy with the file's records added; the answer says
    so: under a table, on stderr with JSON or CSV or when the output is a file (which says it too).
    """

    @click.option(
        "--assume",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        metavar="FILE",
        help="Answer as if the planned programmes in FILE (written by `ccb plan -o`) were in the graph; "
        "in memory only, the store is not written.",
    )
    @functools.wraps(fn)
    def wrapper(*args: Any, assume: Path | None, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        if assume is not None:
            ctx.meta["ccb.assume"] = assume
        out = fn(*args, **kwargs)
        if sc := ctx.meta.get("ccb.scenario"):
            fmt = kwargs.get("fmt")
            notes([sc.line], fmt) if fmt in FORMATS else info(sc.line)
        return out

    return wrapper


def assuming(ctx: click.Context) -> str:
    """The scenario line for a document the command writes (a report, a map), or "" without --assume."""
    sc = ctx.meta.get("ccb.scenario")
    return f"; {sc.line}" if sc else ""


# -- commands ----------------------------------------------------------------------


@cli.command(
    epilog="""\b
Examples:
  ccb --db my.lbdb init
  ccb --db bolt://localhost:7687 init --no-reference
"""
)
@click.option("--no-reference", is_flag=True, help="Create the schema only; skip the bundled country reference data.")
@click.pass_context
def init(ctx: click.Context, no_reference: bool) -> None:
    """Create the store and its schema, and load the country reference data (M49, World Bank FY25) and the bundled
    indices (GCI 2024 and 2020, the CMM reviews on record), as `ccb demo` does."""
    store = store_of(ctx, create=True)
    if not no_reference:
        for f in bundled.REFERENCE_FILES:
            report = tabular.load_file(store, f)
            info(f"loaded {report.records} reference records from {f.name}")
        # all the demo's indices: a store of one's own weighs need as the demo does (a CMM review lowers it), and
        # `ccb progress` has both GCI editions to compare
        for f in bundled.INDEX_FILES:
            report = indices.load_indices(store, f)
            info(f"loaded {report.records} index records from {f.name}")
    info(f"store ready: {store.kind} at {store.location}")


def _written(summary: Any) -> str:
    if summary is None:
        return "dry run: nothing written"
    return (
        f"{sum(summary.created.values())} created, {sum(summary.updated.values())} updated, "
        f"{sum(summary.unchanged.values())} unchanged"
    )


def load_each(files: tuple[Path, ...], dry_run: bool, load_one: Callable[[Path], str]) -> None:
    """Load each file whole or not at all; a dry run lists every problem of every file.

    ``load_one`` loads (or validates) one file and returns its summary line.
    """
    failed = 0
    for i, f in enumerate(files):
        try:
            if not dry_run and f.is_file():
                _room_for(f)
            info(f"{f}: {load_one(f)}")
        except LoadError as e:
            if not dry_run:
                # say exactly what was and was not loaded: files load one by one, each whole or not at all
                said = [f"nothing of {f} was loaded"]
                if i:
                    said.append(f"already loaded: {', '.join(map(str, files[:i]))}")
                if files[i + 1 :]:
                    said.append(f"not tried: {', '.join(map(str, files[i + 1 :]))}")
                e.hint = "; ".join(said) + "; fix the file and load it (and any not tried) again"
                raise
            failed += 1
            for p in e.problems:
                click.echo(str(p), err=True)
    if failed:
        raise click.exceptions.Exit(1)


def _write_room(db: Path) -> int:
    """The room a `query --write` asks for before it runs: its size is unknown, so 16 MB, or a tenth of the store when
    that is more (an update of every row logs about that much)."""
    size = sum(f.stat().st_size for f in [db, *db.parent.glob(db.name + ".*")] if f.is_file())
    return max(16_000_000, size // 10)


def _room_for(f: Path) -> None:
    """The embedded engine aborts the process if its log cannot be written: check for room first (4x the file, +1 MB)."""
    ctx = click.get_current_context()
    store = ctx.meta.get("ccb.store")
    if store is not None and hasattr(store, "check_room"):
        store.check_room(4 * f.stat().st_size + 1_000_000)


FILES = click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
DRY_RUN = click.option("--dry-run", is_flag=True, help="Validate only; list every problem and write nothing.")


@cli.command(
    epilog="""\b
Examples:
  ccb load --dry-run my-programmes.yaml
  ccb load my-programmes.yaml funds.csv
"""
)
@FILES
@DRY_RUN
@click.pass_context
def load(ctx: click.Context, files: tuple[Path, ...], dry_run: bool) -> None:
    """Load curated files (YAML, JSON, JSON Lines, CSV); each loads whole or not at all.

    JSON Lines and CSV files over 128 MB are checked, then written, a chunk at a time;
    YAML and JSON are parsed whole, so over 128 MB they are refused (save them as JSON Lines).
    """
    store = store_of(ctx, create=True)

    def one(f: Path) -> str:
        report = tabular.load_file(store, f, dry_run=dry_run)
        return (
            f"{report.records} records valid (dry run: nothing written)" if report.summary is None else _written(report.summary)
        )

    load_each(files, dry_run, one)


@cli.command(
    "load-iati",
    epilog="""\b
Examples:
  ccb load-iati --dry-run activities.xml
  ccb load-iati --cyber-only --jobs 2 activities.xml
""",
)
@FILES
@click.option("--cyber-only", is_flag=True, help="Keep only activities whose title or description names cyber capacity building.")
@click.option("--jobs", type=click.IntRange(min=1), help="Processes parsing each file (default: one per CPU).")
@click.option(
    "--schema",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also validate against this XSD (IATI's iati-activities-schema.xsd, with its includes beside it); "
    "each violation is reported, and the load goes on.",
)
@DRY_RUN
@click.pass_context
def load_iati_cmd(
    ctx: click.Context, files: tuple[Path, ...], cyber_only: bool, jobs: int | None, schema: Path | None, dry_run: bool
) -> None:
    """Load IATI activity files (standard 2.01-2.03); each loads whole or not at all.

    A file is parsed by several processes and written as it is parsed,
    inside one transaction: the parser's memory stays flat however large the
    file (the store's open transaction grows with what it holds).
    """
    store = store_of(ctx, create=True)

    def one(f: Path) -> str:
        # A bar on a terminal only: piped or captured stderr keeps just the summary lines.
        with click.progressbar(
            length=f.stat().st_size if f.is_file() else 0,
            label=f.name,
            file=sys.stderr,
            hidden=not sys.stderr.isatty(),
            show_percent=True,
            show_eta=True,
        ) as bar:
            report = iati.load_iati(
                store,
                f,
                cyber_only=cyber_only,
                dry_run=dry_run,
                jobs=jobs,
                schema=schema,
                progress=lambda done: bar.update(done - bar.pos),
            )
        for w in report.warnings:
            info(f"warning: {w}")
        shown = report.schema_violations or []
        for v in shown[: None if dry_run else 20]:  # a dry run lists every violation
            info(f"schema: {f}: {v}")
        if len(shown) > 20 and not dry_run:
            info(f"schema: {f}: ... {len(shown) - 20} more (run with --dry-run to list all)")
        skipped = f", {report.skipped} skipped as not cyber-related" if cyber_only else ""
        checked = (
            "schema not checked (--schema)"
            if report.schema_violations is None
            else f"{len(report.schema_violations)} schema violation(s)"
        )
        return f"{report.activities} activities{skipped}; {report.records} records ({_written(report.summary)}); {checked}"

    load_each(files, dry_run, one)


@cli.command(
    "load-indices",
    epilog="""\b
Examples:
  ccb load-indices gci-2024.csv
  ccb load-indices --dry-run gci-2024.csv
""",
)
@FILES
@DRY_RUN
@click.pass_context
def load_indices_cmd(ctx: click.Context, files: tuple[Path, ...], dry_run: bool) -> None:
    """Load need and maturity index tables (GCI, CMM, NCSI...: country,index,edition,score,tier,stage,...)."""
    store = store_of(ctx, create=True)

    def one(f: Path) -> str:
        report = indices.load_indices(store, f, dry_run=dry_run)
        return f"{report.records} records ({_written(report.summary)})"

    load_each(files, dry_run, one)


@cli.command(
    "load-world-bank",
    epilog="""\b
Examples:
  ccb load-world-bank CLASS.xlsx --vintage FY26
  ccb load-world-bank --dry-run CLASS.xlsx
""",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--vintage", metavar="FYnn", help="The fiscal year the file classifies for, e.g. FY26 (shown beside every income group)."
)
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.pass_context
def load_world_bank_cmd(ctx: click.Context, file: Path, vintage: str | None, dry_run: bool) -> None:
    """World Bank region, income group and lending category for every country, from CLASS.xlsx (or a CSV saved from it).

    The bundled countries carry FY25 (valid 1 July 2024 - 30 June 2025).
    Download the current file from
    https://datahelpdesk.worldbank.org/knowledgebase/articles/906519 ;
    run `ccb init` first so the countries exist.

    """
    report = worldbank.load_world_bank(store_of(ctx), file, vintage=vintage, dry_run=dry_run)
    done = "would classify" if dry_run else "classified"
    info(
        f"{file}: {done} {report.classified} countries; skipped {len(report.skipped)} rows that are not ISO countries "
        f"(aggregates such as WLD, or CHI)"
        + (f"; not in the store: {', '.join(report.not_in_store)}" if report.not_in_store else "")
    )


@cli.command(
    epilog="""\b
Examples:
  ccb duplicates
  ccb duplicates --threshold 80 --format csv
"""
)
@click.option(
    "--threshold",
    type=click.IntRange(50, 100),
    default=88,
    show_default=True,
    help="Name similarity (0-100) from which a pair is listed.",
)
@limit_option(50)
@output_options
@click.pass_context
def duplicates(ctx: click.Context, threshold: int, limit: int, fmt: str) -> None:
    """List organisations that are probably the same body, with the evidence."""
    emit(
        identity_queries.duplicate_organisations(store_of(ctx), threshold=threshold)[:limit],
        fmt,
        empty=f"no two organisations look like the same body at similarity {threshold} (a lower --threshold lists looser pairs)",
    )


def period_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The shared --from / --to options, passed on as one ``window``."""

    @click.option("--from", "year_from", type=int, metavar="YEAR", help="Only what is active in or after this year.")
    @click.option("--to", "year_to", type=int, metavar="YEAR", help="Only what is active in or before this year.")
    @functools.wraps(fn)
    def wrapper(*args: Any, year_from: int | None, year_to: int | None, **kwargs: Any) -> Any:
        return fn(*args, window=analysis.Window(year_from, year_to), **kwargs)

    return wrapper


def window_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--from / --to and --limit, shared by the analyses."""
    return period_options(limit_option()(fn))


class FiniteRange(click.FloatRange):
    """A float in a range that is a number: Click's FloatRange lets ``nan`` through (every comparison with NaN is false)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The number, or a usage error naming the option for nan or infinity."""
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a number in the range {self._describe_range()}", param, ctx)
        return number


class Name(click.ParamType):
    """A country's or an organisation's name as typed: an empty one is a mistake (an unset variable in a script),
    not a missing filter, so it is refused rather than read as "all"."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The name, or a usage error for an empty or blank one."""
        if isinstance(value, str) and not value.strip():
            leave = "" if isinstance(param, click.Argument) else " (leave it out to ask about every one)"
            self.fail(f"needs a name, not an empty value{leave}", param, ctx)
        return value


NAME = Name()


def _term(resolve: Callable[[str], Any]) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A Click callback that turns what was typed into the graph's own term (queries.terms), or one clear error."""
    return lambda ctx, param, value: None if value is None else resolve(value)


AGENCIES = click.option(
    "--agencies", is_flag=True, help="Count funding agencies apart instead of rolling them up to their donor state or bloc."
)
THEME = click.option(
    "--theme",
    metavar="THEME",
    callback=_term(terms.theme),
    help="GFCE theme, by letter or name: A policy, B incidents, C cybercrime, D skills, E standards.",
)
REGION = click.option(
    "--region",
    metavar="REGION",
    callback=_term(terms.region),
    help="Only this UN M49 region or sub-region (any case: 'western africa').",
)


@cli.command(
    epilog="""\b
Examples:
  ccb supports --country Kenya
  ccb supports --funder eu --by funder --format csv
"""
)
@click.option("--country", metavar="COUNTRY", type=NAME, help="Who supports this country (ISO code or name).")
@click.option(
    "--funder", metavar="ORG", type=NAME, help="Whom this organisation supports (id, name or alias; a donor country's name)."
)
@click.option("--region", metavar="AREA", help="Countries in this UN M49 region or sub-region only.")
@click.option(
    "--by",
    type=click.Choice(["pair", "country", "funder"]),
    default="pair",
    show_default=True,
    help="One row per funder and country, per country, or per funder.",
)
@THEME
@AGENCIES
@window_options
@output_options
@click.pass_context
def supports(
    ctx: click.Context,
    country: str | None,
    funder: str | None,
    by: str,
    theme: str | None,
    agencies: bool,
    window: Any,
    limit: int | None,
    fmt: str,
    region: str | None = None,
) -> None:
    """Who supports whom: donor -> programme -> country, with programmes, implementers, amounts and budgets.

    A donor's row (--by funder) counts every programme it funds: those that
    name countries and, in their own columns, regional and global ones;
    `budget` there is each programme's whole budget, counted once. On a
    country's rows, `amount` holds only amounts stated for that country and
    `programme_money` gives each programme's whole money (its budget, else
    the stated contributions) with the countries it is shared by.
    Programmes naming a country with no funder recorded are gathered in one
    row, so nothing that names it is left out.
    `implementers` are those of the programmes, wherever they run.
    """
    rows = analysis.supports(
        store_of(ctx), country=country, funder=funder, theme=theme, window=window, by=by, agencies=agencies, region=region
    )
    alone = country and not (funder or theme or region) and str(window) == "any year"
    empty = why_empty(
        "programme",
        otherwise=f"no programme names {country} as a beneficiary" if alone else None,
        also=f"`ccb profile {country}` shows the regional and global programmes that reach it" if country else "",
        country=country,
        funder=funder,
        theme=theme,
        years=window,
    )
    emit(rows[:limit], fmt, empty=empty)
    if rows and by != "funder":  # a country's row lists its programmes' implementers, not who worked there
        notes([analysis.IMPLEMENTERS_MEAN], fmt)


# How a facet's values are typed, where more than "as the list holds them" helps.
FACET_HINTS = {
    "theme": "a letter or name: A policy, B incidents, C cybercrime, D skills, E standards",
    "region": "a UN M49 region or sub-region, any case",
    "subregion": "a UN M49 sub-region, any case",
    "country": "ISO code or name",
    "donor": "id or name; an agency's state or bloc",
    "implementer": "id or name",
    "status": "active, pipeline, completed, cancelled, suspended or unknown, from its dates today",
    "scope": "countries (it names them), regional or global",
    "kind": ", ".join(ORG_KINDS),
    "role": "funder or implementer",
}


def _budget(r: dict[str, Any]) -> dict[str, float] | None:
    """A programme's budget as a table shows a sum: with its currency, never a bare number."""
    return {r["budget_currency"]: r["budget"]} if r["budget"] is not None else None


def _programme_line(r: dict[str, Any]) -> dict[str, Any]:
    """A programme as a table row reads: its years, themes and status beside its id, its name and lists under it."""
    start, end = (r["start_date"] or "")[:4], (r["end_date"] or "")[:4]
    return {
        "programme": r["programme"],
        # "2018-": since 2018; an end alone is "to 2025", not "-2025", which reads as a typo or a negative year
        "years": start if start and start == end else f"{start}-{end}" if start else f"to {end}" if end else "",
        "themes": r["themes"],
        "name": r["name"],
        "status": r["status"],  # after the name: under it when the row has no room (a long id)
        "donors": r["donors"],
        "implementers": r["implementers"],
        "countries": r["countries"],
        "source": r["source"],
    } | ({"budget": _budget(r)} if r["budget"] is not None else {})  # a column only if stated


def _organisation_line(r: dict[str, Any]) -> dict[str, Any]:
    """An organisation as a table row reads: where it is based before its kind, which a narrow table leaves out first."""
    first = ("id", "name", "country", "kind", "funds", "implements")
    return {k: r[k] for k in first} | {k: r[k] for k in ("part_of", "themes", "regions", "source")}


def list_command(
    kind: str,
    doc: str,
    examples: str,
    line: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    under: Sequence[str] = (),
) -> None:
    """Register `ccb <kind>`: the list the app browses (queries.lists.listing), one option per facet of it
    (declared once, in catalogue.FACETS), with a search, a sort and, for programmes, the years they are active.
    JSON and CSV carry the list's fields (queries.lists.FIELDS); a table reads ``line`` of each row, if given, with
    the columns ``under`` under their row when they do not fit."""
    one = catalogue.ONE_OF[kind]

    def command(ctx: click.Context, search: str | None, sort: str, desc: bool, limit: int | None, fmt: str, **kw: Any) -> None:
        window = kw.pop("window", None)
        given = {f.name: list(kw[f.name]) for f in catalogue.FACETS[kind]}
        found = lists.listing(store_of(ctx), kind, given, text=search or "", window=window, sort=sort, desc=desc)
        rows = [line(r) for r in found.browse.matching] if line and fmt == "table" else found.records(kind)
        said = {k: ", ".join(v) for k, v in found.chosen.items() if v} | ({"words": repr(search)} if search else {})
        place = found.chosen.get("country") if kind == "programmes" else None
        also = f"`ccb profile {place[0]}` shows the regional and global programmes that reach it" if place else ""
        emit(rows[:limit], fmt, empty=why_empty(kind, also=also, **said, years=window), under=under)
        if rows:
            shown = f"{limit:,} of " if limit and limit < len(rows) else ""
            lines = [f"{shown}{len(rows):,} {kind if len(rows) > 1 else one} match"]
            if kind == "programmes":
                lines.append(
                    "an umbrella and each of its components are listed as records, so this count can exceed the "
                    "analyses', which count a family once (`ccb supports`, `ccb gaps`)"
                )
            notes([*lines, *found.notes, facts.completeness(store_of(ctx))], fmt)

    command.__doc__ = doc
    command = click.pass_context(command)
    command = output_options(command)
    command = limit_option()(command)
    if kind == "programmes":
        command = period_options(command)
    command = click.option("--desc", is_flag=True, help="Largest or latest first.")(command)
    command = click.option(
        "--sort", type=click.Choice(catalogue.SORTS[kind]), default="name", show_default=True, help="Order of the rows."
    )(command)
    command = click.option("--search", metavar="WORDS", help=f"Only the {kind} a search for these words finds.")(command)
    for f in reversed(catalogue.FACETS[kind]):
        hint = FACET_HINTS.get(f.name, "as the list holds it, any case")
        command = click.option(
            f"--{f.name}", multiple=True, type=NAME, metavar=f.name.upper(), help=f"{f.title}: {hint} (repeat: any of them)."
        )(command)
    cli.command(kind, epilog=f"\b\nExamples:\n{examples}")(command)


list_command(
    "programmes",
    """The programmes in the graph, filtered by facets: theme, place, donor, implementer, status, scope.

    A facet repeated keeps the programmes with any of its values; several
    facets keep those that match each. --country keeps the programmes that
    name a country as a beneficiary; --region those that reach a region,
    by the countries they name or their stated regional scope. Status is
    read from each programme's dates today. The list is what the web app's
    /programmes shows and downloads.
    """,
    "  ccb programmes --country Kenya --theme cybercrime\n  ccb programmes --donor eu --status active --format csv\n",
    line=_programme_line,
    under=("status", "name", "donors", "implementers", "countries", "source"),
)
list_command(
    "organisations",
    """The organisations in the graph, filtered by facets: kind, role, theme, region, where based.

    --country keeps the organisations based in a country (its government,
    agencies, CERTs, universities: the local partners a donor looks for);
    --region those whose programmes reach a region. The list is what the
    web app's /organisations shows and downloads.
    """,
    "  ccb organisations --country Kenya\n  ccb organisations --role funder --sort funds --desc\n",
    line=_organisation_line,
    under=("part_of", "themes", "regions", "source"),
)


def need_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--weight, --all-countries and --gci-edition, shared by `gaps` and `viz map`: passed on as ``weights``,
    ``all_countries`` and ``gci_edition``."""

    @click.option(
        "--weight",
        "weight_items",
        multiple=True,
        metavar="NAME=VALUE",
        help=f"Change one need weight (repeat). Components: {', '.join(need_model.COMPONENTS)}; "
        f"defaults: {need_model.describe(need_model.DEFAULT_WEIGHTS)}.",
    )
    @click.option("--all-countries", is_flag=True, help="Rank territories, high-income countries and the unclassified too.")
    @click.option(
        "--gci-edition",
        type=click.Choice(["2020"]),
        help="Read need from GCI 2020 alone, for a historical view [default: the newest edition, 2024].",
    )
    @functools.wraps(fn)
    def wrapper(*args: Any, weight_items: tuple[str, ...], **kwargs: Any) -> Any:
        return fn(*args, weights=need_model.parse_weights(weight_items), **kwargs)

    return wrapper


@cli.command(
    epilog="""\b
Examples:
  ccb gaps --region "western africa" --theme cybercrime --limit 10
  ccb gaps --by subregion --from 2020 --sensitivity
"""
)
@click.option(
    "--by",
    type=click.Choice(["country", "region", "subregion", "theme"]),
    default="country",
    show_default=True,
    help="A row per recipient state; the unserved share per UN M49 region or sub-region; or country x GFCE theme.",
)
@REGION
@click.option(
    "--country",
    metavar="COUNTRY",
    type=NAME,
    help="Only this country's row (ISO code or name), with where it ranks; with --by country or theme.",
)
@click.option(
    "--min-need",
    type=FiniteRange(0, 1),
    default=0.5,
    show_default=True,
    help="With --by theme: the theme need from which a gap is shown.",
)
@click.option(
    "--min-evidence",
    type=click.IntRange(0),
    default=facts.MIN_THEME_PROGRAMMES,
    show_default=True,
    help="With --by theme: a theme with fewer programmes in the graph is no gap anywhere (too little evidence).",
)
@click.option(
    "--sensitivity",
    is_flag=True,
    help="Also print how the top 20 moves when each weight moves by ±25 % (with --format json or csv, print only that table).",
)
@need_options
@click.option(
    "--include-restricted",
    is_flag=True,
    help="Rank states under UN sanctions on the state itself too (North Korea); named in the footer.",
)
@THEME
@window_options
@assume_option
@output_options
@click.pass_context
def gaps(
    ctx: click.Context,
    by: str,
    region: str | None,
    country: str | None,
    min_need: float,
    min_evidence: int,
    sensitivity: bool,
    weights: dict[str, float],
    all_countries: bool,
    gci_edition: str | None,
    include_restricted: bool,
    theme: str | None,
    window: Any,
    limit: int | None,
    fmt: str,
) -> None:
    """Coverage gaps: need against support, by country, region or theme, with the score explained.

    Need is a weighted mean of stated components (GCI 2024 gap, World Bank
    income group, LDC, SIDS, no CMM review; see docs/need-model.md), and
    priority = need / (1 + programmes). Only states that can receive
    capacity building are ranked (independent, not high income, not under
    UN sanctions on the state itself, as North Korea is: the regimes on named
    people and arms in Yemen or Sudan do not bar support to the state and
    are not applied); countries of unknown need
    are listed after the ranked ones. `sources` counts the distinct pages
    behind the programmes that name or reach a country: 0 programmes and
    few sources may mean unrecorded rather than unserved. The weights used, who
    was left out and how stable the top 20 is are printed under the rows.
    """
    if country is not None and by not in ("country", "theme"):
        raise click.UsageError(f"--country goes with --by country or --by theme (a {by} has no one country's row)")
    store = cached(store_of(ctx))
    iso3 = terms.Terms.of(store).country(country) if country is not None else None
    ranked = {"region": region, "window": window, "weights": weights, "all_countries": all_countries}  # both views alike
    report = analysis.gaps(
        store,
        gci_edition=gci_edition,
        theme=theme if by != "theme" else None,
        include_restricted=include_restricted,
        **ranked,
    )
    if by == "country":
        rows = [r for r in report.rows if iso3 in (None, r["iso3"])]
    elif by == "theme":
        rows = analysis.theme_gaps(store, min_need=min_need, min_evidence=min_evidence, country=iso3, **ranked)
    else:
        rows = analysis.region_gaps(store, theme=theme, window=window, level=by, countries=report.rows)
    # where the country stands: the row alone does not say it, and no row says why there is none
    view = terms.region(region) or "this view"
    standing = report.standing(iso3, terms.Terms.of(store).country_names[iso3], view) if iso3 and by == "country" else None
    empty = why_empty(
        "recipient state ranked" if by != "theme" else f"country with an uncovered theme of need {min_need} or more",
        otherwise=standing,
        region=region,
        country=iso3,
        theme=theme,
        years=window,
        also="--all-countries ranks territories and high-income countries too"
        if not all_countries and by != "theme" and iso3 in (None, *report.not_ranked)
        else f"--min-evidence 0 counts the themes with fewer than {min_evidence} programmes too"
        if by == "theme" and min_evidence
        else "",
    )
    if sensitivity and fmt != "table":  # one document on stdout: the sensitivity table
        emit(report.sensitivity, fmt, empty=empty)
    else:
        emit(rows[:limit], fmt, empty=empty)
    if standing and rows:
        notes([standing], fmt)
    notes(report.notes(within={iso3} if iso3 else None), fmt)  # one country's view: its own unknowns and left-outs
    if sensitivity and fmt == "table":
        emit(report.sensitivity, fmt, title=f"Sensitivity of the top {report.top}: each weight x0.75 and x1.25")


@cli.command(
    epilog="""\b
Examples:
  ccb concentration --region Africa --limit 10
  ccb concentration --agencies --format json
"""
)
@REGION
@AGENCIES
@click.option("--all-countries", is_flag=True, help="Territories, high-income countries and the unclassified too.")
@click.option(
    "--min-programmes",
    type=click.IntRange(1),
    default=analysis.MIN_CONCENTRATION_PROGRAMMES,
    show_default=True,
    help="Rank only countries with at least this many funded programmes.",
)
@window_options
@assume_option
@output_options
@click.pass_context
def concentration(
    ctx: click.Context,
    region: str | None,
    agencies: bool,
    all_countries: bool,
    min_programmes: int,
    window: Any,
    limit: int | None,
    fmt: str,
) -> None:
    """Per country: how concentrated support is among donors (HHI, effective number of donors).

    Agencies and funds count with the state or bloc they belong to (the
    FCDO and the CSSF are the United Kingdom); --agencies counts them apart.
    Recipient states only (as `gaps` ranks them) unless --all-countries, and
    only countries with at least --min-programmes funded programmes: one
    programme makes any country "concentrated". Ordered by HHI, then by
    programmes.
    """
    left_out: dict[str, list[str]] = {}
    rows = analysis.concentration(
        store_of(ctx),
        window=window,
        region=region,
        agencies=agencies,
        all_countries=all_countries,
        min_programmes=min_programmes,
        left_out=left_out,
    )
    emit(rows[:limit], fmt, empty=why_empty("country with funded programmes", region=region, years=window))
    if left_out:
        parts = [f"{len(v)} {k} ({', '.join(v[:6])}{', ...' if len(v) > 6 else ''})" for k, v in sorted(left_out.items())]
        notes([f"not ranked: {'; '.join(parts)}; --all-countries and --min-programmes 1 rank them too"], fmt)


def breakdown_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--by / --measure / --currency, shared by `breakdown` and `viz chart`."""

    @click.option(
        "--by",
        type=click.Choice([*analysis.BREAKDOWNS, "donor"]),
        default="region",
        show_default=True,
        # `donor` is what `ccb timeline --by` calls a funder rolled up: either word works
        callback=lambda _ctx, _param, v: "funder" if v == "donor" else v,
        help="Group by UN M49 region, sub-region, GFCE theme, start year or funder (or donor: the same).",
    )
    @click.option(
        "--measure",
        type=click.Choice(analysis.MEASURES),
        default="programmes",
        show_default=True,
        help="Count programmes, or sum known amounts in one currency.",
    )
    @click.option(
        "--currency",
        metavar="CODE",
        callback=_term(terms.currency),
        help="With --measure amount: the currency to sum (default: the one with most known amounts; never converted).",
    )
    @THEME
    @AGENCIES
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    return wrapper


@cli.command(
    "breakdown",
    epilog="""\b
Examples:
  ccb breakdown --by theme
  ccb breakdown --by funder --measure amount --currency EUR
""",
)
@breakdown_options
@window_options
@output_options
@click.pass_context
def breakdown_cmd(
    ctx: click.Context,
    by: str,
    measure: str,
    currency: str | None,
    theme: str | None,
    agencies: bool,
    window: Any,
    limit: int | None,
    fmt: str,
) -> None:
    """Programme counts or known amounts by region, theme, start year or funder (what `viz chart` draws).

    A programme reaching several groups counts in each, so rows do not add up.
    """
    rows = analysis.breakdown(
        store_of(ctx), by=by, measure=measure, currency=currency, theme=theme, window=window, agencies=agencies
    )
    # the currency column is the first to go at 80 columns: a ranking of "158,050,000" read as all money, the EU's
    # euros left out; the title says which money it sums
    said = next((r["currency"] for r in rows if r.get("currency")), None) if measure == "amount" else None
    title = f"Amounts stated in {said}, never converted (other currencies under the table)" if said else None
    emit(rows[:limit], fmt, title=title, empty=why_empty("programme", theme=theme, years=window))
    notes(rows.notes(), fmt)


@cli.command(
    epilog="""\b
Examples:
  ccb timeline --by region
  ccb timeline --by country --only Kenya --format csv
"""
)
@click.option(
    "--by",
    type=click.Choice(timeline.BY),
    default="country",
    show_default=True,
    help="A row per country, UN M49 region or sub-region, GFCE theme or donor.",
)
@click.option("--only", metavar="NAME", type=NAME, help="Only this country, region, theme or donor (as --by names it).")
@click.option("--from", "year_from", type=int, metavar="YEAR", help=f"First year [default: {timeline.FIRST_YEAR}].")
@click.option("--to", "year_to", type=int, metavar="YEAR", help="Last year [default: the latest year a programme starts].")
@THEME
@AGENCIES
@limit_option()
@output_options
@click.pass_context
def timeline_cmd(
    ctx: click.Context,
    by: str,
    only: str | None,
    year_from: int | None,
    year_to: int | None,
    theme: str | None,
    agencies: bool,
    limit: int | None,
    fmt: str,
) -> None:
    """Coverage over time: programmes active each year, per country, region, theme or donor.

    JSON and CSV give a row per group and year (active: stated period covers
    the year; end_unknown: started by then, no stated end). The table gives
    a column per year: 3, or 3+2 when 2 more have started and state no end;
    the busiest groups first, and the latest years that fit the terminal.
    """
    t = timeline.coverage(store_of(ctx), by=by, only=only, theme=theme, year_from=year_from, year_to=year_to, agencies=agencies)
    # one group no programme counts in (Eritrea) is told so, not to widen a filter for a start date
    none_there = only is not None and len(t.members) == 1 and not any(t.members.values())
    empty = why_empty(
        "programme with a start date",
        only=only,
        theme=theme,
        otherwise=f"no programme counts in {next(iter(t.members))}" + (f" on theme {theme}" if theme else "")
        if none_there
        else None,
    )
    if fmt != "table":
        keep = {r["group"] for r in timeline.wide(t, limit=limit)}
        emit([r for r in t.rows if r["group"] in keep], fmt, empty=empty)
    else:
        rows = timeline.wide(t, limit=limit)
        room = width()
        if room is not None and rows:
            first = max(len(r["group"]) for r in rows) + 2
            cell = max(len(v) for r in rows for k, v in r.items() if k != "group") + 2
            fit = max(1, (room - first) // max(cell, 6))
            if fit < len(t.years):
                info(
                    f"years before {t.years[-fit]} not shown at this width (--from, --wide or --format csv shows them)", wrap=True
                )
                rows = [{"group": r["group"], **{str(y): r[str(y)] for y in t.years[-fit:]}} for r in rows]
        # a row of the theme view is a letter ("B"), which says nothing outside the GFCE; CSV/JSON name it
        emit(rows, fmt, empty=empty, letters=[r["group"] for r in rows] if by == "theme" else ())
        if rows:  # how to read a cell, which only the table writes this way
            notes(["a cell: 3 = 3 active; 3+2 = 3 active and 2 more started with no stated end; . = none"], fmt)
    notes(t.notes(), fmt)


@cli.command(
    epilog="""\b
Examples:
  ccb partners --region "western africa" --limit 5
  ccb partners --funder Japan
"""
)
@click.option("--org", metavar="ORG", type=NAME, help="Only opportunities for this organisation (id, name or alias).")
@REGION
@click.option("--funder", metavar="ORG", type=NAME, help="Co-funding: funders most like this one, and where only they go.")
@AGENCIES
@click.option("--all-countries", is_flag=True, help="With --funder: suggest territories and high-income countries too.")
@limit_option(30)
@output_options
@click.pass_context
def partners(
    ctx: click.Context,
    org: str | None,
    region: str | None,
    funder: str | None,
    agencies: bool,
    all_countries: bool,
    limit: int,
    fmt: str,
) -> None:
    """Partnership opportunities: organisations active in the same places and themes that do not yet work together.

    Active means funding a programme, or delivering it (leading it, or implementing it where no lead is named): a
    partner in another's programme is not at work in each of its countries. Places are the countries a programme
    names, the UN M49 regions a regional programme covers, and the world for a global one.

    With --org a donor state or bloc, its agencies' pairs answer for it.

    With --region, what they do there alone: the programmes naming its countries, with those countries, and its
    regional programmes (the region then a place they share); global programmes are left out.

    With --funder: co-funding, the donors most like this one (agencies count
    with their state or bloc unless --agencies) and the recipient states only
    they reach (territories and high-income countries too with --all-countries).
    """
    if funder and region:
        raise click.UsageError("--region narrows the pairs, not --funder's co-funders: give one of them")
    store = store_of(ctx)
    rows = (
        network.cofunders(store, funder, limit=limit, agencies=agencies, all_countries=all_countries)
        if funder
        else network.partners(store, org=org, limit=limit, region=region)
    )
    what = (
        f"other funder shares a country or theme with {funder}"
        if funder
        else "pair of organisations shares countries or themes without already working together"
    )
    emit(rows, fmt, empty=why_empty(what, org=org, region=region))


@cli.command(
    epilog="""\b
Examples:
  ccb brokers --limit 10
  ccb brokers --org oas --format json
"""
)
@click.option("--org", metavar="ORG", type=NAME, help="Only this organisation's standing.")
@AGENCIES
@limit_option(20)
@output_options
@click.pass_context
def brokers(ctx: click.Context, org: str | None, agencies: bool, limit: int, fmt: str) -> None:
    """Who connects otherwise separate groups: betweenness, Burt's constraint and effective size.

    `collaborators` counts the organisations one shares a programme or a
    partnership with (the profile's Collaborators); `partners` suggests new
    ones. A funding agency's funding counts with its donor state or bloc (the FCDO's
    and the CSSF's with the United Kingdom), so that one donor is one row;
    an agency that also implements keeps a row for that. --agencies ranks
    every agency as itself."""
    emit(
        network.brokers(store_of(ctx), limit=limit, org=org, agencies=agencies),
        fmt,
        empty=why_empty("organisation works with another (no shared programme or partnership)", org=org),
    )


@cli.command(
    epilog="""\b
Examples:
  ccb communities
  ccb communities --resolution 2 --limit 5
"""
)
@click.option(
    "--resolution",
    type=FiniteRange(0.01, 10),
    default=1.0,
    show_default=True,
    help="Leiden resolution (modularity): higher gives smaller communities.",
)
@AGENCIES
@limit_option()
@output_options
@click.pass_context
def communities(ctx: click.Context, resolution: float, agencies: bool, limit: int | None, fmt: str) -> None:
    """Leiden communities of the collaboration graph (seeded: the same data gives the same answer).

    A funding agency's funding counts with its donor state or bloc, so that
    one donor sits in one community; --agencies keeps agencies apart."""
    emit(
        network.communities(store_of(ctx), resolution=resolution, agencies=agencies)[:limit],
        fmt,
        empty=why_empty("organisation works with another (no shared programme or partnership)"),
    )


@cli.command(
    "match",
    epilog="""\b
Examples:
  ccb match Kenya
  ccb match KEN --theme cybercrime --limit 5
""",
)
@click.argument("country", type=NAME)
@THEME
@click.option("--all-countries", is_flag=True, help="Match a high-income country or a territory too.")
@window_options
@output_options
@click.pass_context
def match_cmd(
    ctx: click.Context, country: str, theme: str | None, all_countries: bool, window: Any, limit: int | None, fmt: str
) -> None:
    """Who could help COUNTRY (ISO code or name) with a theme it has no programme on (or --theme), with reasons.

    Without --theme, up to 10 organisations (or --limit) for each uncovered
    theme, and a note naming the themes it has programmes on already. A
    high-income country, a territory or a state under UN sanctions on the
    state itself (North Korea) is not matched (the gaps model's recipients),
    unless --all-countries (not a restricted state).
    """
    # --limit is how many to rank on each theme: with --theme it was capped at 10, and without one `--limit 3` gave
    # Eritrea's first theme alone, as if no one could help on the others
    per_theme = limit or 10
    rows = profile_queries.match(store_of(ctx), country, theme=theme, window=window, limit=per_theme, all_countries=all_countries)
    every = f"{country} has programmes on every GFCE theme ({window}): give --theme to see who else works on one"
    empty = why_empty(f"organisation has a programme on theme {theme}", years=window, otherwise=None if theme else every)
    # the rows are the themes it lacks; a note says which it has, or a lone "too little evidence" row reads as all
    met = (
        profile_queries.themes_met(store_of(ctx), country, window)
        if rows and not theme and rows[0]["name"] != "not a recipient"
        else None
    )
    emit(rows, fmt, empty=empty, letters=met or ())
    if met is not None:
        notes([f"themes with a programme in {country} already ({window}): {', '.join(met) or 'none'}"], fmt)
    notes(profile_queries.unranked_note(store_of(ctx), country, rows), fmt)


def _programme_head(r: dict[str, Any]) -> dict[str, Any]:
    """A programme's first row in a table: its id, name, status and dates first, a budget with its currency (the
    stored status only where it differs from the one its dates give)."""
    first = ("programme", "name", "status", "start_date", "end_date")
    money = {"budget": _budget(r)}
    said = {"budget", "budget_currency"} | ({"stated_status"} if r["stated_status"] in (None, r["status"]) else set())
    return {k: r[k] for k in first} | money | {k: v for k, v in r.items() if k not in {*first, *said}}


# What to run next where a profile's section is empty (queries.profile.empty_because says why it is).
PROFILE_NEXT = {"Need indicators": "`ccb load-indices`", "Gap": "`ccb gaps --all-countries` ranks it"}


@cli.command(
    epilog="""\b
Examples:
  ccb progress --theme cybercrime
  ccb progress --theme skills --by country --region africa --format csv
"""
)
@click.option(
    "--by",
    type=click.Choice(["stratum", "country", "dose"]),
    default="stratum",
    show_default=True,
    help="The comparison per stratum, each country's change, or change by the number of programmes received.",
)
@THEME
@REGION
@click.option("--all-countries", is_flag=True, help="Compare territories, high-income countries and the unclassified too.")
@click.option("--seed", type=int, default=12, show_default=True, help="The bootstrap's seed: the same seed, the same interval.")
@limit_option()
@output_options
@click.pass_context
def progress(
    ctx: click.Context,
    by: str,
    theme: str | None,
    region: str | None,
    all_countries: bool,
    seed: int,
    limit: int | None,
    fmt: str,
) -> None:
    """Did it help? Change from GCI 2020 to GCI 2024 where support went and where it did not.

    Countries named as beneficiaries by programmes on the theme active 2020-2024 against those that were not,
    compared on the change in the theme's GCI pillar (the need model's map; without --theme, the overall score
    against any programme), within strata of income group and 2020 score; each stratum's difference of mean
    change with a seeded bootstrap 95 % interval, and the comparable strata pooled. An association, never an
    effect: the caveats are printed under every answer. See docs/progress.md.
    """
    p = progress_queries.progress(
        store_of(ctx, read_only=True), theme=theme, region=region, all_countries=all_countries, seed=seed
    )
    rows = {"stratum": p.strata, "country": p.countries, "dose": p.dose}[by]
    emit(rows[:limit], fmt, empty="no country with scores in both editions in this scope")
    notes(p.notes(), fmt)


@cli.command(
    "profile",
    epilog="""\b
Examples:
  ccb profile Kenya
  ccb profile fcdo --format json
""",
)
@click.argument("name", type=NAME)
@output_options
@click.pass_context
def profile_cmd(ctx: click.Context, name: str, fmt: str) -> None:
    """One organisation (id, name or alias), country (ISO code or name) or programme (id or name) on a page.

    A country's page opens with where it ranks and who funds it, an organisation's with what it funds and implements
    and with whom (on stderr beside JSON or CSV); then the tables those lines are read from.
    """
    sections = profile_queries.profile(store_of(ctx), name)
    subject = str(next((r.get("name") for r in sections[0][1]), name)) if sections and sections[0][1] else name
    # what a reader looks for first (a country's rank, who funds it), from the sections below; on stderr with JSON/CSV
    lead = profile_queries.in_short(store_of(ctx), sections)
    notes(lead, fmt)
    if fmt == "table":
        for i, (title, rows) in enumerate(sections):
            if i or lead:
                click.echo()
            empty = "" if rows else profile_queries.empty_because(store_of(ctx), name, title, subject)
            if title in PROFILE_NEXT:
                empty += f" ({PROFILE_NEXT[title]})"
            # an index's source once per edition, a bloc's page once, not under each of its rows
            cited = title in ("Need indicators", "Member states")
            if title == "Programme":  # what it is and when, its money with its currency; its words under it
                rows, under = [_programme_head(r) for r in rows], ("name", "themes", "description", "source")
            else:
                under = ()
            emit(
                [{k: v for k, v in r.items() if k != "source"} for r in rows] if cited else rows,
                fmt,
                title=title,
                empty=empty,
                under=under,
            )
            if title == "Member states" and rows:
                notes(profile_queries.members_cited(rows), fmt)
            elif cited and rows:  # the need indicators
                editions = {f"{r['family']} {r['edition']}": r["source"] for r in rows if r.get("source")}
                notes([f"source, {edition}: {source}" for edition, source in editions.items()], fmt)
            if title == "Supported by" and rows:  # its implementers are its programmes', wherever they run
                notes([analysis.IMPLEMENTERS_MEAN], fmt)
            if title == "Gap" and rows:  # its priority alone does not say whether that is high
                notes([profile_queries.standing(store_of(ctx), rows[0]["iso3"])], fmt)
    else:
        emit([{"section": title, **r} for title, rows in sections for r in rows], fmt)


@cli.command(
    epilog="""\b
Examples:
  ccb export --format gexf -o ccb.gexf
  ccb export --format graphml -o funding.graphml --label Organisation --label Programme --type FUNDS
"""
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(exporters.FORMATS),
    required=True,
    help="gexf (Gephi, with a timeline), graphml, json (node-link), csv (nodes + edges files).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The file to write.")
@click.option("--label", "labels", multiple=True, help="Only these node labels (repeat); default all.")
@click.option("--type", "types", multiple=True, help="Only these relationship types (repeat); default all.")
@click.option(
    "--raw", is_flag=True, help="CSV: keep cells that start with = + - @ tab or CR as they are (by default they get a leading ')."
)
@click.pass_context
def export(ctx: click.Context, fmt: str, output: Path, labels: tuple[str, ...], types: tuple[str, ...], raw: bool) -> None:
    """Export the graph, or the part with --label / --type, for Gephi and other tools.

    -o takes a regular file (an existing link, device or FIFO is refused), or - for standard output.
    """
    g = store_of(ctx).to_networkx(labels=labels or None, types=types or None)
    for f in exporters.write(g, fmt, output, raw=raw):
        info(f"wrote {'standard output' if str(f) == '-' else f}")
    info(f"{g.number_of_nodes()} nodes, {g.number_of_edges()} relationships")
    kept = {schema.node(lb).label for lb in labels} if labels else set(schema.nodes())
    for t in {(spec := schema.rel(name)).rel_type: spec for name in types}.values():  # asked for, its ends left out
        if missing := [lb for lb in dict.fromkeys((t.src, t.dst)) if lb not in kept]:
            add = " ".join(f"--label {lb}" for lb in missing)
            info(f"{t.rel_type} left out: it links {t.src} to {t.dst}; add {add} to keep it", wrap=True)


# The image file a figure command writes (chart, timeline, progress).
IMAGE_OUTPUT = click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The file to write: .png or .svg."
)


@cli.group(
    epilog="""\b
Examples:
  ccb viz network --around Kenya -o kenya.html
  ccb viz map -o priority.html
"""
)
def viz() -> None:
    """Figures: an offline network page, a world map, charts."""


@viz.command(
    "network",
    epilog="""\b
Examples:
  ccb viz network --around Kenya --depth 2 -o kenya.html
  ccb viz network --view collaboration --theme C -o cybercrime.html
""",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The HTML file to write.")
@click.option("--around", metavar="NAME", type=NAME, help="Only what is within --depth steps of this country or organisation.")
@click.option(
    "--depth",
    type=click.IntRange(1, 6),
    default=1,
    show_default=True,
    help="Steps from --around: 1 gives a country's programmes; 2 adds their funders, implementers and countries.",
)
@click.option(
    "--view",
    type=click.Choice(sorted(network_viz.VIEWS)),
    default="whole",
    show_default=True,
    help="whole: every node; collaboration: organisations linked by shared programmes; funder-country: funders "
    "linked to the countries they support.",
)
@REGION
@period_options
@THEME
@click.option(
    "--max-nodes",
    type=click.IntRange(10),
    default=network_viz.MAX_NODES,
    show_default=True,
    help="Above this, programmes are folded into weighted funder-country links.",
)
@click.pass_context
def viz_network(
    ctx: click.Context,
    output: Path,
    around: str | None,
    depth: int,
    view: str,
    region: str | None,
    window: Any,
    theme: str | None,
    max_nodes: int,
) -> None:
    """An interactive network page that works offline (one HTML file)."""
    g = network_viz.graph_of(store_of(ctx.find_root()))
    note = network_viz.write_network(
        g,
        output,
        around=around,
        depth=depth,
        view=view,
        theme=theme,
        region=region,
        window=window,
        max_nodes=max_nodes,
        names=terms.Terms.of(store_of(ctx.find_root())),
    )
    if note:
        info(note)
    info(f"wrote {output}")


@viz.command(
    "map",
    epilog="""\b
Examples:
  ccb viz map --measure programmes -o map.png
  ccb viz map --region Africa --theme C -o africa.html
""",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The file to write: .html (offline, hover for values), .svg or .png.",
)
@click.option(
    "--measure",
    type=click.Choice(sorted(maps.MEASURES)),
    default="priority",
    show_default=True,
    help="priority (need against support), need, programmes or funders, per country.",
)
@REGION
@need_options
@THEME
@period_options
@assume_option
@click.pass_context
def viz_map(
    ctx: click.Context,
    output: Path,
    measure: str,
    region: str | None,
    weights: dict[str, float],
    all_countries: bool,
    gci_edition: str | None,
    theme: str | None,
    window: Any,
) -> None:
    """A world choropleth of coverage by country, from the gaps analysis; works offline.

    Countries that are not ranked (territories, high income, restricted
    states, unknown need) show as "not ranked, or need unknown" on the
    priority and need maps, each saying why in its tooltip; on the counts
    maps every country has a value.
    """
    counts = measure in ("programmes", "funders")  # counts are facts for every country, ranked or not
    report = analysis.gaps(
        store_of(ctx.find_root()),
        region=region,
        theme=theme,
        window=window,
        weights=weights,
        all_countries=all_countries or counts,
        sensitivity=False,
        gci_edition=gci_edition,
    )
    scope = ", ".join(x for x in (f"theme {theme}" if theme else "", region or "", str(window)) if x)
    data = maps.from_gaps(
        report.rows,
        measure,
        source=f"Source: CCB Graph gaps analysis ({scope}); need: {need_model.describe(weights)}; "
        f"every programme and indicator carries its own source in the graph{assuming(ctx)}.",
        not_ranked=report.not_ranked,
    )
    if region:  # zoomed to the region; a country outside it is said to be outside, not of unknown need
        data.focus = frozenset(r["iso3"] for r in report.rows) | frozenset(report.not_ranked)
        data.outside = f"outside {terms.region(region)}"
    maps.write_map(data, output)
    info(f"wrote {output} ({sum(v is not None for v in data.values.values())} countries with a value)")


@viz.command(
    "chart",
    epilog="""\b
Examples:
  ccb viz chart --by funder --top 10 -o funders.png
  ccb viz chart --by year -o years.svg
""",
)
@IMAGE_OUTPUT
@breakdown_options
@click.option("--kind", type=click.Choice(charts.KINDS), help="bar or line [default: line by year, else bar]")
@click.option(
    "--top", type=click.IntRange(1), default=charts.TOP, show_default=True, help="Bars: at most this many groups, the largest."
)
@period_options
@click.pass_context
def viz_chart(
    ctx: click.Context,
    output: Path,
    by: str,
    measure: str,
    currency: str | None,
    theme: str | None,
    agencies: bool,
    kind: str | None,
    top: int,
    window: Any,
) -> None:
    """A bar or line chart of programmes or known amounts by region, theme, year or funder."""
    rows = analysis.breakdown(
        store_of(ctx.find_root()), by=by, measure=measure, currency=currency, theme=theme, window=window, agencies=agencies
    )
    scope = ", ".join(x for x in (f"theme {theme}" if theme else "", str(window)) if x)
    source = f"Source: CCB Graph ({scope})" + (f"; {analysis.AMOUNT_MEANS[by]}, never converted" if measure == "amount" else "")
    if rows.left_out:  # what the groups leave out, said on the figure itself
        source += f"; not shown: {len(rows.left_out)} with {analysis.LEFT_OUT_BECAUSE[by]}"
    if rows.overlap():  # the bars do not add up to the programmes: said on the figure, as under the table
        source += f"; {rows.overlap()}"
    if rows.other_currencies():  # money the bars cannot hold, said on the figure
        source += f"; {rows.other_currencies()}"
    if rows.lag():  # a line that falls in the last years: said on the figure, so it is not read as the field shrinking
        source += f"; {rows.lag()}"
    charts.write_chart(rows, output, by, measure, kind=kind, top=top, source=source)
    info(f"wrote {output}")


@viz.command(
    "progress",
    epilog="""\b
Examples:
  ccb viz progress --theme cybercrime -o progress.png
  ccb viz progress --theme skills --region africa -o skills.svg
""",
)
@IMAGE_OUTPUT
@THEME
@REGION
@click.pass_context
def viz_progress(ctx: click.Context, output: Path, theme: str | None, region: str | None) -> None:
    """Did it help? Each country's GCI change 2020-2024 against the programmes it received (by income group), and
    per region the mean scores of the supported and the others; the caveats under the figure (see `ccb progress`)."""
    p = progress_queries.progress(store_of(ctx.find_root(), read_only=True), theme=theme, region=region)
    charts.write_figure(
        charts.progress_figure(p, source="Source: CCB Graph; ITU GCI 2020 and 2024 via World Bank Data360"), output
    )
    info(f"wrote {output}")


@viz.command(
    "timeline",
    epilog="""\b
Examples:
  ccb viz timeline --by region -o regions.png
  ccb viz timeline --by donor --top 15 -o donors.svg
""",
)
@IMAGE_OUTPUT
@click.option(
    "--by",
    type=click.Choice(timeline.BY),
    default="region",
    show_default=True,
    help="A row per country, UN M49 region or sub-region, GFCE theme or donor.",
)
@click.option("--top", type=click.IntRange(1), default=30, show_default=True, help="At most this many rows, the most active.")
@click.option("--from", "year_from", type=int, metavar="YEAR", help=f"First year [default: {timeline.FIRST_YEAR}].")
@click.option("--to", "year_to", type=int, metavar="YEAR", help="Last year [default: the latest year a programme starts].")
@THEME
@AGENCIES
@click.pass_context
def viz_timeline(
    ctx: click.Context,
    output: Path,
    by: str,
    top: int,
    year_from: int | None,
    year_to: int | None,
    theme: str | None,
    agencies: bool,
) -> None:
    """A heatmap of programmes active per year and country, region, theme or donor (what `ccb timeline` prints)."""
    t = timeline.coverage(store_of(ctx.find_root()), by=by, theme=theme, year_from=year_from, year_to=year_to, agencies=agencies)
    scope = f"theme {theme}; " if theme else ""
    fig = charts.heatmap(
        t,
        top=top,
        title=f"Programmes active per year, by {by}",
        source=f"Source: CCB Graph ({scope}{len(t.undated)} programme(s) with no start date left out)"
        + (f"; {lag}" if (lag := facts.lag(t.years, t.read_on)) else ""),
    )
    charts.write_figure(fig, output)
    info(f"wrote {output}")


@cli.command(
    epilog="""\b
Examples:
  ccb report -o brief.html
  ccb report --country Kenya -o kenya.md
"""
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The file to write: .html (one self-contained page, prints to PDF) or .md (figures beside it as SVG); "
    "- writes the page to standard output (with --format; Markdown then carries no figures).",
)
@click.option("--format", "fmt", type=click.Choice(report_viz.FORMATS), help="html or md [default: from the file's suffix].")
@click.option("--country", metavar="COUNTRY", type=NAME, help="A briefing on this country.")
@REGION
@click.option("--donor", metavar="ORG", type=NAME, help="A briefing on this donor (id, name, alias, or its country's name).")
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="A briefing of the plan in FILE (`ccb plan -o`): its grants with their reasons, and the gaps before and after.",
)
@limit_option(10)
@assume_option
@click.pass_context
def report(
    ctx: click.Context,
    output: Path,
    fmt: str | None,
    country: str | None,
    region: str | None,
    donor: str | None,
    plan_file: Path | None,
    limit: int,
) -> None:
    """A briefing for the world (default), a region, a country or a donor: summary, map, gaps, coverage over time,
    who supports whom, suggestions with their reasons, and the source of every fact shown; or of a plan (--plan)."""
    if plan_file is not None:
        if country or region or donor or ctx.meta.get("ccb.assume"):
            raise click.UsageError("--plan is a briefing of its own: give it without --country, --region, --donor or --assume")
        stored = store_of(ctx, read_only=True)
        sc = ctx.with_resource(scenario.assumed(stored, plan_file))
        brief = report_queries.plan_brief(stored, sc.store, sc.programmes, str(plan_file))
    else:
        brief = report_queries.brief(store_of(ctx, read_only=True), country=country, region=region, donor=donor, limit=limit)
        if sc := ctx.meta.get("ccb.scenario"):
            brief.summary.insert(0, f"A scenario: {sc.line} (planned, not facts; the store is unchanged).")
    if str(output) == "-":  # standard output: the page alone (a pipe has no room for Markdown's side files)
        text, side = report_viz.render(brief, fmt or "html", stem="report")
        click.echo(text, nl=False)
        if side:
            info(f"figures not written: {', '.join(sorted(side))} (Markdown on standard output carries its text only)")
        return
    for f in report_viz.write_report(brief, output, fmt):
        info(f"wrote {f}")


@cli.command(
    epilog="""\b
Examples:
  ccb plan --budget "GBP 2000000" --donor UK --grant-size 250000
  ccb plan --budget "JPY 300000000" --donor Japan --theme A --theme B --region "south-eastern asia" --grant-size 30000000
"""
)
@click.option("--budget", required=True, metavar="'CUR AMOUNT'", help='The fund, as "GBP 2000000" (never converted).')
@click.option("--donor", metavar="ORG", type=NAME, help="Whose fund: its own programmes are not counted as co-funders.")
@click.option(
    "--theme", "themes", multiple=True, callback=lambda c, p, v: [terms.theme(t) for t in v], help="GFCE theme (repeat)."
)
@REGION
@click.option("--country", "countries", multiple=True, metavar="COUNTRY", type=NAME, help="Only these countries (repeat).")
@click.option("--exclude", multiple=True, metavar="COUNTRY", type=NAME, help="Never these countries (repeat).")
@click.option(
    "--grant-size",
    "grant",
    type=FiniteRange(0, 1e15, min_open=True),
    help="One grant's size [default: the median stated per-country amount in the budget's currency on the themes].",
)
@click.option("--max-countries", type=click.IntRange(1), help="At most this many countries.")
@click.option("--min-grant", type=FiniteRange(0, 1e15), help="Refuse a grant size below this.")
@click.option(
    "--weight",
    "weight_items",
    multiple=True,
    metavar="NAME=VALUE",
    help="Change one need weight (repeat), as in `ccb gaps`.",
)
@period_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the portfolio as planned programmes (loader format, YAML) for `--assume` or `ccb load`.",
)
@assume_option
@output_options
@click.pass_context
def plan(
    ctx: click.Context,
    budget: str,
    donor: str | None,
    themes: list[str],
    region: str | None,
    countries: tuple[str, ...],
    exclude: tuple[str, ...],
    grant: float | None,
    max_countries: int | None,
    min_grant: float | None,
    weight_items: tuple[str, ...],
    window: Any,
    output: Path | None,
    fmt: str,
) -> None:
    """Plan a fund: grants of one size to the country x theme cells where each does most (need / (1 + programmes)
    falls most), with the implementers that delivered the theme there or nearby and the donors to pool with.

    Greedy by marginal value, which is optimal for this concave objective at equal grant sizes; restricted states,
    territories, high-income countries and countries of unknown need are never allocated. See docs/plan.md.
    """
    p = plan_queries.plan(
        cached(store_of(ctx, read_only=True)),
        budget=budget,
        donor=donor,
        themes=list(themes) or None,
        region=region,
        countries=list(countries),
        window=window,
        grant=grant,
        max_countries=max_countries,
        min_grant=min_grant,
        exclude=list(exclude),
        weights=need_model.parse_weights(weight_items),
    )
    emit(p.rows, fmt, empty="no cell to allocate: the budget is below one grant, or the scope holds no ranked country")
    notes(p.summary(), fmt)
    if p.topups and fmt == "table":
        emit(
            p.topups,
            fmt,
            title="Or top up a running programme already there (naming these countries, or by its stated regional scope)",
        )
    elif p.topups:
        notes(
            [
                "top-up options: "
                + "; ".join(f"{t['programme']} (theme {t['theme']}: {', '.join(t['countries'])})" for t in p.topups)
            ],
            fmt,
        )
    if output is not None and not p.rows:
        info(f"{output} not written: the plan has no grant")
    elif output is not None:
        made = " ".join(["ccb plan", *(shlex.quote(a) for a in sys.argv[2:] if a)]) if sys.argv[1:2] == ["plan"] else "ccb plan"
        records = plan_queries.scenario(p, made=made, today=datetime.date.today().isoformat())
        write_scenario(records, output)
        info(
            f"wrote {output}: {len(records.get('programmes', []))} planned programme(s); `ccb gaps --assume {output}` "
            "shows the ranking after them"
        )


def write_scenario(records: dict[str, list[dict[str, Any]]], output: Path) -> None:
    """The planned programmes as a YAML file in the loader's format, saying at its top that it is a scenario."""
    exporters.atomic_write(output, lambda tmp: tmp.write_text(exporters.scenario_yaml(records), encoding="utf-8"))


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def listen_options(default_port: int, what: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--port and --host, shared by the servers (`serve`, `mcp --http`): loopback unless the user says otherwise."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn = click.option(
            "--host",
            default="127.0.0.1",
            show_default=True,
            help=f"The address to listen on. Only loopback by default: another address opens {what} to that network.",
        )(fn)
        return click.option(
            "--port", type=click.IntRange(0, 65535), default=default_port, show_default=True, help="The port (0: any free one)."
        )(fn)

    return wrap


def warn_if_open(host: str) -> None:
    """One line on stderr when a server listens beyond loopback."""
    if host not in LOOPBACK:
        info(f"warning: listening on {host}: anyone who can reach this address can read the graph")


@cli.command(
    epilog="""\b
Examples:
  ccb serve
  ccb serve --port 9000
"""
)
@listen_options(8765, "the app")
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="NAME",
    help="Another name the app answers to (repeat): a Host header naming anything else gets 421 (DNS rebinding).",
)
@click.pass_context
def serve(ctx: click.Context, port: int, host: str, allow_hosts: tuple[str, ...]) -> None:
    """A local, read-only web app: the map and top gaps; programmes, organisations and countries to browse by
    facet; full-text search; a page per country, organisation and programme; the gaps table with filters and
    weights; who funds where, and each actor's network; every table as CSV or JSON, and a JSON API (/api).

    It computes what every page reads before it says it is ready (a line per step), and drops what it kept
    when the store changes."""
    from visualisations import app

    store = store_of(ctx, read_only=True)
    warn_if_open(host)
    app.serve(
        store,
        host,
        port,
        ready=lambda url: info(f"serving {store.location} read-only at {url} (Ctrl-C stops)"),
        progress=info,
        allowed_hosts=set(allow_hosts),
        # a store written by another process is seen at the next request: the answers kept are dropped (app.Watch)
        watch=app.embedded_watch(store.location) if store.kind == "embedded" else app.bolt_watch(store),
    )


@cli.command(
    epilog="""\b
Examples:
  ccb mcp
  ccb mcp --http --port 8766
"""
)
@click.option("--http", is_flag=True, help="Serve the streamable HTTP transport instead of stdio (--host, --port).")
@listen_options(8766, "the graph")
@click.pass_context
def mcp(ctx: click.Context, http: bool, port: int, host: str) -> None:
    """A Model Context Protocol server over the analyses, for an AI assistant: search, profile, supports, gaps,
    concentration, partners, match, timeline, breakdown, progress, plan and a read-only query, each answer with its notes, the data-completeness
    line and the page behind every programme it names. Read-only.

    Over stdio by default (an assistant starts it: see the README for the client configuration); --http serves the
    streamable HTTP transport at http://127.0.0.1:PORT/mcp instead."""
    from visualisations import mcp_server

    store = store_of(ctx, read_only=True)
    srv = mcp_server.server(store)
    if not http:
        srv.run("stdio")
        return
    warn_if_open(host)
    info(f"serving {store.location} read-only over MCP at http://{host}:{port}/mcp (Ctrl-C stops)")
    srv.run("streamable-http", host=host, port=port)


@cli.command(
    epilog="""\b
Examples:
  ccb check
  ccb check --examples 20 --format json
"""
)
@click.option("--examples", type=click.IntRange(0), default=5, show_default=True, help="Records listed per rule.")
@output_options
@click.pass_context
def check(ctx: click.Context, examples: int, fmt: str) -> None:
    """Provenance check: count the records without a specific source or as-of, unlinked organisations,
    programmes that reach nowhere. Exits 1 when any rule is broken."""
    rows = provenance.check(store_of(ctx, read_only=True), examples=examples)
    emit(rows, fmt)
    broken = sum(r["count"] for r in rows)
    if broken:
        info(f"{broken} problem(s) in {sum(1 for r in rows if r['count'])} rule(s)")
        raise click.exceptions.Exit(1)


@cli.command(
    epilog="""\b
Examples:
  ccb stats
  ccb stats --format json
"""
)
@output_options
@click.pass_context
def stats(ctx: click.Context, fmt: str) -> None:
    """Count nodes per label and relationships per type."""
    counts = store_of(ctx).counts()
    kinds = {**{k: "node" for k in schema.nodes()}, **{k: "relationship" for k in schema.rels()}}
    emit([{"name": k, "kind": kinds[k], "count": v} for k, v in counts.items()], fmt)


def _param(values: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values:
        name, sep, raw = item.partition("=")
        if not sep or not name.isidentifier():
            raise click.BadParameter(f"{item!r}: expected name=value", param_hint="--param")
        try:
            out[name] = json.loads(raw)  # numbers, booleans, lists, quoted strings
        except json.JSONDecodeError:
            out[name] = raw
    return out


@cli.command(
    epilog="""\b
Examples:
  ccb query 'MATCH (p:Programme)-[:TARGETS]->(c:Country {iso3: $iso}) RETURN p.name AS programme' -p iso=KEN
  ccb query --format csv "MATCH (o:Organisation) RETURN o.id AS id, o.name AS name ORDER BY id"
"""
)
@click.argument("cypher", required=False)
@click.option("--file", "file_", type=click.File("r"), help="Read the query from a file.")
@click.option(
    "--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="Query parameter (JSON value or text); repeat."
)
@click.option("--write", is_flag=True, help="Allow the query to change the graph.")
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=QUERY_ROWS,
    show_default=True,
    help="Refuse a read that gives more rows (add LIMIT or aggregate): a cartesian product would fill memory.",
)
@output_options
@click.pass_context
def query(
    ctx: click.Context, cypher: str | None, file_: Any, params: tuple[str, ...], write: bool, max_rows: int, fmt: str
) -> None:
    """Run one Cypher query; read-only unless --write."""
    if cypher is not None and file_ is not None:
        raise click.UsageError("give the query as an argument or with --file, not both")
    text = file_.read() if file_ is not None else cypher
    if not (text or "").strip():  # none given, '' or an empty file: say so, not "not both"
        where = f"{file_.name} is empty" if file_ is not None else "no query given"
        raise click.UsageError(f"{where}: give one as an argument (ccb query 'MATCH (c:Country) RETURN count(c)') or with --file")
    store = store_of(ctx)
    if write and hasattr(store, "check_room"):  # the engine aborts the process when its log cannot be written
        store.check_room(_write_room(Path(store.location)))
    try:
        rows = store.query(text, _param(params), write=write, max_rows=max_rows)
    except TooManyRows as e:
        raise TooManyRows(e.rows, e.limit, "add LIMIT, or aggregate (count, collect); --max-rows reads more") from None
    emit(rows, fmt, empty="the query returned no rows")


@cli.command(
    epilog="""\b
Examples:
  ccb clear --yes
"""
)
@click.option("--yes", is_flag=True, help="Confirm: delete every node and relationship.")
@click.pass_context
def clear(ctx: click.Context, yes: bool) -> None:
    """Delete everything in the store (the schema stays)."""
    if not yes:
        raise click.UsageError("this deletes the whole graph; pass --yes to confirm")
    store = store_of(ctx)
    store.clear()
    info(f"cleared {store.kind} store at {store.location}")


def _demo_target(ctx: click.Context, demo_db: Path | None) -> str:
    """Where the demo goes: `demo --db`, else `ccb --db` / $CCB_DB, else ccb-demo.lbdb beside the default store."""
    return str(demo_db or chosen(ctx.obj["db"]) or default_db_path().with_name("ccb-demo.lbdb"))


def _demo_marker(path: Path) -> Path:
    return path.with_name(path.name + ".ccb-demo")


@cli.command(
    epilog="""\b
Examples:
  ccb demo
  ccb --db demo.lbdb demo --format json
"""
)
@click.option(
    "--db",
    "demo_db",
    type=click.Path(path_type=Path),
    metavar="PATH|URI",
    help="Where to build it; the same as `ccb --db` (default: ccb-demo.lbdb beside the default store).",
)
@click.option("--yes", is_flag=True, help="Replace the graph at the target even though the demo did not build it.")
@output_options
@click.pass_context
def demo(ctx: click.Context, demo_db: Path | None, yes: bool, fmt: str) -> None:
    """Build a store from the bundled real data and print a briefing.

    The target is replaced only when it is new, empty or an earlier demo
    store; any other graph needs --yes.
    """
    from graph.embedded import EmbeddedStore

    target = _demo_target(ctx, demo_db)
    embedded = not is_neo4j_uri(target)
    ours = embedded and (_demo_marker(Path(target)).exists() or Path(target).name == "ccb-demo.lbdb")
    if not ours and (not embedded or Path(target).exists()):
        with open_store(target) as existing:
            held = sum(v for k, v in existing.counts().items() if k in schema.nodes())
            if held and not yes:
                raise CCBError(
                    f"{existing.location} holds a graph ({held:,} nodes) that the demo did not build; nothing was changed",
                    "pass --yes to replace it with the demo, or choose another --db",
                )
            if held and not embedded:
                existing.clear()
    if embedded:
        bundled.remove_embedded(Path(target))
        store: Store = EmbeddedStore(target)
    else:
        store = open_store(target)
    ctx.call_on_close(store.close)
    ctx.meta["ccb.store"] = store
    for f in bundled.DEMO_FILES:
        report = tabular.load_file(store, f)
        info(f"loaded {f.name}: {report.records} records")
    for f in bundled.INDEX_FILES:
        report = indices.load_indices(store, f)
        info(f"loaded {f.name}: {report.records} records")
    if embedded:
        _demo_marker(Path(target)).write_text("built by `ccb demo`: `ccb demo` may replace this store\n", encoding="utf-8")
    sections = briefing.briefing(store)
    if fmt == "table":
        for i, (title, rows) in enumerate(sections):
            if i:
                click.echo()
            emit(rows, fmt, title=title)
    else:  # one document for pipes: every row tagged with its section
        emit([{"section": title, **r} for title, rows in sections for r in rows], fmt)
    said = target if embedded else shown_uri(target)  # a password in a URI is never printed
    where = f"export CCB_DB={said}" if embedded else f"ccb --db {said} ..."
    info(f"demo store: {store.location}; point later commands at it with `{where}` (or `ccb --db {said} ...`)")


def main() -> None:
    cli(prog_name="ccb")


if __name__ == "__main__":
    main()
