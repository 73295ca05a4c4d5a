"""Network analyses in NetworkX: partnership opportunities, brokers, communities.

Multi-hop partner patterns in Cypher were measured at 40 s to failure on
420k rows, so the graph is read once as plain rows (an organisation's
activity: programme, themes, countries) and projected here. Inputs are
sorted and seeds fixed, so the same data gives the same answer every run.

The *collaboration graph* links two organisations that fund or implement
the same programme (weight: programmes shared) or have a PARTNERS_WITH
relationship (weight 1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import networkx as nx
import numpy as np

from graph.store import Store
from queries import named
from queries.analysis import donors
from queries.terms import Terms, UnknownName

SEED = 42
EXACT_BETWEENNESS_UP_TO = 1_000  # nodes; above, betweenness is sampled from this many sources, seeded
# Each sampled source is a BFS over the whole graph (~0.6 s at 20k organisations and
# 600k links): beyond this size the sample shrinks to SMALL_SAMPLE sources.
LARGE_GRAPH, SMALL_SAMPLE = 5_000, 100
# A country or theme with more organisations than this says little about any one
# pair (it would add under 1/500) and costs k^2/2 pairs: partners() skips it.
MAX_CONTEXT = 500


@dataclass
class Activity:
    """What organisations do, by organisation: programmes, countries and themes."""

    names: dict[str, str] = field(default_factory=dict)
    programmes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    countries: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    themes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    funders: set[str] = field(default_factory=set)
    partners: set[frozenset[str]] = field(default_factory=set)


def activity(store: Store, donors: dict[str, tuple[str, str]] | None = None) -> Activity:
    """What each organisation does; with ``donors`` (agency -> (donor, name)), funding is counted at the donor."""
    act = Activity()
    for r in store.query(named.ORG_ACTIVITY):
        org, name = (donors or {}).get(r["org"], (r["org"], r["name"])) if r["role"] == "FUNDS" else (r["org"], r["name"])
        act.names[org] = name
        act.programmes[org].add(r["programme"])
        act.themes[org].update(r["themes"] or [])
        if r["iso3"]:
            act.countries[org].add(r["iso3"])
        if r["role"] == "FUNDS":
            act.funders.add(org)
    for r in store.query(named.PARTNERSHIPS):
        act.partners.add(frozenset((r["a"], r["b"])))
    return act


def collaboration_weights(members: Mapping[str, Iterable[str]], partners: Iterable[Iterable[str]]) -> dict[tuple[str, str], int]:
    """The collaboration graph's edges, one rule for the analyses and the network page alike.

    ``members`` maps a programme to the organisations that fund or
    implement it; a pair's weight is the programmes it shares, and a
    partnership between organisations that share none weighs 1.

    >>> collaboration_weights({"p1": ["a", "b", "c"], "p2": ["b", "a"]}, [("c", "d"), ("a", "b")])
    {('a', 'b'): 2, ('a', 'c'): 1, ('b', 'c'): 1, ('c', 'd'): 1}
    """
    weight: dict[tuple[str, str], int] = defaultdict(int)
    for p in sorted(members):
        for a, b in combinations(sorted(set(members[p])), 2):
            weight[(a, b)] += 1
    for pair in sorted(tuple(sorted(set(p))) for p in partners):
        if len(pair) == 2 and pair not in weight:
            weight[pair] = 1
    return dict(sorted(weight.items()))


def collaboration_graph(act: Activity) -> nx.Graph[str]:
    """Organisations linked by shared programmes (weight = how many) or a partnership (:func:`collaboration_weights`)."""
    g: nx.Graph[str] = nx.Graph()
    g.add_nodes_from(sorted(act.programmes))
    members: dict[str, list[str]] = defaultdict(list)
    for org in sorted(act.programmes):
        for p in act.programmes[org]:
            members[p].append(org)
    for (a, b), w in collaboration_weights(members, act.partners).items():
        g.add_edge(a, b, weight=w)
    return g


def _check_org(act: Activity, org: str | None) -> None:
    if org is not None and org not in act.names:
        raise UnknownName(f"{org!r} funds or implements no programme in the graph", "pick one from `ccb supports --by funder`")


def partners(store: Store, *, org: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Pairs of organisations active in the same countries and themes that do not yet work together.

    Scored with the resource-allocation index on the bipartite graph of
    organisations and their countries and themes: every shared country or
    theme z adds 1/k(z), k(z) being how many organisations are active
    there, so sharing a quiet country counts more than sharing a crowded one.
    Pairs that share a programme or a PARTNERS_WITH are left out. Countries
    and themes with more than :data:`MAX_CONTEXT` active organisations are
    skipped (named in the explanation).

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
    act = activity(store)
    _check_org(act, org)
    orgs = sorted(act.names)
    index = {o: i for i, o in enumerate(orgs)}
    where: dict[str, list[int]] = defaultdict(list)  # context -> member indices, ascending
    for o in orgs:
        for c in act.countries[o]:
            where[f"country:{c}"].append(index[o])
        for t in act.themes[o]:
            where[f"theme:{t}"].append(index[o])
    crowded = sorted(z for z, members in where.items() if len(members) > MAX_CONTEXT)
    counted = {z: m for z, m in sorted(where.items()) if 1 < len(m) <= MAX_CONTEXT}
    codes, scores = _pair_scores(counted, len(orgs), None if org is None else index[org])
    keep = ~np.isin(codes, _working_codes(act, index))
    codes, scores = codes[keep], np.round(scores[keep], 3)
    if len(codes) > limit:  # every pair tied with the last one shown is kept, so the order below decides
        cut = np.partition(scores, len(scores) - limit)[len(scores) - limit]
        codes, scores = codes[scores >= cut], scores[scores >= cut]
    n = len(orgs)
    rows = []
    for code, score in zip(codes.tolist(), scores.tolist()):
        a, b = orgs[code // n], orgs[code % n]
        countries = sorted(c for c in act.countries[a] & act.countries[b] if f"country:{c}" in counted)
        themes = sorted(t for t in act.themes[a] & act.themes[b] if f"theme:{t}" in counted)
        rows.append(
            {
                "a": a,
                "a_name": act.names[a],
                "b": b,
                "b_name": act.names[b],
                "score": score,
                "shared_countries": countries,
                "shared_themes": themes,
                "explanation": f"both active in {len(countries)} countries and {len(themes)} themes, with no joint programme "
                "or partnership; each shared country or theme adds 1 / (organisations active there)"
                + (f"; {len(crowded)} crowded contexts skipped" if crowded else ""),
            }
        )
    return sorted(rows, key=lambda r: (-r["score"], r["a"], r["b"]))[:limit]


def _pair_scores(contexts: dict[str, list[int]], n: int, only: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Resource-allocation scores of every pair sharing a context, as (codes a*n+b with a<b, scores).

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
        elif only in members:
            other = m[m != only]
            pair = np.minimum(other, only) * n + np.maximum(other, only)
        else:
            continue
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
    """Pairs already working together (a shared programme or a PARTNERS_WITH), coded as in :func:`_pair_scores`."""
    n = len(index)
    by_programme: dict[str, list[int]] = defaultdict(list)
    for o, progs in act.programmes.items():
        for p in progs:
            by_programme[p].append(index[o])
    pairs = {min(a, b) * n + max(a, b) for members in by_programme.values() for a, b in combinations(members, 2)}
    pairs |= {
        min(index[a], index[b]) * n + max(index[a], index[b])
        for a, b in (tuple(p) for p in act.partners if len(p) == 2)
        if a in index and b in index
    }
    return np.fromiter(pairs, dtype=np.int64, count=len(pairs))


def cofunders(store: Store, funder: str, *, limit: int = 20, agencies: bool = False) -> list[dict[str, Any]]:
    """Funders most like ``funder`` (Jaccard over countries and themes), and where only they go.

    Donor-country link prediction on the bipartite graph scores zero by
    construction, so donors are compared with donors first; the countries
    a similar donor supports and ``funder`` does not are the suggestions.
    Funding agencies count with their donor state or bloc (PART_OF), so the
    FCDO's peers are the UK's, unless ``agencies``.

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import network_records as records
    >>> s = example_store(records())
    >>> [(r["peer"], r["similarity"], r["peer_only_countries"]) for r in cofunders(s, "o1")]
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
    mine = {f"country:{c}" for c in act.countries[funder]} | {f"theme:{t}" for t in act.themes[funder]}
    rows: list[dict[str, Any]] = []
    for peer in sorted(act.funders - {funder}):
        theirs = {f"country:{c}" for c in act.countries[peer]} | {f"theme:{t}" for t in act.themes[peer]}
        union = mine | theirs
        sim = len(mine & theirs) / len(union) if union else 0.0
        if sim == 0:
            continue
        new = sorted(act.countries[peer] - act.countries[funder])
        rows.append(
            {
                "funder": funder,
                "peer": peer,
                "peer_name": act.names[peer],
                "similarity": round(sim, 3),
                "shared": sorted(z.split(":")[1] for z in mine & theirs),
                "peer_only_countries": new,
                "explanation": f"Jaccard {len(mine & theirs)}/{len(union)} over countries and themes; "
                f"{len(new)} countries the peer supports and {funder} does not",
            }
        )
    return sorted(rows, key=lambda r: (-r["similarity"], r["peer"]))[:limit]


