"""Provenance check: every fact in the graph names a specific source and an as-of date.

Rules, each counted (``ccb check``):

- ``no_as_of``: a node or relationship without ``as_of``;
- ``homepage_source``: a source that is a site's home page (``https://www.interpol.int/``,
  with or without a title after it) rather than the page that states the fact;
- ``mirror_source``: a source on a host that copies other publishers' documents (docslib, docplayer,
  scribd, a staging or cloud mirror...): cite the publisher's own page;
- ``unlinked_organisation``: an organisation with no relationship at all;
- ``unreached_programme``: a programme that serves no country as a beneficiary and states no regional or global
  scope (``scope: countries`` with no country is unreached too, and so is one whose countries are all hosts or
  participants: no view counts it as support, so a donor's funders breakdown and its supports would disagree);
- ``empty_bloc``: a group a programme serves (``scope_blocs``) that has no member country;
- ``component_cycle``: a programme that is, through ``COMPONENT_OF`` links, a component of itself;
- ``components_exceed_umbrella``: an umbrella whose components' money (budgets, else stated contributions, in
  its currency) adds up to more than its own: one of the figures is wrong, or the umbrella is not one (the
  totals count an umbrella's money as holding its components');
- ``umbrella_funder_hidden``: an umbrella with a funder that funds none of its components, where a component
  serves a country the umbrella serves too: there the family counts once, as the component, so that funder's
  support of the country would silently drop out of every view. Fund the component too (if the page says so),
  or do not link a component whose funders differ (say in its description what it belongs to);
- ``donor_as_beneficiary``: a high-income state counted as a beneficiary of a programme that one of its own
  bodies funds (``ccb profile SGP`` listed Singapore among Singapore's supporters): it is the donor there, and
  the host where the work happens at home (``role: host``), or a participant as the page says;
- ``loose_government_body``: a government organisation with a home country that is part of no other
  while another of that country is too: one state would count as several donors (every agency rolls
  up to its state through ``PART_OF``; the state itself is the one that is part of nothing);
- ``duplicate_name``: two programmes, or two organisations, of the same name or alias (case, spacing and
  punctuation aside; "CyberSouth+" is not "CyberSouth"): one programme counted twice, or a name that
  resolves to two actors. Merge them, or name the second for what tells it apart (its phase, its year);
- ``unknown_currency``: money in a currency that is no ISO 4217 code, current or withdrawn (``EUO``): it would be
  a currency of its own, in no total of the one meant. The loaders refuse it; a store written another way (a
  ``ccb query --write``, another tool on a shared Neo4j, a store of an older version) may hold it.

A source that is not a URL (a file and record, a publication) is taken as specific.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from graph.model import CURRENCIES
from graph.names import normalise_name
from graph.store import Store
from queries.analysis import programme_money

RULES = {
    "no_as_of": "node or relationship without as_of",
    "homepage_source": "source is a home page, not the page that states the fact",
    "mirror_source": "source is a mirror or aggregator of another publisher's page",
    "unlinked_organisation": "organisation linked to nothing",
    "unreached_programme": "programme serving no country as a beneficiary, with no stated scope",
    "empty_bloc": "group a programme serves (scope_blocs) with no member country",
    "component_cycle": "programme that is a component of itself through COMPONENT_OF links",
    "components_exceed_umbrella": "umbrella whose components' money (budgets, else stated contributions) exceeds its own",
    "umbrella_funder_hidden": "umbrella funder that funds none of its components where they serve its countries",
    "donor_as_beneficiary": "high-income state counted as a beneficiary of a programme one of its own bodies funds",
    "loose_government_body": "government body of a country with another body that is part of nothing (no PART_OF)",
    "duplicate_name": "two programmes or two organisations of the same name or alias",
    "unknown_currency": "money in a currency that is no ISO 4217 code",
}
# A site's front door, however written: "/", "/en/", "/index.html", "/home", a language or tracking query or a
# fragment after it, a title in brackets after that ("/?p=4617" is a page: a post's address)
_HOME = re.compile(
    r"^https?://[^/\s?#]+(/|/index\.(html?|php|aspx?)|/default\.aspx?|/home/?|/[a-z]{2}(-[a-z]{2})?/?)?"
    r"(\?(lang|hl|locale|language|utm_\w+)=[^\s#]*|#\S*)?(\s*\(.*\))?$",
    re.I,
)
# Hosts that copy other publishers' documents or sites: a reader cannot hand these on as the source.
MIRRORS = re.compile(
    r"^https?://([^/\s]*\.)?(docslib\.org|docplayer\.\w+|scribd\.com|herokuapp\.com|azurewebsites\.net|googblogs\.com"
    r"|europesays\.com|gouldii\.blog|a3ia\.com|vdocuments\.\w+|readkong\.com|fdocuments\.\w+|pdfslide\.\w+|documents\.pub"
    r"|yumpu\.com|studylib\.net|dokumen\.pub|pdfcoffee\.com)\.?(:\d+)?(/|$)",  # a host may end in "." or name its port
    re.I,
)


def is_homepage(source: str | None) -> bool:
    """Whether ``source`` is a bare site address (a title in brackets after it changes nothing).

    >>> is_homepage("https://www.interpol.int/"), is_homepage("https://www.interpol.int/ (Support for AFRIPOL)")
    (True, True)
    >>> is_homepage("https://www.coe.int/en/web/cybercrime/glacy"), is_homepage("ITU GCI 2024 via Data360")
    (False, False)
    >>> [is_homepage(u) for u in ("https://x.org", "https://x.org/en/", "https://x.org/index.html", "https://x.org/?lang=fr",
    ...                           "https://x.org/#top", "HTTPS://X.ORG/Home", "https://x.org/en-gb", "http://x.org/default.aspx")]
    [True, True, True, True, True, True, True, True]
    >>> is_homepage("https://digitaltimesng.com/?p=4617")
    False
    """
    return bool(source and _HOME.match(source.strip()))


def is_mirror(source: str | None) -> bool:
    """Whether ``source`` is on a host that mirrors or aggregates other publishers' pages.

    >>> is_mirror("https://de.scribd.com/document/441269283/x"), is_mirror("https://www-x.azurewebsites.net/a")
    (True, True)
    >>> is_mirror("https://www.coe.int/en/web/cybercrime/glacy"), is_mirror("https://scribd.com.example.org/a")
    (False, False)
    >>> is_mirror("https://www.scribd.com./document/1"), is_mirror("https://docslib.org:443/doc/1")
    (True, True)
    """
    return bool(source and MIRRORS.match(source.strip()))


def check(store: Store, *, examples: int = 5) -> list[dict[str, Any]]:
    """A row per rule: how many records break it, and the first few (sorted) as examples.

    Examples
    --------
    >>> from graph.examples import example_store, small_batch
    >>> s = example_store(list(small_batch().nodes["Organisation"].values()))
    >>> [(r["rule"], r["count"]) for r in check(s)]
    [('no_as_of', 3), ('homepage_source', 0), ('mirror_source', 0), ('unlinked_organisation', 3), \
('unreached_programme', 0), ('empty_bloc', 0), ('component_cycle', 0), ('components_exceed_umbrella', 0), \
('umbrella_funder_hidden', 0), ('donor_as_beneficiary', 0), ('loose_government_body', 0), ('duplicate_name', 0), \
('unknown_currency', 0)]
    >>> s.close()
    """
    g = store.to_networkx()
    found: dict[str, list[str]] = defaultdict(list)
    for node, data in g.nodes(data=True):
        if not data.get("as_of"):
            found["no_as_of"].append(node)
        if is_homepage(data.get("source")):
            found["homepage_source"].append(node)
        if is_mirror(data.get("source")):
            found["mirror_source"].append(node)
        if data.get("currency") and data["currency"] not in CURRENCIES:
            found["unknown_currency"].append(node)
        if data["label"] == "Organisation" and g.degree(node) == 0:
            found["unlinked_organisation"].append(node)
        if data["label"] == "Programme" and data.get("scope") in (None, "countries") and not _served(g, node):
            found["unreached_programme"].append(node)
        for bloc in data.get("scope_blocs") or [] if data["label"] == "Programme" else []:
            key = f"Organisation:{bloc}"
            if key not in g or not any(k == "MEMBER_OF" for _, _, k in g.in_edges(key, keys=True)):
                found["empty_bloc"].append(key)
    loose: dict[str, list[str]] = defaultdict(list)  # country -> its government bodies that are part of nothing
    for node, data in g.nodes(data=True):
        if data["label"] == "Organisation" and data.get("kind") == "government" and data.get("country"):
            if not any(k == "PART_OF" for _, _, k in g.out_edges(node, keys=True)):
                loose[data["country"]].append(node)
    found["loose_government_body"] += [n for bodies in loose.values() if len(bodies) > 1 for n in bodies]
    found["duplicate_name"] += _same_names(g)
    found["component_cycle"] += _component_cycles(g)
    found["components_exceed_umbrella"] += _over_budget(g)
    found["umbrella_funder_hidden"] += _hidden_funders(g)
    found["donor_as_beneficiary"] += _donors_as_beneficiaries(g)
    for a, b, k, data in g.edges(keys=True, data=True):
        name = f"{k}:{a.split(':', 1)[1]}->{b.split(':', 1)[1]}"
        if not data.get("as_of"):
            found["no_as_of"].append(name)
        if is_homepage(data.get("source")):
            found["homepage_source"].append(name)
        if is_mirror(data.get("source")):
            found["mirror_source"].append(name)
        if data.get("currency") and data["currency"] not in CURRENCIES:
            found["unknown_currency"].append(name)
    found = {rule: sorted(set(v)) for rule, v in found.items()}  # a bloc named by several programmes counts once
    return [
        {"rule": rule, "count": len(found.get(rule, [])), "examples": found.get(rule, [])[:examples], "explanation": text}
        for rule, text in RULES.items()
    ]


def name_key(name: str) -> str:
    """A name as two records of one thing would write it: :func:`graph.names.normalise_name`, with "+" kept as a word.

    >>> name_key("The SG Cyber Leadership Programme") == name_key("SG cyber-leadership programme")
    True
    >>> name_key("CyberSouth") == name_key("CyberSouth+")
    False
    """
    return normalise_name(name.replace("+", " plus "))


def _same_names(g: Any) -> list[str]:
    """Programmes (and organisations) that share a name or alias with another of their label."""
    by: dict[tuple[str, str], set[str]] = defaultdict(set)
    for node, data in g.nodes(data=True):
        if data["label"] in ("Programme", "Organisation"):
            for name in [data.get("name") or "", *(data.get("aliases") or [])]:
                if name_key(name):
                    by[data["label"], name_key(name)].add(node)
    return sorted(n for nodes in by.values() if len(nodes) > 1 for n in nodes)


def _component_cycles(g: Any) -> list[str]:
    """Programmes on a cycle of COMPONENT_OF links (a family must be a tree, or it cannot be counted once)."""
    import networkx as nx

    h = nx.DiGraph((a, b) for a, b, k in g.edges(keys=True) if k == "COMPONENT_OF")
    return sorted(n for cycle in nx.simple_cycles(h) for n in cycle)


def _over_budget(g: Any) -> list[str]:
    """Umbrellas whose components' money, in the umbrella's currency, sums to more than its own: a programme's money
    is its budget, else its funders' stated contributions in one currency. The totals count a family's money once,
    the umbrella's holding its components' (:func:`queries.facts.money_once`), so a component worth more than its
    umbrella would be lost from them."""

    def money(p: str) -> tuple[float, str] | None:
        data = g.nodes[p]
        rows = [
            {"budget": data.get("budget"), "budget_currency": data.get("currency"), "funder": f}
            | {"amount": d.get("amount"), "currency": d.get("currency")}
            for f, _, k, d in g.in_edges(p, keys=True, data=True)
            if k == "FUNDS"
        ] or [{"budget": data.get("budget"), "budget_currency": data.get("currency"), "funder": None, "amount": None}]
        amount, currency, _ = programme_money(rows)  # the rule the totals read: budget, else stated contributions
        return None if amount is None else (amount, str(currency))

    out = []
    for umbrella, data in g.nodes(data=True):
        if data["label"] != "Programme" or (own := money(umbrella)) is None:
            continue
        parts = [money(c) for c, _, k in g.in_edges(umbrella, keys=True) if k == "COMPONENT_OF"]
        total = sum(m[0] for m in parts if m is not None and m[1] == own[1])
        if total > own[0]:
            out.append(umbrella)
    return out


def _served(g: Any, programme: str) -> set[str]:
    """The countries ``programme`` serves as a beneficiary (a host or a participant is not support)."""
    return {
        c
        for _, c, k, d in g.out_edges(programme, keys=True, data=True)
        if k == "TARGETS" and d.get("role") in (None, "beneficiary")
    }


def _donors_as_beneficiaries(g: Any) -> list[str]:
    """``TARGETS`` links from a programme to the high-income home country of one of its funders, as a beneficiary.

    Middle- and low-income states that co-fund work at home (Papua New Guinea its cyber centre with Australia) are
    its beneficiaries too; a high-income state paying for a programme is its donor, whatever the programme's list of
    member states says."""
    out = []
    for funder, programme, k in g.edges(keys=True):
        home = g.nodes[funder].get("country") if k == "FUNDS" else None
        if not home or g.nodes.get(f"Country:{home}", {}).get("income_group") != "High income":
            continue
        if f"Country:{home}" in _served(g, programme):
            out.append(f"TARGETS:{programme.split(':', 1)[1]}->{home}")
    return out


def _hidden_funders(g: Any) -> list[str]:
    """``FUNDS`` links to an umbrella from a funder of none of its components, where a component serves (as a
    beneficiary) a country the umbrella serves: the flow views count the family there as the component alone."""

    def funders(p: str) -> set[str]:
        return {f for f, _, k in g.in_edges(p, keys=True) if k == "FUNDS"}

    out = []
    for umbrella, data in g.nodes(data=True):
        parts = [c for c, _, k in g.in_edges(umbrella, keys=True) if k == "COMPONENT_OF"] if data["label"] == "Programme" else []
        if not parts or not (_served(g, umbrella) & set().union(*(_served(g, c) for c in parts))):
            continue
        for f in sorted(funders(umbrella) - set().union(*(funders(c) for c in parts))):
            out.append(f"FUNDS:{f.split(':', 1)[1]}->{umbrella.split(':', 1)[1]}")
    return out
