"""Issue 5: the same pipeline on DuckDB and on Spark (local mode) gives byte-identical outputs.

Every stage runs through the command line on each engine, from the raw files of a synthetic
world, and the outputs users script against (stats JSON, the attribution export, ingest
summaries) are compared byte for byte. The DuckDB outputs are themselves checked against
the worlds' ground truth elsewhere (test_end_to_end.py, test_attribution_world.py). One Spark
session serves the whole test run. The worlds, and the §4 world's DuckDB store, are the ones
the whole test run shares (tests/conftest.py); each engine's run is made when a test first
asks for it, so the DuckDB tests run without Spark (``-m "not spark"``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from worlds import World, cli_summary, s4_load, vigil_cli

from vigil.errors import StoreError
from vigil.store.spark import bind, literal

pytestmark = pytest.mark.slow

ENGINES = ("duckdb", pytest.param("spark", marks=pytest.mark.spark))
_vigil, _summary = vigil_cli, cli_summary


class _PerEngine(dict[str, Any]):
    """An engine's outputs, made the first time a test asks for them."""

    def __init__(self, make: Callable[[str], dict[str, Any]], **known: Any) -> None:
        super().__init__(known)
        self._make = make

    def __missing__(self, engine: str) -> dict[str, Any]:
        self[engine] = got = self._make(engine)
        return got


