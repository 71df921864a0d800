"""The Spark engine: the same set steps over Spark SQL, data as Parquet in a directory.

PySpark is optional (``pip install 'vigil[spark]'``) and imported only here, only when a
command asks for ``--engine spark``. Layout of the data directory (``--data DIR``)::

    DIR/<table>/part-*.parquet     one folder per store table (schemas from the migrations)
    DIR/_vigil.json                layout version and schema version

Stored tables are registered as temporary views of those folders; a rebuilt table is written
to a fresh folder and swapped in, so readers never see half a table. Temporary tables
(``materialise``, ``put_arrow``, ``map_batches``) are local checkpoints: their lineage and the
optimiser's size estimate behind them are cut, so iterative steps (pointer jumping, label
propagation, template rounds) grow neither their plans nor the estimates of later queries.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from vigil import settings as vigil_settings
from vigil.defaults import SPARK_MASTER
from vigil.errors import ConfigError, StoreError
from vigil.store.engine import BatchFn, Dialect, Engine
from vigil.store.handle import DuckStoreHandle

LAYOUT_VERSION = 2  # 2: ingest_files is a view of the append-only ingest_progress
DEFAULT_MASTER = SPARK_MASTER

_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


class SparkDialect(Dialect):
    def sorted_set(self, expr: str) -> str:
        return f"array_sort(collect_set({expr}))"

    def explode(self, expr: str) -> str:
        return f"explode({expr})"

    def day(self, expr: str) -> str:
        return f"date_format({expr}, 'yyyy-MM-dd')"

    def micros(self, expr: str) -> str:
        return f"unix_micros(CAST({expr} AS TIMESTAMP))"  # the session time zone is UTC


def literal(value: Any) -> str:
    """A Python value as a Spark SQL literal (parameters are bound by value, safely quoted)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return f"CAST({value} AS BIGINT)" if abs(value) > 2**31 - 1 else str(value)
    if isinstance(value, float):
        return f"CAST('{value!r}' AS DOUBLE)"
    if isinstance(value, datetime):
        return f"TIMESTAMP_NTZ '{value.replace(tzinfo=None).isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, (list, tuple)):
        if not value:
            return "CAST(array() AS ARRAY<STRING>)"
        return "array(" + ", ".join(literal(v) for v in value) + ")"
    raise TypeError(f"cannot bind {type(value).__name__} as a Spark SQL parameter")


def bind(sql: str, params: dict[str, Any] | None) -> str:
    if not params:
        return sql

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise KeyError(f"missing SQL parameter ${name}")
        return literal(params[name])

    return _PARAM.sub(one, sql)


@lru_cache(maxsize=1)
def store_schemas() -> tuple[dict[str, pa.Schema], dict[str, str]]:
    """Every store table's Arrow schema and every view's SQL, read from the migrations.

    One definition of the schema for both engines: the migrations are applied to an
    in-memory DuckDB and its catalogue is read back.
    """
    import duckdb

    from vigil.store.store import Store

    con = duckdb.connect(":memory:")
    Store._migrate_on(con)
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
    schemas: dict[str, pa.Schema] = {}
    for name in tables:
        schemas[name] = con.sql(f"SELECT * FROM {name} LIMIT 0").to_arrow_table().schema
    from vigil.store.migrations import MIGRATIONS

    # Views as written in the migrations (DuckDB's catalogue holds its own rewrite of them).
    views = {m.group(1): m.group(2).strip() for migration in MIGRATIONS
             for m in re.finditer(r"CREATE VIEW (\w+) AS(.*?);", migration.sql, flags=re.S)}  # fmt: skip
    con.close()
    return schemas, views


_SESSION: Any = None


