"""`ccb report` and `ccb timeline` (issue 15): offline, deterministic, escaped, sourced; in Chromium and printed to PDF."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from graph.model import Country, Funds, Organisation, Programme, Targets
from graph.store import Batch
from queries import timeline
from tests.visualisations.test_browser import ARTIFACTS, HOSTILE, open_page

ROOT = Path(__file__).resolve().parents[2]


def ccb(*args: str) -> object:
    out = CliRunner().invoke(cli, list(args))
    assert out.exit_code == 0, out.stderr
    return out


@pytest.mark.parametrize("scope", [[], ["--country", "Kenya"], ["--region", "western africa"], ["--donor", "UK"]])
def test_report_html_is_offline_sourced_and_prints(demo: Path, tmp_path: Path, browser: object, scope: list[str]) -> None:
    out = tmp_path / "brief.html"
    ccb("--db", str(demo), "report", *scope, "-o", str(out))
    html = out.read_text(encoding="utf-8")
    again = tmp_path / "again.html"
    ccb("--db", str(demo), "report", *scope, "-o", str(again))
    assert again.read_bytes() == out.read_bytes()  # same store, same file
    assert "<script" not in html and "default-src 'none'" in html
    for section in ("summary", "map", "gaps", "timeline", "supports", "ideas", "sources"):
        assert f'<section id="{section}">' in html
    if not scope:  # on the world's priority map a country outside the ranking says why
        assert "<title>Aruba (ABW): not ranked: territory or dependency</title>" in html
        assert "<title>United States (USA): not ranked: high income</title>" in html
    elif scope[0] == "--region":  # the top of the world's gaps is outside the region, not of unknown need
        assert "<title>Eritrea (ERI): outside Western Africa</title>" in html and "need unknown</title>" not in html
    elif scope[0] == "--country":
        assert "<title>France (FRA): outside Africa</title>" in html
    else:  # a country the donor does not reach is a fact, not a gap in the data
        assert "<title>Eritrea (ERI): named by none of its programmes</title>" in html and ">no data<" not in html
        # none of the UK's programmes names Eritrea, yet three of its regional ones take it in: not "not reached"
        assert "Eritrea (0.891; within the stated scope of 3 of its regional programme(s))" in html
        legend = re.search(r"<g id=\"legend\"[^>]*>(.*?)</g>", html, re.S)
        assert legend and ">1-2</text>" in legend[1] and ">0</text>" not in legend[1]  # no class no country can be in
    page, external, errors, dialogs = open_page(browser, out, settle=False)
    assert external == [] and errors == [] and dialogs == []
    assert page.evaluate("document.querySelectorAll('#map svg g.country').length") > 200
    links = page.evaluate("Array.from(document.querySelectorAll('#sources a')).map(a => a.href)")
    assert links and all(u.startswith(("https://", "http://")) for u in links)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    # on paper nothing scrolls: the donors' table lost its money columns at an A4 page's edge
    page.set_viewport_size({"width": 794, "height": 1123})
    page.emulate_media(media="print")
    wide = "[...document.querySelectorAll('div.scroll')].filter(d => d.scrollWidth > d.clientWidth).length"
    assert page.evaluate(wide) == 0
    page.emulate_media(media="screen")
    if not scope:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 800})  # on a phone the tables scroll in their boxes, not the page
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    page.close()


def test_country_report_states_kenyas_numbers(demo: Path, tmp_path: Path) -> None:
    ccb("--db", str(demo), "report", "--country", "KEN", "-o", str(tmp_path / "k.md"))
    md = (tmp_path / "k.md").read_text(encoding="utf-8")
    supporters = json.loads(ccb("--db", str(demo), "supports", "--country", "KEN", "--format", "json").stdout)
    progs = {p for r in supporters for p in r["programme_ids"]}
    funded = [r for r in supporters if r["funder"]]  # the last row gathers the programmes with no funder recorded
    assert supporters[-1]["funder"] == "" and supporters[-1]["funder_name"] == "no funder recorded"
    named = {p for r in funded for p in r["programme_ids"]}
    assert f"named by {len(progs)} programme(s); {len(named)} of them state a funder, {len(funded)} donor(s) in all" in md
    assert all(f"| {r['funder']} |" in md for r in funded) and "| no funder recorded |" in md
    # the donors with the most programmes, a tie said as one (it named the European Union alone, the UK level with it)
    top = max(r["programmes"] for r in funded)
    first = [r["funder_name"] for r in funded if r["programmes"] == top]
    assert len(first) > 1 and f"the most from {' and '.join(first)} ({top} programmes each)." in md
    # a whole budget is labelled shared, never shown as Kenya's own
    assert "GBP 10,000,000: budget of a programme shared by 5 countries" in md
    assert (tmp_path / "k.map.svg").read_text().startswith("<svg") and "(k.map.svg)" in md and "(k.timeline.svg)" in md
    sources = md.split("## Sources", 1)[1]
    assert all(p in json.dumps(supporters) for p in progs) and sources.count("- programme ") == len(progs)


def test_report_on_a_curated_store_escapes_hostile_names(tmp_path: Path, browser: object) -> None:
    db = hostile_store(tmp_path, org_source="https://example.org/evil", programme_name=f"{HOSTILE} | *bold*")
    ccb("--db", str(db), "report", "--country", "Kenya", "-o", str(tmp_path / "k.html"))
    ccb("--db", str(db), "report", "--donor", "evil", "-o", str(tmp_path / "d.md"))
    md = (tmp_path / "d.md").read_text(encoding="utf-8")
    assert HOSTILE not in md and "\\<img src=x onerror=alert(1)\\>" in md and "\\| \\*bold\\*" in md
    page, external, errors, dialogs = open_page(browser, tmp_path / "k.html", settle=False)
    assert external == [] and errors == [] and dialogs == []
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert HOSTILE in page.evaluate("document.body.innerText")
    page.close()


@pytest.mark.parametrize("scope", [(), ("--country", "Kenya"), ("--donor", "evil"), ("--region", "eastern africa")])
def test_a_markdown_report_rendered_by_commonmark_runs_no_script(tmp_path: Path, browser: object, scope: tuple[str, ...]) -> None:
    """Issue 25 #2: a source with tabs got past the autolink check and became a raw <img onerror> once rendered."""
    from markdown_it import MarkdownIt

    db = hostile_store(tmp_path, org_source="javascript:alert(1)", programme_source="http://x/<img\tsrc=x\tonerror=alert(1)")
    out = tmp_path / "r.md"
    ccb("--db", str(db), "report", *scope, "-o", str(out))
    md = out.read_text(encoding="utf-8")
    assert "<img" not in md.replace("\\<img", "")  # every < of a value is escaped
    html = MarkdownIt("commonmark").render(md)  # raw HTML allowed, as a permissive viewer renders it
    images = re.findall(r"<img [^>]*>", html)
    assert all(re.fullmatch(r'<img src="r\.(map|timeline)\.svg" alt="[^"<>]*" />', i) for i in images), images
    assert 'href="javascript:' not in html
    page_file = tmp_path / "r.html"
    page_file.write_text(f"<!doctype html><meta charset=utf-8><body>{html}</body>", encoding="utf-8")
    page, external, errors, dialogs = open_page(browser, page_file, settle=False)
    assert dialogs == [] and page.evaluate("document.querySelectorAll('img[onerror], script').length") == 0
    hrefs = page.evaluate("[...document.querySelectorAll('a')].map(a => a.getAttribute('href'))")
    assert not any(h.lower().startswith(("javascript:", "data:", "vbscript:")) for h in hrefs)
    page.close()


