"""One exception root for the project; every error the CLI can show derives from it."""

from __future__ import annotations

from dataclasses import dataclass


class CCBError(Exception):
    """Root of every error CCB Graph raises on purpose.

    ``hint`` says what to do next; the CLI prints ``message`` and ``hint`` on one line.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class StoreError(CCBError):
    """The graph store refused or failed an operation."""


class ConnectionFailed(StoreError):
    """The store could not be opened or reached."""


class ReadOnlyViolation(StoreError):
    """A write was attempted through a read-only query; both stores refuse it with this message."""

    def __init__(self, why: str = "") -> None:
        if why:  # refused before it ran: it would touch files or run a procedure
            super().__init__(f"not a read-only query: {why}; nothing was run", "pass --write to allow it")
        else:
            super().__init__("this query writes to the graph; nothing was changed", "pass --write to allow writes")


class QueryError(StoreError):
    """A Cypher query was rejected (syntax, unknown label, bad parameter...)."""


class TooManyRows(QueryError):
    """A read query gives more rows than its caller reads (``max_rows``); none was converted, so memory stays flat.

    ``rows`` is the count when the store knows it before reading (the embedded store), else None.
    """

    def __init__(self, rows: int | None, limit: int, hint: str = "add LIMIT, or aggregate (count, collect)") -> None:
        said = f"{rows:,} rows" if rows is not None else f"more than {limit:,} rows"
        super().__init__(f"the query gives {said}, more than the {limit:,} read", hint)
        self.rows, self.limit = rows, limit


class SchemaError(CCBError):
    """A label, relationship type or property is not in the schema."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one record of an input file."""

    file: str
    location: str  # "line 12", "record 3", "programmes[2] (line 40)"
    field: str  # field name, or "" when the whole record is at fault
    message: str  # what was expected / what is wrong

    def __str__(self) -> str:
        where = f"{self.file}: {self.location}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class LoadError(CCBError):
    """An input file is invalid; nothing of it was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = str(problems[0]) if problems else "invalid input"
        more = f" (+{len(problems) - 1} more; run with --dry-run to list all)" if len(problems) > 1 else ""
        super().__init__(first + more, "nothing was loaded; fix the file and load it again")