@pytest.fixture(scope="module")
def s3(synth_world: Callable[..., World], tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The default (§3-calibrated) world through ingest, enrich and §3 on each engine."""
    base = tmp_path_factory.mktemp("engines-s3")
    world = synth_world(seed=2012).path
    truth = json.loads((world / "truth" / "hosting.json").read_text())

    def run(engine: str) -> dict[str, Any]:
        where = base / ("v.duckdb" if engine == "duckdb" else "data")
        got: dict[str, Any] = {"ingest": _summary(_vigil(engine, where, "ingest", "reports", str(world / "reports"), "--json"))}
        _vigil(engine, where, "enrich", "--ip-db", str(world / "iptoasn.tsv"), "--shared-services", str(world / "shared_services.csv"))
        for name in truth:  # "2012Q4", "2012Q4 --all", ...
            got[name] = _vigil(engine, where, "stats", "hosting", "--period", *name.split(), "--format", "json")
        held = json.loads(_vigil(engine, where, "quarantine", "--limit", "0", "--format", "json"))
        got["quarantine"] = [{k: v for k, v in row.items() if k != "ingested_at"} for row in held]  # when, not what
        got["again"] = _summary(_vigil(engine, where, "ingest", "reports", str(world / "reports"), "--json"))
        return got

    return _PerEngine(run, truth=truth, **{"ingest truth": json.loads((world / "truth" / "ingest.json").read_text())})


@pytest.fixture(scope="module")
def s4(s4_loaded: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The §4-calibrated world through every ingest, enrich, attribution and §4 on each engine.

    On DuckDB the loading is the shared store's (tests/conftest.py), which ran the same commands."""
    base = tmp_path_factory.mktemp("engines-s4")
    world = s4_loaded["world"]

    def run(engine: str) -> dict[str, Any]:
        if engine == "duckdb":
            where, got = s4_loaded["db"], dict(s4_loaded["ingest"])
        else:
            where = base / "data"
            got = s4_load(engine, world, where)
        procs = str(world / "processors.toml")  # the world's own processors, given explicitly
        got["payments 2012Q4"] = _vigil(engine, where, "stats", "payments", "--period", "2012Q4", "--processors", procs, "--format", "json")
        got["estimates"] = _vigil(engine, where, "stats", "estimates", "--format", "json")
        got["search"] = _vigil(engine, where, "stats", "search", "--lexicon", str(world / "search" / "lexicon.csv"),
                               "--from", "2011-01", "--to", "2012-12", "--format", "json")  # fmt: skip
        got["brands 2012"] = _vigil(engine, where, "stats", "brands", "--period", "2012", "--format", "json")
        got["brands 2011"] = _vigil(engine, where, "stats", "brands", "--period", "2011", "--format", "json")
        got["hosting 2012"] = _vigil(engine, where, "stats", "hosting", "--period", "2012", "--format", "json")
        export = base / f"{engine}.jsonl"
        _vigil(engine, where, "export", "attribution", "--format", "jsonl", "--output", str(export))
        got["export"] = export.read_bytes()
        got["eval"] = _vigil(engine, where, "eval", "--truth", str(world / "truth" / "captures.jsonl"), "--json")
        return got

    return _PerEngine(run)


@pytest.mark.parametrize("engine", ENGINES)
def test_section3_tables_equal_the_ground_truth_on_each_engine(s3: dict[str, dict[str, Any]], engine: str) -> None:
    truth, got = s3["truth"], s3[engine]
    assert len(truth) >= 3
    for name in truth:
        assert json.loads(got[name]) == truth[name], f"{engine}: hosting {name} differs from the truth"
    assert {k: got["ingest"][k] for k in s3["ingest truth"]} == s3["ingest truth"]


@pytest.mark.spark
def test_section3_outputs_are_byte_identical_on_both_engines(s3: dict[str, dict[str, Any]]) -> None:
    duck, spark = s3["duckdb"], s3["spark"]
    assert duck.keys() == spark.keys()
    for key in duck:
        assert spark[key] == duck[key], f"{key} differs between DuckDB and Spark"
    assert duck["ingest"]["stored"] > 0 and duck["ingest"]["quarantined"] > 0
    assert duck["again"]["stored"] == 0  # re-ingesting the same files stores nothing, on both engines


@pytest.mark.spark
def test_attribution_outputs_are_byte_identical_on_both_engines(s4: dict[str, dict[str, Any]]) -> None:
    duck, spark = s4["duckdb"], s4["spark"]
    for key in duck:
        assert spark[key] == duck[key], f"{key} differs between DuckDB and Spark"
    brands = json.loads(duck["brands 2012"])
    assert (brands["brands_new"], brands["distributors_active"]) == (268, 8)  # §4's figures, recovered
    assert duck["captures"]["skipped_media"] > 0  # the world's media records are skipped on both engines
    assert len(duck["export"].splitlines()) == duck["captures"]["stored"]
    assert json.loads(duck["eval"])["distributors"]["bcubed_f1"] >= 0.98
    assert (duck["ingest purchases"]["stored"], duck["ingest estimates"]["stored"]) == (200, 7)  # as the world wrote them
    assert json.loads(duck["estimates"])["questions"][0]["n"] == 7


def test_spark_parameters_are_bound_as_quoted_literals() -> None:
    assert literal("it's a \\ test") == "'it\\'s a \\\\ test'"
    assert literal(datetime(2012, 10, 1)) == "TIMESTAMP_NTZ '2012-10-01 00:00:00'"
    assert literal(["a", "b"]) == "array('a', 'b')"
    assert literal([]) == "CAST(array() AS ARRAY<STRING>)"
    assert literal(0.5) == "CAST('0.5' AS DOUBLE)"
    assert bind("SELECT $a, $ab WHERE x = $a", {"a": 1, "ab": "q"}) == "SELECT 1, 'q' WHERE x = 1"
    with pytest.raises(KeyError):
        bind("SELECT $missing", {"a": 1})


_WITHOUT_PYSPARK = r"""
import sys
sys.modules["pyspark"] = None  # any `import pyspark` now raises ImportError
import vigil
from typer.testing import CliRunner
from vigil.cli import app
runner = CliRunner()
db, reports = sys.argv[1], sys.argv[2]
for argv in (["ingest", "reports", reports, "--db", db], ["enrich", "--db", db],
             ["stats", "hosting", "--period", "2012Q4", "--format", "json", "--db", db], ["status", "--db", db]):
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, (argv, result.output)
assert "pyspark" not in [m for m in sys.modules if sys.modules[m] is not None]
result = runner.invoke(app, ["--engine", "spark", "--data", db + ".data", "ingest", "reports", reports])
print("RESULT", result.exit_code, " ".join(result.output.split()))
"""


def test_vigil_and_every_duckdb_command_work_without_pyspark(tmp_path: Path) -> None:
    reports = tmp_path / "reports.csv"
    reports.write_text("source,report_id,reported_at,url,ip,commercial\n"
                       "HL-A,r1,2012-10-02T10:00:00Z,http://shop.example/a,192.0.2.10,true\n")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", _WITHOUT_PYSPARK, str(tmp_path / "v.duckdb"), str(reports)],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    # Only the marked line: progress output from the commands above may share stdout under load.
    marked = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert marked, done.stdout
    _, code, message = marked[-1].split(" ", 2)
    assert code == "2"
    assert "pip install 'vigil[spark]'" in message and "Traceback" not in done.stdout + done.stderr


@pytest.mark.spark
def test_a_failed_local_checkpoint_falls_back_to_scratch_parquet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In CI a long-lived session once lost a local checkpoint mid-attribution; the rows must survive."""
    from vigil.store.spark import SparkStore

    store = SparkStore(tmp_path / "data")
    frame_type = type(store.engine.spark.sql("SELECT 1"))

    def lost(self: Any, eager: bool = True) -> Any:
        raise RuntimeError("An error occurred while calling o1.localCheckpoint.\n: Checkpoint block rdd_1_0 not found")

    monkeypatch.setattr(frame_type, "localCheckpoint", lost)
    store.engine.materialise("_t", "SELECT id AS n FROM range(5)")
    store.engine.materialise("_u", "SELECT sum(n) AS total FROM _t")
    assert store.engine.rows("read", "SELECT total FROM _u") == [{"total": 10}]
    assert (tmp_path / "data" / "_scratch").is_dir()
    store.close()
    assert not (tmp_path / "data" / "_scratch").exists()


@pytest.mark.spark
def test_checkpoint_blocks_go_when_a_view_is_replaced_and_when_the_store_closes(tmp_path: Path) -> None:
    """A local run once failed a broadcast: every earlier store's checkpoint blocks were still held."""
    from vigil.store.spark import SparkStore

    store = SparkStore(tmp_path / "data")
    held = store.engine._persistent_rdds
    start = held()
    store.engine.materialise("_t", "SELECT id AS n FROM range(100)")
    first = held() - start
    assert first, "a materialised view is backed by checkpoint blocks"
    store.engine.materialise("_t", "SELECT n + 1 AS n FROM _t")  # built from the old rows, then replaces them
    assert store.engine.rows("read", "SELECT sum(n) AS total FROM _t") == [{"total": sum(range(1, 101))}]
    assert not (held() & first), "the replaced view's blocks were released"
    assert held() - start, "the new view's blocks are still there"
    store.close()
    assert not (held() - start), "closing the store releases everything it checkpointed"


@pytest.mark.spark
def test_a_dropped_table_is_gone_with_its_blocks_on_both_engines(tmp_path: Path) -> None:
    import duckdb

    from vigil.store.engine import DuckDBEngine
    from vigil.store.spark import SparkStore

    store = SparkStore(tmp_path / "data")
    held = store.engine._persistent_rdds
    start = held()
    for engine in (DuckDBEngine(duckdb.connect()), store.engine):
        engine.materialise("_gone", "SELECT 1 AS n")
        engine.materialise("_kept", "SELECT 2 AS n")
        engine.drop("_gone", "_never_made")
        assert engine.rows("read", "SELECT n FROM _kept") == [{"n": 2}]
        with pytest.raises(StoreError):
            engine.rows("read", "SELECT n FROM _gone")
    assert len(held() - start) == 1, "only the kept view's checkpoint blocks are held"
    store.close()


@pytest.mark.spark
def test_a_table_rebuilt_from_itself_keeps_a_bounded_size_estimate(tmp_path: Path) -> None:
    """Spark estimates a join as the product of its inputs, and a checkpoint used to keep its query's
    estimate: a table joined with itself round after round doubled the digits of its estimate each
    round, and some twenty rounds on every query reading it spent minutes on the driver multiplying
    them (attribution's evidence rounds, after templates gained parent rounds)."""
    from vigil.store.spark import SparkStore

    with SparkStore(tmp_path / "data") as store:
        engine = store.engine
        engine.materialise("_t", "SELECT id AS k, id % 10 AS r FROM range(100)")
        for _ in range(12):
            engine.materialise("_t", "SELECT a.k, coalesce(b.r, a.r) AS r FROM _t a LEFT JOIN _t b ON b.k = a.r")
        assert engine.rows("read", "SELECT count(*) AS n, sum(r) AS s FROM _t") == [{"n": 100, "s": 450}]
        try:
            estimate = int(engine.spark.table("_t")._jdf.queryExecution().optimizedPlan().stats().sizeInBytes())
        except ValueError:  # more digits than Python will read: the estimate grew without bound
            estimate = None
        assert estimate is not None and estimate < 2**63, "the checkpoint carries its query's estimate"


def test_spark_errors_keep_the_java_cause_on_one_line() -> None:
    from vigil.store.spark import _short

    exc = RuntimeError("An error occurred while calling o22194.localCheckpoint.\n"
                       ": org.apache.spark.SparkException: Checkpoint block rdd_7_1 not found\n\tat org.apache...")  # fmt: skip
    assert str(_short(exc)) == ("An error occurred while calling o22194.localCheckpoint. "
                                "org.apache.spark.SparkException: Checkpoint block rdd_7_1 not found")  # fmt: skip
