"""One contract, two engines: LadybugDB embedded, and a real Bolt server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from graph import schema
from graph.embedded import EmbeddedStore
from graph.errors import LoadError, Problem, QueryError, ReadOnlyViolation, StoreError, TooManyRows
from graph.model import Country, Programme, Targets
from graph.store import Batch, ReadCache, Store
from tests.conftest import Bolt
from tests.fixtures import SMALL_COUNTS, SRC, small_batch

EMPTY = dict.fromkeys(SMALL_COUNTS, 0)
WRITTEN = {k: v for k, v in SMALL_COUNTS.items() if v}  # a summary names what the batch held
NONE = dict.fromkeys(WRITTEN, 0)


def test_empty_store_counts_every_label_and_type(store: Store) -> None:
    assert store.counts() == EMPTY


def test_write_then_count(store: Store) -> None:
    summary = store.write(small_batch())
    assert store.counts() == SMALL_COUNTS
    assert summary.created == WRITTEN
    assert summary.updated == NONE
    assert summary.unchanged == NONE


def test_writing_twice_changes_no_count(store: Store) -> None:
    store.write(small_batch())
    summary = store.write(small_batch())
    assert store.counts() == SMALL_COUNTS
    assert summary.created == NONE
    assert summary.updated == NONE
    assert summary.unchanged == WRITTEN


def test_upsert_updates_properties_in_place(store: Store) -> None:
    store.write(small_batch())
    summary = store.write(
        Batch().extend(
            [
                Programme(id="p2", name="Programme Two, renamed", themes=["D"], budget=5.0, currency="GBP", source="second"),
                Programme(id="p1", **small_batch().nodes["Programme"]["p1"].model_dump(exclude={"id"})),  # same as stored
                Targets(src="p1", dst="GHA", share=55.5, source="second"),
            ]
        )
    )
    assert (summary.created, summary.updated, summary.unchanged) == (
        {"Programme": 0, "TARGETS": 0},
        {"Programme": 1, "TARGETS": 1},
        {"Programme": 1, "TARGETS": 0},
    )
    rows = store.query(
        "MATCH (p:Programme {id: $id}) RETURN p.name AS name, p.themes AS themes, p.budget AS budget", {"id": "p2"}
    )
    assert rows == [{"name": "Programme Two, renamed", "themes": ["D"], "budget": 5.0}]
    share = store.query(
        "MATCH (:Programme {id: 'p1'})-[t:TARGETS]->(:Country {iso3: 'GHA'}) RETURN t.share AS s, t.source AS src"
    )
    assert share == [{"s": 55.5, "src": "second"}]
    assert store.counts() == SMALL_COUNTS


@pytest.mark.parametrize("share", [0, 10**9], ids=["by key", "by scan"])
def test_a_store_reads_what_it_holds_by_key_and_by_scan_alike(store: Store, monkeypatch: pytest.MonkeyPatch, share: int) -> None:
    """A write compares its rows with what the store holds, read by key for a small share of a table and by a scan
    for a large one (EmbeddedStore._scan_rather, neo4j_store._stored_rels): the two writing tests above, on each path."""
    from graph import embedded, neo4j_store

    # 0: by key (but into an empty table); 10**9: always a scan
    monkeypatch.setattr(embedded if store.kind == "embedded" else neo4j_store, "SCAN_SHARE", share)
    test_writing_twice_changes_no_count(store)
    store.clear()
    test_upsert_updates_properties_in_place(store)


@pytest.mark.parametrize("slow", [False, True], ids=["look-ups cheap", "look-ups walk a hub"])
def test_a_probe_of_costly_look_ups_reads_the_rest_by_scan(store: Store, monkeypatch: pytest.MonkeyPatch, slow: bool) -> None:
    """Over Bolt a unit too small to scan for looks up a first pair and times it (neo4j_store._stored_rels): where a
    look-up costs more than a scan of the type would (a hub's), the rest is scanned; the answers are the same."""
    if store.kind != "neo4j":
        pytest.skip("the probe is the Neo4j store's: LadybugDB looks up by a hash index")
    from graph import neo4j_store

    ticks = iter(range(0, 10**9, 1000 if slow else 1))  # each reading of the clock: 1000 s, or 1 s, later
    monkeypatch.setattr(neo4j_store, "_now", lambda: float(next(ticks)) / (1 if slow else 10**9))
    monkeypatch.setattr(neo4j_store, "SCAN_SHARE", 0)  # never by the share alone: by key, after a probe of
    monkeypatch.setattr(neo4j_store, "PROBE_ROWS", 1)  # one pair
    scans: list[str] = []
    real = neo4j_store._scan_rels
    monkeypatch.setattr(neo4j_store, "_scan_rels", lambda tx, table, rel, *a: scans.append(rel) or real(tx, table, rel, *a))
    test_writing_twice_changes_no_count(store)
    store.clear()
    test_upsert_updates_properties_in_place(store)
    assert bool(scans) == slow, scans


def test_unset_values_stay_null_across_engines(store: Store) -> None:
    # an all-null DOUBLE column must bind (LadybugDB types UNWIND columns from values)
    store.write(
        Batch().extend([Programme(id="n1", name="No budget", source=SRC), Programme(id="n2", name="Nor this", source=SRC)])
    )
    rows = store.query("MATCH (p:Programme) RETURN p.id AS id, p.budget AS b, p.start_date AS s ORDER BY id")
    assert rows == [{"id": "n1", "b": None, "s": None}, {"id": "n2", "b": None, "s": None}]


def test_a_query_names_its_columns_alike_on_both_engines(store: Store) -> None:
    """Unaliased items are named by their text, as Neo4j names them (LadybugDB's own plan said ``COUNT(c._ID)``)."""
    store.write(small_batch())
    q = "MATCH (c:Country) RETURN DISTINCT c.region, count(c), toUpper(c.name) AS `big name`, size(collect(c.iso3)) + 1"
    rows = store.query(q + " ORDER BY c.region LIMIT 1")
    assert list(rows[0]) == ["c.region", "count(c)", "big name", "size(collect(c.iso3)) + 1"]
    assert list(store.query("RETURN 1, 'a, b' AS s")[0]) == ["1", "s"]
    if store.kind == "embedded":  # two items LadybugDB names alike (CAST(c.iso3, STRING)) stay two columns
        (row,) = store.query("MATCH (c:Country {iso3: 'GHA'}) RETURN cast(c.iso3 AS STRING), cast(c.iso3, 'STRING')")
        assert row == {"cast(c.iso3 AS STRING)": "GHA", "cast(c.iso3, 'STRING')": "GHA"}


def test_sums_are_numbers_on_both_engines(store: Store) -> None:
    """LadybugDB sums integers as DECIMAL(38, 0), which JSON carried as the text "3"; Neo4j gives an integer."""
    store.write(small_batch())
    (row,) = store.query("MATCH (c:Country) RETURN sum(1) AS n, sum(size(c.name)) AS letters, count(c) AS c")
    assert all(type(v) is int for v in row.values()) and row["n"] == row["c"] == SMALL_COUNTS["Country"]


@pytest.mark.parametrize(
    "cypher,hint",
    [
        ("UNWIND [[1, 2]] AS xs RETURN xs[0] AS first", "Neo4j's xs[0] is xs[1] here"),
        ("RETURN head([1, 2]) AS h", "xs[1]: its lists count from 1"),
        ("RETURN split('a,b', ',') AS parts", "string_split(s, ',')"),
        ("UNWIND [[1, 2]] AS xs RETURN xs[3] AS past", "Neo4j's xs[0] is xs[1] here"),
        ("MATCH (c:Country) RETURN toInteger(c.iso3)", "to_int64(x)"),
        ("MATCH p = shortestPath((a:Country)-[*..3]-(b:Country)) RETURN p", "(a)-[* SHORTEST 1..4]-(b)"),
        ("MATCH (o:Organisation) RETURN [x IN o.aliases | x]", "list_transform(list_filter(xs, x -> p), x -> e)"),
        ("MATCH (c:Country) RETURN c {.iso3}", "return n.id AS id"),
        ("MATCH (c:Country) RETURN c.iso3 AS c ORDER BY c", "name the column apart from the variable"),
    ],
)
def test_cypher_the_embedded_store_writes_otherwise_gets_its_form(tmp_path: Path, cypher: str, hint: str) -> None:
    s = EmbeddedStore(tmp_path / "g.lbdb")
    try:
        with pytest.raises(QueryError) as e:
            s.query(cypher)
        assert hint in str(e.value.hint)
    finally:
        s.close()


def test_parameters_are_data_not_cypher(store: Store) -> None:
    store.write(small_batch())
    hostile = "GHA'}) DETACH DELETE (n) //"
    assert store.query("MATCH (c:Country {iso3: $iso}) RETURN c.name AS name", {"iso": hostile}) == []
    assert store.query("MATCH (c:Country {iso3: $iso}) RETURN c.name AS name", {"iso": "KEN"}) == [{"name": "Kenya"}]
    assert store.counts() == SMALL_COUNTS


@pytest.mark.parametrize(
    "cypher",
    [
        "CREATE (:Country {iso3: 'ZZZ', name: 'Nowhere', source: 'x'})",
        "MATCH (c:Country {iso3: 'GHA'}) SET c.name = 'Changed'",
        "MATCH (c:Country {iso3: 'GHA'}) DETACH DELETE c",
        "MERGE (c:Country {iso3: 'QQQ'})",
    ],
)
def test_read_only_query_refuses_writes_and_changes_nothing(store: Store, cypher: str) -> None:
    store.write(small_batch())
    with pytest.raises(ReadOnlyViolation, match="writes to the graph"):
        store.query(cypher)
    assert store.counts() == SMALL_COUNTS
    assert store.query("MATCH (c:Country {iso3: 'GHA'}) RETURN c.name AS n") == [{"n": "Ghana"}]


def test_several_statements_are_refused_in_read_mode(store: Store) -> None:
    with pytest.raises(StoreError):
        store.query("MATCH (n) RETURN n; CREATE (:Country {iso3: 'ZZZ', name: 'x', source: 'x'})")
    assert store.counts() == EMPTY


@pytest.mark.parametrize("text", ["", "  \n", ";", "// a comment alone"])
def test_an_empty_query_is_called_empty_not_a_write(store: Store, text: str) -> None:
    with pytest.raises(QueryError, match="the query is empty") as refused:
        store.query(text)
    assert not isinstance(refused.value, ReadOnlyViolation)  # "pass --write" would not help


def test_labels_type_and_substring_give_one_answer_on_either_store(store: Store) -> None:
    store.write(small_batch())
    rows = store.query(
        "MATCH (c:Country {iso3: 'GHA'}) RETURN labels(c), size(labels(c)) AS k, 'Country' IN labels(c) AS country, "
        "'labels(c)' AS text"
    )
    assert rows == [{"labels(c)": ["Country"], "k": 1, "country": True, "text": "labels(c)"}]
    kinds = store.query("MATCH (:Programme)-[r]->(:Country) RETURN type(r), count(*) AS n")
    assert kinds == [{"type(r)": "TARGETS", "n": SMALL_COUNTS["TARGETS"]}]
    # LadybugDB's substring counts from 1: substring('Ghana', 0, 2) was '' there, 'Gh' on Neo4j
    parts = store.query(
        "MATCH (c:Country {iso3: 'GHA'}) RETURN substring(c.name, 0, 2) AS a, substring(c.name, 1, 3) AS b, "
        "substring(c.name, 2) AS c, substring('x, y', 0, 1) AS d"
    )
    assert parts == [{"a": "Gh", "b": "han", "c": "ana", "d": "x"}]


def test_a_read_past_max_rows_is_refused_before_its_rows_are_read(store: Store) -> None:
    text = "UNWIND range(1, 50) AS x RETURN x"
    with pytest.raises(TooManyRows, match="more than the 10 read") as refused:
        store.query(text, max_rows=10)
    assert refused.value.rows in (50, None)  # the embedded store knows the count before reading; Bolt streams
    assert [r["x"] for r in store.query(text, max_rows=50)] == list(range(1, 51))
    assert len(ReadCache(store).query(text)) == 50  # the analyses' own reads are not bounded
    with pytest.raises(TooManyRows):
        ReadCache(store).query(text, max_rows=49)


def test_write_query_when_asked(store: Store) -> None:
    store.write(small_batch())
    store.query("MATCH (c:Country {iso3: $iso}) SET c.income_group = $g", {"iso": "KEN", "g": "Lower middle income"}, write=True)
    assert store.query("MATCH (c:Country {iso3: 'KEN'}) RETURN c.income_group AS g") == [{"g": "Lower middle income"}]


def test_duplicate_key_is_refused(store: Store) -> None:
    store.write(small_batch())
    with pytest.raises(StoreError):
        store.query("CREATE (:Country {iso3: 'GHA', name: 'Second Ghana', source: 'x'})", write=True)
    assert store.counts() == SMALL_COUNTS


def test_failed_write_rolls_back_everything(store: Store) -> None:
    store.write(small_batch())
    # The loader checks references; the store must still refuse a dangling
    # end rather than drop it, and keep nothing of the batch.
    bad = Batch().extend(
        [
            Country(iso3="NGA", name="Nigeria", source=SRC),
            Programme(id="p9", name="Nine", source=SRC),
            Targets(src="p9", dst="NGA", source=SRC),
            Targets(src="p9", dst="BEN", source=SRC),  # Benin is not in the store
        ]
    )
    with pytest.raises(StoreError):
        store.write(bad)
    assert store.counts() == SMALL_COUNTS
    assert store.existing_keys("Country", ["NGA", "GHA"]) == {"GHA"}


def test_streamed_batches_are_one_transaction(store: Store) -> None:
    def batches() -> Iterator[Batch]:
        yield Batch().extend([Country(iso3="NGA", name="Nigeria", source=SRC), Programme(id="p9", name="Nine", source=SRC)])
        yield Batch().extend([Targets(src="p9", dst="NGA", share=100.0, source=SRC)])  # ends written by the batch before
        yield Batch().extend([Programme(id="p9", name="Nine, renamed", source=SRC)])  # sees its own earlier write

    summary = store.write_stream(batches(), merge_rows=1)  # each batch written on its own
    assert (summary.created, summary.updated) == (
        {"Country": 1, "Programme": 1, "TARGETS": 1},
        {"Country": 0, "Programme": 1, "TARGETS": 0},
    )
    assert store.query("MATCH (p:Programme)-[:TARGETS]->(c:Country) RETURN p.name AS p, c.iso3 AS c") == [
        {"p": "Nine, renamed", "c": "NGA"}
    ]
    store.clear()
    summary = store.write_stream(batches())  # merged into one unit: p9's last record is what is written
    assert (summary.created, summary.updated) == (
        {"Country": 1, "Programme": 1, "TARGETS": 1},
        {"Country": 0, "Programme": 0, "TARGETS": 0},
    )
    assert store.query("MATCH (p:Programme)-[:TARGETS]->(c:Country) RETURN p.name AS p, c.iso3 AS c") == [
        {"p": "Nine, renamed", "c": "NGA"}
    ]


def test_a_stream_that_fails_late_leaves_nothing(store: Store) -> None:
    store.write(small_batch())

    def batches() -> Iterator[Batch]:
        yield Batch().extend([Country(iso3="NGA", name="Nigeria", source=SRC), Programme(id="p9", name="Nine", source=SRC)])
        yield Batch().extend(
            [
                Targets(src="p9", dst="NGA", source=SRC),
                Programme(id="p1", name="Renamed", source=SRC),
                Programme(id="p10", name="Ten", source=SRC),
            ]
        )
        raise LoadError([Problem("f.xml", "line 9", "x", "found late")])  # as a validating loader does

    with pytest.raises(LoadError, match="found late"):
        store.write_stream(batches(), merge_rows=1)  # two writes into the transaction before the error
    assert store.counts() == SMALL_COUNTS
    assert store.query("MATCH (p:Programme {id: 'p1'}) RETURN p.name AS n") == [{"n": "Programme One"}]
    # The keys rolled back are free again (LadybugDB 0.22 kept them after two COPYs into one table).
    again = Batch().extend(
        [
            Country(iso3="NGA", name="Nigeria", source=SRC),
            Programme(id="p9", name="Nine", source=SRC),
            Programme(id="p10", name="Ten", source=SRC),
        ]
    )
    assert store.write(again).created == {"Country": 1, "Programme": 2}
    assert store.existing_keys("Programme", ["p9", "p10"]) == {"p9", "p10"}


def test_a_unique_stream_into_an_empty_store_is_all_or_nothing(store: Store) -> None:
    """A checked file streams into an empty store a unit at a time (LadybugDB: a COPY per unit, no look-ups); a
    failure after two units into one table leaves the store empty and able to take the same keys."""

    def batches(fail: bool) -> Iterator[Batch]:
        yield Batch().extend([Country(iso3="NGA", name="Nigeria", source=SRC), Programme(id="p9", name="Nine", source=SRC)])
        yield Batch().extend([Programme(id="p10", name="Ten", source=SRC), Targets(src="p9", dst="NGA", source=SRC)])
        if fail:
            raise LoadError([Problem("f.jsonl", "line 9", "x", "the file changed between its check and its write")])

    with pytest.raises(LoadError, match="changed between"):
        store.write_stream(batches(True), merge_rows=1, unique=True)
    assert not any(store.counts().values())
    summary = store.write_stream(batches(False), merge_rows=1, unique=True)
    assert summary.created == {"Country": 1, "Programme": 2, "TARGETS": 1}
    assert store.query("MATCH (p:Programme)-[:TARGETS]->(c:Country) RETURN p.id AS p, c.iso3 AS c") == [{"p": "p9", "c": "NGA"}]
    assert store.existing_keys("Programme", ["p9", "p10"]) == {"p9", "p10"}
    # The same stream again (a re-load): the store held every type when it began, so each row is compared, none added.
    again = store.write_stream(batches(False), merge_rows=1, unique=True)
    assert again.created == {"Country": 0, "Programme": 0, "TARGETS": 0}
    assert store.counts()["TARGETS"] == 1


def test_bad_cypher_is_a_query_error(store: Store) -> None:
    with pytest.raises(QueryError):
        store.query("MATCH (n RETURN n")


def test_existing_keys(store: Store) -> None:
    store.write(small_batch())
    assert store.existing_keys("Organisation", ["eu", "nope", "coe"]) == {"eu", "coe"}
    assert store.existing_keys("Organisation", []) == set()


def test_clear(store: Store) -> None:
    store.write(small_batch())
    store.clear()
    assert store.counts() == EMPTY


def test_networkx_round_trip_keeps_properties(store: Store) -> None:
    store.write(small_batch())
    g = store.to_networkx()
    assert g.number_of_nodes() == 8 and g.number_of_edges() == 7
    assert g.nodes["Programme:p1"] == {
        "label": "Programme",
        "id": "p1",
        "name": "Programme One",
        "themes": ["A", "C"],
        "status": "active",
        "start_date": "2016-03",
        "budget": 4.2e6,
        "currency": "EUR",
        "source": SRC,
    }
    assert g.nodes["Organisation:eu"]["aliases"] == ["EU"]
    assert g.nodes["Country:XKX"]["name"] == "Kosovo"
    assert g.edges["Organisation:eu", "Programme:p1", "FUNDS"] == {
        "type": "FUNDS",
        "amount": 1000.5,
        "currency": "EUR",
        "year": 2020,
        "source": SRC,
        "valid_from": "2016",
    }
    assert g.edges["Programme:p1", "Country:KEN", "TARGETS"]["share"] == 40.0


def test_networkx_filtered_view(store: Store) -> None:
    store.write(small_batch())
    g = store.to_networkx(labels=["Organisation", "Programme"], types=["FUNDS"])
    assert sorted(g.nodes) == ["Organisation:coe", "Organisation:commonwealth", "Organisation:eu", "Programme:p1", "Programme:p2"]
    assert sorted((u, v) for u, v, _ in g.edges) == [("Organisation:eu", "Programme:p1"), ("Organisation:eu", "Programme:p2")]


def test_embedded_store_gains_new_properties(tmp_path: Path) -> None:
    """A store made before a property existed gets the column when opened, and keeps its data."""
    import re

    import ladybug

    from graph.embedded import EmbeddedStore, _ddl

    path = tmp_path / "old.lbdb"
    db = ladybug.Database(str(path))
    conn = ladybug.Connection(db)
    for stmt in _ddl():
        # the Country table as it was before wb_region: later columns (added after it, in model order) cut too
        conn.execute(re.sub(r", wb_region STRING.*?(?=, source STRING)", "", stmt))
    conn.execute("CREATE (:Country {iso3: 'KEN', name: 'Kenya', source: 's'})")
    conn.close()
    db.close()
    with EmbeddedStore(path) as s:
        s.write(
            Batch().extend(
                [
                    Country(
                        iso3="GHA", name="Ghana", wb_region="Sub-Saharan Africa", income_group="Lower middle income", source="s"
                    )
                ]
            )
        )
        rows = s.query("MATCH (c:Country) RETURN c.iso3 AS iso3, c.wb_region AS wb ORDER BY iso3")
    assert rows == [{"iso3": "GHA", "wb": "Sub-Saharan Africa"}, {"iso3": "KEN", "wb": None}]


def test_batch_rows_are_the_schema_columns() -> None:
    """Batch rows are the models' own field dicts: they must hold exactly the schema's columns."""
    batch = small_batch()
    for label, spec in schema.nodes().items():
        for row in batch.node_rows(label):
            assert set(row) == set(spec.columns), label
    for type_, spec in schema.rels().items():
        for row in batch.rel_rows(type_):
            assert set(row) == {"src", "dst", *spec.columns}, type_
    assert batch.node_rows("Programme") and batch.rel_rows("TARGETS")


WHOLE = {
    "node": "MATCH (c:Country {iso3: 'KEN'}) RETURN c",
    "programme": "MATCH (p:Programme {id: 'p1'}) RETURN p",
    "relationship": "MATCH (:Organisation {id: 'eu'})-[f:FUNDS]->(:Programme {id: 'p1'}) RETURN f",
    "both in a list": "MATCH (o:Organisation {id: 'eu'})-[f:FUNDS]->(p:Programme {id: 'p1'}) RETURN [o.id, p.id] AS ids, f",
    "path": "MATCH path = (:Organisation {id: 'eu'})-[:FUNDS]->(:Programme {id: 'p1'})-[:TARGETS]->(:Country {iso3: 'KEN'}) "
    "RETURN path",
}


@pytest.mark.parametrize("what", list(WHOLE))
def test_whole_nodes_and_relationships_come_back_in_one_shape(tmp_path: Path, bolt: Bolt, what: str) -> None:
    embedded = EmbeddedStore(tmp_path / "g.lbdb")
    neo = bolt.store()
    neo.clear()
    try:
        answers = []
        for s in (embedded, neo):
            s.write(small_batch())
            answers.append(s.query(WHOLE[what]))
        assert answers[0] == answers[1]
        if what == "path":  # node, relationship, node, relationship, node
            assert [x["_label"] for x in answers[0][0]["path"]] == ["Organisation", "FUNDS", "Programme", "TARGETS", "Country"]
            return
        whole = next(v for v in answers[0][0].values() if isinstance(v, dict))
        assert "_label" in whole and None not in whole.values()  # the label, and only the properties that are set
    finally:
        embedded.close()
        neo.close()
