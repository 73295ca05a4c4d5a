"""The benchmark runner: every step, on each store, against baselines run on the same rows in the same run.

    python -m bench.run --size L --repeat 3            # from the repository root

It generates the seeded data (``bench.synthetic``, ``bench.iati_gen``),
then per store times: the end-to-end load (parse + validate + write) and
its two baselines (raw COPY from Arrow; per-row MERGE on a sample), an
idempotent re-load, a 10 % delta into the full store, the export to
NetworkX, each analysis, the network page on 2,000 nodes, and the IATI
parse (on the file and on one a tenth its size, to show memory does not
grow with the file) and load. Each step runs ``--repeat`` times; the
table gives the median and the spread (min-max) and the peak RSS of the
step (``VmHWM``, reset before each step through ``/proc/self/clear_refs``). The read steps and the IATI
parse run in a fresh process, so their peaks are what one ``ccb`` command
reaches, not what the loads before them left allocated. The Neo4j path runs against
``NEO4J_URI`` when set, else ArcadeDB over Bolt, reported separately.

Writes ``OUT/results.json`` and ``OUT/results.md`` and prints the table.
Speed is reported as ratios against the baselines, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import baselines, iati_gen, page, synthetic
from graph.embedded import EmbeddedStore
from graph.store import Store
from loaders import bundled, iati, tabular
from queries import analysis, network, profile
from queries import plan as plan_queries
from visualisations import network as network_viz

IATI_MB = {"S": 5, "M": 20, "L": 100, "XL": 100}  # XL: the IATI load streams into one transaction; 1 GB would not fit
PER_ROW_SAMPLE = {"S": 2_000, "M": 5_000, "L": 10_000, "XL": 20_000}
VIZ_NODES = 2_000


@dataclass
class Step:
    store: str
    name: str
    seconds: list[float] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    work: float = 0  # rows or MB handled per run, for a rate; 0 = time only
    per: str = ""  # "rows" or "MB"
    note: str = ""
    rows_read: int | None = None  # rows the store returned in one run (over Bolt: rows that crossed it)
    items_read: int | None = None  # values inside the list columns of those rows (grouped reads)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def rate(self) -> float | None:
        return self.work / self.median if self.work else None

    def row(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "median_s": self.median,
            "min_s": min(self.seconds),
            "max_s": max(self.seconds),
            "rate": self.rate,
            "rate_unit": f"{self.per}/s" if self.work else None,
            "peak_rss_mib": max(self.rss_mib),
        }


def peak_rss_reset() -> None:
    """Start a new peak: Linux resets VmHWM to the current RSS on '5' (no-op where /proc is missing)."""
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss_mib() -> float:
    try:
        return int(re.search(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) / 1024  # type: ignore[union-attr]
    except (OSError, AttributeError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_mib() -> float:
    """The largest peak RSS among this process's finished children (0 if none)."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


class Runner:
    def __init__(self, repeat: int, progress: Callable[[str], None]) -> None:
        self.repeat = repeat
        self.steps: list[Step] = []
        self.progress = progress

    def time(
        self,
        store: str,
        name: str,
        fn: Callable[[], Any],
        *,
        work: float = 0,
        per: str = "rows",
        setup: Callable[[], Any] | None = None,
        repeat: int | None = None,
        note: str = "",
        workers: int = 0,
    ) -> Step:
        """Run ``fn`` ``repeat`` times (``setup`` before each, untimed), recording seconds and peak RSS.

        With ``workers``, ``fn`` runs that many processes at once: the peak
        adds ``workers`` times the largest child's peak (an upper bound: forked
        workers share pages with this process).
        """
        step = Step(store, name, work=work, per=per if work else "", note=note)
        for i in range(repeat or self.repeat):
            if setup:
                setup()
            peak_rss_reset()
            t = time.perf_counter()
            fn()
            step.seconds.append(round(time.perf_counter() - t, 3))
            step.rss_mib.append(round(peak_rss_mib() + workers * children_peak_mib(), 1))
            self.progress(f"  {store:8} {name:30} run {i + 1}: {step.seconds[-1]:,.3f} s")
        self.steps.append(step)
        return step


# -- the steps ----------------------------------------------------------------------


