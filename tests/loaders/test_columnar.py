"""The columnar fast path: it never accepts what pydantic refuses, never keeps a value pydantic would change, and a
file loaded through it leaves the store exactly as the record-by-record path does."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from pydantic import ValidationError, model_validator

from bench import synthetic
from graph import model as m
from graph import schema
from graph.embedded import EmbeddedStore, _arrow
from graph.errors import LoadError
from graph.store import Batch, TableBatch
from loaders import columnar, tabular

BASE: dict[type[Any], dict[str, Any]] = {
    m.Country: {"iso3": "KEN", "name": "Kenya", "source": "s", "region": "Africa", "subregion": "Eastern Africa", "ldc": False},
    m.Organisation: {"id": "eu", "name": "EU", "source": "s", "kind": "intergovernmental", "country": "BEL", "aliases": ["E U"]},
    m.Programme: {
        "id": "p1",
        "name": "P",
        "source": "s",
        "themes": ["A", "C"],
        "status": "active",
        "start_date": "2016-03",
        "end_date": "2018",
        "budget": 5,
        "currency": "EUR",
        "scope": "regional",
        "scope_regions": ["Africa"],
        "scope_blocs": ["au"],
    },
    m.Indicator: {"id": "gci-2024", "family": "gci", "edition": "2024", "name": "GCI", "source": "s"},
    m.Funds: {
        "from": "eu",
        "to": "p1",
        "amount": 1.5,
        "disbursed": 1,
        "currency": "EUR",
        "year": 2020,
        "source": "s",
        "valid_from": "2019",
        "valid_to": "2020",
    },
    m.Implements: {"from": "eu", "to": "p1", "role": "partner", "source": "s"},
    m.Targets: {"from": "p1", "to": "KEN", "share": 50, "role": "host", "source": "s"},
    m.PartnersWith: {"from": "a", "to": "b", "kind": "MoU", "source": "s"},
    m.MemberOf: {"from": "KEN", "to": "au", "source": "s"},
    m.Measured: {"from": "KEN", "to": "gci-2024", "score": 40.5, "tier": 3, "stage": "formative", "year": 2024, "source": "s"},
    m.PartOf: {"from": "a", "to": "b", "source": "s"},
    m.ComponentOf: {"from": "a", "to": "b", "source": "s"},
}
# Values at every edge the model draws: types pydantic coerces, white space it strips, lengths, dates, codes, ranges.
ODD: list[Any] = [
    None, True, False, 0, 1, -1, 2, 5.0, 5.5, 1e15, 1e16, -0.0, 2**53, 2**53 + 1, 2**63 - 1, -(2**63), "", " ", "x", " x", "x ",
    "x\n", "\tx", "\u00a0x", "x\u2003", "x\u200b", "\u3000", "A", "a", "C", "B", "Z", "KEN", "ken", "XKX", "XXX", "EUR",
    "EUO", "SLL", "eur", "2016", "2016-02-29", "2015-02-29", "2016-13", "2016-1", "\u0662\u0660\u0661\u0666", "o'k", "a b", "a\x00b",
    "a\x85b", "a\x7f", "ok\u2028", "\u00e9", "x" * 200, "x" * 201, "x" * 1000, "x" * 1001, [], ["A"], ["B", "A"], ["A", "A"],
    ["A", "B"], ["Africa"], ["Eastern Africa", "Africa"], [""], [" A"], [None], [1], ["x", 1], {}, {"a": 1}, "regional",
    "global", "countries", "active", "unknown", "lead", "partner", "beneficiary", "participant", "host", "formative", "other",
    "government", 100, 100.5, 1900, 1899, 2100, 2101, 1990, 10, 11, -1e9, 1e9, 1e10, "Africa", "Eastern Africa",
    "Western Europe", "2020", "2019", "2018", "a", "b",
]  # fmt: skip


def _columns(model: type[Any]) -> list[tuple[str, str]]:
    cols = [(p.name, p.db_type) for p in schema.sections()[model.section].props]
    return cols if model.is_node else [("src", "STRING"), ("dst", "STRING"), *cols]


def _cases(model: type[Any], rnd: random.Random) -> list[dict[str, Any]]:
    base = BASE[model]
    keys = [f.alias or n for n, f in model.model_fields.items()] + ["bogus", "src"]
    out = [dict(base)]
    for k in keys:
        out.append({kk: vv for kk, vv in base.items() if kk != k})
        out.extend({**base, k: v} for v in ODD)
    for _ in range(1500):
        rec = dict(base)
        for k in rnd.sample(keys, 2):
            rec[k] = rnd.choice(ODD)
        out.append(rec)
    return out


def _agrees(model: type[Any], recs: list[dict[str, Any]]) -> bool | None:
    """None when the fast path declines; else whether pydantic accepts every record and gives the same table."""
    table = columnar.check(model, recs)
    if table is None:
        return None
    try:
        objs = [model.model_validate(r) for r in recs]
    except ValidationError:
        return False
    cols = _columns(model)
    return table.select([c for c, _ in cols]).equals(_arrow([o.__dict__ for o in objs], cols))


@pytest.mark.parametrize("model", list(BASE), ids=lambda x: x.__name__)
def test_never_accepts_what_pydantic_refuses_or_changes(model: type[Any]) -> None:
    rnd = random.Random(f"columnar-{model.__name__}")
    cases = _cases(model, rnd)
    one = [_agrees(model, [c]) for c in cases]
    assert False not in one
    assert one[0] is True and one.count(True) > 1  # it does vouch for usual records (else the test proves nothing)
    # records together: types mixed across records, a null beside an absent key
    for _ in range(300):
        assert _agrees(model, rnd.sample(cases, rnd.randint(2, 6))) is not False


def test_every_model_has_a_fast_path_and_an_unknown_rule_has_none() -> None:
    assert all(columnar.rules(model) is not None for model in (*m.NODE_MODELS, *m.REL_MODELS))

    class Stricter(m.Organisation):
        @model_validator(mode="after")
        def _no_acme(self) -> Stricter:
            if self.id == "acme":
                raise ValueError("no acme")
            return self

    assert columnar.rules(Stricter) is None  # a rule it cannot see: pydantic judges every record
    assert columnar.check(Stricter, [{"id": "acme", "name": "A", "source": "s"}]) is None


def test_a_null_where_the_field_has_a_default_is_left_to_pydantic() -> None:
    ok = {"from": "eu", "to": "p1", "source": "s"}
    assert columnar.check(m.Implements, [ok, {**ok, "to": "p2", "role": "partner"}]) is not None
    assert columnar.check(m.Implements, [ok, {**ok, "to": "p2", "role": None}]) is None
    with pytest.raises(ValidationError):
        m.Implements.model_validate({**ok, "role": None})


@pytest.fixture(scope="module")
def synthetic_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("syn")
    synthetic.write(out, "S")
    return out


def _contents(store: EmbeddedStore) -> dict[str, list[str]]:
    dump = store.dump()
    tables: dict[str, dict[Any, Any]] = {**dump.nodes, **dump.rels}
    return {name: sorted(repr(sorted(r.__dict__.items())) for r in recs.values()) for name, recs in tables.items()}


def test_a_file_loads_through_columns_and_the_store_is_as_record_by_record(synthetic_files: Path, tmp_path: Path) -> None:
    graph, delta = synthetic_files / "graph.jsonl", synthetic_files / "delta.jsonl"
    stores = {}
    for columns in (True, False):
        store = EmbeddedStore(tmp_path / f"{columns}.lbdb")
        first = tabular.read_batch(graph, store, columns=columns)
        assert isinstance(first, TableBatch) is columns  # the fast path is taken for a clean file
        summaries = [store.write(first), store.write(tabular.read_batch(delta, store, columns=columns))]
        summaries.append(store.write(tabular.read_batch(graph, store, columns=columns)))  # a re-load
        stores[columns] = (_contents(store), summaries)
        store.close()
    assert stores[True] == stores[False]
    assert sum(stores[True][1][1].updated.values()) > 0  # the delta did change rows: the diff path ran


def test_a_file_it_cannot_vouch_for_is_read_record_by_record(tmp_path: Path) -> None:
    p = tmp_path / "g.jsonl"
    good = '{"type": "organisations", "id": "eu", "name": "European Union", "source": "s"}\n'
    p.write_text(good + '{"type": "organisations", "id": "coe", "name": " Council of Europe ", "source": "s"}\n')
    batch = tabular.read_batch(p, columns=True)
    assert type(batch) is Batch and batch.nodes["Organisation"]["coe"].name == "Council of Europe"
    p.write_text(good + '{"type": "funds", "from": "eu", "to": "nowhere", "source": "s"}\n')
    with pytest.raises(LoadError) as e:
        tabular.read_batch(p, columns=True)
    assert [(x.location, x.field) for x in e.value.problems] == [("line 2", "to")]


def test_rows_of_a_table_batch_are_made_only_when_read() -> None:
    t = pa.table({"id": ["p1"], "name": ["One"]})
    rows = TableBatch({"Programme": t}).node_rows("Programme")
    assert rows.table is t and rows._rows is None
    assert rows[0] == {"id": "p1", "name": "One"} and rows._rows is not None


def test_a_streamed_file_loads_through_columns_as_record_by_record(
    synthetic_files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stores = {}
    spilled: list[str] = []
    spill = tabular._spill_tables
    monkeypatch.setattr(tabular, "_spill_tables", lambda f, tables: (spilled.extend(tables), spill(f, tables))[1])
    for columns in (True, False):
        if not columns:
            assert len(spilled) > 10  # the chunks did go through columns
            monkeypatch.setattr(tabular, "_chunk_tables", lambda raws: None)
        monkeypatch.setattr(tabular, "CHUNK", 1_000)  # many chunks, and units that merge them
        store = EmbeddedStore(tmp_path / f"{columns}.lbdb")
        summaries = [
            tabular.load_file(store, synthetic_files / f, stream_bytes=0).summary for f in ("graph.jsonl", "delta.jsonl")
        ]
        stores[columns] = (_contents(store), summaries)
        store.close()
    assert stores[True] == stores[False]


def test_a_streamed_chunk_it_cannot_vouch_for_is_read_record_by_record(tmp_path: Path) -> None:
    lines = [f'{{"type": "organisations", "id": "o{i}", "name": "Org {i}", "source": "s"}}' for i in range(30)]
    lines[25] = '{"type": "organisations", "id": "o25", "name": " Org 25 ", "source": "s"}'  # stripped by pydantic
    p = tmp_path / "orgs.jsonl"
    p.write_text("\n".join(lines) + "\n")
    store = EmbeddedStore(tmp_path / "s.lbdb")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tabular, "CHUNK", 10)
        assert tabular.load_file(store, p, stream_bytes=0).records == 30
    names = {r["id"]: r["name"] for r in store.query("MATCH (o:Organisation) RETURN o.id AS id, o.name AS name")}
    store.close()
    assert len(names) == 30 and names["o25"] == "Org 25" and names["o3"] == "Org 3"
