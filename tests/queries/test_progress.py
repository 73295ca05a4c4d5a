"""`ccb progress`: change between GCI 2020 and 2024 where support went and where it did not, on both stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from graph.examples import progress_records
from graph.store import Batch, Store
from queries import progress


def test_the_hand_worked_comparison(store: Store) -> None:
    store.write(Batch().extend(progress_records()))
    p = progress.progress(store, theme="cybercrime", seed=3)
    # graph.examples.progress_records, worked by hand: +4 and +4 supported, +1 and +1 not, one stratum: +3, interval 3 to 3
    assert p.pillar == "legal"
    assert p.strata == [
        {
            "stratum": "Low income, 0-5",
            "supported": 2,
            "others": 2,
            "difference": 3.0,
            "ci_low": 3.0,
            "ci_high": 3.0,
            "change_supported": 4.0,
            "change_others": 1.0,
        }
    ]
    assert p.pooled == {"strata": 1, "supported": 2, "others": 2, "difference": 3.0, "ci_low": 3.0, "ci_high": 3.0, "seed": 3}
    assert [(r["programmes"], r["countries"], r["mean_change"]) for r in p.dose] == [("0", 2, 1.0), ("1", 2, 4.0)]
    assert p.missing == ["TGO"]  # no 2020 score: listed apart, never imputed
    assert {r["iso3"] for r in p.countries} == {"BEN", "BFA", "NER", "MLI"}
    notes = p.notes()
    # says what changed and what counts as support, in words a reader can repeat
    assert notes[0] == (
        "change in the GCI legal pillar (0-20, theme C) from 2020 to 2024; "
        "supported: named as a beneficiary by a programme on theme C active in 2020-2024"
    )
    assert progress.progress(store, seed=3).notes()[0] == (
        "change in the GCI overall score (0-100) from 2020 to 2024; "
        "supported: named as a beneficiary by any programme active in 2020-2024"
    )
    # a row reads "Low income, 0-5": the note says the number is the 2020 score's band of its scale
    assert notes[1].startswith("stratum: World Bank income group (FY25) and the 2020 score's quarter of its scale (0-5, 5-10,")
    assert "(0-25, 25-50, 50-75, 75-100)" in progress.progress(store, seed=3).notes()[1]
    assert "difference +3.00 points, 95% bootstrap interval +3.00 to +3.00" in notes[2] and "excludes 0" in notes[2]
    assert sum(n.startswith("caveat: ") for n in notes) == 3
    assert progress.changes(store, "TGO") == [
        {"pillar": "overall", "gci_2020": None, "gci_2024": 20.0, "change": None},
        {"pillar": "legal", "gci_2020": None, "gci_2024": 4.0, "change": None},
    ]


def test_the_bootstrap_is_seeded_and_the_bundled_answer_says_its_caveats(demo: Path) -> None:
    def run(*args: str) -> tuple[list[dict], str]:
        out = CliRunner().invoke(cli, ["--db", str(demo), "progress", *args, "--format", "json"], catch_exceptions=False)
        assert out.exit_code == 0, out.stderr
        return json.loads(out.stdout), out.stderr

    a, notes = run("--theme", "cybercrime")
    b, again = run("--theme", "cybercrime")
    assert a == b and notes == again  # the same seed, the same intervals
    assert run("--theme", "cybercrime", "--seed", "7")[0] != a  # another seed, other resamples: the intervals move
    compared = [r for r in a if r["difference"] is not None]
    assert compared and all(r["ci_low"] <= r["difference"] <= r["ci_high"] for r in compared)
    assert all(r["supported"] >= 2 and r["others"] >= 2 for r in compared)  # both arms, or no comparison
    assert "pooled over" in notes and "95% bootstrap interval" in notes
    assert "an association, never an effect" in notes and "selection, not an experiment" in notes
    countries, _ = run("--theme", "cybercrime", "--by", "country")
    kenya = next(r for r in countries if r["iso3"] == "KEN")
    # the two editions' files, raw: legal 20 in 2020, 19.5187 in 2024
    assert (kenya["gci_2020"], round(kenya["gci_2024"], 4), kenya["change"]) == (20.0, 19.5187, -0.4813)
    profile = CliRunner().invoke(cli, ["--db", str(demo), "profile", "KEN", "--format", "json"])
    rows = [r for r in json.loads(profile.stdout) if r["section"] == "GCI change 2020 to 2024"]
    assert [(r["pillar"], r["change"]) for r in rows][:2] == [("overall", 16.8962), ("legal", -0.4813)]


def test_the_picture_carries_its_caveats(demo: Path, tmp_path: Path) -> None:
    for name in ("progress.svg", "progress.png"):
        out = CliRunner().invoke(
            cli,
            ["--db", str(demo), "viz", "progress", "--theme", "cybercrime", "-o", str(tmp_path / name)],
            catch_exceptions=False,
        )
        assert out.exit_code == 0, out.stderr
        assert (tmp_path / name).stat().st_size > 0
    svg = (tmp_path / "progress.svg").read_text(encoding="utf-8")
    assert "Did it help?" in svg and "an association, never an effect" in svg and "GCI 2020" in svg
    empty = CliRunner().invoke(cli, ["--db", str(demo), "viz", "progress", "--region", "nowhere", "-o", str(tmp_path / "x.png")])
    assert empty.exit_code != 0 and "no region or sub-region 'nowhere'" in empty.stderr and not (tmp_path / "x.png").exists()


def test_the_reports_say_what_changed(demo: Path, tmp_path: Path) -> None:
    world = CliRunner().invoke(cli, ["--db", str(demo), "report", "-o", str(tmp_path / "world.md")], catch_exceptions=False)
    assert world.exit_code == 0, world.stderr
    text = (tmp_path / "world.md").read_text(encoding="utf-8")
    section = text.split("## What changed between the GCI editions", 1)[1].split("\n## ", 1)[0]
    assert [line.split(" | ")[0].strip("| ") for line in section.splitlines() if line.startswith("| ")][1:] == list("ABCDE")
    assert "an association, never an effect" in section
    kenya = CliRunner().invoke(cli, ["--db", str(demo), "report", "--country", "KEN", "-o", str(tmp_path / "k.html")])
    assert kenya.exit_code == 0 and 'id="change"' in (tmp_path / "k.html").read_text(encoding="utf-8")


def test_need_can_be_read_from_gci_2020_for_a_historical_view(demo: Path) -> None:
    def top(*args: str) -> list[dict]:
        out = CliRunner().invoke(cli, ["--db", str(demo), "gaps", *args, "--format", "json"], catch_exceptions=False)
        assert out.exit_code == 0, out.stderr
        return json.loads(out.stdout)  # type: ignore[no-any-return]

    then, now = top("--gci-edition", "2020"), top()
    ranked = [r for r in then if r["need_known"]]
    assert ranked and all("(GCI 2020 " in r["explanation"] for r in ranked)
    assert all("(GCI 2024 " in r["explanation"] for r in now if r["need_known"])  # the default: the newest edition
    # Yemen scored 0 in GCI 2020 and 7.19 in 2024: the edition read moves its need, and so its priority
    yem_then, yem_now = (next(r for r in rows if r["iso3"] == "YEM") for rows in (then, now))
    assert "(GCI 2020 0 -> 1 x 0.4;" in yem_then["explanation"] and "(GCI 2024 7.19 -> " in yem_now["explanation"]
    assert yem_then["need"] == 0.9 and yem_now["need"] == 0.871 and yem_then["priority"] > yem_now["priority"]


def test_the_country_page_shows_the_pillar_changes(demo: Path) -> None:
    from graph.embedded import EmbeddedStore
    from visualisations import app as app_module

    with EmbeddedStore(demo, read_only=True) as store:
        client = app_module.create_app(store).test_client()
        page = client.get("/country/KEN").get_data(as_text=True)
        api = client.get("/api/country/KEN").get_json()
    assert "GCI change 2020 to 2024" in page
    rows = api["gci_change_2020_to_2024"]
    assert [(r["pillar"], r["change"]) for r in rows][:2] == [("overall", 16.8962), ("legal", -0.4813)]


def test_the_method_page_s_table_is_the_answer_on_the_bundled_data(demo: Path) -> None:
    # docs/progress.md showed the answer of 2026-12-04 (A: 10 strata, +0.92) long after the data gave 8 and +0.21
    import re

    from graph.embedded import EmbeddedStore

    doc = (Path(__file__).resolve().parents[2] / "docs" / "progress.md").read_text(encoding="utf-8")
    table = re.findall(
        r"^\| ([A-E]) \(.*?\) \| (\d+) \| (\d+) \| (\d+) \| ([+-][\d.]+) \| ([+-]?[\d.]+) to ([+-][\d.]+) \|$", doc, re.M
    )
    assert [t[0] for t in table] == list("ABCDE")
    with EmbeddedStore(demo, read_only=True) as s:
        for theme, strata, supported, others, diff, low, high in table:
            p = progress.progress(s, theme=theme).pooled
            assert (int(strata), int(supported), int(others)) == (p["strata"], p["supported"], p["others"]), theme
            assert [float(diff), float(low), float(high)] == [round(p[k], 2) for k in ("difference", "ci_low", "ci_high")], theme


def test_the_interval_does_not_move_with_the_ranking_s_order(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bootstrap resampled the countries in ranking order, so a change to how the ranking breaks ties (Eritrea
    before the Central African Republic on theme A) moved theme A's interval from -1.37 to -1.36: the same data, a
    different answer. It resamples in code order now; the countries are still listed by rank."""
    from graph.embedded import EmbeddedStore
    from queries import analysis

    with EmbeddedStore(demo, read_only=True) as s:
        before = progress.progress(s, theme="A")
        ranked = analysis.country_gaps
        monkeypatch.setattr(analysis, "country_gaps", lambda *a, **k: list(reversed(ranked(*a, **k))))
        after = progress.progress(s, theme="A")
    assert after.pooled == before.pooled and after.strata == before.strata and after.dose == before.dose
    assert [r["iso3"] for r in after.countries] == [r["iso3"] for r in reversed(before.countries)]  # listed as given