def baseline_steps(r: Runner, kind: str, data: Path, size: str, open_store: Callable[[bool], Store], tmp: Path) -> None:
    """The engine's ceiling (raw COPY) and a simple script's rate (per-row MERGE): the rows held in memory."""
    rows = baselines.read_rows(data / "graph.jsonl")
    n = baselines.count(rows)
    holder: dict[str, Store] = {}

    def fresh() -> None:
        if "s" in holder:
            holder.pop("s").close()
        holder["s"] = open_store(True)

    if kind == "embedded":
        target = tmp / "copy.lbdb"
        r.time(
            kind,
            "baseline: raw COPY (Arrow)",
            lambda: baselines.copy_arrow(target, rows),
            work=n,
            setup=lambda: bundled.remove_embedded(target),
        )
        bundled.remove_embedded(target)
    smp = baselines.sample(rows, PER_ROW_SAMPLE[size])
    r.time(
        kind,
        "baseline: per-row MERGE",
        lambda: baselines.per_row_merge(holder["s"], smp),
        work=baselines.count(smp),
        setup=fresh,
        repeat=1,
        note="on a proportional sample, one run",
    )
    holder.pop("s").close()


# Steps too large for this machine, by store and size. The embedded XL re-load was here until 2026-12-05 (the
# engine's look-ups by key of 6.7M stored rows grew past 16 GiB); it now reads them by scanning (EmbeddedStore.
# _scan_rather): 78 s, 3.6 GiB.
NO_RELOAD: dict[tuple[str, str], str] = {}


def load_steps(r: Runner, kind: str, data: Path, size: str, open_store: Callable[[bool], Store]) -> None:
    """Load, re-load and delta, as `ccb load` runs them; leaves the store full for the read steps."""
    n = baselines.count_lines(data / "graph.jsonl")
    delta_n = baselines.count_lines(data / "delta.jsonl")
    holder: dict[str, Store] = {}

    def fresh() -> None:
        if "s" in holder:
            holder.pop("s").close()
        holder["s"] = open_store(True)

    def fresh_full() -> None:
        fresh()
        tabular.load_file(holder["s"], data / "graph.jsonl")

    r.time(kind, "load (parse+validate+write)", lambda: tabular.load_file(holder["s"], data / "graph.jsonl"), work=n, setup=fresh)
    if (kind, size) not in NO_RELOAD:
        r.time(kind, "re-load (idempotent)", lambda: tabular.load_file(holder["s"], data / "graph.jsonl"), work=n)
    else:
        r.progress(f"  {kind:8} re-load skipped at {size}: {NO_RELOAD[(kind, size)]}")
    r.time(
        kind,
        "10% delta into full store",
        lambda: tabular.load_file(holder["s"], data / "delta.jsonl"),
        work=delta_n,
        setup=fresh_full,
    )
    fresh_full()
    holder.pop("s").close()


def _opener(db: str, bolt: tuple | None) -> Callable[[bool], Store]:
    """Open the benchmark's store (``bolt``: uri, user, password, database), emptied when ``fresh``."""

    def open_store(fresh: bool) -> Store:
        if bolt:
            from graph.neo4j_store import Neo4jStore

            s: Store = Neo4jStore(bolt[0], user=bolt[1], password=bolt[2], database=bolt[3])
            if fresh:
                s.clear()
            return s
        if fresh:
            bundled.remove_embedded(Path(db))
        return EmbeddedStore(db)

    return open_store


def _child_baselines(kind: str, data: str, size: str, db: str, bolt: tuple | None, tmp: str, repeat: int) -> list[Step]:
    """In a fresh process: the baselines, whose rows held in memory stay out of the load steps' peaks."""
    r = Runner(repeat, lambda m: print(m, file=sys.stderr, flush=True))
    baseline_steps(r, kind, Path(data), size, _opener(db, bolt), Path(tmp))
    return r.steps


def _child_loads(kind: str, data: str, size: str, db: str, bolt: tuple | None, repeat: int) -> list[Step]:
    """In a fresh process, as `ccb load` runs: each peak RSS is the command's own, with no baseline rows held."""
    r = Runner(repeat, lambda m: print(m, file=sys.stderr, flush=True))
    load_steps(r, kind, Path(data), size, _opener(db, bolt))
    return r.steps


class RowCount:
    """Counts the rows (and the items of their list columns) a store's queries return, by patching ``query``."""

    def __init__(self, store: Store) -> None:
        self.rows = self.items = 0
        plain = store.query

        def query(text: str, params: dict[str, Any] | None = None, **kw: Any) -> list[dict[str, Any]]:
            out = plain(text, params, **kw)
            self.rows += len(out)
            self.items += sum(len(v) for row in out for v in row.values() if isinstance(v, list))
            return out

        store.query = query  # type: ignore[method-assign]

    def reset(self) -> None:
        self.rows = self.items = 0