def brokers(store: Store, *, limit: int = 20, org: str | None = None) -> list[dict[str, Any]]:
    """Organisations that connect otherwise separate groups.

    Betweenness centrality (normalised; exact up to
    :data:`EXACT_BETWEENNESS_UP_TO` organisations, sampled from that many
    sources up to :data:`LARGE_GRAPH`, from :data:`SMALL_SAMPLE` beyond;
    seeded) on the collaboration graph, with Burt's
    constraint (low = brokerage) and effective size (non-redundant contacts)
    for the listed organisations. ``rank`` is the place by betweenness.
    With ``org``, only that organisation's row (its standing among all).

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import network_records as records
    >>> s = example_store(records())
    >>> [(r["org"], r["betweenness"], r["constraint"]) for r in brokers(s)][:2]
    [('o2', 0.6667, 0.5), ('o4', 0.6667, 0.5)]
    >>> s.close()
    """
    if org is not None:
        org = Terms.of(store).organisation(org)
    act = activity(store)
    g = collaboration_graph(act)
    if g.number_of_nodes() == 0:
        return []
    n = g.number_of_nodes()
    k = None if n <= EXACT_BETWEENNESS_UP_TO else EXACT_BETWEENNESS_UP_TO if n <= LARGE_GRAPH else SMALL_SAMPLE
    bc = nx.betweenness_centrality(g, k=k, seed=SEED, normalized=True)
    ranked = sorted(g.nodes, key=lambda n: (-bc[n], -g.degree(n), n))
    rank = {n: i for i, n in enumerate(ranked, 1)}
    if org is not None:
        _check_org(act, org)
        top = [org] if org in g else []
    else:
        top = ranked[:limit]
    # Constraint costs the sum of a node's neighbours' degrees: only for the rows shown.
    constraint, eff = structural_holes(g, top)
    sampled = "" if k is None else f" (sampled from {k} sources, seed {SEED})"
    return [
        {
            "org": n,
            "name": act.names[n],
            "rank": rank[n],
            "betweenness": round(bc[n], 4),
            "partners": g.degree(n),
            "constraint": None if g.degree(n) == 0 else round(constraint[n], 3),
            "effective_size": None if g.degree(n) == 0 else round(eff[n], 2),
            "explanation": f"on {round(bc[n] * 100, 1)}% of shortest paths between other organisations{sampled}; "
            f"{g.degree(n)} collaborators",
        }
        for n in top
    ]


