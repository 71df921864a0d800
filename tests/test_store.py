from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from vigil.errors import ConfigError
from vigil.store import Store
from vigil.store.store import DEFAULT_MEMORY_LIMIT, memory_size
from vigil.store.engine import DuckDBEngine
from vigil.store.migrations import LATEST, MIGRATIONS

_FANNED = pa.schema([("i", pa.int64()), ("label", pa.string()), ("parts", pa.list_(pa.int64()))])


def test_migrations_apply_once_in_order(tmp_path: Path) -> None:
    db = tmp_path / "v.duckdb"
    with Store(db) as store:
        assert store.version() == LATEST
        assert store.migrate() == []
        versions = [r[0] for r in store.con.execute("SELECT version FROM schema_migrations ORDER BY 1").fetchall()]
    assert versions == [m.version for m in MIGRATIONS] == sorted(versions)


def test_a_read_only_open_of_a_missing_store_says_what_to_do(tmp_path: Path) -> None:
    import pytest

    from vigil.errors import ConfigError

    with pytest.raises(ConfigError, match="ingest something first"):
        Store(tmp_path / "missing.duckdb", read_only=True)


def test_an_older_store_is_migrated_when_opened_for_reading(tmp_path: Path) -> None:
    import pytest

    import vigil.store.store as module

    db = tmp_path / "old.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, "MIGRATIONS", MIGRATIONS[:1])
        with Store(db) as store:
            assert store.version() == 1
    with Store(db, read_only=True) as store:
        assert store.version() == LATEST
        assert store.scalar("SELECT count(*) FROM captures") == 0  # a table from a later migration


def _fan_out(batch: pa.RecordBatch) -> pa.RecordBatch:
    """Row ``i`` becomes ``i % 3`` rows: output batches differ in size from the input ones (some are empty)."""
    ids = [i for i in batch.column("i").to_pylist() for _ in range(i % 3)]
    return pa.RecordBatch.from_pydict({"i": pa.array(ids, pa.int64()), "label": pa.array([f"n{i}" for i in ids], pa.string()),
                                       "parts": pa.array([[i, -i] for i in ids], pa.list_(pa.int64()))}, schema=_FANNED)  # fmt: skip


@pytest.mark.parametrize("workers", [1, 2])
def test_map_batches_on_duckdb_equals_fn_over_the_whole_query_in_its_order(workers: int) -> None:
    engine = DuckDBEngine(duckdb.connect())
    engine.materialise("_numbers", "SELECT range AS i FROM range(1000)")  # inputs read temporary tables
    sql = "SELECT i FROM _numbers WHERE i < $n ORDER BY (i * 7919) % 1000"  # a permutation, not insertion order
    done: list[int] = []
    engine.map_batches("_fanned", sql, _fan_out, _FANNED, {"n": 700}, batch_rows=32, workers=workers, progress=done.append)
    whole = _fan_out(engine.arrow("whole", sql, {"n": 700}).combine_chunks().to_batches()[0])
    assert engine.arrow("got", "SELECT * FROM _fanned").to_pylist() == whole.to_pylist()
    assert whole.num_rows == 699  # 0-2 output rows per input row: progress counts the 700 inputs
    assert len(done) > 10 and sum(done) == 700


def test_map_batches_on_duckdb_over_no_rows_makes_an_empty_table_of_the_schema() -> None:
    engine = DuckDBEngine(duckdb.connect())
    engine.map_batches("_fanned", "SELECT range AS i FROM range(0)", _fan_out, _FANNED, workers=2)
    assert engine.rows("columns", "SELECT column_name, column_type FROM (DESCRIBE _fanned)") == [
        {"column_name": "i", "column_type": "BIGINT"}, {"column_name": "label", "column_type": "VARCHAR"},
        {"column_name": "parts", "column_type": "BIGINT[]"}]  # fmt: skip
    assert engine.scalar("rows", "SELECT count(*) FROM _fanned") == 0


def test_memory_limit_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_MEMORY_LIMIT", "1.5GB")
    with Store(tmp_path / "v.duckdb") as store:
        assert store.con.execute("SELECT current_setting('memory_limit')").fetchone() == ("1.3 GiB",)
    with Store(tmp_path / "v.duckdb", read_only=True) as store:
        assert store.con.execute("SELECT current_setting('memory_limit')").fetchone() == ("1.3 GiB",)
    # unset: DuckDB's default (80 % of RAM) capped at DEFAULT_MEMORY_LIMIT; "duckdb" keeps it
    with duckdb.connect() as plain:
        duckdb_default = plain.execute("SELECT current_setting('memory_limit')").fetchone()
        plain.execute(f"SET memory_limit = '{DEFAULT_MEMORY_LIMIT}'")
        capped = plain.execute("SELECT current_setting('memory_limit')").fetchone()
    assert capped != duckdb_default
    monkeypatch.delenv("VIGIL_MEMORY_LIMIT")
    with Store(tmp_path / "v.duckdb") as store:
        got = store.con.execute("SELECT current_setting('memory_limit')").fetchone()
        assert got == (capped if memory_size(duckdb_default[0]) > memory_size(DEFAULT_MEMORY_LIMIT) else duckdb_default)
    monkeypatch.setenv("VIGIL_MEMORY_LIMIT", "DuckDB")
    with Store(tmp_path / "v.duckdb") as store:
        assert store.con.execute("SELECT current_setting('memory_limit')").fetchone() == duckdb_default
    monkeypatch.setenv("VIGIL_MEMORY_LIMIT", "3GB'; DROP TABLE captures; --")
    with pytest.raises(ConfigError, match="VIGIL_MEMORY_LIMIT=.* is not a memory size"):
        Store(tmp_path / "v.duckdb")
