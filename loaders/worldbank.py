"""The World Bank's country classification (``CLASS.xlsx``, or a CSV saved from it) onto the Country nodes.

The bundled country table carries the FY25 classification (valid 1 July
2024 to 30 June 2025; see ``data/reference/wb_class_fy25.PROVENANCE.md``).
The classification changes every 1 July: the user downloads the current
file from https://datahelpdesk.worldbank.org/knowledgebase/articles/906519
and loads it; each country then carries its ``wb_region``,
``income_group`` and ``lending_category`` from that file, and
``income_source`` and ``income_vintage`` say which file and fiscal year.
The country's other properties and their ``source`` are left as they are.

The sheet is found by its header row: ``Code``, ``Region`` and ``Income
group`` (``Economy`` is read when present). Rows whose code is not an
ISO 3166-1 alpha-3 code (or XKX) are the aggregates (``WLD``, ``SSF``...)
or economies with no ISO code (``CHI``, Channel Islands); they are skipped
and counted in the report.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from graph import cypher
from graph.errors import LoadError, Problem
from graph.model import Country, known_iso3
from graph.store import Batch, Store
from loaders.tabular import RawRecord, validation_problems

INCOME_GROUPS = ("Low income", "Lower middle income", "Upper middle income", "High income")  # the Bank's four
HEADER = ("Code", "Region", "Income group")


@dataclass
class WorldBankReport:
    """What loading a World Bank classification did: countries classified, codes skipped or not stored."""

    file: str
    classified: int = 0
    skipped: list[str] = field(default_factory=list)  # codes that are not ISO countries (aggregates, CHI)
    not_in_store: list[str] = field(default_factory=list)
    summary: Any = None


def load_world_bank(store: Store, path: str | Path, *, vintage: str | None = None, dry_run: bool = False) -> WorldBankReport:
    """Set the World Bank classification on the store's countries from ``path``, in one write.

    ``vintage`` is the fiscal year the file classifies for (``FY26``); the
    file does not state it in a form that can be read reliably.
    """
    path = Path(path)
    report = WorldBankReport(str(path))
    stored = {r["c"]["iso3"]: r["c"] for r in store.query(cypher.COUNTRY_ROWS)}
    batch = Batch()
    problems: list[Problem] = []
    today = dt.date.today().isoformat()
    first: dict[str, int] = {}
    for line, row in _rows(path, problems):
        code = (row.get("Code") or "").strip()
        where = f"line {line}"
        if code in first:  # a country classified twice: which row holds is a guess, so neither does
            problems.append(Problem(str(path), where, "Code", f"{code} is classified again (first at line {first[code]})"))
            continue
        first.setdefault(code, line)
        income = (row.get("Income group") or "").strip()
        if income and income not in INCOME_GROUPS:
            problems.append(
                Problem(str(path), where, "Income group", f"{income!r}: expected one of {', '.join(INCOME_GROUPS)}, or empty")
            )
            continue
        if not known_iso3(code):
            report.skipped.append(code)
            continue
        if code not in stored:
            report.not_in_store.append(code)
            continue
        current = {k: v for k, v in stored[code].items() if k in Country.model_fields}
        data = current | {
            "wb_region": (row.get("Region") or "").strip() or None,
            "income_group": (row.get("Income group") or "").strip() or None,
            "lending_category": (row.get("Lending category") or "").strip() or None,
            "income_vintage": vintage,
            "income_source": f"World Bank country classification, {path.name}"
            + (f" ({vintage})" if vintage else " (fiscal year not given)")
            + f", loaded {today}",
        }
        try:
            batch.add(Country.model_validate(data))
        except ValidationError as e:
            problems.extend(validation_problems(path, RawRecord("countries", data, f"line {line}"), Country, e))
    if problems:
        raise LoadError(problems)
    if not len(batch):
        raise LoadError([Problem(str(path), "file", "Code", "no row names a country in the store; run `ccb init` first")])
    report.classified = len(batch)
    if not dry_run:
        report.summary = store.write(batch)
    return report


def _rows(path: Path, problems: list[Problem]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line or sheet row, {header: value}) after the header row, from CSV or XLSX; a row too short to hold the
    classification's columns, or a cell running over a line end (an unterminated quote), is a problem."""
    table = _table(path, problems)
    for i, cells in enumerate(table, 1):
        names = [str(c).strip() if c is not None else "" for c in cells]
        if all(h in names for h in HEADER):
            needed = max(names.index(h) for h in HEADER) + 1
            for j, data in enumerate(table[i:], i + 1):
                if not any(v not in (None, "") for v in data):
                    continue  # a blank line
                if len(data) < needed:
                    problems.append(
                        Problem(
                            str(path), f"line {j}", "", f"{len(data)} cells; expected at least {needed} ({', '.join(HEADER)})"
                        )
                    )
                    continue
                if any(isinstance(v, str) and "\n" in v for v in data):
                    problems.append(Problem(str(path), f"line {j}", "", "a cell runs over the line end: an unterminated quote?"))
                    continue
                yield j, {h: (str(v) if v is not None else None) for h, v in zip(names, data) if h}
            return
    if not problems:
        problems.append(
            Problem(
                str(path),
                "file",
                "header",
                f"no header row with the columns {', '.join(HEADER)}; "
                "load the World Bank's CLASS.xlsx (sheet 'List of economies') or a CSV saved from it",
            )
        )


def _table(path: Path, problems: list[Problem]) -> list[list[Any]]:
    try:
        if path.suffix.lower() == ".xlsx":
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
            for sheet in wb.worksheets:  # the first sheet with the header; CLASS.xlsx has it on the first
                rows = [list(r) for r in sheet.iter_rows(values_only=True)]
                if any(all(h in [str(c).strip() for c in r if c is not None] for h in HEADER) for r in rows[:30]):
                    return rows
            return []
        return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline=""), strict=True))
    except csv.Error as e:  # strict: a quote left open to the end of the file, or a stray one
        problems.append(Problem(str(path), "file", "", f"not valid CSV: {e} (an unterminated quote?)"))
    except UnicodeDecodeError:
        problems.append(Problem(str(path), "file", "", "not UTF-8; save the CSV as UTF-8"))
    except OSError as e:
        problems.append(Problem(str(path), "file", "", f"cannot read: {e.strerror or e}"))
    except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds for a damaged workbook
        problems.append(Problem(str(path), "file", "", f"not a readable workbook: {e}"))
    return []