def structural_holes(g: nx.Graph[str], nodes: list[str], weight: str = "weight") -> tuple[dict[str, float], dict[str, float]]:
    """Burt's constraint and effective size of ``nodes`` in the undirected weighted graph ``g``.

    The same definitions as :func:`networkx.constraint` and
    :func:`networkx.effective_size`, with each node's normalised tie
    weights computed once: the cost for a node is the sum of its
    neighbours' degrees, where NetworkX's is cubic in its degree (minutes
    for one hub of a few thousand collaborators).
    """
    strength = {n: sum(d.get(weight, 1) for d in g[n].values()) for n in g}
    top = {n: max((d.get(weight, 1) for d in g[n].values()), default=0) for n in g}

    def p(a: str, b: str) -> float:  # share of a's ties that go to b
        share: float = g[a][b].get(weight, 1) / strength[a]
        return share

    constraint, eff = {}, {}
    for i in nodes:
        nbrs = g[i]
        if not nbrs:
            constraint[i], eff[i] = float("nan"), float("nan")
            continue
        indirect: dict[str, float] = defaultdict(float)  # sum over q of p(i,q) p(q,j)
        redundancy: dict[str, float] = defaultdict(float)  # sum over q of p(i,q) m(j,q)
        for q in nbrs:
            p_iq = p(i, q)
            for j, d in g[q].items():
                if j != i and j in nbrs:
                    indirect[j] += p_iq * p(q, j)
                    redundancy[j] += p_iq * d.get(weight, 1) / top[j]
        constraint[i] = sum((p(i, j) + indirect[j]) ** 2 for j in nbrs)
        eff[i] = sum(1 - redundancy[j] for j in nbrs)
    return constraint, eff


def communities(store: Store, *, resolution: float = 1.0) -> list[dict[str, Any]]:
    """Louvain communities of the collaboration graph (seed fixed), each summarised.

    Every row carries the partition's modularity. Organisations with no
    collaborator are left out (each would be a community of one).

    Examples
    --------
    >>> from graph.examples import example_store
    >>> from graph.examples import network_records as records
    >>> s = example_store(records())
    >>> [(r["members"], r["modularity"]) for r in communities(s)]
    [(['o2', 'o1'], 0.167), (['o4', 'o3'], 0.167)]
    >>> s.close()
    """
    act = activity(store)
    g = collaboration_graph(act)
    g.remove_nodes_from([n for n in list(g.nodes) if g.degree(n) == 0])
    if g.number_of_nodes() == 0:
        return []
    found = nx.community.louvain_communities(g, weight="weight", resolution=resolution, seed=SEED)
    parts = sorted((sorted(p) for p in found), key=lambda p: (-len(p), p[0]))
    q = round(nx.community.modularity(g, [set(p) for p in parts], weight="weight"), 3)
    rows = []
    for i, members in enumerate(parts, 1):
        countries: dict[str, int] = defaultdict(int)
        themes: dict[str, int] = defaultdict(int)
        for m in members:
            for c in act.countries[m]:
                countries[c] += 1
            for t in act.themes[m]:
                themes[t] += 1
        lead = sorted(members, key=lambda m: (-g.degree(m, weight="weight"), m))
        rows.append(
            {
                "community": i,
                "size": len(members),
                "modularity": q,
                "members": lead,
                "top_countries": sorted(countries, key=lambda c: (-countries[c], c))[:8],
                "themes": sorted(themes),
                "explanation": f"{len(members)} organisations linked by shared programmes; partition modularity {q}",
            }
        )
    return rows
