"""Network analyses: partnership opportunities, brokers, communities.

Multi-hop partner patterns in Cypher were measured at 40 s to failure on
420k rows, so the graph is read once as plain rows (an organisation's
activity: programme, themes, countries) and projected here. The
collaboration graph's weights are counted on integer codes in numpy and
handed to igraph's C core as arrays (:class:`Collaboration`), in NetworkX's
node and edge order, so betweenness and Leiden communities give the
numbers NetworkX would (:func:`betweenness`, :func:`leiden` take a
NetworkX graph for other callers). Inputs are sorted and seeds fixed, so
the same data gives the same answer every run.

The *collaboration graph* links two organisations that fund or implement
the same programme (weight: programmes shared) or have a PARTNERS_WITH
relationship (weight 1).
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, combinations
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from graph.model import M49_REGIONS
from graph.store import Store, gc_paused, memo
from queries import facts, named, need, terms
from queries.analysis import donors, regional_in, with_bloc_reach
from queries.terms import Terms, UnknownName

if TYPE_CHECKING:  # igraph is imported where a graph is built: it costs every command 0.5 s to import
    import igraph as ig

SEED = 42
EXACT_BETWEENNESS_UP_TO = 1_000  # nodes; above, betweenness is sampled from this many sources, seeded
# Each sampled source is a BFS over the whole graph (~0.6 s in NetworkX, ~10 ms in igraph, at 20k
# organisations and 600k links): beyond this size the sample shrinks to SMALL_SAMPLE sources.
LARGE_GRAPH, SMALL_SAMPLE = 5_000, 100
# Leiden passes: at 20k organisations, 10 reach within 0.0002 of the modularity of running to a
# stable pass (0.0646 against 0.0648 at 20 passes), in 0.3 s instead of 2.5 s.
LEIDEN_ITERATIONS = 10
_IGRAPH_RNG = threading.Lock()  # igraph's random source is process-wide: one seeded run at a time
# A country or theme with more organisations than this says little about any one
# pair (it would add under 1/500) and costs k^2/2 pairs: partners() skips it.
MAX_CONTEXT = 500
# Where a global programme is at work, beside the M49 regions a regional one's scope covers (M49's code 001)
WORLD = "World"


@dataclass
class Activity:
    """What organisations do, by organisation: programmes, countries and themes.

    ``countries`` and ``themes`` (organisation -> the beneficiary countries or themes of its programmes) are
    joined on first use with what ``reach()`` returns (:func:`activity` sets it): the collaboration graph
    needs neither.
    """

    names: dict[str, str] = field(default_factory=dict)
    programmes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    funders: set[str] = field(default_factory=set)
    # organisation -> the programmes it delivered: those it leads, and those it implements where no lead is named
    # (a partner in another's programme, or a team taking part in a drill, did not deliver it in each of its
    # countries): what a plan's suggested implementers are judged on
    implemented: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    funded: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # counted at the donor, if rolled up
    partners: set[frozenset[str]] = field(default_factory=set)
    counted_with: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # donor -> agencies rolled up
    reach: Callable[[], tuple[pa.Array, ByProgramme, ByProgramme]] | None = None

    def _join(self, programmes: Mapping[str, set[str]]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        themes: dict[str, set[str]] = defaultdict(set)
        countries: dict[str, set[str]] = defaultdict(set)
        if self.reach is not None and programmes:
            ids, by_theme, by_country = self.reach()
            with gc_paused():
                members = Members.of(programmes, ids)
                themes.update(members.unions(by_theme))
                countries.update(members.unions(by_country))
        return themes, countries

    @cached_property
    def _joined(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        return self._join(self.programmes)

    def acted(self, org: str) -> set[str]:
        """The programmes ``org`` funded or delivered (:attr:`implemented`): where it acts itself."""
        return self.funded.get(org, set()) | self.implemented.get(org, set())

    @cached_property
    def _acted(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        acted = {o: self.acted(o) for o in self.names}
        return self._join({o: ps for o, ps in acted.items() if ps})

    @property
    def themes(self) -> dict[str, set[str]]:
        """Organisation -> the themes of its programmes."""
        return self._joined[0]

    @property
    def countries(self) -> dict[str, set[str]]:
        """Organisation -> the beneficiary countries of its programmes."""
        return self._joined[1]

    @property
    def acted_countries(self) -> dict[str, set[str]]:
        """Organisation -> the beneficiary countries of the programmes it funded or delivered (:attr:`implemented`):
        where it acts itself, not where a programme it partners in reaches."""
        return self._acted[1]

    @property
    def acted_themes(self) -> dict[str, set[str]]:
        """Organisation -> the themes of the programmes it funded or delivered."""
        return self._acted[0]


def org_programmes(store: Store) -> list[dict[str, str]]:
    """A row per organisation, role (``FUNDS`` or ``IMPLEMENTS``) and programme; read a row per organisation and role
    (built once per cached store; read-only)."""
    return memo(store, "network.org_programmes", lambda: _org_programmes(store))  # type: ignore[no-any-return]


def _org_programmes(store: Store) -> list[dict[str, str]]:
    return [
        {"org": r["org"], "name": r["name"], "role": r["role"], "programme": p}
        for r in store.query(named.ORG_PROGRAMMES)
        for p in r["programmes"]
    ]


def activity(
    store: Store,
    donors: dict[str, tuple[str, str]] | None = None,
    only_countries: set[str] | None = None,
    also: Collection[str] = (),
) -> Activity:
    """What each organisation does; with ``donors`` (agency -> (donor, name)), funding is counted at the donor.

    With ``only_countries``, what it does there: the programmes naming one of them, and those countries alone,
    and the programmes in ``also`` (regional ones at work there that name no country).
    """
    act = Activity()
    inside: set[str] | None = None
    if only_countries is not None:
        ids, themes, countries = reach_arrays(store)
        countries = countries.only(only_countries)
        inside = set(ids.filter(pa.array(np.diff(countries.indptr) > 0)).to_pylist()) | set(also)
        act.reach = lambda: (ids, themes, countries)
    else:
        act.reach = lambda: reach_arrays(store)
    up = donors or {}
    with gc_paused():
        for r in store.query(named.ORG_PROGRAMMES):  # a row per organisation and role, its programmes collected
            progs = r["programmes"] if inside is None else [p for p in r["programmes"] if p in inside]
            if not progs:
                continue
            funds = r["role"] == "FUNDS"
            org, name = up.get(r["org"], (r["org"], r["name"])) if funds else (r["org"], r["name"])
            if org != r["org"]:
                act.counted_with[org].add(r["org"])
            act.names[org] = name
            act.programmes[org].update(progs)
            if funds:
                act.funders.add(org)
                act.funded[org].update(progs)
        by_role = list(store.query(named.IMPLEMENTS_BY_ROLE))
        led = {p for r in by_role if r["role"] == "lead" for p in r["programmes"]}
        for r in by_role:
            progs = r["programmes"] if inside is None else [p for p in r["programmes"] if p in inside]
            act.implemented[r["org"]].update(progs if r["role"] == "lead" else [p for p in progs if p not in led])
        for r in store.query(named.PARTNERSHIPS):
            act.partners.add(frozenset((r["a"], r["b"])))
    return act


@dataclass(frozen=True)
class ByProgramme:
    """A many-valued property of programmes (their countries, their themes) as CSR arrays over programme codes:
    programme ``i``'s values are ``names[values[indptr[i]:indptr[i + 1]]]``."""

    indptr: np.ndarray
    values: np.ndarray
    names: list[str]

    @classmethod
    def of(cls, ids: pa.Array, groups: Sequence[tuple[list[str], list[str]]]) -> ByProgramme:
        """From ``(values, programmes)`` groups (each programme of a group has each of its values), as the store
        answers them: a row per country or theme set, its programmes collected."""
        names = sorted({v for vs, _ in groups for v in vs})
        code = {v: i for i, v in enumerate(names)}
        # one look-up of every programme (Arrow hashes the ids once per call, a second per call at size XL)
        flat = pa.array(chain.from_iterable(ps for _, ps in groups), pa.string())
        found = pc.index_in(flat, value_set=ids)
        if found.null_count:
            raise ValueError(f"programmes missing from the programme table: {flat.filter(found.is_null())[:5]}")
        at = found.to_numpy(zero_copy_only=False).astype(np.int64)
        size = np.fromiter((len(ps) for _, ps in groups), np.int64, len(groups))
        progs, vals = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
        for (vs, _), p in zip(groups, np.split(at, np.cumsum(size)[:-1])):
            progs.append(np.repeat(p, len(vs)))
            vals.append(np.tile(np.fromiter((code[v] for v in vs), np.int64, len(vs)), len(p)))
        prog, val = np.concatenate(progs), np.concatenate(vals)
        width = max(len(names), 1)
        key = _sorted_unique(prog * width + val)  # by programme, then value; each pair once
        counts = np.bincount(key // width, minlength=len(ids))
        return cls(np.concatenate([[0], np.cumsum(counts)]), key % width, names)

    def at(self, i: int) -> list[str]:
        """The values of the programme coded ``i``, in name order."""
        return [self.names[v] for v in self.values[self.indptr[i] : self.indptr[i + 1]].tolist()]

    def only(self, keep: Collection[str]) -> ByProgramme:
        """The same property with only the values in ``keep``."""
        wanted = np.fromiter((n in keep for n in self.names), bool, len(self.names))
        kept = wanted[self.values]
        prog = np.repeat(np.arange(len(self.indptr) - 1), np.diff(self.indptr))[kept]
        counts = np.bincount(prog, minlength=len(self.indptr) - 1)
        return ByProgramme(np.concatenate([[0], np.cumsum(counts)]), self.values[kept], self.names)


@dataclass(frozen=True)
class Members:
    """Organisations' programmes as coded arrays: the organisations, and per membership its organisation's and its
    programme's codes."""

    orgs: list[str]
    org: np.ndarray
    prog: np.ndarray

    @classmethod
    def of(cls, programmes: Mapping[str, Collection[str]], ids: pa.Array) -> Members:
        """From organisation -> its programmes, programmes coded by their position in ``ids``."""
        orgs = list(programmes)
        lengths = np.fromiter((len(v) for v in programmes.values()), np.int64, len(orgs))
        flat = pa.array(chain.from_iterable(programmes.values()), pa.string())
        prog = pc.index_in(flat, value_set=ids).to_numpy(zero_copy_only=False).astype(np.int64)
        return cls(orgs, np.repeat(np.arange(len(orgs), dtype=np.int64), lengths), prog)

    def pairs(self, by: ByProgramme) -> tuple[np.ndarray, np.ndarray]:
        """Every (organisation, value of ``by``) met through one of its programmes, once, as codes sorted by
        organisation then value: the join counted in numpy, where a set union per organisation in Python cost
        6 s at size XL."""
        width = max(len(by.names), 1)
        k = np.diff(by.indptr)[self.prog]  # values per membership
        first = np.repeat(by.indptr[self.prog] - np.concatenate([[0], np.cumsum(k)[:-1]]), k)
        key = _sorted_unique(np.repeat(self.org, k) * width + by.values[first + np.arange(k.sum())])
        return key // width, key % width

    def unions(self, by: ByProgramme) -> dict[str, set[str]]:
        """Each organisation's values of ``by`` over all its programmes (:meth:`pairs`)."""
        org, value = self.pairs(by)
        bounds = np.searchsorted(org, np.arange(len(self.orgs) + 1)).tolist()
        names = np.asarray(by.names, dtype=object)[value].tolist()
        return {o: set(names[bounds[i] : bounds[i + 1]]) for i, o in enumerate(self.orgs)}

    def where(self, keep: np.ndarray) -> Members:
        """The memberships where ``keep`` holds, and only the organisations left with one."""
        org = self.org[keep]
        present = np.unique(org)
        return Members([self.orgs[i] for i in present.tolist()], np.searchsorted(present, org), self.prog[keep])


def reach_of(store: Store, programmes: Iterable[str]) -> dict[str, tuple[list[str], list[str]]]:
    """The themes and beneficiary countries (each sorted) of ``programmes`` (an organisation's page), from the arrays
    the activity joins to, without a dict of every programme.

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import network_records as records
    >>> s = example_store(records())
    >>> reach_of(s, ["p3", "p1"])
    {'p1': (['C'], ['GHA']), 'p3': (['A'], ['KEN'])}
    >>> s.close()
    """
    ids, themes, countries = reach_arrays(store)
    wanted = sorted(set(programmes))
    at = pc.index_in(pa.array(wanted, pa.string()), value_set=ids).to_pylist()
    out = {}
    for p, i in zip(wanted, at):
        if i is None:
            raise KeyError(p)
        out[p] = (themes.at(i), countries.at(i))
    return out


def reach_arrays(store: Store) -> tuple[pa.Array, ByProgramme, ByProgramme]:
    """Every programme's id (its code is its position), themes and beneficiary countries as
    :class:`ByProgramme` arrays: what the activity joins to, read as the store groups it (a row per theme set
    and per country) and built once per cached store."""

    def build() -> tuple[pa.Array, ByProgramme, ByProgramme]:
        theme_rows = store.query(named.PROGRAMME_THEMES)
        ids = pa.array(sorted(chain.from_iterable(r["programmes"] for r in theme_rows)), pa.string())
        themes = ByProgramme.of(ids, [(r["themes"] or [], r["programmes"]) for r in theme_rows])
        countries = ByProgramme.of(ids, [([r["iso3"]], r["programmes"]) for r in store.query(named.COUNTRY_PROGRAMMES)])
        return ids, themes, countries

    return memo(store, "network.reach_arrays", build)  # type: ignore[no-any-return]


def collaboration_weights(
    members: Mapping[str, Collection[str]], partners: Iterable[Iterable[str]]
) -> dict[tuple[str, str], int]:
    """The collaboration graph's edges, one rule for the analyses and the network page alike.

    ``members`` maps a programme to the organisations that fund or
    implement it; a pair's weight is the programmes it shares, and a
    partnership between organisations that share none weighs 1.

    >>> collaboration_weights({"p1": ["a", "b", "c"], "p2": ["b", "a"]}, [("c", "d"), ("a", "b")])
    {('a', 'b'): 2, ('a', 'c'): 1, ('b', 'c'): 1, ('c', 'd'): 1}
    """
    names, a, b, w = _weight_arrays(members, partners)
    return {(names[i], names[j]): k for i, j, k in zip(a.tolist(), b.tolist(), w.tolist())}


def _weight_arrays(
    members: Mapping[str, Collection[str]], partners: Iterable[Iterable[str]], *, by_org: bool = False
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """:func:`collaboration_weights` as arrays: the organisations' names sorted, and for every edge the codes of its
    two ends (indexes into the names, first < second) and its weight, edges in the order of their codes.
    ``members`` maps a programme to its organisations, or (``by_org``) an organisation to its programmes.

    Counted on integer codes in numpy: the memberships coded by Arrow, sorted once by programme and
    organisation, a programme's pairs taken at every distance along its members, and counted by one sort.
    Tuples of names and a small sort per programme cost 8 us a programme at size XL, and grew faster than
    the graph.
    """
    pairs = [tuple(sorted(set(p))) for p in partners]
    pairs = [p for p in pairs if len(p) == 2]
    orgs = set(members) if by_org else set().union(*members.values())
    names = sorted(orgs.union(*pairs))
    code = {name: i for i, name in enumerate(names)}
    n = max(len(names), 1)
    # one side of each membership is the mapping's key, the other its values: the values coded by Arrow's hash
    # table in C (a dict look-up per membership in Python cost 1 us each at XL, three times the rest)
    lengths = np.fromiter((len(v) for v in members.values()), np.int64, len(members))
    keyed = np.repeat(np.arange(len(members), dtype=np.int64), lengths)
    flat = pa.array(chain.from_iterable(members.values()), pa.string())
    if by_org:  # keys organisations (their codes), values programmes (any codes)
        org = np.fromiter((code[o] for o in members), np.int64, len(members))[keyed]
        prog = _codes(flat)[0]
    else:
        prog = keyed
        values, seen = _codes(flat)
        org = np.fromiter((code[o] for o in seen), np.int64, len(seen))[values]
    key = _sorted_unique(prog * n + org)
    prog, org = key // n, key % n  # by programme, then organisation; each membership once
    found, at = [], np.arange(len(org) - 1)
    for step in range(1, len(org)):  # the pairs (i, i + step) within one programme
        at = at[at + step < len(org)]
        at = at[prog[at + step] == prog[at]]
        if not at.size:
            break
        found.append(org[at] * n + org[at + step])
    keys, counts = _sorted_unique(np.concatenate(found) if found else np.empty(0, np.int64), counts=True)
    extra = np.unique(np.fromiter((code[x] * n + code[y] for x, y in pairs), np.int64, len(pairs)))
    extra = extra[~np.isin(extra, keys)]  # a partnership between organisations that share no programme
    keys = np.concatenate([keys, extra])
    weights = np.concatenate([counts, np.ones(len(extra), np.int64)])
    order = np.argsort(keys, kind="stable")
    keys, weights = keys[order], weights[order]
    return names, keys // n, keys % n, weights


def _codes(values: pa.Array) -> tuple[np.ndarray, list[str]]:
    """Each value's code (its index among the distinct values, in order of first appearance), and those values."""
    encoded = pc.dictionary_encode(values)
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), encoded.dictionary.to_pylist()


def _sorted_unique(a: np.ndarray, counts: bool = False) -> Any:
    """``np.unique(a)`` (with ``counts``, and how many of each) by one sort: numpy's hash-based unique was
    slower on millions of int64 codes here."""
    a = np.sort(a)
    starts = np.flatnonzero(np.r_[True, a[1:] != a[:-1]]) if a.size else np.empty(0, np.int64)
    if not counts:
        return a[starts]
    return a[starts], np.diff(np.r_[starts, a.size])


def _members(act: Activity) -> dict[str, list[str]]:
    """Programme -> the organisations that fund or implement it."""
    members: dict[str, list[str]] = defaultdict(list)
    for org in sorted(act.programmes):
        for p in act.programmes[org]:
            members[p].append(org)
    return members


def collaboration_graph(act: Activity) -> nx.Graph[str]:
    """Organisations linked by shared programmes (weight = how many) or a partnership (:func:`collaboration_weights`)."""
    g: nx.Graph[str] = nx.Graph()
    g.add_nodes_from(sorted(act.programmes))
    g.add_edges_from((a, b, {"weight": w}) for (a, b), w in collaboration_weights(_members(act), act.partners).items())
    return g


def collaboration_igraph(act: Activity) -> tuple[ig.Graph, list[str], list[int]]:
    """The collaboration graph without its isolated organisations, straight into igraph: the graph, the
    organisation of each vertex, and each edge's weight.

    Vertices and edges come in the order of ``_igraph(collaboration_graph(act))`` with the isolated
    nodes removed (NetworkX's: nodes as added, each edge from its earlier end, neighbours as added),
    so seeded algorithms give the same answer as through NetworkX; skipping NetworkX's dicts saves
    most of a second at 20k organisations.

    Examples
    --------
    >>> act = Activity(programmes={"a": {"p1"}, "b": {"p1", "p2"}, "c": {"p2"}, "d": set()}, partners={frozenset("cd")})
    >>> h, nodes, weights = collaboration_igraph(act)
    >>> g = collaboration_graph(act)
    >>> g.remove_nodes_from([n for n in list(g) if g.degree(n) == 0])
    >>> (nodes, h.get_edgelist(), weights) == (list(g), _igraph(g)[0].get_edgelist(), _igraph(g, "weight")[2])
    True
    """
    c = _collaborators(act, isolated=False)
    return c.graph, c.nodes, c.weights


@dataclass
class Collaboration:
    """The collaboration graph in igraph, with NetworkX's node and edge order (see :func:`collaboration_igraph`).

    ``ends`` and ``weights`` are the edges as arrays (vertex codes, weights), ``index`` a name's vertex.
    """

    act: Activity
    nodes: list[str]
    index: dict[str, int]
    graph: ig.Graph
    ends: np.ndarray
    weights: list[int]

    def neighbours(self, name: str) -> list[tuple[str, int]]:
        """``name``'s collaborators and the weight of each tie."""
        i = self.index[name]
        return [(self.nodes[int(sum(self.ends[e]) - i)], self.weights[e]) for e in self.graph.incident(i)]

    @cached_property
    def csr(self) -> tuple[Any, ...]:
        """The ties as CSR arrays (:func:`_csr_of`), built on first use."""
        return _csr_of(len(self.nodes), self.ends, np.asarray(self.weights, dtype=float))


def _collaborators(act: Activity, *, isolated: bool) -> Collaboration:
    """The collaboration graph of ``act`` in igraph; with ``isolated``, every organisation that funds or implements
    something is a vertex, as in :func:`collaboration_graph`, else only those with a collaborator."""
    import igraph as ig

    names, a, b, w = _weight_arrays(act.programmes, act.partners, by_org=True)
    if act.counted_with:  # one donor's bodies are one actor: its funding and its agency's delivery are no tie
        code = {name: i for i, name in enumerate(names)}
        body = np.arange(len(names))
        for donor, rolled in act.counted_with.items():
            body[[code[x] for x in rolled if x in code]] = code[donor]
        apart = body[a] != body[b]
        a, b, w = a[apart], b[apart], w[apart]
    # NetworkX's node order: the organisations with programmes by name, then the others (ends of a partnership
    # alone) in the order the sorted edges first name them
    acting = np.fromiter((name in act.programmes for name in names), bool, len(names))
    ends = np.empty(2 * len(a), np.int64)
    ends[0::2], ends[1::2] = a, b
    seen, first = np.unique(ends, return_index=True)
    alone = ~acting[seen]
    mine = np.flatnonzero(acting) if isolated else seen[~alone]
    codes = np.concatenate([mine, seen[alone][np.argsort(first[alone], kind="stable")]])
    pos = np.full(len(names), -1, np.int64)
    pos[codes] = np.arange(len(codes))
    # each edge from its end earlier in that order; an end's neighbours come in name order
    u = np.where(pos[a] <= pos[b], a, b)
    v = np.where(pos[a] <= pos[b], b, a)
    order = np.lexsort((v, pos[u]))
    edges = np.stack([pos[u][order], pos[v][order]], axis=1)
    nodes = [names[i] for i in codes.tolist()]
    h = ig.Graph(n=len(nodes), directed=False)
    h.add_edges(edges)  # from the array: a list of pairs would cost twice as long
    return Collaboration(act, nodes, {n: i for i, n in enumerate(nodes)}, h, edges, w[order].tolist())


def _check_org(act: Activity, org: str | None, where: str = "in the graph") -> None:
    if org is not None and org not in act.names:
        raise UnknownName(f"{org!r} funds or implements no programme {where}", "pick one from `ccb supports --by funder`")


def _acts(act: Any, org: str) -> bool:
    return bool(act.acted_countries.get(org) or act.acted_themes.get(org))


def acts_itself(store: Store, org: str) -> bool:
    """Whether ``org`` (or, for a donor state or bloc, one of its agencies: :func:`_focus`) funds or delivers a
    programme of its own, where :func:`partners` compares places from; an organisation that only partners in
    others' programmes has none (an organisation's page then suggests no one, and says why, where it failed
    whole)."""
    act, orgs, index = memo(store, "network.partner_contexts", lambda: _contexts(store, None))[:3]
    return any(_acts(act, orgs[i]) for i in _focus(store, org, index))


def partners(store: Store, *, org: str | None = None, limit: int = 50, region: str | None = None) -> list[dict[str, Any]]:
    """Pairs of organisations active in the same countries and themes that do not yet work together.

    An organisation is active where the programmes it funds or delivers reach (delivers: leads, or implements
    where no lead is named, :attr:`Activity.implemented`); a partner in another's programme is not at work in
    each of its countries, though sharing the programme does count as working with its lead.

    Scored with the resource-allocation index on the bipartite graph of
    organisations and their places and themes: every shared country, region
    or theme z adds 1/k(z), k(z) being how many organisations are active
    there, so sharing a quiet country counts more than sharing a crowded one.
    A place is a country a programme names, or the M49 region a regional
    programme's scope covers, or :data:`WORLD` for a global one
    (:func:`acted_regions`); within ``region``, its countries and the region
    itself for the regional programmes at work there that name no country
    (:func:`queries.analysis.regional_in`; global programmes are left out:
    they are not at work in the region more than anywhere). With ``org`` a donor state or bloc,
    its agencies' pairs answer for it (:func:`_focus`).
    Pairs that share a programme or a PARTNERS_WITH are left out, and so are
    pairs of one donor (an agency and its state, two agencies of one state:
    :func:`queries.facts.same_donor`) and pairs whose donors already work
    together (the European Commission and INTERPOL, when the EU funds what
    INTERPOL implements); two donors are one suggestion, through the pair of
    their bodies that scores best. Countries
    and themes with more than :data:`MAX_CONTEXT` active organisations are
    skipped (named in the explanation). ``region`` (a UN M49 region or
    sub-region) scores what organisations do there alone: the programmes
    naming its countries, with those countries, and its regional programmes.

    Examples
    --------
    >>> import os, tempfile
    >>> from graph.embedded import EmbeddedStore
    >>> from graph.examples import network_records as records
    >>> from graph.store import Batch
    >>> s = EmbeddedStore(os.path.join(tempfile.mkdtemp(), "g.lbdb"))
    >>> _ = s.write(Batch().extend(records()))
    >>> [(r["a"], r["b"], r["score"]) for r in partners(s)]
    [('o2', 'o3', 1.0), ('o1', 'o3', 0.667)]
    >>> s.close()
    """
    if org is not None:
        org = Terms.of(store).organisation(org)
    area = terms.region(region)
    inside = {c["iso3"] for c in store.query(named.COUNTRIES) if area in (c["region"], c["subregion"])} if area else None
    if inside is None:  # the whole graph's contexts, built once per cached store (an organisation page asks each time)
        act, orgs, index, crowded, counted, working, family, regions = memo(
            store, "network.partner_contexts", lambda: _contexts(store, None)
        )
    else:
        act, orgs, index, crowded, counted, working, family, regions = _contexts(store, inside, area)
    bodies = _focus(store, org, index)
    where = f" in {terms.area_said(area)}" if area else ""
    if not bodies:
        _check_org(act, org, where.strip() or "in the graph")
    if org is not None and not any(_acts(act, orgs[i]) for i in bodies):
        # only a partner in others' programmes: no places of its own to compare ("no pair shares..." would mislead)
        raise UnknownName(
            f"{org!r} funds or delivers no programme{where}; it only partners in others' (partners are suggested from "
            "where an organisation acts itself)",
            f"its programmes and roles: `ccb profile {org}`",
        )
    codes, scores = _pair_scores(counted, len(orgs), None if org is None else bodies)
    keep = ~np.isin(codes, working)
    codes, scores = _one_per_donor_pair(codes[keep], np.round(scores[keep], 3), family)
    if len(codes) > limit:  # every pair tied with the last one shown is kept, so the order below decides
        cut = np.partition(scores, len(scores) - limit)[len(scores) - limit]
        codes, scores = codes[scores >= cut], scores[scores >= cut]
    n = len(orgs)
    rows = []
    for code, score in zip(codes.tolist(), scores.tolist()):
        a, b = orgs[code // n], orgs[code % n]
        countries = sorted(c for c in act.acted_countries[a] & act.acted_countries[b] if f"country:{c}" in counted)
        themes = sorted(t for t in act.acted_themes[a] & act.acted_themes[b] if f"theme:{t}" in counted)
        areas = sorted(r for r in regions.get(a, set()) & regions.get(b, set()) if f"region:{r}" in counted)
        rows.append(
            {
                "a": a,
                "a_name": act.names[a],
                "b": b,
                "b_name": act.names[b],
                "score": score,
                "shared_countries": countries,
                "shared_themes": themes,
                "shared_regions": areas,
                "explanation": _shared_said(len(countries), areas, len(themes))
                + ", with no joint programme or partnership; each shared country, region or theme adds 1 / "
                "(organisations active there)" + (f"; {len(crowded)} crowded contexts skipped" if crowded else ""),
            }
        )
    return sorted(rows, key=lambda r: (-r["score"], r["a"], r["b"]))[:limit]


def _contexts(
    store: Store, inside: set[str] | None, area: str | None = None
) -> tuple[Activity, list[str], dict[str, int], list[str], dict[str, list[int]], np.ndarray, np.ndarray, dict[str, set[str]]]:
    """What :func:`partners` scores pairs from: the activity (within ``inside`` countries, those of ``area``), the
    organisations and their indices, the crowded contexts left out, the counted ones (context -> member indices,
    ascending), the pairs already working together (themselves or through their donors) or one donor, each
    organisation's donor, coded (:func:`_families`), and the regions of its regional programmes
    (:func:`acted_regions`; within ``area``, the area itself for those at work there)."""
    if inside is None:
        act = whole_activity(store)
        regions = acted_regions(store, act)
    else:
        # the AU-GFCE project names no country yet works in Africa: its funders and implementers share the area
        regional = regional_in(store, area) if area else set()
        act = activity(store, only_countries=inside, also=regional)
        regions = {o: {area} for o in act.names if area and act.acted(o) & regional}
    orgs = sorted(act.names)
    index = {o: i for i, o in enumerate(orgs)}
    where: dict[str, list[int]] = defaultdict(list)
    for o in orgs:  # where each acts itself: IMPACT, ITU's partner in its 2014 CIRT assessments, is not at work in
        # every country ITU's CIRT programme has reached since (it was offered INTERPOL in 53 of them)
        for c in act.acted_countries[o]:
            where[f"country:{c}"].append(index[o])
        for r in regions.get(o, ()):
            where[f"region:{r}"].append(index[o])
        for t in act.acted_themes[o]:
            where[f"theme:{t}"].append(index[o])
    crowded = sorted(z for z, members in where.items() if len(members) > MAX_CONTEXT)
    counted = {z: m for z, m in sorted(where.items()) if 1 < len(m) <= MAX_CONTEXT}
    family = _families(store, index)
    # who already works together, anywhere: in Western Africa, Expertise France and INTERPOL (together in EL PAcCTO)
    # were offered as a new partnership with "no joint programme"
    direct = _working_codes(act if inside is None else whole_activity(store), index)
    working = np.concatenate([direct, _through_donors(direct, family), _family_codes(family)])
    return act, orgs, index, crowded, counted, working, family, regions


def _shared_said(countries: int, areas: list[str], themes: int) -> str:
    """What a pair shares, said: the countries both name, the regions both work across (:data:`WORLD` for global
    programmes), the themes.

    >>> _shared_said(48, [], 3)
    'both active in 48 countries and 3 themes'
    >>> _shared_said(0, ["Africa", "Oceania", "World"], 1)
    'both active in Africa and Oceania through regional programmes, worldwide through global programmes, and in 1 theme'
    >>> _shared_said(19, ["Americas"], 2)
    'both active in 19 countries, in the Americas through regional programmes, and in 2 themes'
    >>> _shared_said(0, ["Oceania", "World"], 0)
    'both active in Oceania through regional programmes and worldwide through global programmes'
    >>> _shared_said(6, [], 0)
    'both active in 6 countries'
    """
    counted = facts.counted(countries, "country", "countries")
    if not areas:
        return f"both active in {counted}" + (f" and {facts.counted(themes, 'theme', 'themes')}" if themes else "")
    regional = [terms.area_said(a) for a in areas if a != WORLD]
    parts = [f"in {counted}"] if countries else []
    if regional:
        parts.append(f"in {terms.spoken(regional)} through regional programmes")
    if WORLD in areas:
        parts.append("worldwide through global programmes")
    if themes:
        parts.append(f"in {facts.counted(themes, 'theme', 'themes')}")
    said = (
        parts[0] if len(parts) == 1 else " and ".join(parts) if len(parts) == 2 else ", ".join(parts[:-1]) + ", and " + parts[-1]
    )
    return f"both active {said}"


def regional_areas(store: Store) -> dict[str, set[str]]:
    """Regional and global programme -> the UN M49 regions its stated scope covers: its regions, its sub-regions'
    regions, and the regions of its blocs' current members; a global programme's is :data:`WORLD`. A programme
    that names no country is still at work somewhere.

    Examples
    --------
    >>> from graph.examples import example_store, gaps_records
    >>> from graph.model import Programme
    >>> s = example_store([*gaps_records(), Programme(id="pr", name="PR", scope="regional",
    ...     scope_regions=["Western Africa", "Oceania"], source="s"), Programme(id="pg", name="PG", scope="global",
    ...     source="s")])
    >>> sorted((p, sorted(a)) for p, a in regional_areas(s).items())
    [('pg', ['World']), ('pr', ['Africa', 'Oceania'])]
    >>> s.close()
    """
    parent = {sub: region for region, subs in M49_REGIONS.items() for sub in subs}
    out: dict[str, set[str]] = {}
    for r in with_bloc_reach(store, list(store.query(named.PROGRAMME_SCOPES))):
        if r["scope"] == "global":
            out[r["programme"]] = {WORLD}
            continue
        areas = {a if a in M49_REGIONS else parent.get(a) for a in {*(r["scope_regions"] or []), *r["bloc_areas"]}}
        if areas - {None}:
            out[r["programme"]] = {a for a in areas if a}
    return out


def acted_regions(store: Store, act: Activity) -> dict[str, set[str]]:
    """Organisation -> the M49 regions of the regional programmes it funded or delivered, and :data:`WORLD` for
    its global ones (:func:`regional_areas`): where it acts without naming a country (the GFCE's Pacific and
    African hubs, Korea's funding of a global programme), so that :func:`partners` compares it on place, not on
    theme alone."""
    areas = regional_areas(store)
    out: dict[str, set[str]] = {}
    for o in act.names:
        mine = act.acted(o) & areas.keys()
        if mine:
            out[o] = set().union(*(areas[p] for p in mine))
    return out


def _focus(store: Store, org: str | None, index: dict[str, int]) -> list[int]:
    """The bodies whose pairs answer for ``org``: itself, and when it is a donor state or bloc, its agencies (the
    Republic of Korea acts through KOICA as well as in its own name: one donor is one donor); an agency answers
    for itself alone."""
    if org is None:
        return []
    up = donors(store)
    if facts.family(org, up) != org:
        return [index[org]] if org in index else []
    return sorted(i for o, i in index.items() if facts.family(o, up) == org)


def _pair_scores(contexts: dict[str, list[int]], n: int, only: list[int] | None) -> tuple[np.ndarray, np.ndarray]:
    """Resource-allocation scores of every pair sharing a context, as (codes a*n+b with a<b, scores); with
    ``only``, the pairs of those organisations (one donor's bodies) with any other.

    Vectorised: each context's pairs come from ``triu_indices`` and the
    per-pair sums from one sort and ``reduceat``, so 25M pair-contexts take
    seconds, where a Python loop over them took half a minute.
    """
    parts, weights = [], []
    for members in contexts.values():
        m = np.asarray(members, dtype=np.int64)
        if only is None:
            i, j = np.triu_indices(len(m), 1)
            pair = m[i] * n + m[j]
        else:
            mine = [i for i in only if i in members]
            if not mine:
                continue
            pair = np.concatenate([np.minimum(m[m != i], i) * n + np.maximum(m[m != i], i) for i in mine])
        parts.append(pair)
        weights.append(np.full(len(pair), 1 / len(m)))
    if not parts:
        return np.empty(0, np.int64), np.empty(0)
    codes, w = np.concatenate(parts), np.concatenate(weights)
    order = np.argsort(codes, kind="stable")  # stable: the sums add in context order, the same every run
    codes, w = codes[order], w[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    return codes[starts], np.add.reduceat(w, starts)


def _working_codes(act: Activity, index: dict[str, int]) -> np.ndarray:
    """Pairs already working together (a shared programme or a PARTNERS_WITH), coded as in :func:`_pair_scores`:
    the collaboration graph's edges (:func:`_weight_arrays`, counted in numpy; the pairs of each programme's
    members in Python took 12 s at size XL) between organisations in ``index``."""
    names, a, b, _ = _weight_arrays(act.programmes, act.partners, by_org=True)
    at = np.fromiter((index.get(name, -1) for name in names), np.int64, len(names))
    a, b = at[a], at[b]
    both = (a >= 0) & (b >= 0)  # a partnership with an organisation that funds or implements nothing is not a pair
    a, b = a[both], b[both]
    codes: np.ndarray = np.minimum(a, b) * len(index) + np.maximum(a, b)
    return codes


def _families(store: Store, index: dict[str, int]) -> np.ndarray:
    """Each organisation's donor (:func:`queries.facts.family`), coded: the organisations PART_OF one another or of
    one state share a code; any other organisation is a family of its own."""
    up = donors(store)
    roots: dict[str, int] = {}
    family = np.empty(len(index), np.int64)
    for org, i in index.items():
        family[i] = roots.setdefault(facts.family(org, up), len(roots))
    return family


def _bodies(family: np.ndarray, wanted: Iterable[int] | None = None) -> dict[int, list[int]]:
    """Family code -> its organisations' indices (of the ``wanted`` families only, if given)."""
    keep = None if wanted is None else set(wanted)
    out: dict[int, list[int]] = defaultdict(list)
    for i, f in enumerate(family.tolist()):
        if keep is None or f in keep:
            out[f].append(i)
    return out


def _family_codes(family: np.ndarray) -> np.ndarray:
    """Pairs of organisations that are one donor (PART_OF one another or of the same state), coded as in
    :func:`_pair_scores`: an agency is never suggested as its own ministry's partner."""
    n = len(family)
    pairs = {min(a, b) * n + max(a, b) for members in _bodies(family).values() for a, b in combinations(members, 2)}
    return np.fromiter(pairs, dtype=np.int64, count=len(pairs))


def _through_donors(working: np.ndarray, family: np.ndarray) -> np.ndarray:
    """The pairs whose donors already work together, coded as in :func:`_pair_scores`: where one body of a donor
    shares a programme or partnership with an organisation, every body of that donor does (the EU funds CT TECH,
    which INTERPOL implements: the European Commission is not INTERPOL's new partner). Only families of more than
    one body add pairs, so a graph without agencies costs nothing here."""
    n, m = len(family), int(family.max()) + 1 if len(family) else 0
    a, b = family[working // n], family[working % n]
    size = np.bincount(family, minlength=m)
    between = (a != b) & ((size[a] > 1) | (size[b] > 1))
    a, b = a[between], b[between]
    lifted = np.unique(np.minimum(a, b) * m + np.maximum(a, b)).tolist()
    members = _bodies(family, {f for code in lifted for f in divmod(code, m)})
    pairs = {min(i, j) * n + max(i, j) for code in lifted for i in members[code // m] for j in members[code % m]}
    return np.fromiter(pairs, dtype=np.int64, count=len(pairs))


def _one_per_donor_pair(codes: np.ndarray, scores: np.ndarray, family: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The best-scoring pair of each pair of donors (ties: the first by name), so that two bodies of one donor are
    never two suggestions with the same third organisation."""
    if not len(codes) or len(np.unique(family)) == len(family):  # no donor with two bodies: every pair is its own
        return codes, scores
    n, m = len(family), int(family.max()) + 1
    a, b = family[codes // n], family[codes % n]
    order = np.lexsort((codes, -scores))  # best first; codes ascend with the names
    _, first = np.unique((np.minimum(a, b) * m + np.maximum(a, b))[order], return_index=True)
    keep = np.sort(order[first])
    return codes[keep], scores[keep]


def cofunders(
    store: Store, funder: str, *, limit: int = 20, agencies: bool = False, all_countries: bool = False
) -> list[dict[str, Any]]:
    """Funders most like ``funder`` (Jaccard over countries, regions and themes), and where only they go.

    A region counts where a regional programme's scope covers it and :data:`WORLD` for a global one
    (:func:`regional_areas`), so a donor that names no country is compared on where it works as well as on its
    themes (Saudi Arabia, funding global programmes only, had Senegal as its nearest donor on themes alone).

    Donor-country link prediction on the bipartite graph scores zero by
    construction, so donors are compared with donors first; the countries
    a similar donor supports and ``funder`` does not are the suggestions:
    recipient states only (the gaps universe, :func:`queries.need.outside`),
    unless ``all_countries``; the territories and high-income economies a
    peer's programmes also reach are counted in the explanation, not
    suggested. Funding agencies count with their donor state or bloc
    (PART_OF), so the FCDO's peers are the UK's, unless ``agencies``.

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import network_records as records
    >>> s = example_store(records())
    >>> [(r["peer"], r["similarity"], r["peer_only_countries"]) for r in cofunders(s, "o1", all_countries=True)]
    [('o3', 0.667, ['KEN'])]
    >>> s.close()
    """
    funder = Terms.of(store).organisation(funder)
    up = {} if agencies else donors(store)
    act = activity(store, up)
    funder = up.get(funder, (funder,))[0]
    _check_org(act, funder)
    if funder not in act.funders:
        raise UnknownName(f"{funder!r} funds no programme in the graph", "pick a funder: `ccb supports --by funder`")
    areas = regional_areas(store)  # where a programme naming no country works: a region, or the world

    def places(o: str) -> set[str]:
        progs = act.programmes[o] & areas.keys()
        return (
            {f"country:{c}" for c in act.countries[o]}
            | {f"region:{r}" for p in progs for r in areas[p]}
            | {f"theme:{t}" for t in act.themes[o]}
        )

    mine = places(funder)
    aside = {} if all_countries else need.outside(store.query(named.COUNTRIES))
    rows: list[dict[str, Any]] = []
    family = donors(store) if agencies else up
    for peer in sorted(act.funders - {funder}):
        if facts.same_donor(peer, funder, family):  # with --agencies, the FCDO's peers are not the CSSF
            continue
        theirs = places(peer)
        union = mine | theirs
        sim = len(mine & theirs) / len(union) if union else 0.0
        if sim == 0:
            continue
        only_theirs = act.countries[peer] - act.countries[funder]
        new = sorted(c for c in only_theirs if c not in aside)
        besides = len(only_theirs) - len(new)
        rows.append(
            {
                "funder": funder,
                "peer": peer,
                "peer_name": act.names[peer],
                "similarity": round(sim, 3),
                # themes and countries apart: one list read "A; B; C; COK; D; FJI"
                "shared_themes": sorted(z.split(":")[1] for z in mine & theirs if z.startswith("theme:")),
                "shared_countries": sorted(z.split(":")[1] for z in mine & theirs if z.startswith("country:")),
                "shared_regions": sorted(z.split(":")[1] for z in mine & theirs if z.startswith("region:")),
                "peer_only_countries": new,
                "explanation": f"Jaccard {len(mine & theirs)}/{len(union)} over countries, regions and themes; "
                f"{len(new)} {'country(ies)' if all_countries else 'recipient state(s)'} the peer supports and {funder} does not"
                + (
                    f" (and {besides} territory(ies), high-income or restricted country(ies) it reaches, not suggested)"
                    if besides
                    else ""
                ),
            }
        )
    return sorted(rows, key=lambda r: (-r["similarity"], r["peer"]))[:limit]


def brokers(store: Store, *, limit: int = 20, org: str | None = None, agencies: bool = False) -> list[dict[str, Any]]:
    """Organisations that connect otherwise separate groups.

    Betweenness centrality (normalised; exact up to
    :data:`EXACT_BETWEENNESS_UP_TO` organisations, sampled from that many
    sources up to :data:`LARGE_GRAPH`, from :data:`SMALL_SAMPLE` beyond;
    seeded) on the collaboration graph, with Burt's
    constraint (low = brokerage) and effective size (non-redundant contacts)
    for the listed organisations. ``rank`` is the place by betweenness.
    With ``org``, only that organisation's row (its standing among all).
    A funding agency's funding counts at its donor state or bloc, one donor
    one vertex as in every donor view (an agency that also implements stays
    a vertex for that), unless ``agencies``; an agency that only funds is
    answered with its donor's row.

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import network_records as records
    >>> s = example_store(records())
    >>> [(r["org"], r["betweenness"], r["constraint"]) for r in brokers(s)][:2]
    [('o2', 0.6667, 0.5), ('o4', 0.6667, 0.5)]
    >>> s.close()
    """
    c = collaboration(store, agencies=agencies)
    act = c.act
    if not c.nodes:
        return []
    k, bc, ranked, rank = memo(store, f"network.betweenness.{agencies}", lambda: _ranked(c))
    with_it = {d: sorted(a) for d, a in act.counted_with.items()}  # empty with ``agencies``
    rolled_into = {a: d for d, rolled in with_it.items() for a in rolled}
    names = Terms.of(store).org_names  # an end of a partnership alone has no programme, so no name in the activity
    if org is not None:
        org = Terms.of(store).organisation(org)
        # an agency's funding is its donor's row; what it implements (a vertex of its own) its own row
        top = [n for n in (rolled_into.get(org), org) if n in c.index]
        if not top:  # no vertex (one funds or implements, or ends a partnership): say why
            _check_org(act, org)
    else:
        top = ranked[:limit]
    # Constraint costs the sum of a node's neighbours' degrees: only for the rows shown.
    constraint, eff = _structural_holes(c.csr, c.index, top)
    degree = {n: c.graph.degree(c.index[n]) for n in top}
    sampled = "" if k is None else f" (sampled from {k} sources, seed {SEED})"
    return [
        {
            "org": n,
            "name": act.names.get(n) or names.get(n, n),
            "rank": rank[n],
            "betweenness": round(bc[n], 4),
            "collaborators": degree[n],
            "constraint": None if degree[n] == 0 else round(constraint[n], 3),
            "effective_size": None if degree[n] == 0 else round(eff[n], 2),
            "explanation": f"on {round(bc[n] * 100, 1)}% of shortest paths between other organisations{sampled}; "
            f"{degree[n]} collaborators"
            + (f"; its agencies' funding counted with it: {', '.join(with_it[n])}" if with_it.get(n) else "")
            + (f"; as an implementer here, its funding counted with {rolled_into[n]}" if n in rolled_into else ""),
        }
        for n in top
    ]


def collaboration(store: Store, *, agencies: bool = True) -> Collaboration:
    """The activity and collaboration graph of the whole store (every organisation that funds or implements
    something a vertex), built once per cached store (an organisation's page and the brokers' ranking both read
    it): treat it as read-only, it is shared. Without ``agencies``, an agency's funding is its donor's
    (:func:`donor_activity`), as every donor view counts it."""
    if not agencies:
        return memo(store, "network.donor_collaboration", lambda: _collaborators(donor_activity(store), isolated=True))  # type: ignore[no-any-return]
    return memo(store, "network.collaboration", lambda: _collaborators(whole_activity(store), isolated=True))  # type: ignore[no-any-return]


def donor_activity(store: Store) -> Activity:
    """:func:`activity` with each agency's funding counted at its donor state or bloc (the FCDO's and the CSSF's at
    the United Kingdom; an agency that implements stays an implementer), built once per cached store: read-only."""
    return memo(store, "network.donor_activity", lambda: activity(store, donors=donors(store)))  # type: ignore[no-any-return]


def whole_activity(store: Store) -> Activity:
    """:func:`activity` of the whole store, agencies as themselves, built once per cached store (the collaboration
    graph, partnership contexts and a match's experience table share it): read-only."""
    return memo(store, "network.activity", lambda: activity(store))  # type: ignore[no-any-return]


def _ranked(c: Collaboration) -> tuple[int | None, dict[str, float], list[str], dict[str, int]]:
    """Betweenness of every organisation (exact or sampled by size) and the ranking it gives."""
    n = len(c.nodes)
    k = None if n <= EXACT_BETWEENNESS_UP_TO else EXACT_BETWEENNESS_UP_TO if n <= LARGE_GRAPH else SMALL_SAMPLE
    bc = _betweenness(c.graph, c.nodes, k, SEED)
    degree = dict(zip(c.nodes, c.graph.degree()))
    # rounded for the order: equal values computed along different paths differ in the last bits
    ranked = sorted(c.nodes, key=lambda n: (-round(bc[n], 9), -degree[n], n))
    return k, bc, ranked, {n: i for i, n in enumerate(ranked, 1)}


def _igraph(g: nx.Graph[str], weight: str | None = None) -> tuple[ig.Graph, list[str], list[float] | None]:
    """``g`` as an igraph graph of integer vertices, its node names in vertex order, and its edge weights."""
    import igraph as ig

    nodes = list(g.nodes)
    index = {v: i for i, v in enumerate(nodes)}
    h = ig.Graph(n=len(nodes), edges=[(index[a], index[b]) for a, b in g.edges()], directed=False)
    weights = [d.get(weight, 1) for _, _, d in g.edges(data=True)] if weight else None
    return h, nodes, weights


def betweenness(g: nx.Graph[str], k: int | None = None, seed: int = SEED) -> dict[str, float]:
    """Normalised betweenness of the undirected graph ``g``, exact or estimated from ``k`` sources.

    The numbers of :func:`networkx.betweenness_centrality` (``normalized=True``,
    the same ``k`` and ``seed``, hence the same sampled sources and the same
    correction for them), counted by igraph's C core: about 60 times faster.

    Examples
    --------
    >>> g = nx.Graph([("a", "b"), ("b", "c"), ("c", "d"), ("b", "e")])
    >>> betweenness(g)
    {'a': 0.0, 'b': 0.8333333333333334, 'c': 0.5, 'd': 0.0, 'e': 0.0}
    >>> mine, theirs = betweenness(g, k=3), nx.betweenness_centrality(g, k=3, seed=SEED)
    >>> all(abs(mine[v] - theirs[v]) < 1e-12 for v in g)
    True
    """
    if k is not None and k < 2:
        raise ValueError(f"k must be at least 2 sources, got {k}")
    h, nodes, _ = _igraph(g)
    return _betweenness(h, nodes, k, seed)


def _betweenness(h: ig.Graph, nodes: list[str], k: int | None, seed: int) -> dict[str, float]:
    """:func:`betweenness` of the igraph graph ``h`` whose vertices are ``nodes`` (NetworkX's node order)."""
    n = len(nodes)
    if k is not None and k >= n:
        k = None
    if n < 3:
        return dict.fromkeys(nodes, 0.0)
    # igraph counts each unordered pair once, NetworkX each ordered pair: hence the 2
    if k is None:
        return {v: 2 * b / ((n - 1) * (n - 2)) for v, b in zip(nodes, h.betweenness(directed=False))}
    sources = random.Random(seed).sample(nodes, k)  # as NetworkX draws them
    index = {v: i for i, v in enumerate(nodes)}
    raw = h.betweenness(directed=False, sources=[index[s] for s in sources])
    picked = set(sources)
    # a sampled source cannot lie between itself and a target, so it is scaled over k - 1 sources (as NetworkX does)
    return {v: 2 * b / ((k - 1 if v in picked else k) * (n - 2)) for v, b in zip(nodes, raw)}


def leiden(
    g: nx.Graph[str], *, resolution: float = 1.0, seed: int = SEED, weight: str = "weight"
) -> tuple[list[set[str]], float]:
    """Communities of the weighted graph ``g`` by the Leiden algorithm, and the partition's modularity.

    igraph's implementation (modularity at ``resolution``; every community
    connected), :data:`LEIDEN_ITERATIONS` passes, its random choices seeded:
    the same graph gives the same communities every run. The modularity is
    the standard one (resolution 1), as :func:`networkx.community.modularity`.

    Examples
    --------
    >>> g = nx.Graph([("a", "b"), ("b", "c"), ("a", "c"), ("c", "d"), ("d", "e"), ("e", "f"), ("d", "f")])
    >>> found, q = leiden(g)
    >>> sorted(sorted(c) for c in found), round(q, 4) == round(nx.community.modularity(g, found), 4)
    ([['a', 'b', 'c'], ['d', 'e', 'f']], True)
    """
    if g.number_of_nodes() == 0:
        return [], 0.0
    h, nodes, weights = _igraph(g, weight)
    return _leiden(h, nodes, weights, resolution, seed)


def _leiden(
    h: ig.Graph, nodes: list[str], weights: list[float] | list[int] | None, resolution: float, seed: int
) -> tuple[list[set[str]], float]:
    with seeded(seed):
        found = h.community_leiden(
            objective_function="modularity", weights=weights, resolution=resolution, n_iterations=LEIDEN_ITERATIONS
        )
    return [{nodes[i] for i in members} for members in found], h.modularity(found.membership, weights=weights)


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """igraph's random choices drawn from ``seed``, one caller at a time (its random source is process-wide)."""
    import igraph as ig

    with _IGRAPH_RNG:
        ig.set_random_number_generator(random.Random(seed))
        try:
            yield
        finally:
            ig.set_random_number_generator(random)


def structural_holes(g: nx.Graph[str], nodes: list[str], weight: str = "weight") -> tuple[dict[str, float], dict[str, float]]:
    """Burt's constraint and effective size of ``nodes`` in the undirected weighted graph ``g``.

    The same definitions as :func:`networkx.constraint` and
    :func:`networkx.effective_size`, counted over arrays: the cost for a
    node is the sum of its neighbours' degrees, in numpy, where NetworkX's
    is cubic in its degree (minutes for one hub of a few thousand
    collaborators).

    Examples
    --------
    >>> g = nx.Graph([("a", "b"), ("a", "c"), ("b", "c"), ("c", "d")])
    >>> c, e = structural_holes(g, ["c", "d"])
    >>> round(c["c"], 4) == round(nx.constraint(g, ["c"])["c"], 4), round(e["c"], 4), round(e["d"], 4)
    (True, 2.3333, 1.0)
    """
    return _structural_holes(_csr(g, weight), {v: i for i, v in enumerate(g.nodes)}, nodes)


def _structural_holes(
    csr: tuple[Any, ...], index: Mapping[str, int], nodes: list[str]
) -> tuple[dict[str, float], dict[str, float]]:
    """:func:`structural_holes` over a graph's CSR arrays (:func:`_csr_of`); ``index`` maps a name to its row."""
    n, indptr, cols, vals, degree, top, share = csr
    constraint, eff = {}, {}
    for v in nodes:
        i = index[v]
        lo, hi = indptr[i], indptr[i + 1]
        if lo == hi:
            constraint[v], eff[v] = float("nan"), float("nan")
            continue
        nbrs, p_i = cols[lo:hi], share[lo:hi]
        # every tie (q, j) of every neighbour q, as positions in the CSR arrays
        lengths = degree[nbrs]
        at = np.repeat(indptr[nbrs] - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths) + np.arange(lengths.sum())
        j = cols[at]
        near = np.zeros(n, dtype=bool)
        near[nbrs] = True
        keep = near[j] & (j != i)
        via = np.repeat(p_i, lengths)[keep]  # p(i, q) for each kept tie (q, j)
        indirect = np.bincount(j[keep], weights=via * share[at][keep], minlength=n)  # sum over q of p(i,q) p(q,j)
        redundancy = np.bincount(j[keep], weights=via * vals[at][keep] / top[j[keep]], minlength=n)  # of p(i,q) m(j,q)
        constraint[v] = float(np.sum((p_i + indirect[nbrs]) ** 2))
        eff[v] = float(np.sum(1 - redundancy[nbrs]))
    return constraint, eff


_CSR: dict[tuple[int, str], tuple[nx.Graph[str], tuple[Any, ...]]] = {}


def _csr(g: nx.Graph[str], weight: str) -> tuple[Any, ...]:
    """``g``'s ties as CSR arrays with each tie's share of its node's strength, built once per graph (the
    collaboration graph is shared per store: an organisation page asks for one node's constraint)."""
    kept = _CSR.get((id(g), weight))
    if kept is not None and kept[0] is g:
        return kept[1]
    index = {v: i for i, v in enumerate(g.nodes)}
    ends = np.array([(index[a], index[b]) for a, b in g.edges()], dtype=np.int64).reshape(-1, 2)
    w = np.array([d.get(weight, 1) for _, _, d in g.edges(data=True)], dtype=float)
    out = _csr_of(len(index), ends, w)
    if len(_CSR) >= 4:  # the graphs of the last few stores only (a graph is held while its arrays are)
        _CSR.pop(next(iter(_CSR)))
    _CSR[(id(g), weight)] = (g, out)
    return out


def _csr_of(n: int, ends: np.ndarray, w: np.ndarray) -> tuple[Any, ...]:
    """The ties of a graph of ``n`` vertices, edges ``ends`` (pairs of vertex codes) weighing ``w``, as CSR arrays
    with each tie's share of its node's strength: (n, indptr, cols, vals, degree, top, share)."""
    rows, cols, vals = np.concatenate([ends[:, 0], ends[:, 1]]), np.concatenate([ends[:, 1], ends[:, 0]]), np.tile(w, 2)
    by_row = np.argsort(rows, kind="stable")  # CSR: each node's ties, in one run
    cols, vals = cols[by_row], vals[by_row]
    degree = np.bincount(rows, minlength=n)
    indptr = np.concatenate([[0], np.cumsum(degree)])
    strength = np.bincount(rows, weights=np.tile(w, 2), minlength=n)
    top = np.zeros(n)
    has = degree > 0
    top[has] = np.maximum.reduceat(vals, indptr[:-1][has]) if vals.size else 0
    share = vals / np.repeat(np.where(strength > 0, strength, 1), degree)  # p(a, b): a's tie to b over all a's ties
    return n, indptr, cols, vals, degree, top, share


def communities(store: Store, *, resolution: float = 1.0, agencies: bool = False) -> list[dict[str, Any]]:
    """Leiden communities of the collaboration graph (seed fixed; each community connected), each summarised.

    Every row carries the partition's modularity. Organisations with no
    collaborator are left out (each would be a community of one). A funding
    agency's funding counts at its donor, so that one donor sits in one
    community (as :func:`brokers`), unless ``agencies``.

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import network_records as records
    >>> s = example_store(records())
    >>> [(r["members"], r["modularity"]) for r in communities(s)]
    [(['o2', 'o1'], 0.167), (['o4', 'o3'], 0.167)]
    >>> s.close()
    """
    act = whole_activity(store) if agencies else donor_activity(store)
    h, nodes, weights = collaboration_igraph(act)  # organisations with no collaborator are not in it
    if not nodes:
        return []
    found, modularity = _leiden(h, nodes, weights, resolution, SEED)
    parts = sorted((sorted(p) for p in found), key=lambda p: (-len(p), p[0]))
    q = round(modularity, 3)
    strength = dict(zip(nodes, h.strength(weights=weights)))  # weighted degree
    rolled = {a: d for d, bodies in act.counted_with.items() for a in bodies}  # agency -> the donor its funding is
    rows = []
    for i, members in enumerate(parts, 1):
        countries: dict[str, int] = defaultdict(int)
        themes: dict[str, int] = defaultdict(int)
        for m in members:
            for c in act.countries[m]:
                countries[c] += 1
            for t in act.themes[m]:
                themes[t] += 1
        lead = sorted(members, key=lambda m: (-strength[m], m))
        # an agency that also implements is a vertex of its own: say so, or the FCDO beside the UK's community reads
        # as the UK split in two
        apart = [f"{m} as an implementer (its funding counted with {rolled[m]})" for m in lead if m in rolled]
        rows.append(
            {
                "community": i,
                "size": len(members),
                "modularity": q,
                "members": lead,
                "top_countries": sorted(countries, key=lambda c: (-countries[c], c))[:8],
                "themes": sorted(themes),
                "explanation": f"{len(members)} organisations linked by shared programmes; partition modularity {q}"
                + ("" if agencies else "; an agency's funding counted with its donor")
                + (f"; {'; '.join(apart)}" if apart else ""),
            }
        )
    return rows
