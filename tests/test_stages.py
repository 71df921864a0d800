"""Stages declare the temporary tables they hand each other (vigil/store/stages.py).

The full attribution run is checked twice: on paper (each stage reads only what an earlier
stage wrote, or a stored table) and in fact (a run on a small world leaves exactly the
temporary tables its stages declare).
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from test_attribution import build

from vigil.attribute.run import FULL_RUN, INCREMENTAL_RUN, attribute_store
from vigil.ingest.captures import CaptureIngest
from vigil.store import Store
from vigil.store.spark import store_schemas
from vigil.store.stages import Stage, check_order, declared, stage, stage_of

STORED = set(store_schemas()[0]) | set(store_schemas()[1])
STAGES = [stage_of(fn) for fn in FULL_RUN]
INCREMENTAL = [stage_of(fn) for fn in INCREMENTAL_RUN]


def test_every_stage_of_a_full_run_reads_what_an_earlier_one_wrote() -> None:
    assert check_order(STAGES, STORED) == []


def test_every_stage_of_an_incremental_run_reads_what_an_earlier_one_wrote() -> None:
    assert check_order(INCREMENTAL, STORED) == []


def test_the_check_names_a_read_that_nothing_earlier_provides() -> None:
    short = [s for s in STAGES if not s.name.endswith(".build_templates")]  # nobody writes _links
    assert len(short) == len(STAGES) - 1
    problems = check_order(short, STORED)
    assert any("template_captures reads _links" in p for p in problems), problems
    assert not any("release_pages" in p for p in problems), problems
    swapped = [STAGES[1], STAGES[0], *STAGES[2:]]  # the release before the page analysis
    assert any(p.startswith("vigil.attribute.run.release_pages reads _page_work") for p in check_order(swapped, STORED))
    assert check_order([Stage("s", reads=("no_such_table",))], STORED) == ["s reads no_such_table, which is no stored table"]
    assert check_order([Stage("s", writes=("captures",))], STORED) == ["s writes captures: temporary tables start with '_'"]


def test_the_check_names_a_read_of_a_table_an_earlier_stage_dropped() -> None:
    made = Stage("made", writes=("_scratch_1", "_kept"), drops=("_scratch_*",))
    late = Stage("late", reads=("_kept", "_scratch_1"))
    assert check_order([made, late], STORED) == ["late reads _scratch_1, which made drops"]
    again = Stage("again", writes=("_scratch_1",))  # made again by a later stage: there to read
    assert check_order([made, again, late], STORED) == []
    assert declared([made]) == ({"_kept"}, {"_scratch_1", "_kept"})
    assert declared([made, again])[0] == {"_kept", "_scratch_1"}
    assert declared([again, made])[0] == {"_kept"}  # made earlier, dropped later: not left


def test_declaring_changes_nothing_but_the_record() -> None:
    @stage(reads=("_a",), writes=("_b",), maybe=("_c_*",))
    def step(x: int) -> int:
        return x + 1

    assert step(1) == 2
    assert stage_of(step) == Stage(f"{__name__}.{step.__qualname__}", ("_a",), ("_b",), ("_c_*",))
    assert stage_of(step).covers("_c_1") and not stage_of(step).covers("_d")
    with pytest.raises(TypeError, match="declares no stage"):
        stage_of(len)


def _temporary(store: Store) -> set[str]:
    return {r[0] for r in store.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()} | {
        r[0] for r in store.con.execute("SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal").fetchall()}  # fmt: skip


def test_a_full_run_leaves_exactly_the_declared_temporary_tables(tmp_path: Path) -> None:
    build(tmp_path / "caps")
    db = tmp_path / "v.duckdb"
    with Store(db) as store:
        CaptureIngest(store).run([tmp_path / "caps"])
    with Store(db) as store:  # a fresh connection: no temporary table of the ingest
        assert _temporary(store) == set()
        summary = attribute_store(store, full=True)
        made = _temporary(store)
    assert summary.distributors == 3  # the run did its work
    _exactly_declared(made, STAGES)


def _exactly_declared(made: set[str], stages: list[Stage]) -> None:
    always, possible = declared(stages)
    assert [p for p in sorted(always) if not any(fnmatchcase(t, p) for t in made)] == []  # declared, never made
    assert sorted(t for t in made if not any(fnmatchcase(t, p) for p in possible)) == []  # made, never declared


def test_an_incremental_run_leaves_exactly_the_declared_temporary_tables(tmp_path: Path) -> None:
    build(tmp_path / "caps")
    db = tmp_path / "v.duckdb"
    with Store(db) as store:
        CaptureIngest(store).run([tmp_path / "caps"])
        store.con.execute("CREATE TABLE late AS SELECT * FROM captures WHERE capture_id LIKE 'op-c-%' "
                          "AND CAST(split_part(capture_id, '-', 4) AS INTEGER) >= 6; "
                          "DELETE FROM captures WHERE capture_key IN (SELECT capture_key FROM late)")  # fmt: skip
        assert attribute_store(store).full  # the first run has nothing to build on
        store.con.execute("INSERT INTO captures SELECT * REPLACE ('late' AS batch_id) FROM late")
    with Store(db) as store:
        summary = attribute_store(store)
        made = _temporary(store)
    assert not summary.full, summary.why_full
    assert 0 < summary.recomputed_templates < summary.templates
    _exactly_declared(made, INCREMENTAL)