def hostile_store(
    tmp_path: Path, *, org_source: str, programme_name: str = HOSTILE, programme_source: str = "https://example.org/p1"
) -> Path:
    """A store built from the curated format whose names are markup: an organisation funding a programme in Kenya."""
    db = tmp_path / "g.lbdb"
    ccb("--db", str(db), "init")
    f = tmp_path / "mine.yaml"
    f.write_text(
        f"""organisations:
  - {{id: evil, name: "{HOSTILE}", kind: government, country: GBR, source: "{org_source}"}}
programmes:
  - {{id: p1, name: "{programme_name}", themes: [C], start_date: '2020', source: "{programme_source}"}}
funds:
  - {{from: evil, to: p1, source: "https://example.org/f"}}
targets:
  - {{from: p1, to: KEN, source: "https://example.org/t"}}
""",
        encoding="utf-8",
    )
    ccb("--db", str(db), "load", str(f))
    return db


def test_timeline_counts_open_ended_programmes_apart(tmp_path: Path) -> None:
    db = tmp_path / "g.lbdb"
    from graph.embedded import EmbeddedStore

    with EmbeddedStore(db) as s:
        s.write(
            Batch().extend(
                [
                    Country(iso3="KEN", name="Kenya", region="Africa", subregion="Eastern Africa", source="s"),
                    Organisation(id="eu", name="European Union", source="s"),
                    Programme(id="a", name="A", themes=["C"], start_date="2016-03", end_date="2018", source="s"),
                    Programme(id="b", name="B", themes=["B"], start_date="2017", source="s"),
                    Programme(id="c", name="C", themes=["C"], source="s"),
                    Programme(
                        id="r",
                        name="R",
                        themes=["A"],
                        start_date="2018",
                        end_date="2019",
                        scope="regional",
                        scope_regions=["Eastern Africa"],
                        source="s",
                    ),
                    Funds(src="eu", dst="a", source="s"),
                    Funds(src="eu", dst="b", source="s"),
                    Targets(src="a", dst="KEN", source="s"),
                    Targets(src="b", dst="KEN", source="s"),
                    Targets(src="c", dst="KEN", source="s"),
                ]
            )
        )
        t = timeline.coverage(s, by="country", year_from=2015)
        assert [(r["year"], r["active"], r["end_unknown"]) for r in t.rows] == [
            (2015, 0, 0),
            (2016, 1, 0),
            (2017, 1, 1),
            (2018, 1, 1),
        ]  # to the latest start year: 2018; b never 'runs forever'
        assert t.undated == ["c"]
        region = timeline.coverage(s, by="region", year_from=2018, year_to=2019)
        assert [(r["group"], r["year"], r["active"], r["end_unknown"]) for r in region.rows] == [
            ("Africa", 2018, 2, 1),
            ("Africa", 2019, 1, 1),
        ]  # r reaches Africa through its sub-region
        assert [r["active"] for r in timeline.coverage(s, by="theme", only="cybercrime", year_from=2016, year_to=2016).rows] == [
            1
        ]
        assert [r["group"] for r in timeline.coverage(s, by="donor", only="European Union").rows][:1] == ["eu"]
    out = ccb("--db", str(db), "timeline", "--from", "2016", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows[1] == {"group": "KEN", "name": "Kenya", "year": "2017", "active": "1", "end_unknown": "1"}
    table = ccb("--db", str(db), "timeline", "--from", "2016").stdout
    assert re.search(r"KEN\s+1\s+1\+1\s+1\+1", table)
    svg = tmp_path / "t.svg"
    ccb("--db", str(db), "viz", "timeline", "--by", "country", "-o", str(svg))
    assert "1+1" in svg.read_text(encoding="utf-8")


def test_report_to_standard_output(demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 25 #6: `report -o -` writes the page to standard output, not a file named '-'."""
    monkeypatch.chdir(tmp_path)
    out = CliRunner().invoke(cli, ["--db", str(demo), "report", "--country", "Kenya", "-o", "-"])
    assert out.exit_code == 0 and out.stdout.startswith("<!DOCTYPE html>") and "Kenya" in out.stdout
    md = CliRunner().invoke(cli, ["--db", str(demo), "report", "-o", "-", "--format", "md"])
    assert md.exit_code == 0 and md.stdout.startswith("# The world") and "figures not written" in md.stderr
    assert not (tmp_path / "-").exists() and list(tmp_path.iterdir()) == []


def test_a_country_no_programme_names_has_its_own_empty_timeline(demo: Path, tmp_path: Path) -> None:
    """Eritrea's briefing said "No programme here has a start date" and listed the graph's 78 undated programmes
    as if they were its own; it now says no programme counts there, and its notes count its own (none)."""
    ccb("--db", str(demo), "report", "--country", "ERI", "-o", str(tmp_path / "e.md"))
    md = (tmp_path / "e.md").read_text(encoding="utf-8")
    section = md.split("## Coverage over time")[1].split("## ")[0]
    assert "No programme counts here." in section and "start date." not in section.split("\n- ")[0]
    assert "not placed in time" not in section and "ERI: 0 programme(s) in all" in section
    assert "Eritrea (Low income) is named as a beneficiary by no programme in the graph; the stated scope of" in md
    from graph.embedded import EmbeddedStore

    with EmbeddedStore(demo, read_only=True) as s:
        one = timeline.coverage(s, by="country", only="ERI")
    assert one.members == {"ERI": []} and one.rows == []
    out = CliRunner().invoke(cli, ["--db", str(demo), "timeline", "--by", "country", "--only", "Eritrea"])
    assert out.exit_code == 0 and out.stderr.startswith("no programme counts in ERI\n"), out.stderr


def test_report_tables_of_theme_letters_say_what_they_stand_for(demo: Path, tmp_path: Path) -> None:
    """The world briefing's donors, GCI change and partnerships gave themes as "A; B; D" and never named them: a
    minister's adviser reads nothing in a letter. Each such table has the legend of its own letters under it."""
    from graph.model import THEMES

    ccb("--db", str(demo), "report", "-o", str(tmp_path / "w.html"))
    ccb("--db", str(demo), "report", "-o", str(tmp_path / "w.md"))
    html = (tmp_path / "w.html").read_text(encoding="utf-8")
    md = (tmp_path / "w.md").read_text(encoding="utf-8")
    for section in ("Who supports whom", "What changed between the GCI editions", "Partnerships to explore"):
        part = html.split(f"<h2>{section}</h2>", 1)[1].split("<h2", 1)[0]
        letters = sorted(set(re.findall(r"<td>([A-E](?:; [A-E])*)</td>", part)[0].split("; ")))
        assert all(f"{t} {THEMES[t]}".replace("&", "&amp;") in part for t in letters), section
        part_md = md.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
        assert f"themes: A {THEMES['A']}" in part_md, section
    # a table with no letters says nothing of themes: the gaps table names countries
    gaps = html.split("<h2>Coverage gaps: need against support</h2>", 1)[1].split("<h2", 1)[0]
    assert "themes: " not in gaps