def spark_session(master: str = DEFAULT_MASTER, conf: dict[str, str] | None = None) -> Any:
    """One Spark session per process (tests and commands share it)."""
    global _SESSION
    if _SESSION is not None:
        return _SESSION
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError("the Spark engine needs PySpark: pip install 'vigil[spark]'") from None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local mode: no hostname warnings
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    cores = os.cpu_count() or 2
    config = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.timestampType": "TIMESTAMP_NTZ",
        "spark.sql.shuffle.partitions": str(max(4, 2 * cores)),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.driver.memory": vigil_settings.spark_driver_memory(),
        "spark.sql.parquet.compression.codec": "zstd",
        "spark.sql.sources.partitionOverwriteMode": "static",
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={_quiet_log4j()}",
    }
    config.update(conf or {})
    builder = SparkSession.builder.master(master).appName("vigil")
    for key, value in config.items():
        builder = builder.config(key, value)
    try:
        _SESSION = builder.getOrCreate()
    except Exception as exc:  # no Java, bad master URL, ...
        raise ConfigError(f"cannot start Spark ({master}): {str(exc).splitlines()[0]}") from None
    _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


def _quiet_log4j() -> str:
    """A log4j2 configuration that keeps Spark's chatter (and JVM stacks) off the user's screen."""
    import tempfile

    path = Path(tempfile.gettempdir()) / "vigil-spark-log4j2.properties"
    if not path.exists():
        path.write_text("rootLogger.level = error\nrootLogger.appenderRef.stderr.ref = console\n"
                        "appender.console.type = Console\nappender.console.name = console\n"
                        "appender.console.target = SYSTEM_ERR\nappender.console.layout.type = PatternLayout\n"
                        "appender.console.layout.pattern = spark: %p %m%n\n")  # fmt: skip
    return str(path)


