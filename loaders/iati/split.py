"""Cutting an IATI file into chunks, parsed in this process or by worker processes.

The file is cut after an ``</iati-activity>`` every :data:`BLOCK_BYTES`;
worker processes parse the pieces into validated chunks, handed back in file
order. Small files, files with a DOCTYPE or a non-ASCII-compatible encoding,
and any piece that does not parse on its own go through one parser in this
process instead (:func:`serial`), which also words every error: same
records, same messages (a test compares both paths).
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import re
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from lxml import etree

from graph.errors import Problem
from loaders.iati.elements import activities, activities_in, check_root, syntax_problem
from loaders.iati.mapping import Chunk, Context, chunk_of

BLOCK_BYTES = 2_000_000  # a worker's piece of the file: enough activities to outweigh the hand-over
CHUNK_ACTIVITIES = 2_000  # activities per batch when parsing in this process
MAX_PIECE_BYTES = 64_000_000  # a piece this long without an end tag: parse the file in order instead
_PROLOG = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(<\?xml[^>]*\?>)?(?:\s*<!--.*?-->)*\s*"
    rb'(<iati-activities\b(?:[^>"\']|"[^"]*"|\'[^\']*\')*(?<!/)>)',
    re.S,
)
_END = b"</iati-activity>"


class SplitFailed(Exception):
    """A piece cut from the file would not parse alone: parse the whole file in order instead."""


def default_jobs() -> int:
    """Worker processes for a large file: one per CPU this process may use, at most 8."""
    return max(1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def chunks(
    path: Path, ctx: Context, problems: list[Problem], jobs: int | None, block: int, started: Callable[[int], None]
) -> Iterator[Chunk]:
    """The file's chunks in file order: by ``jobs`` workers when it is large and plain, else in this process.

    ``started`` is told how many processes parse the file. A file that
    cannot be read, or whose root is not IATI 2.01-2.03, gives no chunk and
    a problem. :class:`SplitFailed` means: call again with ``jobs=1``.
    """
    if not _readable(path, problems):
        return
    jobs = default_jobs() if jobs is None else jobs
    if "fork" not in mp.get_all_start_methods():
        jobs = 1  # see _parallel
    head = _prolog(path) if jobs > 1 and path.stat().st_size > 2 * block else None
    if head is None:
        yield from serial(path, ctx)
        return
    started(jobs)
    yield from _parallel(path, ctx, head, jobs, block)


def _readable(path: Path, problems: list[Problem]) -> bool:
    try:
        with open(path, "rb") as f:
            if not f.read(4096).strip():
                problems.append(Problem(str(path), "file", "", "is empty"))
                return False
        return check_root(path, problems)
    except etree.XMLSyntaxError as e:
        problems.append(syntax_problem(path, e))
    except OSError as e:
        problems.append(Problem(str(path), "file", "", f"cannot read: {e}"))
    return False


def serial(path: Path, ctx: Context) -> Iterator[Chunk]:
    """The whole file through one parser, in this process: the reference path, and every error's wording."""
    xml: list[Problem] = []
    with open(path, "rb") as f:
        acts = activities(f, xml)
        while True:
            chunk = chunk_of(_take(acts, CHUNK_ACTIVITIES), ctx)
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


def pieces(path: Path, begin: int, block: int) -> Iterator[tuple[int, bytes, bool]]:
    r"""``(first line, bytes, last)``: the file from ``begin`` cut after an ``</iati-activity>`` every ``block`` bytes.

    >>> import tempfile; f = tempfile.NamedTemporaryFile(suffix=".xml", delete=False)
    >>> _ = f.write(b"<r>\n<iati-activity>1</iati-activity>\n<iati-activity>2</iati-activity>\n</r>\n"); f.close()
    >>> [(line, piece, last) for line, piece, last in pieces(Path(f.name), 3, 20)]
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
                    raise SplitFailed()
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
            for line, piece, last in pieces(path, begin, block):
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
        raise SplitFailed()
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
    chunk = chunk_of(activities_in(data, line - 1, _WORKER.file, problems), _WORKER)
    return None if problems else chunk
