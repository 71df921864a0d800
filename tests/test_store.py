from pathlib import Path

from vigil.store import Store
from vigil.store.migrations import LATEST, MIGRATIONS


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
