"""Every store class satisfies the protocols that functions ask for (vigil/store/handle.py).

At run time through ``isinstance`` on the runtime-checkable protocols (which sees only that
the members exist), and statically through ``mypy --strict`` on assignments of each class
to the protocols it must satisfy (which checks the members' types too).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from vigil.access.policy import Actor
from vigil.access.scope import scoped
from vigil.errors import ConfigError
from vigil.store.engine import Engine
from vigil.store.handle import DuckStoreHandle, MigratedStore, StoreHandle
from vigil.store.open import StoreOptions, open_duck_store, open_store
from vigil.store.store import Store

ROOT = Path(__file__).resolve().parents[1]
ADMIN = Actor("U-admin", "admin", "hotline", "admin", "RED")


def test_the_duckdb_store_is_every_kind_of_handle(tmp_path: Path) -> None:
    with Store(tmp_path / "v.duckdb") as store:
        assert isinstance(store, StoreHandle) and isinstance(store, MigratedStore) and isinstance(store, DuckStoreHandle)
        assert isinstance(store.engine, Engine) and store.path == tmp_path / "v.duckdb"


def test_a_scoped_view_is_a_duckdb_handle_but_owns_no_schema(tmp_path: Path) -> None:
    with Store(tmp_path / "v.duckdb") as store, scoped(store, ADMIN) as view:
        assert isinstance(view, StoreHandle) and isinstance(view, DuckStoreHandle)
        assert not isinstance(view, MigratedStore)
        assert view.path == store.path


def test_something_without_an_engine_is_no_handle() -> None:
    class Bare:
        path = Path("x")

        def close(self) -> None:
            pass

    assert not isinstance(Bare(), StoreHandle)


_STATIC = """
from vigil.access.scope import ScopedStore
from vigil.store.handle import DuckStoreHandle, MigratedStore, StoreHandle
from vigil.store.spark import SparkStore
from vigil.store.store import Store

def check(duck: Store, spark: SparkStore, view: ScopedStore) -> None:
    handles: list[StoreHandle] = [duck, spark, view]
    migrated: list[MigratedStore] = [duck, spark]
    duckdb_only: list[DuckStoreHandle] = [duck, view]

def refuse(spark: SparkStore, view: ScopedStore) -> None:
    a: DuckStoreHandle = spark  # E: no con
    b: MigratedStore = view  # E: no version()
"""


def test_mypy_sees_each_class_satisfy_its_protocols(tmp_path: Path) -> None:
    snippet = tmp_path / "handles.py"
    snippet.write_text(_STATIC)
    env = {**os.environ, "MYPYPATH": str(ROOT / "src")}  # this checkout's vigil, not an installed one
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary", "--show-error-codes", str(snippet)], check=False,
                          cwd=ROOT, capture_output=True, text=True, env=env)  # fmt: skip
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert [line.split(":")[1] for line in errors] == ["13", "14"], done.stdout + done.stderr
    assert '"SparkStore"' in errors[0] and '"ScopedStore"' in errors[1], done.stdout
    missing = [line.split("note:")[1].strip() for line in done.stdout.splitlines() if "note:     " in line]
    assert missing[0] == "con" and "version" in missing[1:], done.stdout


@pytest.mark.spark
def test_the_spark_store_is_a_handle_without_duckdb(tmp_path: Path) -> None:
    from vigil.store.spark import SparkStore

    with SparkStore(tmp_path / "data") as store:
        assert isinstance(store, StoreHandle) and isinstance(store, MigratedStore)
        assert not isinstance(store, DuckStoreHandle)
        assert isinstance(store.engine, Engine) and store.path == tmp_path / "data"



def test_store_options_are_checked_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="must be duckdb or spark, not 'oracle'"):
        StoreOptions(engine="oracle").check()
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        StoreOptions(engine="spark", conf=("no-equals-sign",)).check()
    spark = StoreOptions(engine="spark", data=tmp_path / "data")
    assert spark.location(tmp_path / "v.duckdb") == tmp_path / "data"
    assert StoreOptions().location(tmp_path / "v.duckdb") == tmp_path / "v.duckdb"
    with open_store(tmp_path / "v.duckdb") as store:
        assert isinstance(store, Store)
    with pytest.raises(ConfigError, match=r"^sharing runs on the DuckDB store \(--db\), not on --engine spark$"):
        open_duck_store(tmp_path / "v.duckdb", options=spark, what="sharing runs")
    assert not (tmp_path / "data").exists()  # refused before anything was made


@pytest.mark.parametrize("argv, what", [
    (["users", "list"], "accounts, markings and the audit log live"),
    (["markings", "list"], "accounts, markings and the audit log live"),
    (["serve"], "the web application runs"),
    (["share", "markings"], "sharing runs"),
    (["match", "keys"], "sharing runs"),
    (["takedown", "audit"], "disruption commands run"),
    (["takedown", "verify-log"], "disruption commands run"),
])  # fmt: skip
def test_duckdb_only_commands_refuse_spark_in_one_line(tmp_path: Path, argv: list[str], what: str) -> None:
    from typer.testing import CliRunner

    from vigil.cli import app

    result = CliRunner().invoke(app, ["--engine", "spark", "--data", str(tmp_path / "data"), *argv, "--db", str(tmp_path / "v.duckdb")])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == f"error: {what} on the DuckDB store (--db), not on --engine spark"
    assert not (tmp_path / "data").exists() and not (tmp_path / "v.duckdb").exists()
