"""Organisation names, normalised so that spelling variants compare equal."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_DROP = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    """Case, accents, punctuation, '&' and a leading 'the' folded away.

    Examples
    --------
    >>> normalise_name("Foreign, Commonwealth & Development Office")
    'foreign commonwealth and development office'
    >>> normalise_name("The  Commonwealth") == normalise_name("commonwealth")
    True
    >>> normalise_name("Auswärtiges Amt")
    'auswartiges amt'
    """
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = _SPACE.sub(" ", _DROP.sub(" ", text.casefold().replace("&", " and "))).strip()
    return text.removeprefix("the ")


def slug(name: str) -> str:
    """A stable key from a name: ``"Agency B (Nairobi)"`` -> ``"agency-b-nairobi"``.

    >>> slug("Name of Agency B")
    'name-of-agency-b'
    """
    return normalise_name(name).replace(" ", "-")[:120] or "unnamed"


def initials(name: str) -> str:
    """Upper-case initials of the words that carry meaning.

    >>> initials("Foreign, Commonwealth & Development Office")
    'FCDO'
    """
    words = [w for w in normalise_name(name).split() if w not in {"and", "of", "for", "the", "on", "in"}]
    return "".join(w[0] for w in words).upper()


def suggest(value: str, candidates: Iterable[str], otherwise: str, cutoff: float = 0.5) -> str:
    """The hint for an unknown name: the closest candidates, or ``otherwise``.

    >>> suggest("Kenia", ["Kenya", "Ghana"], "use an ISO code")
    'did you mean Kenya?'
    """
    from difflib import get_close_matches

    close = get_close_matches(value, list(candidates), n=3, cutoff=cutoff)
    return f"did you mean {', '.join(close)}?" if close else otherwise
