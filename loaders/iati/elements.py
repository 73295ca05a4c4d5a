"""Reading IATI XML: activities streamed one at a time, and the small readers of an element's parts."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from graph.errors import Problem
from graph.model import MAX_AMOUNT
from loaders.iati.codes import IATI_VERSIONS

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def activities(f: BinaryIO, problems: list[Problem]) -> Iterator[tuple[int, Any]]:
    """Each ``iati-activity`` element of the open file with its line, cleared after use.

    A syntax or read error ends the stream and is added to ``problems``.
    """
    try:
        # Only iati-activity end events reach Python (the tag filter runs in C).
        yield from _iter_activities(etree.iterparse(f, events=("end",), tag="iati-activity", huge_tree=True), 0)
    except etree.XMLSyntaxError as e:
        problems.append(syntax_problem(Path(f.name), e))
    except OSError as e:
        problems.append(Problem(f.name, "file", "", f"cannot read: {e}"))


def activities_in(data: bytes, offset: int, file: str, problems: list[Problem]) -> Iterator[tuple[int, Any]]:
    """As :func:`activities`, from a piece of ``file`` held in memory whose first line is ``offset + 1``.

    >>> [(line, a.get("n")) for line, a in activities_in(b'<r>\\n<iati-activity n="1"/></r>', 10, "f.xml", [])]
    [(12, '1')]
    """
    try:
        yield from _iter_activities(
            etree.iterparse(io.BytesIO(data), events=("end",), tag="iati-activity", huge_tree=True), offset
        )
    except etree.XMLSyntaxError as e:
        problems.append(syntax_problem(Path(file), e))


def _iter_activities(events: Any, offset: int) -> Iterator[tuple[int, Any]]:
    for _, el in events:
        yield offset + el.sourceline, el
        el.clear()
        while el.getprevious() is not None:  # drop what has been read, keep memory flat
            del el.getparent()[0]


def syntax_problem(path: Path, e: etree.XMLSyntaxError) -> Problem:
    """A parser's error as one problem naming the file and its line."""
    from loaders.tabular import FORMATS  # on this error path only: the IATI workers need not import the tabular loader

    line = max(1, e.lineno or (e.position[0] if e.position else 1))
    curated = path.suffix.lower() in FORMATS  # the wrong command, not a broken file
    return Problem(
        str(path), f"line {line}", "", f"malformed XML: {e.msg}" + ("; a curated file loads with `ccb load`" if curated else "")
    )


def check_root(path: Path, problems: list[Problem]) -> bool:
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


def children(el: Any) -> dict[str, list[Any]]:
    """An element's children by tag, in one pass (a ``find`` costs as much as this whole walk).

    >>> sorted((tag, len(els)) for tag, els in children(etree.fromstring("<a><b/><c/><b/></a>")).items())
    [('b', 2), ('c', 1)]
    """
    out: dict[str, list[Any]] = {}
    for c in el:
        tag = c.tag
        if tag in out:
            out[tag].append(c)
        else:
            out[tag] = [c]
    return out


def first(kids: dict[str, list[Any]], tag: str) -> Any:
    """The first child with ``tag`` from :func:`children`, or None.

    >>> kids = children(etree.fromstring('<a><b n="1"/><b n="2"/></a>'))
    >>> first(kids, "b").get("n"), first(kids, "c")
    ('1', None)
    """
    got = kids.get(tag)
    return got[0] if got else None


def narrative(el: Any, lang: str) -> str | None:
    """An element's text: its English narrative, else one in ``lang``, else the first; spaces collapsed.

    >>> narrative(etree.fromstring('<t><narrative xml:lang="fr">Bonjour</narrative><narrative xml:lang="en">Hello  world</narrative></t>'), "fr")
    'Hello world'
    """
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


def text(el: Any) -> str | None:
    """An element's own text, stripped; None for no element or no text.

    >>> text(etree.fromstring("<value> 1000 </value>")), text(etree.fromstring("<value/>")), text(None)
    ('1000', None, None)
    """
    return el.text.strip() if el is not None and el.text and el.text.strip() else None


def attr(el: Any, name: str) -> str | None:
    """An attribute of an element that may be missing."""
    return el.get(name) if el is not None else None


def number(raw: str | None, file: str, where: str, field: str, problems: list[Problem]) -> float | None:
    """``raw`` as a finite, non-negative number no larger than any amount a source states; None if absent.

    Anything else is added to ``problems`` (naming ``field``) and gives None.

    >>> found = []; number("12.5", "f.xml", "activity A", "value", found), number("inf", "f.xml", "activity A", "value", found)
    (12.5, None)
    >>> found[0].message
    "expected a finite number below 1e+15, got 'inf'"
    """
    if raw is None or raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        problems.append(Problem(file, where, field, f"expected a number, got {raw!r}"))
        return None
    if not math.isfinite(value) or value > MAX_AMOUNT:
        problems.append(Problem(file, where, field, f"expected a finite number below {MAX_AMOUNT:.0e}, got {raw[:40]!r}"))
        return None
    if value < 0:
        problems.append(Problem(file, where, field, f"expected a non-negative number, got {raw!r}"))
        return None
    return value
