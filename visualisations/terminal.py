"""Rows as text for a terminal of a given width, and as CSV with raw values.

A table keeps its key columns readable at any width from 60 columns: the
first two columns (what the row is about) and the numbers (the answer) come
first; other short columns follow while they fit; long text (explanations,
lists of programmes) that does not fit goes on indented lines under its
row; short columns that still do not fit are named in a note, and
``wide`` shows every column on one line.
"""

from __future__ import annotations

import csv
import json
import math
import re
import textwrap
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import IO, Any

Row = dict[str, Any]

GAP = "  "
CAP = 30  # a short text column wraps at this width in the table
LONG = 40  # text wider than this is long: under the row when it does not fit
INDENT = "    "
UNDER = {"explanation", "evidence", "why"}
ANSWERS = {"priority", "mean_priority", "need", "mean_need", "score", "hhi", "betweenness", "similarity"}

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text for a terminal: control characters (ESC, BEL, CSI...) shown as ``\\xNN``, never sent to the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _is_money(v: Any) -> bool:
    """Sums per currency, as the analyses give them: ``{"EUR": 4200000.0, "GBP": 10000000.0}``."""
    return (
        isinstance(v, dict)
        and bool(v)
        and all(isinstance(c, str) and len(c) == 3 and c.isupper() for c in v)
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v.values())
    )


def cell(v: Any) -> str:
    """A value as a person reads it: thousands separated, lists joined with '; '.

    >>> cell(6500000.0), cell(0.891), cell(0.5556), cell(["A", "C"]), cell(None), cell(3), cell({"EUR": 4200000.0})
    ('6,500,000', '0.891', '0.5556', 'A; C', '', '3', 'EUR 4,200,000')
    >>> cell(99.5399), cell(1.72796), cell(0.0846)  # an index score as a reader reads it (GCI's own tables: 2 decimals)
    ('99.54', '1.728', '0.0846')
    >>> cell({"experience": 16, "proximity": 1.0}), cell({"a": [1, 2]})  # a score's parts as words, nested as JSON
    ('experience 16; proximity 1', '{"a": [1, 2]}')
    """
    if v is None:
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if abs(v) >= 1e4:
            return f"{v:,.2f}".removesuffix(".00")
        return str(int(v)) if v == int(v) else f"{v:.4g}"  # a reading: 99.5399 is 99.54 (raw in CSV and JSON)
    if isinstance(v, int) and abs(v) >= 1e4:
        return f"{v:,}"
    if isinstance(v, list):
        return "; ".join(cell(x) for x in v)
    if _is_money(v):
        return "; ".join(f"{c} {cell(float(x))}" for c, x in v.items())
    if isinstance(v, dict) and all(isinstance(x, (int, float, str)) or x is None for x in v.values()):
        return "; ".join(f"{k} {cell(x)}" for k, x in v.items())
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def raw(v: Any) -> Any:
    """A value for CSV as a program reads it: numbers as written by Python (no separators), lists joined with ';'.

    >>> raw(6500000.0), raw(["A", "C"]), raw(None), raw(True), raw({"EUR": 4200000.0})
    (6500000.0, 'A;C', '', 'true', 'EUR 4200000.0')
    """
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ";".join(str(raw(x)) for x in v)
    if _is_money(v):
        return ";".join(f"{c} {x}" for c, x in v.items())
    if isinstance(v, dict) and all(isinstance(x, (int, float, str)) or x is None for x in v.values()):
        return "; ".join(f"{k} {cell(x)}" for k, x in v.items())
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, default=str)
    return v


def split_money(rows: Sequence[Row]) -> list[Row]:
    """Each column of sums per currency as one number column per currency, ``<column>_<CUR>``.

    A program reading the CSV gets numbers it can add, not "GBP 250000.0" to parse; a row
    without that currency has the cell empty (unknown, not 0).

    >>> split_money([{"iso3": "KEN", "amount": {"GBP": 250000.0}}, {"iso3": "UGA", "amount": {"EUR": 1.0}}])
    [{'iso3': 'KEN', 'amount_EUR': None, 'amount_GBP': 250000.0}, {'iso3': 'UGA', 'amount_EUR': 1.0, 'amount_GBP': None}]
    """
    columns = list(dict.fromkeys(k for r in rows for k in r))
    money = {c: sorted({cur for r in rows for cur in (r.get(c) or {})}) for c in columns if _money(rows, c)}
    out: list[Row] = []
    for r in rows:
        row: Row = {}
        for c in columns:
            if c in money:
                row.update({f"{c}_{cur}": (r.get(c) or {}).get(cur) for cur in money[c]})
            elif c in r:
                row[c] = r[c]
        out.append(row)
    return out


def write_csv(rows: Sequence[Row], out: IO[str], safe: Callable[[Any], Any] = lambda v: v) -> None:
    """``rows`` as CSV with raw values; ``safe`` guards each text cell (formula neutralisation).

    A column of sums per currency becomes one number column per currency (`split_money`).
    """
    rows = split_money(rows)
    columns = list(dict.fromkeys(k for r in rows for k in r))
    w = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: (safe(v) if isinstance(v, str) else v) for k, v in ((k, raw(r.get(k))) for k in columns)})


def json_text(data: Any, indent: int | None = 2) -> str:
    """``data`` as standard JSON (RFC 8259): a NaN or an infinity is ``null``, as JavaScript's ``JSON.stringify``
    writes it, since Python's ``NaN`` and ``Infinity`` are no JSON and a strict reader (jq, a browser) refuses the
    whole answer; anything else not JSON (a date) as its text.

    >>> json_text([{"a": float("nan"), "b": [float("inf"), 1.5], "c": "x"}], indent=None)
    '[{"a": null, "b": [null, 1.5], "c": "x"}]'
    """
    try:  # the common case in one pass; only an answer holding a non-finite number is walked
        return json.dumps(data, ensure_ascii=False, default=str, indent=indent, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(data), ensure_ascii=False, default=str, indent=indent, allow_nan=False)