def read_steps(r: Runner, kind: str, store: Store) -> None:
    """Export and analyses on the full store (the same store for every repeat: they only read).

    Each step records the rows the store returned in its last run: over
    Bolt, what crossed the wire (the embedded store's whole-table export
    reads through Arrow, outside ``query``, and is not counted).
    """
    count = RowCount(store)

    def counted(fn: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            count.reset()
            return fn()

        return run

    def record(step: Step) -> None:
        if count.rows:  # none: the step read outside ``query`` (the embedded export, through Arrow)
            step.rows_read, step.items_read = count.rows, count.items

    record(r.time(kind, "export to NetworkX", counted(store.to_networkx)))
    top = max(analysis.country_gaps(store), key=lambda c: c["programmes"])["iso3"]
    for name, fn in [
        ("supports", lambda: analysis.supports(store)),
        ("gaps", lambda: analysis.country_gaps(store)),
        ("gaps --by region", lambda: analysis.region_gaps(store)),
        ("gaps --by theme", lambda: analysis.theme_gaps(store)),
        ("concentration", lambda: analysis.concentration(store)),
        ("partners", lambda: network.partners(store)),
        ("brokers", lambda: network.brokers(store)),
        ("communities", lambda: network.communities(store)),
        (f"match {top}", lambda: profile.match(store, top)),
        ("plan", lambda: plan_queries.plan(store, budget="EUR 10000000", grant=500_000)),
    ]:
        record(r.time(kind, name, counted(fn)))
    g = network_viz.graph_of(store)  # the graph `ccb viz network` draws
    page = Path(tempfile.mkdtemp()) / "network.html"
    r.time(
        kind,
        f"viz network ({VIZ_NODES:,} nodes)",
        lambda: network_viz.write_network(g, page, max_nodes=VIZ_NODES),
        note="programmes folded into funder-country links",
    )


PAGE_NODES = {
    "S": (200,),
    "M": (2_000,),
    "L": (2_000, 5_000),
    "XL": (2_000, 5_000),
}  # with four edges a node, as the 5,000 / 20,000
PAGE_TIMEOUT = 60.0  # seconds; an old page still moving by then is reported as not settled
PAGE_FIRST_FRAME_S = {2_000: 2.0, 5_000: 3.0}  # the targets
ZOOM_FPS = 30  # frames a second while zooming: smooth to the eye


STARTUP, INTERPRETER = "ccb --version (start-up)", "baseline: interpreter + click"


def startup_steps(r: Runner) -> None:
    """A command's fixed cost: ``ccb --version`` against a bare interpreter importing click, in fresh processes."""
    root = str(Path(__file__).resolve().parents[1])

    def python(code: str) -> Callable[[], Any]:
        return lambda: subprocess.run([sys.executable, "-c", code], cwd=root, check=True, capture_output=True)

    r.time("-", INTERPRETER, python("import click"))
    r.time("-", STARTUP, python("import sys; sys.argv = ['ccb', '--version']; from cli import main; main()"))


def page_steps(r: Runner, size: str, tmp: Path) -> None:
    """The network page in Chromium: opening to the first stable frame, now and as before, and zooming."""
    if not Path(page.CHROMIUM).exists():
        r.progress("  no chromium: the network page steps are skipped (apt-get install chromium)")
        return
    with page.chromium() as browser:
        for n in PAGE_NODES[size]:
            now, before = page.pages(page.graph(n, 4 * n), tmp)
            label = f"network page ({n:,} nodes)"
            r.time(
                "-",
                f"{label}: first stable frame",
                lambda now=now: page.first_stable_frame(browser, now, PAGE_TIMEOUT),
                note="positions computed in Python",
            )
            seen: list[float] = []
            old = r.time(
                "-",
                f"{label}: first stable frame, before",
                lambda seen=seen, before=before: seen.append(page.first_stable_frame(browser, before, PAGE_TIMEOUT)),
                repeat=1,
                note="vis-network physics in the browser (the page until session 6), one run",
            )
            if seen and seen[-1] == float("inf"):
                old.note += f"; still moving after {PAGE_TIMEOUT:.0f} s"
            frames, seconds = page.zooming(browser, now)
            r.steps.append(
                Step("-", f"{label}: zooming", seconds=[round(seconds, 3)], rss_mib=[peak_rss_mib()], work=frames, per="frames")
            )
            r.progress(f"  -        {label}: zooming {frames / seconds:,.0f} frames/s")


IATI_PARSE = "IATI parse + validate"


def iati_steps(r: Runner, path: Path, *, full: bool) -> None:
    """The streamed parse of ``path`` (what ``load-iati --dry-run`` does); with ``full``, one process and a load too."""
    mb = path.stat().st_size / 1e6
    jobs = iati.default_jobs()
    size = f"({_mb(mb)})"
    r.time(
        "-",
        f"{IATI_PARSE} {size}",
        lambda: _drain(iati.iter_iati(path, jobs=jobs)),
        work=mb,
        per="MB",
        workers=jobs,
        note=f"{jobs} worker processes; peak = main + {jobs} x largest worker",
    )
    if not full:
        return
    r.time("-", f"{IATI_PARSE}, 1 process {size}", lambda: _drain(iati.iter_iati(path, jobs=1)), work=mb, per="MB")
    db = Path(tempfile.mkdtemp()) / "iati.lbdb"
    holder: dict[str, Store] = {}

    def fresh() -> None:
        if "s" in holder:
            holder.pop("s").close()
        bundled.remove_embedded(db)
        holder["s"] = EmbeddedStore(db)

    r.time(
        "embedded",
        f"IATI load {size}",
        lambda: iati.load_iati(holder["s"], path, jobs=jobs),
        work=mb,
        per="MB",
        setup=fresh,
        workers=jobs,
        note="parse and write streamed into one transaction",
    )
    holder.pop("s").close()


def _mb(mb: float) -> str:
    return f"{round(mb, 1):g} MB"


def _drain(batches: Any) -> int:
    return sum(len(b) for b in batches)


def _child_read_steps(kind: str, db: str, bolt: tuple | None, repeat: int) -> list[Step]:
    """In a fresh process: the read steps, so each peak RSS is what a `ccb` command would reach."""
    r = Runner(repeat, lambda m: print(m, file=sys.stderr, flush=True))
    if bolt:
        from graph.neo4j_store import Neo4jStore

        store: Store = Neo4jStore(bolt[0], user=bolt[1], password=bolt[2], database=bolt[3])
    else:
        store = EmbeddedStore(db, read_only=True)
    with store:
        read_steps(r, kind, store)
    return r.steps


def _child_iati(path: str, repeat: int, full: bool) -> list[Step]:
    r = Runner(repeat, lambda m: print(m, file=sys.stderr, flush=True))
    iati_steps(r, Path(path), full=full)
    return r.steps


def in_child(r: Runner, fn: Callable[..., list[Step]], *args: Any) -> None:
    """Run ``fn(*args)`` in a new interpreter (spawned, not forked: the engines hold threads) and keep its steps."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        r.steps += pool.submit(fn, *args).result()


# -- the report ---------------------------------------------------------------------

# (label, numerator step, denominator step, what is compared, comparison, target)
TARGETS = [
    (
        "embedded load rate / raw COPY rate",
        ("embedded", "load (parse+validate+write)"),
        ("embedded", "baseline: raw COPY (Arrow)"),
        "rate",
        ">=",
        0.5,
    ),
    (
        "embedded load rate / per-row MERGE rate",
        ("embedded", "load (parse+validate+write)"),
        ("embedded", "baseline: per-row MERGE"),
        "rate",
        ">=",
        30,
    ),
    (
        "neo4j load rate / per-row MERGE rate",
        ("neo4j", "load (parse+validate+write)"),
        ("neo4j", "baseline: per-row MERGE"),
        "rate",
        ">=",
        10,
    ),
    (
        "embedded re-load time / load time",
        ("embedded", "re-load (idempotent)"),
        ("embedded", "load (parse+validate+write)"),
        "time",
        "<=",
        2,
    ),
    (
        "embedded delta time / load time",
        ("embedded", "10% delta into full store"),
        ("embedded", "load (parse+validate+write)"),
        "time",
        "<=",
        1 / 3,
    ),
    (
        "neo4j re-load time / load time",
        ("neo4j", "re-load (idempotent)"),
        ("neo4j", "load (parse+validate+write)"),
        "time",
        "<=",
        2,
    ),
    (
        "neo4j delta time / load time",
        ("neo4j", "10% delta into full store"),
        ("neo4j", "load (parse+validate+write)"),
        "time",
        "<=",
        1 / 3,
    ),
]
# A command's fixed cost: the heavy libraries (igraph, scipy, pyvis, the Neo4j driver, matplotlib) load where
# they are used, not at start-up (2.8 s before, 0.9 s after, on the 2-core machine; click alone ~0.06 s).
TARGETS.append(("ccb start-up time / interpreter + click time", ("-", STARTUP), ("-", INTERPRETER), "time", "<=", 20))
# Issue 16: every analysis interactive: < 5 s each on the embedded store (communities < 3 s), < 15 s over
# Bolt, peak RSS < 1.5 GiB; the analyses are the read steps after the export (match's name holds a country).
# Issue 26: `plan` (EUR 10m in grants of 500k, with its stability re-plans) among them.
ANALYSES = (
    "supports",
    "gaps",
    "gaps --by region",
    "gaps --by theme",
    "concentration",
    "partners",
    "brokers",
    "communities",
    "plan",
)
SECONDS = {"embedded": 5.0, "neo4j": 15.0}
SECONDS_OF = {("embedded", "communities"): 3.0}
MEMORY_MIB = 1536
IATI_MB_S = 10
IATI_FLAT = 1.25  # "peak memory independent of file size": ten times the file, at most a quarter more memory


def _check(label: str, value: float, op: str, target: float) -> dict[str, Any]:
    return {
        "check": label,
        "value": round(value, 3),
        "target": f"{op} {target:.3g}",
        "met": value >= target if op == ">=" else value <= target,
    }


def ratios(steps: list[Step]) -> list[dict[str, Any]]:
    """Each target of the issue, with the measured value and whether it is met."""
    by = {(s.store, s.name): s for s in steps}
    out = []
    for label, num, den, what, op, target in TARGETS:
        if num in by and den in by:
            a, b = by[num], by[den]
            out.append(_check(label, a.rate / b.rate if what == "rate" else a.median / b.median, op, target))  # type: ignore[operator]
    for s in steps:
        if s.store in SECONDS and (s.name in ANALYSES or s.name.startswith("match ")):
            limit = SECONDS_OF.get((s.store, s.name), SECONDS[s.store])
            out.append(_check(f"{s.store} {s.name} (s)", s.median, "<=", limit))
            if s.store == "embedded":
                out.append(_check(f"{s.store} {s.name} peak RSS (MiB)", max(s.rss_mib), "<=", MEMORY_MIB))
    for n, limit in PAGE_FIRST_FRAME_S.items():
        label = f"network page ({n:,} nodes)"
        if ("-", f"{label}: first stable frame") in by:
            out.append(_check(f"{label}: first stable frame (s)", by[("-", f"{label}: first stable frame")].median, "<=", limit))
        if ("-", f"{label}: zooming") in by:
            out.append(_check(f"{label}: frames/s while zooming", by[("-", f"{label}: zooming")].rate or 0, ">=", ZOOM_FPS))
    parses = sorted((s for s in steps if s.name.startswith(IATI_PARSE + " (")), key=lambda s: s.work)
    if parses:
        out.append(_check(f"IATI parse (MB/s), {_mb(parses[-1].work)}", parses[-1].rate or 0, ">=", IATI_MB_S))
    if len(parses) == 2:
        small, big = parses
        out.append(
            _check(
                f"IATI peak RSS, {_mb(big.work)} file / {_mb(small.work)} file",
                max(big.rss_mib) / max(small.rss_mib),
                "<=",
                IATI_FLAT,
            )
        )
    return out


def markdown(steps: list[Step], checks: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [
        f"Size {meta['size']} ({meta['rows']:,} rows; {meta['repeat']} runs per step), {meta['machine']}",
        "",
        "| store | step | median (s) | spread (s) | rate | peak RSS (MiB) | rows read (list items) | note |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for s in steps:
        rate = f"{s.rate:,.0f} {s.per}/s" if s.rate and s.rate >= 100 else f"{s.rate:,.1f} {s.per}/s" if s.rate else ""
        read = "" if s.rows_read is None else f"{s.rows_read:,} ({s.items_read:,})"
        lines.append(
            f"| {s.store} | {s.name} | {s.median:,.3f} | {min(s.seconds):,.3f}-{max(s.seconds):,.3f} | {rate} | "
            f"{max(s.rss_mib):,.0f} | {read} | {s.note} |"
        )
    lines += ["", "| check | value | target | met |", "|---|---:|---|---|"]
    lines += [f"| {c['check']} | {c['value']:,.3g} | {c['target']} | {'yes' if c['met'] else '**no**'} |" for c in checks]
    return "\n".join(lines) + "\n"


def machine() -> str:
    cpu = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        if Path("/proc/cpuinfo").exists()
        else platform.processor()
    )
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}, {platform.system()}"


# -- main ---------------------------------------------------------------------------


def run(
    size: str,
    repeat: int,
    out: Path,
    stores: list[str],
    *,
    bolt_repeat: int | None = None,
    progress: Callable[[str], None] = print,
    bolt: Any = None,
    loads_only: bool = False,
) -> dict[str, Any]:
    """Run every step; write ``out/results.json`` and ``out/results.md``; return the results.

    ``bolt`` is a running server (``bench.boltserver.Bolt``); without one the
    Neo4j path starts its own (``NEO4J_URI``, else ArcadeDB). ``loads_only``:
    the baselines and the load steps alone (no analyses, IATI or pages).
    """
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="ccb-bench-"))
    try:
        data = tmp / "data"
        progress(f"generating size {size} data in {data}")
        counts = synthetic.write(data, size)
        if not loads_only:
            iati_gen.write(str(data / "activities.xml"), IATI_MB[size])
            iati_gen.write(str(data / "activities-tenth.xml"), IATI_MB[size] / 10)
        r = Runner(repeat, progress)
        if "embedded" in stores:
            path = tmp / "embedded.lbdb"

            in_child(r, _child_baselines, "embedded", str(data), size, str(path), None, str(tmp), repeat)
            in_child(r, _child_loads, "embedded", str(data), size, str(path), None, repeat)
            if not loads_only:
                in_child(r, _child_read_steps, "embedded", str(path), None, repeat)
        if "neo4j" in stores:
            _neo4j(r, data, size, tmp, bolt_repeat or repeat, bolt, loads_only)
        if not loads_only:
            # One process per file: a process's record of its children's peak only grows.
            in_child(r, _child_iati, str(data / "activities-tenth.xml"), repeat, False)
            in_child(r, _child_iati, str(data / "activities.xml"), repeat, True)
            startup_steps(r)
            page_steps(r, size, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    checks = ratios(r.steps)
    meta = {
        "size": size,
        "rows": counts["graph.jsonl"],
        "repeat": repeat,
        "machine": machine(),
        "command": " ".join(["python -m bench.run", *sys.argv[1:]]) if sys.argv[0].endswith("run.py") else None,
    }
    results = {"meta": meta, "steps": [s.row() for s in r.steps], "checks": checks}
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "results.md").write_text(markdown(r.steps, checks, meta))
    return results


def _neo4j(r: Runner, data: Path, size: str, tmp: Path, repeat: int, bolt: Any, loads_only: bool = False) -> None:
    from contextlib import nullcontext

    from bench.boltserver import bolt_server

    (tmp / "arcadedb").mkdir()
    with nullcontext(bolt) if bolt else bolt_server(tmp / "arcadedb") as bolt:
        auth = (bolt.uri, bolt.user, bolt.password, bolt.database)
        in_child(r, _child_baselines, "neo4j", str(data), size, "", auth, str(tmp), repeat)
        in_child(r, _child_loads, "neo4j", str(data), size, "", auth, repeat)
        if not loads_only:
            in_child(r, _child_read_steps, "neo4j", "", auth, repeat)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", choices=synthetic.SIZES, default="S")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--bolt-repeat", type=int, help="runs per step on the Neo4j path (default: --repeat)")
    ap.add_argument("--stores", default="embedded,neo4j", help="comma-separated: embedded, neo4j")
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    ap.add_argument("--loads-only", action="store_true", help="the baselines and load steps alone (minutes at XL)")
    a = ap.parse_args()
    results = run(
        a.size,
        a.repeat,
        a.out,
        a.stores.split(","),
        bolt_repeat=a.bolt_repeat,
        progress=lambda m: print(m, file=sys.stderr, flush=True),
        loads_only=a.loads_only,
    )
    print((a.out / "results.md").read_text())
    sys.exit(0 if results["steps"] else 1)


if __name__ == "__main__":
    main()
