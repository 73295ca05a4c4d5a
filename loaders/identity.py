"""Organisation identity: one node per body, whatever it is called.

An IATI ref or a name resolves, in this order, through the alias table
shipped with the data (``data/aliases.csv``), the ids, names and aliases of
the bundled organisations, and those already in the store; names compare
after :func:`graph.names.normalise_name`. What matches nothing gets a new
id: its ref, or a slug of its name. ``ccb duplicates`` lists the near
misses for a curator to add to the alias table.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import cache, lru_cache

from graph import cypher
from graph.model import KEY, Organisation
from graph.names import normalise_name, slug
from graph.store import Store
from loaders import bundled


@cache
def _bundled_orgs() -> dict[str, Organisation]:
    from loaders.tabular import read_batch

    out: dict[str, Organisation] = {}
    for f in (bundled.BLOCS, bundled.PROGRAMMES):
        found = read_batch(f, check_references=False).nodes.get("Organisation", {})
        out.update((k, v) for k, v in found.items() if isinstance(v, Organisation))
    return out


@cache
def _alias_table() -> dict[str, str]:
    with open(bundled.ALIASES, encoding="utf-8", newline="") as f:
        return {_norm(r["alias"]): r["org_id"] for r in csv.DictReader(f)}


@lru_cache(maxsize=65_536)  # a file names the same bodies thousands of times, in changing ref/name pairs
def _norm(s: str) -> str:
    return normalise_name(s) or s.casefold()


@dataclass
class Resolver:
    """Organisation ids from what a file calls them: bundled and stored names, aliases and IATI refs first."""

    names: dict[str, str] = field(default_factory=dict)  # normalised name/alias/ref -> id
    store_ids: set[str] = field(default_factory=set)
    bundled: dict[str, Organisation] = field(default_factory=dict)  # held, so a worker process gets it with the resolver
    _memo: dict[tuple[str | None, str | None], str] = field(default_factory=dict)

    @classmethod
    def from_store(cls, store: Store | None) -> Resolver:
        """A resolver knowing the bundled organisations, the alias table and those already in ``store``."""
        r = cls(bundled=_bundled_orgs())
        for org in r.bundled.values():
            r._learn(org.id, org.name, org.aliases)
        r.names.update(_alias_table())
        if store is not None:
            rows = store.query(cypher.ORGANISATION_NAMES)
            for row in rows:
                r.store_ids.add(row["id"])
                r._learn(row["id"], row["name"], row["aliases"] or [])
        return r

    def _learn(self, oid: str, name: str, aliases: list[str]) -> None:
        for n in (oid, name, *aliases):
            self.names.setdefault(_norm(n), oid)

    def resolve(self, ref: str | None, name: str | None) -> str:
        """The id for an organisation known by ``ref`` and/or ``name``.

        >>> r = Resolver.from_store(None)
        >>> r.resolve("GB-GOV-1", "Foreign Office"), r.resolve(None, "The Council of Europe")
        ('uk-fcdo', 'council-of-europe')
        >>> r.resolve("XX-ABC-1", "Someone New"), r.resolve(None, "Someone Else")
        ('XX-ABC-1', 'someone-else')
        """
        if (ref, name) not in self._memo:  # a file names the same few bodies thousands of times
            self._memo[(ref, name)] = self._resolve(ref, name)
        return self._memo[(ref, name)]

    def _resolve(self, ref: str | None, name: str | None) -> str:
        for candidate in (ref, name):
            if candidate and (oid := self.names.get(_norm(candidate))):
                return oid
        if ref and KEY.match(ref):
            return ref
        return slug(name or ref or "")

    def in_store(self, oid: str) -> bool:
        """Whether ``oid`` is already in the store (so it is not written again)."""
        return oid in self.store_ids

    def bundled_record(self, oid: str) -> Organisation | None:
        """The bundled record of ``oid``, if it is a bundled organisation."""
        return self.bundled.get(oid)