def _finite(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_finite(x) for x in v]
    return v


def _numeric(rows: Sequence[Row], col: str) -> bool:
    vals = [r.get(col) for r in rows if r.get(col) is not None]
    return bool(vals) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals)


def _money(rows: Sequence[Row], col: str) -> bool:
    """A column of sums per currency: kept in the table like numbers."""
    vals = [r.get(col) for r in rows if r.get(col) is not None]
    return bool(vals) and all(_is_money(v) for v in vals)


@dataclass
class Layout:
    """Which columns a table shows, at what widths; which go under the row; which are left out."""

    shown: list[str]
    widths: dict[str, int]
    under: list[str]
    hidden: list[str]


def layout(
    rows: Sequence[Row], columns: list[str], cells: list[dict[str, str]], width: int | None, under: Collection[str] = ()
) -> Layout:
    """Fit ``columns`` into ``width`` characters (``None``: no limit); those in ``under`` go under their row when
    they do not fit, never out of the table, as an explanation does."""
    natural = {c: max([len(c), *(len(r[c]) for r in cells)]) for c in columns}
    numeric = {c for c in columns if _numeric(rows, c)}
    if width is None or sum(natural.values()) + len(GAP) * (len(columns) - 1) <= width:
        return Layout(columns, natural, [], [])
    # an explanation is never left out: when it does not fit it goes under its row
    # the first two columns say what the row is about: a long name there wraps in its column, never goes under the row
    long = [c for i, c in enumerate(columns) if c not in numeric and (c in UNDER or c in under or (natural[c] > LONG and i >= 2))]
    first = [c for c in columns[:2] if c not in long]
    key = numeric | {c for c in columns if _money(rows, c)}
    answers = [c for c in columns if c in key and c in ANSWERS and c not in first]  # the scores the table exists for
    order = (
        first
        + answers
        + [c for c in columns if c in key and c not in first and c not in answers]
        + [c for c in columns if c not in first and c not in key]
    )
    # long text is in the table only if it fits whole; short text may wrap at CAP; a sum per currency wraps
    # between its currencies ("EUR 6,500,000;" over "USD 157,050,000")
    want = {c: natural[c] if c in numeric or c in long else min(natural[c], CAP) for c in columns}
    for c in first:  # an id is copied into the next command: it is never broken across lines
        if all(r[c] and not any(ch.isspace() for ch in r[c]) for r in cells):
            want[c] = natural[c]
    for c in columns:
        if _money(rows, c):
            want[c] = max([len(c), *(len(part) + 1 for r in cells for part in r[c].split("; "))])
    shown: list[str] = []
    used = -len(GAP)
    for c in order:
        if used + len(GAP) + want[c] <= width or not shown:
            shown.append(c)
            used += len(GAP) + want[c]
    shown = [c for c in columns if c in shown]
    widths = {c: min(want[c], width) for c in shown}
    spare = width - used
    for c in shown:  # give what is left to the columns that wrap, left to right
        extra = min(spare, natural[c] - widths[c])
        if extra > 0:
            widths[c] += extra
            spare -= extra
    rest = [c for c in columns if c not in shown]
    # money that does not fit goes under its row, as long text does: a sum is never left out of the table
    under = [c for c in rest if c in long or _money(rows, c)]
    return Layout(shown, widths, under, [c for c in rest if c not in under])


def table(
    rows: Sequence[Row], *, width: int | None = 80, title: str | None = None, under: Collection[str] = ()
) -> tuple[str, list[str]]:
    """The text of ``rows`` as a table at most ``width`` wide, and the names of the columns left out (``under``:
    columns that go under their row when they do not fit, never left out).

    Examples
    --------
    >>> rows = [{"iso3": "ERI", "country": "Eritrea", "priority": 0.891, "explanation": "need 0.891 / (1 + 0)"}]
    >>> print(table(rows, width=None)[0])
    iso3  country  priority  explanation
    ────  ───────  ────────  ────────────────────
    ERI   Eritrea     0.891  need 0.891 / (1 + 0)
    """
    columns = list(dict.fromkeys(k for r in rows for k in r))
    cells = [{c: printable(cell(r.get(c))) for c in columns} for r in rows]
    lay = layout(rows, columns, cells, width, under)
    right = {c for c in lay.shown if _numeric(rows, c)}
    lines = (
        textwrap.wrap(title, width or len(title), subsequent_indent="  ", break_on_hyphens=False) if title else []
    )  # fits as rows do

    def line(parts: dict[str, list[str]]) -> list[str]:
        height = max(len(p) for p in parts.values())
        out = []
        for i in range(height):
            bits = []
            for c in lay.shown:
                text = parts[c][i] if i < len(parts[c]) else ""
                bits.append(text.rjust(lay.widths[c]) if c in right else text.ljust(lay.widths[c]))
            out.append(GAP.join(bits).rstrip())
        return out

    lines += line({c: [c[: lay.widths[c]]] for c in lay.shown})
    lines.append(GAP.join("─" * lay.widths[c] for c in lay.shown))
    for r in cells:
        lines += line({c: textwrap.wrap(r[c], lay.widths[c], break_on_hyphens=False) or [""] for c in lay.shown})
        for c in lay.under:
            if r[c]:
                lines += textwrap.wrap(
                    f"{c}: {r[c]}", width or 120, initial_indent=INDENT, subsequent_indent=INDENT + "  ", break_on_hyphens=False
                )
    return "\n".join(lines), lay.hidden
