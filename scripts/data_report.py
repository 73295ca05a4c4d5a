"""Completeness tables of the bundled programme data, as Markdown (for docs/data.md).

Counts come straight from ``loaders/data/programmes.yaml`` and the country
table: which UN M49 regions and GFCE themes the programmes reach, who the
organisations are, when programmes started, and how many facts carry money.

    python scripts/data_report.py
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "loaders" / "data"
THEMES = "ABCDE"
REGIONS = ("Africa", "Americas", "Asia", "Europe", "Oceania")


def _region_of_area() -> dict[str, str]:
    import sys

    sys.path.insert(0, str(ROOT))
    from graph.model import M49_REGIONS

    return {sub: region for region, subs in M49_REGIONS.items() for sub in subs} | {r: r for r in M49_REGIONS}


def report() -> str:
    d = yaml.safe_load((DATA / "programmes.yaml").read_text(encoding="utf-8"))
    region = {r["iso3"]: r["region"] for r in csv.DictReader(open(DATA / "countries.csv", encoding="utf-8"))}
    area = _region_of_area()
    reach: dict[str, set[str]] = defaultdict(set)
    for t in d["targets"]:
        if region.get(t["to"]):
            reach[t["from"]].add(region[t["to"]])
    members: dict[str, set[str]] = defaultdict(set)  # a group's current members
    for m in csv.DictReader(open(DATA / "blocs.member_of.csv", encoding="utf-8")):
        if not m["valid_to"]:
            members[m["to"]].add(m["from"])
    for p in d["programmes"]:
        reach[p["id"]] |= {area[a] for a in p.get("scope_regions") or []}
        reach[p["id"]] |= {region[c] for b in p.get("scope_blocs") or [] for c in members[b] if region.get(c)}
    out = ["| region | programmes | " + " | ".join(f"theme {t}" for t in THEMES) + " |", "|---|---:|" + "---:|" * len(THEMES)]
    for reg in REGIONS:
        progs = [p for p in d["programmes"] if reg in reach[p["id"]]]
        cells = [str(sum(1 for p in progs if t in p.get("themes", []))) for t in THEMES]
        out.append(f"| {reg} | {len(progs)} | " + " | ".join(cells) + " |")
    glob = [p for p in d["programmes"] if p.get("scope") == "global"]
    out.append(
        f"| global scope | {len(glob)} | "
        + " | ".join(str(sum(1 for p in glob if t in p.get("themes", []))) for t in THEMES)
        + " |"
    )
    out.append(
        f"| **all** | {len(d['programmes'])} | "
        + " | ".join(str(sum(1 for p in d["programmes"] if t in p.get("themes", []))) for t in THEMES)
        + " |"
    )

    def year(p: dict) -> str:
        y = str(p.get("start_date") or "")[:4]
        if not y:
            return "not stated"
        y = int(y)
        return (
            "before 2013"
            if y < 2013
            else "2013-2016"
            if y <= 2016
            else "2017-2020"
            if y <= 2020
            else "2021-2024"
            if y <= 2024
            else "2025-"
        )

    starts = Counter(year(p) for p in d["programmes"])
    out += ["", "| start | programmes |", "|---|---:|"]
    out += [f"| {k} | {starts[k]} |" for k in ("before 2013", "2013-2016", "2017-2020", "2021-2024", "2025-", "not stated")]
    kinds = Counter(o["kind"] for o in d["organisations"])
    blocs = sum(1 for _ in csv.DictReader(open(DATA / "blocs.organisations.csv", encoding="utf-8")))
    out += ["", "| organisation kind | count |", "|---|---:|"]
    out += [f"| {k} | {n} |" for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0]))]
    out.append(f"| blocs (blocs.organisations.csv) | {blocs} |")
    rels = {s: len(d.get(s) or []) for s in ("funds", "implements", "targets", "partners_with", "part_of", "component_of")}
    roles = Counter(t.get("role", "beneficiary") for t in d["targets"])
    amounts = sum(1 for f in d["funds"] if f.get("amount") is not None)
    budgets = sum(1 for p in d["programmes"] if p.get("budget") is not None)
    every = [r for s in ("organisations", "programmes", *rels) for r in d.get(s) or []]
    hosts = Counter(urlparse(r["source"]).netloc.removeprefix("www.") for r in every)
    out += ["", "| relationship | count |", "|---|---:|"] + [f"| {k} | {v} |" for k, v in rels.items()]
    out += ["", "| targets by role | count |", "|---|---:|"] + [f"| {k} | {v} |" for k, v in sorted(roles.items())]
    out += [
        "",
        f"Stated amounts: {amounts} of {rels['funds']} FUNDS, {budgets} of {len(d['programmes'])} programme budgets. "
        f"{len(every)} records and relationships cite {len(hosts)} distinct sites; the most cited: "
        + ", ".join(f"{h} ({n})" for h, n in hosts.most_common(8))
        + ".",
    ]
    return "\n".join(out)


if __name__ == "__main__":
    print(report())