def parse_conf(items: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` items (``--spark-conf``) as a dict."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--spark-conf wants KEY=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


class SparkEngine(Engine):
    """Spark SQL over the Parquet tables of a data directory."""

    name = "spark"
    dialect = SparkDialect()

    def __init__(self, spark: Any, data: Path) -> None:
        self.spark = spark
        self.data = data
        self.schemas, self.views = store_schemas()
        self._spark_schemas: dict[str, Any] = {}
        self._scratch_n = 0
        self._held: dict[str, set[int]] = {}  # view -> ids of the checkpoint RDDs behind it
        for table in self.schemas:
            self._register(table)
        for view, sql in self.views.items():
            self.spark.sql(f"CREATE OR REPLACE TEMP VIEW {view} AS {sql}")

    # -- plumbing -------------------------------------------------------------------------
    def _sql(self, step: str, sql: str, params: dict[str, Any] | None) -> Any:
        text = bind(sql, params)
        try:
            return self.spark.sql(text)
        except Exception as exc:  # AnalysisException, ParseException, ...
            raise StoreError(step, text, _short(exc)) from None

    def _spark_schema(self, table: str) -> Any:
        if table not in self._spark_schemas:
            self._spark_schemas[table] = _to_spark(self.schemas[table])
        return self._spark_schemas[table]

    def _register(self, table: str) -> None:
        folder = self.data / table
        if folder.is_dir() and any(folder.glob("*.parquet")):
            df = self.spark.read.schema(self._spark_schema(table)).parquet(str(folder))
        else:
            df = self.spark.createDataFrame([], self._spark_schema(table))
        df.createOrReplaceTempView(table)

    def _conform(self, table: str, df: Any) -> Any:
        """Columns by position, cast to the stored schema (as SQL INSERT does)."""
        from pyspark.sql import functions as F

        target = self._spark_schema(table)
        if len(df.columns) != len(target.fields):
            raise StoreError(table, "", ValueError(f"{len(df.columns)} columns for {len(target.fields)} in {table}"))
        return df.select(*[F.col(f"`{c}`").cast(f.dataType).alias(f.name) for c, f in zip(df.columns, target.fields)])

    def _checkpoint(self, name: str, df: Any) -> None:
        """Materialise ``df`` as the temporary view ``name``.

        A local checkpoint keeps the rows in the block manager: fast, but its blocks can be
        lost in a long-lived session under memory pressure (Spark then fails the next job
        that reads them, or the checkpoint itself). When it fails, the rows are written once
        as Parquet under the data directory's ``_scratch`` folder and read back from there,
        which survives whatever the block manager drops; the folder is removed when the
        store closes.
        """
        before = self._persistent_rdds()
        try:
            self._without_estimate(df.localCheckpoint(eager=True)).createOrReplaceTempView(name)
            fresh = self._persistent_rdds() - before
            self._release(name)  # only now: the new rows may have been computed from the old ones
            self._held[name] = fresh
        except Exception:  # Py4JJavaError: lost checkpoint blocks, memory pressure
            self._scratch_n += 1
            folder = self.data / "_scratch" / f"{name}-{self._scratch_n}"
            df.write.mode("overwrite").parquet(str(folder))
            self.spark.read.parquet(str(folder)).createOrReplaceTempView(name)
            self._release(name)

    def _without_estimate(self, checkpointed: Any) -> Any:
        """The checkpointed rows as a frame that forgets the size estimate of the plan behind them.

        Spark (3.4 on) keeps on a checkpoint the optimiser's size estimate of the query that made
        it, and estimates a join as the product of its inputs. A table built from itself round
        after round (pointer jumping, parent rounds) thus doubles the digits of its estimate
        each round: after some twenty rounds every later query that joins it spent minutes of
        driver time multiplying integers of millions of digits before running a task
        (attribution's evidence rounds on Spark went from seconds to minutes each). The rows
        are read from the same checkpoint blocks; the estimate is Spark's default for a table
        it knows nothing of, and adaptive execution sizes joins from the real shuffles.
        """
        from py4j.protocol import Py4JError

        jdf = checkpointed._jdf
        try:  # an internal method of Spark's session (3.x, 4.x); public from the JVM's side
            fresh = self.spark._jsparkSession.internalCreateDataFrame(jdf.queryExecution().toRdd(), jdf.schema(), False)
        except Py4JError:  # a Spark without it: the rows as they are, estimate and all
            return checkpointed
        return type(checkpointed)(fresh, self.spark)

    def _persistent_rdds(self) -> set[int]:
        return {int(k) for k in self.spark.sparkContext._jsc.getPersistentRDDs().keys()}

    def _release(self, name: str | None = None) -> None:
        """Drop the checkpoint blocks behind view ``name`` (or behind every view, if None).

        The session outlives a store (tests and the web server share one); blocks left behind
        by finished stages would otherwise pile up in the driver's memory until a later
        broadcast or checkpoint fails for want of it.
        """
        names = [name] if name is not None else list(self._held)
        rdds = self.spark.sparkContext._jsc.getPersistentRDDs()
        for view in names:
            for rdd_id in self._held.pop(view, set()):
                rdd = rdds.get(rdd_id)
                if rdd is not None:
                    try:
                        rdd.unpersist(False)
                    except Exception:  # already gone with its context: nothing to release
                        pass

    # -- the Engine surface ---------------------------------------------------------------
    def rows(self, step: str, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        return list(self.arrow(step, sql, params).to_pylist())

    def arrow(self, step: str, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
        df = self._sql(step, sql, params)
        try:
            return df.toArrow()
        except Exception as exc:
            raise StoreError(step, bind(sql, params), _short(exc)) from None

    def materialise(self, name: str, sql: str, params: dict[str, Any] | None = None) -> None:
        df = self._sql(name, sql, params)
        try:
            self._checkpoint(name, df)
        except Exception as exc:
            raise StoreError(name, bind(sql, params), _short(exc)) from None

    def put_arrow(self, name: str, table: pa.Table) -> None:
        self._checkpoint(name, self.spark.createDataFrame(table))

    def drop(self, *names: str) -> None:
        for name in names:
            self.spark.catalog.dropTempView(name)
            self._release(name)

    def map_batches(self, name: str, sql: str, fn: BatchFn, schema: pa.Schema, params: dict[str, Any] | None = None,
                    *, batch_rows: int = 50_000, workers: int = 1,
                    progress: Callable[[int], None] | None = None) -> None:  # fmt: skip
        spark_schema = _to_spark(schema)

        def apply(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            for batch in batches:
                yield fn(batch)

        source = self._sql(name, sql, params)
        if batch_rows < 10_000:  # heavy rows (pages): spread them over more, smaller tasks
            source = source.repartition(max(self.spark.sparkContext.defaultParallelism * 4, 8))
        df = source.mapInArrow(apply, spark_schema)
        try:
            self._checkpoint(name, df)
        except Exception as exc:
            raise StoreError(name, bind(sql, params), _short(exc)) from None

    def _write(self, table: str, df: Any, mode: str) -> None:
        folder = self.data / table
        self.data.mkdir(parents=True, exist_ok=True)
        try:
            if mode == "append":
                df.write.mode("append").parquet(str(folder))
            else:
                fresh = self.data / f".{table}.{uuid.uuid4().hex[:8]}"
                df.write.mode("overwrite").parquet(str(fresh))
                old = self.data / f".{table}.old"
                if folder.exists():
                    folder.rename(old)
                fresh.rename(folder)
                shutil.rmtree(old, ignore_errors=True)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(table, "", _short(exc)) from None
        self._register(table)

    def replace(self, table: str, sql: str, params: dict[str, Any] | None = None) -> None:
        self._write(table, self._conform(table, self._sql(table, sql, params)), "overwrite")

    def insert(self, table: str, sql: str, params: dict[str, Any] | None = None) -> None:
        self._write(table, self._conform(table, self._sql(table, sql, params)), "append")

    def append(self, table: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        names = [f.name for f in self.schemas[table]]
        conformed = data.rename_columns(names).cast(self.schemas[table])
        self._write(table, self.spark.createDataFrame(conformed), "append")


def _to_spark(schema: pa.Schema) -> Any:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema, prefer_timestamp_ntz=True)


def _short(exc: BaseException) -> Exception:
    """Spark errors carry a JVM stack; keep the line that says what is wrong.

    A Py4J error's first line only names the JVM call ("An error occurred while calling
    o123.localCheckpoint."); the Java exception and its message follow on the next line
    that starts with ": ". Both are kept, on one line.
    """
    text = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    if not text:
        return RuntimeError(type(exc).__name__)
    cause = next((line[1:].strip() for line in text[1:] if line.startswith(":")), "")
    return RuntimeError(f"{text[0]} {cause[:400]}".strip())


class SparkStore:
    """A data directory of Parquet tables, opened with a Spark session."""

    def __init__(self, data: Path | str, *, master: str = DEFAULT_MASTER, conf: dict[str, str] | None = None,
                 read_only: bool = False) -> None:  # fmt: skip
        from vigil.store.migrations import LATEST

        self.path = Path(data)
        marker = self.path / "_vigil.json"
        if read_only and not marker.exists():
            raise ConfigError(f"no Vigil data directory at {self.path}: ingest something first, or pass --data")
        if marker.exists():
            got = json.loads(marker.read_text())
            if got.get("layout") != LAYOUT_VERSION:
                raise ConfigError(f"{self.path} has data layout {got.get('layout')}; this Vigil reads layout {LAYOUT_VERSION}")
        elif not read_only:
            self.path.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps({"layout": LAYOUT_VERSION, "schema": LATEST}) + "\n")
        self.engine: SparkEngine = SparkEngine(spark_session(master, conf), self.path)

    def version(self) -> int:
        return int(json.loads((self.path / "_vigil.json").read_text()).get("schema", 0))

    def close(self) -> None:
        """The session is shared by the process; this store's checkpoint blocks and scratch copies go."""
        self.engine._release()
        shutil.rmtree(self.path / "_scratch", ignore_errors=True)

    def __enter__(self) -> SparkStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def copy_store(store: DuckStoreHandle, data: Path | str) -> list[str]:
    """Copy every table of a DuckDB store into a data directory (DuckDB's own Parquet writer).

    Moves an existing store onto the Spark engine; no Spark needed.
    """
    import duckdb

    from vigil.atomic import make_dir, write_text
    from vigil.store.migrations import LATEST

    if "'" in str(data):
        raise ConfigError(f"{data}: a data directory's path may not contain a quote")
    out = make_dir(Path(data))
    schemas, _ = store_schemas()
    copied = []
    for table in schemas:
        folder = out / table
        shutil.rmtree(folder, ignore_errors=True)
        make_dir(folder)
        target = folder / "part-00000.parquet"
        try:
            store.con.execute(f"COPY (SELECT * FROM {table}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
        except duckdb.Error as exc:
            raise StoreError(f"copy {table} to Parquet", f"COPY {table} TO '{target}'", exc) from exc
        copied.append(table)
    write_text(out / "_vigil.json", json.dumps({"layout": LAYOUT_VERSION, "schema": LATEST}) + "\n")
    return copied
