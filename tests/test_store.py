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
