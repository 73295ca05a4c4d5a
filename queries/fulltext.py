"""Full-text search over the catalogue: names, aliases, descriptions, themes, countries reached, donors and
implementers, ranked, each hit with its match in context.

The engine is SQLite's FTS5, from the standard library: an inverted index with BM25 ranking, per-column
weights, stemming (the Porter tokenizer: "women" and "woman", "trainings" and "training" meet) and ``snippet()``
for the context, in memory, with no server and no new dependency. Substring matching ranked nothing and found
"US" inside "Australia"; a search server (Elasticsearch, Meilisearch) would be a second process to run for a few
thousand documents. The index is built from the store (:func:`index`, once per cached store: the app drops its
cached store, and with it the index, when the store changes) and holds no fact the store does not.

Ranking, in tiers, then by BM25 within a tier: first what the words *name* exactly (a theme, a country, an
organisation: "cybercrime" puts every theme-C programme first, "Kenya" every programme that names Kenya, "US"
the United States, its agencies and what they fund), then hits in a name or an alias, then hits anywhere.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from dataclasses import dataclass, field
from typing import Any

from graph.model import THEMES
from graph.store import Store, memo
from queries import catalogue, facts, terms

Row = dict[str, Any]

# Columns of the index and their BM25 weights (kind and key are carried, not searched).
COLUMNS = {"name": 10.0, "aliases": 8.0, "themes": 6.0, "places": 4.0, "donors": 4.0, "orgs": 2.0, "description": 1.0}
STOP = frozenset({"a", "an", "and", "for", "in", "of", "on", "the", "to", "with", "by"})
MAX_WORDS = 32  # the words of a search looked up (as search engines bound a query): the rest are left out
MARK = ("«", "»")  # the matched words in a snippet: plain text, escaped like any value on a page
LIMIT = 100  # hits per kind at most; a note says how many more there are


@dataclass
class Hits:
    """What a search found: per kind (``country``, ``organisation``, ``programme``), ranked rows, and the total."""

    text: str
    rows: dict[str, list[Row]]
    totals: dict[str, int]
    keys: dict[str, list[str]] = field(default_factory=dict)  # every hit's key per kind, ranked (rows stop at the limit)
    dropped: list[str] = field(default_factory=list)  # words past the first MAX_WORDS, not searched: said, not hidden


class Index:
    """An FTS5 index of every country, organisation and programme in a store."""

    def __init__(self, store: Store) -> None:
        self.db = sqlite3.connect(":memory:", check_same_thread=False)  # read under the lock below, from any thread
        self.lock = threading.Lock()
        cols = ", ".join(COLUMNS)
        self.db.execute(
            f"CREATE VIRTUAL TABLE doc USING fts5(kind UNINDEXED, key UNINDEXED, {cols}, "  # noqa: S608 (fixed names)
            "tokenize='porter unicode61 remove_diacritics 2')"
        )
        progs = catalogue.programmes(store)
        orgs = catalogue.organisations(store)
        places = catalogue.countries(store)
        self.org_names = {o["id"]: o["name"] for o in orgs}
        self.country_names = {c["iso3"]: c["name"] for c in places}
        self.up = facts.donors(store)
        self.programmes = {p["programme"]: p for p in progs}
        self.organisations = {o["id"]: o for o in orgs}
        self.countries = {c["iso3"]: c for c in places}
        self.terms = terms.Terms.of(store)
        aliases: dict[str, list[str]] = {o["id"]: o["aliases"] for o in orgs}

        def org_words(ids: list[str]) -> str:
            return " ; ".join(" ".join([self.org_names.get(o, o), *aliases.get(o, [])]) for o in ids)

        docs = []
        for c in places:
            docs.append(
                ("country", c["iso3"], c["name"], c["iso3"], "", f"{c['region'] or ''} {c['subregion'] or ''}", "", "", "")
            )
        for o in orgs:
            docs.append(
                (
                    "organisation",
                    o["id"],
                    o["name"],
                    " ".join([o["id"].replace("-", " "), *o["aliases"]]),
                    " ; ".join(THEMES[t] for t in o["themes"]),
                    " ".join([self.country_names.get(o["country"] or "", ""), *o["regions"]]),
                    org_words([o["part_of"]] if o["part_of"] else []),
                    "",
                    o["kind"] or "",
                )
            )
        for p in progs:
            reached = [*p["countries"], *p["participants"], *p["hosts"]]
            docs.append(
                (
                    "programme",
                    p["programme"],
                    p["name"],
                    p["programme"].replace("-", " "),
                    " ; ".join(THEMES[t] for t in p["themes"]),
                    " ; ".join([*(self.country_names.get(c, c) for c in reached), *p["subregions"], *p["regions"]]),
                    org_words(sorted(set(p["donors"]) | set(p["funders"]))),
                    org_words(p["implementers"]),
                    p["description"] or "",
                )
            )
        self.db.executemany(f"INSERT INTO doc VALUES ({', '.join('?' * (len(COLUMNS) + 2))})", docs)  # noqa: S608
        self.db.commit()

    def match(self, text: str) -> list[tuple[str, str, float, int, int]]:
        """(kind, key, BM25 score (lower is better), whether a name or an alias holds every word, rowid) per hit."""
        expr = fts_query(text)
        if not expr:
            return []
        weights = ", ".join(str(w) for w in COLUMNS.values())
        sql = (
            f"SELECT kind, key, bm25(doc, 0, 0, {weights}) AS score, "  # noqa: S608 (fixed numbers; the text is bound)
            "key IN (SELECT key FROM doc WHERE doc MATCH ?) AS titled, rowid FROM doc WHERE doc MATCH ? ORDER BY score, key"
        )
        with self.lock:
            return list(self.db.execute(sql, ("{name aliases} : (" + expr + ")", expr)))

    def contexts(self, text: str, hits: list[tuple[str, int]]) -> dict[int, str]:
        """rowid -> the match in context (:func:`in_context`), for the (kind, rowid) ``hits`` shown only: marking
        every hit of a common word at size L cost a second."""
        expr = fts_query(text)
        if not expr or not hits:
            return {}
        marked = ", ".join(f"highlight(doc, {i}, '{MARK[0]}', '{MARK[1]}')" for i in range(2, len(COLUMNS) + 2))
        sql = (
            f"SELECT rowid, kind, {marked} FROM doc WHERE doc MATCH ? "  # noqa: S608 (fixed numbers; the text is bound)
            "AND rowid IN (SELECT value FROM json_each(?))"
        )
        with self.lock:
            rows = list(self.db.execute(sql, (expr, json.dumps([rowid for _, rowid in hits]))))
        return {rowid: in_context(kind, cols) for rowid, kind, *cols in rows}


# How a snippet names the field that matched, per kind of document.
FIELD_WORDS = {
    "places": {"programme": "reaches", "organisation": "based in or works in", "country": "region"},
    "donors": {"programme": "funded by", "organisation": "part of"},
    "orgs": {"programme": "implemented by"},
    "description": {"programme": "description", "organisation": "kind"},
    "themes": {"programme": "theme", "organisation": "works on"},
    "aliases": {"programme": "id", "organisation": "also called", "country": "code"},
}


def in_context(kind: str, highlighted: list[str], around: int = 60) -> str:
    """The first field (in :data:`COLUMNS` order) holding a marked word, named, with up to ``around`` characters of
    its text either side of the first mark.

    >>> in_context("programme", ["Name", "", "", "Kenya ; «Ghana»", "", "", ""])
    'reaches: Kenya ; «Ghana»'
    """
    for column, text in zip(COLUMNS, highlighted):
        at = text.find(MARK[0])
        if at < 0:
            continue
        start, end = max(0, at - around), min(len(text), text.find(MARK[1], at) + 1 + around)
        body = ("…" if start else "") + text[start:end].strip() + ("…" if end < len(text) else "")
        word = FIELD_WORDS.get(column, {}).get(kind)
        return f"{word}: {body}" if word else body
    return ""


def fts_query(text: str) -> str:
    """``text`` as an FTS5 query: its words, each quoted (no user text is FTS syntax), a word of four letters or more
    also matching as a prefix ("cyber" finds "cybersecurity"), and common words dropped when others remain.

    Each word once, the first :data:`MAX_WORDS` of them: FTS5's time grows with the square of the terms, and a
    request of 20,000 words held the app for three minutes.

    >>> fts_query('women in "cyber"'), fts_query("US"), fts_query("  "), fts_query("in")
    ('"women"* "cyber"*', '"us"', '', '"in"')
    >>> fts_query("kenya " * 20_000), len(fts_query(" ".join(f"w{i}" for i in range(100))).split())
    ('"kenya"*', 32)
    """
    return " ".join(f'"{w}"*' if len(w) >= 4 else f'"{w}"' for w in search_words(text)[:MAX_WORDS])


def dropped_note(dropped: list[str]) -> list[str]:
    """What a search left out, as a line to show beside its results (none when it left nothing out).

    >>> dropped_note([]), dropped_note(["kenya", "ghana"])
    ([], ['Only the first 32 distinct words were searched; 2 more were left out (kenya, ghana).'])
    """
    if not dropped:
        return []
    shown = ", ".join(dropped[:5]) + (", ..." if len(dropped) > 5 else "")
    were = "was" if len(dropped) == 1 else "were"
    return [f"Only the first {MAX_WORDS} distinct words were searched; {len(dropped):,} more {were} left out ({shown})."]


def search_words(text: str) -> list[str]:
    """The words of ``text`` a search looks for: each once, in order, common words dropped when others remain (only the
    first :data:`MAX_WORDS` are looked up).

    >>> search_words("Women in cyber, women in Kenya"), search_words("in the")
    (['women', 'cyber', 'kenya'], ['in', 'the'])
    """
    words = list(dict.fromkeys(re.findall(r"\w+", text.casefold())))
    return [w for w in words if w not in STOP] or words


def index(store: Store) -> Index:
    """The index of ``store``, built once per cached store."""
    return memo(store, "fulltext.index", lambda: Index(store))  # type: ignore[no-any-return]


def search(store: Store, text: str, limit: int = LIMIT) -> Hits:
    """Countries, organisations and programmes matching ``text``, ranked (see the module's note), with the match.

    Examples
    --------
    >>> from graph.examples import example_store, gaps_records
    >>> s = example_store(gaps_records())
    >>> found = search(s, "kenya")
    >>> [r["iso3"] for r in found.rows["country"]], [r["programme"] for r in found.rows["programme"]]
    (['KEN'], ['pA'])
    >>> found.rows["programme"][0]["match"]
    'names Kenya'
    >>> s.close()
    """
    ix = index(store)
    text = text.strip()
    if not re.search(r"\w", text):
        empty = ("country", "organisation", "programme")
        return Hits(text, {k: [] for k in empty}, dict.fromkeys(empty, 0), {k: [] for k in empty})
    exact = _named(ix, text)
    found: dict[tuple[str, str], Row] = {}
    for kind, key, tier, why in exact:
        found.setdefault((kind, key), {"tier": tier, "score": 0.0, "match": why, "rowid": None})
    for kind, key, score, titled, rowid in ix.match(text):
        hit = found.setdefault((kind, key), {"tier": 2 if titled else 3, "score": score, "match": None, "rowid": rowid})
        hit["score"] = score  # within a tier, BM25 orders
    ranked: dict[str, list[tuple[str, Row]]] = {"country": [], "organisation": [], "programme": []}
    for (kind, key), hit in sorted(found.items(), key=lambda kv: (kv[1]["tier"], kv[1]["score"], kv[0][1])):
        ranked[kind].append((key, hit))
    shown = {k: v[:limit] for k, v in ranked.items()}
    context = ix.contexts(text, [(k, h["rowid"]) for k, v in shown.items() for _, h in v if h["match"] is None])
    rows = {
        kind: [_row(ix, kind, key, hit | {"match": hit["match"] or context.get(hit["rowid"], "")}) for key, hit in v]
        for kind, v in shown.items()
    }
    keys = {k: [key for key, _ in v] for k, v in ranked.items()}
    return Hits(text, rows, {k: len(v) for k, v in ranked.items()}, keys, search_words(text)[MAX_WORDS:])


def _named(ix: Index, text: str) -> list[tuple[str, str, float, str]]:
    """What ``text`` names exactly (a theme, a country, an organisation) and what those reach, with their tier: -1
    for the thing named; 0 for its agencies, its programmes on the theme, those naming the country as a beneficiary and those its donor
    funds; 1 for the programmes that host the country or have it take part; what it implements after what it funds
    (a country's name asks first what reaches it, so its government's programmes come after those)."""
    out: list[tuple[str, str, float, str]] = []
    try:
        theme = terms.theme(text) if len(text) > 1 else None  # one letter alone is a word, not a theme
    except terms.UnknownName:
        theme = None
    if theme:
        out += [("programme", k, 0, f"theme {theme} {THEMES[theme]}") for k, p in ix.programmes.items() if theme in p["themes"]]
    country = ix.terms.find_country(text)
    if country:
        name = ix.country_names.get(country, country)
        out.append(("country", country, -1, f"the country {name}"))
        for k, p in ix.programmes.items():
            for tier, field, why in ((0, "countries", "names"), (1, "hosts", "hosted in"), (1, "participants", "with")):
                if country in p[field]:
                    out.append(("programme", k, tier, f"{why} {name}"))
                    break
    funded = 1 if country else 0  # a country's name asks first what reaches it, then what its government funds
    org = ix.terms.find_organisation(text) or (ix.terms.governments.get(country) if country else None)
    if org:
        family = facts.family(org, ix.up)
        name = ix.org_names.get(family, family)
        for k in ix.organisations:
            if k == org or facts.family(k, ix.up) == family:
                out.append(("organisation", k, -1 if k == org else 0, "the organisation" if k == org else f"part of {name}"))
        for k, p in ix.programmes.items():
            if family in p["donors"]:
                out.append(("programme", k, funded, f"funded by {name}"))
            elif org in p["implementers"]:
                out.append(("programme", k, funded + 0.5, f"implemented by {name}"))
    return out


def _row(ix: Index, kind: str, key: str, hit: Row) -> Row:
    if kind == "country":
        c = ix.countries[key]
        return {"iso3": key, "name": c["name"], "region": c["region"], "match": hit["match"]}
    if kind == "organisation":
        o = ix.organisations[key]
        return {"id": key, "name": o["name"], "kind": o["kind"], "match": hit["match"]}
    p = ix.programmes[key]
    return {
        "programme": key,
        "name": p["name"],
        "themes": p["themes"],
        "start_date": p["start_date"],
        "end_date": p["end_date"],
        "match": hit["match"],
    }
