"""The same pipeline through the CLI on each engine (DuckDB, Spark local mode): wall time per
stage and in all, CPU time, peak memory of the process tree, and whether the outputs agree.

    python benchmarks/bench_engines.py --reports 100000 1000000 --captures-worlds 1 \
        [--engines duckdb spark] [--workdir DIR] [--timeout 1500]

Each world is written once (``vigil synth``, timed apart) and then run on every engine from
an empty store, one CLI subprocess per stage, as a user would run it:

* ``--reports N`` (s3 worlds of about N report rows): ``ingest reports``, ``enrich`` (the
  world's iptoasn TSV and shared services), ``stats hosting --period 2012Q4 --format json``.
* ``--captures-worlds K [K ...]`` (for each K: K s4 worlds, seeds 1..K, each in namespace
  seed - 1 so that their key identifiers and capture IDs do not collide, K at most 500;
  about 4,000 captures and 56,000 reports each, side by side as in
  ``bench_attribution.py``): the
  reports steps above (unless ``--captures-only``), then ``ingest captures``,
  ``attribute``, ``stats brands --period 2012 --format json`` and ``export attribution
  --format jsonl``. No K (or 0) skips them. Worlds already in WORKDIR are reused.

``--reattribute STORE [--keep-pages]`` instead reruns only ``attribute`` (every page analysed
again, unless ``--keep-pages``), ``stats brands`` and ``export attribution`` on a DuckDB
store an earlier run left, e.g. the 1M store: memory and time of attribution alone.

DuckDB stores in ``WORKDIR/<world>.duckdb``; Spark (``vigil --engine spark --data DIR``)
in ``WORKDIR/<world>.spark/``; both are emptied first. Every stage pays its own start-up
(for Spark: a JVM and a session per command), because that is what a CLI user pays.

Measures, per stage and summed:

* ``wall_s``: wall time of the command;
* ``cpu_s``: user + system CPU of the command and everything under it (the JVM, Spark's
  Python workers, DuckDB's worker processes), from ``RUSAGE_CHILDREN`` before and after.
  The benchmark makes itself a child subreaper (``prctl(PR_SET_CHILD_SUBREAPER)``), so
  processes the command leaves behind (PySpark does not wait for its JVM) are re-parented
  to it and reaped by it, and their time is counted too;
* ``peak_rss_mb``: the largest sum of resident memory over every process below the
  benchmark (the command and anything it left behind), polled from ``/proc`` every 0.5 s.
  Shared pages count once per process, so this errs high; a peak shorter than 0.5 s can
  be missed. (``ru_maxrss`` would give only the largest single process.)
* ``peak_pss_mb``: the same for the proportional set size (``/proc/PID/smaps_rollup``),
  which splits a shared page between the processes that map it: DuckDB's forked
  per-page workers inherit the parent's pages, which RSS counts once per worker.

Each stage runs with ``VIGIL_PROGRESS=log``; its stderr (a timed line per step) is kept in
``WORKDIR/logs/<world>-<engine>/<stage>.log``. ``--memory-limit 3GB`` caps DuckDB's memory
(``VIGIL_MEMORY_LIMIT``). Prints one JSON line per (engine, world), then one per world
saying whether each output (stats JSON, export JSONL) is byte-identical across the engines. A stage that runs past
``--timeout`` seconds (for the whole run on one engine) is stopped and recorded as such.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import hashlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE")


def become_subreaper() -> None:
    """Orphaned descendants come to this process (not init), which reaps them: their CPU time
    then shows in ``RUSAGE_CHILDREN`` and their memory in :func:`tree_memory`."""
    PR_SET_CHILD_SUBREAPER = 36
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def reap_orphans(limit: float = 120.0) -> None:
    """Wait for what the last command left behind (a JVM shutting down), at most ``limit`` s."""
    deadline = time.monotonic() + limit
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() > deadline:
                for child in _children_of(os.getpid()):
                    os.kill(child, signal.SIGKILL)  # our own leftover, by id
                deadline = time.monotonic() + limit
            time.sleep(0.1)


def _children_of(root: int) -> list[int]:
    try:
        return [
            int(c)
            for t in os.listdir(f"/proc/{root}/task")
            for c in Path(f"/proc/{root}/task/{t}/children").read_text().split()
        ]
    except OSError:
        return []


def tree_memory(root: int) -> tuple[int, int]:
    """Resident and proportional bytes (RSS, PSS) of all descendants of ``root`` (not
    ``root`` itself), from /proc. RSS counts a page shared by forked workers once per
    process; PSS splits it between them, so its sum is what the tree really holds."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    rss = pss = 0
    todo = list(children.get(root, ()))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                rss += int(f.read().split()[1]) * _PAGE
            with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                for line in f:
                    if line.startswith(b"Pss:"):
                        pss += int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError):
            pass
    return rss, pss


@dataclass
class Stage:
    name: str
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    peak_pss_mb: float = 0.0
    stdout: str = ""
    stderr: str = ""
    error: str | None = None


def run_stage(
    name: str,
    cmd: list[str],
    *,
    env: dict[str, str],
    timeout: float,
    stdout_path: Path | None = None,
) -> Stage:
    """Run one CLI command in its own process group, polling its tree's RSS."""
    stage = Stage(name)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = peak_pss = 0
    stop = threading.Event()

    def poll() -> None:
        nonlocal peak, peak_pss
        while not stop.is_set():
            rss, pss = tree_memory(os.getpid())
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            stop.wait(0.5)

    with contextlib.ExitStack() as files:
        out = (
            files.enter_context(stdout_path.open("wb"))
            if stdout_path
            else subprocess.PIPE
        )
        t = time.perf_counter()
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.PIPE, start_new_session=True
        )
        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        try:
            stdout, stderr = proc.communicate(timeout=max(timeout, 1))
        except subprocess.TimeoutExpired:
            os.killpg(
                proc.pid, signal.SIGKILL
            )  # the group this stage started, nothing else
            stdout, stderr = proc.communicate()
            stage.error = f"stopped after {timeout:.0f} s (timeout)"
        stage.wall_s = time.perf_counter() - t
        reap_orphans()
        stop.set()
        poller.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    stage.cpu_s = (after.ru_utime - before.ru_utime) + (
        after.ru_stime - before.ru_stime
    )
    stage.peak_rss_mb = peak / 2**20
    stage.peak_pss_mb = peak_pss / 2**20
    stage.stdout = (stdout or b"").decode(errors="replace")
    stage.stderr = (stderr or b"").decode(errors="replace")
    if stage.error is None and proc.returncode != 0:
        lines = (stderr or b"").decode(errors="replace").strip().splitlines()
        stage.error = f"exit {proc.returncode}: {lines[-1] if lines else ''}"
    return stage


@dataclass
class World:
    label: str
    paths: list[Path]
    captures: bool
    reports: bool = True
    outputs: dict[str, Path] = field(default_factory=dict)


def synth(
    path: Path,
    *,
    seed: int,
    reports: int | None = None,
    profile: str = "s3",
    namespace: int | None = None,
) -> float:
    """Write a synthetic world once (the CLI's ``synth``); seconds taken, 0 if it was there."""
    if (path / "truth").exists():
        return 0.0
    cmd = [
        sys.executable,
        "-m",
        "vigil",
        "synth",
        "--out",
        str(path),
        "--seed",
        str(seed),
        "--profile",
        profile,
    ]
    if reports is not None:
        cmd += ["--reports", str(reports)]
    if namespace is not None:
        cmd += ["--namespace", str(namespace)]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t


def pipeline(world: World, out_dir: Path) -> list[tuple[str, list[str], Path | None]]:
    """(stage, CLI arguments after the global options, file that takes stdout) in order."""
    first = world.paths[0]
    steps: list[tuple[str, list[str], Path | None]] = [] if not world.reports else [
        (
            "ingest_reports",
            ["ingest", "reports", *(str(p / "reports") for p in world.paths), "--json"],
            None,
        ),
        (
            "enrich",
            [
                "enrich",
                "--ip-db",
                str(first / "iptoasn.tsv"),
                *[
                    a
                    for p in world.paths
                    for a in ("--shared-services", str(p / "shared_services.csv"))
                ],
            ],
            None,
        ),
        (
            "stats_hosting",
            ["stats", "hosting", "--period", "2012Q4", "--format", "json"],
            out_dir / "hosting.json",
        ),
    ]
    if world.captures:
        steps += [
            (
                "ingest_captures",
                [
                    "ingest",
                    "captures",
                    *(str(p / "captures") for p in world.paths),
                    "--json",
                ],
                None,
            ),
            ("attribute", ["attribute"], None),
            (
                "stats_brands",
                ["stats", "brands", "--period", "2012", "--format", "json"],
                out_dir / "brands.json",
            ),
            (
                "export",
                [
                    "export",
                    "attribution",
                    "--format",
                    "jsonl",
                    "-o",
                    str(out_dir / "attribution.jsonl"),
                ],
                None,
            ),
        ]
    return steps


def run_engine(
    engine: str,
    world: World,
    base: Path,
    *,
    timeout: float,
    spark_conf: list[str],
    memory_limit: str | None = None,
) -> dict[str, object]:
    """The whole pipeline on one engine from an empty store; one JSON-able record."""
    out_dir = base / "out" / f"{world.label}-{engine}"
    log_dir = base / "logs" / f"{world.label}-{engine}"
    for folder in (out_dir, log_dir):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env["VIGIL_PROGRESS"] = "log"  # each stage's timed lines, kept in log_dir
    if memory_limit:
        env["VIGIL_MEMORY_LIMIT"] = memory_limit
    if engine == "duckdb":
        store = base / f"{world.label}.duckdb"
        for p in (store, Path(f"{store}.wal")):
            p.unlink(missing_ok=True)
        glob: list[str] = []
        env["VIGIL_DB"] = str(store)
    else:
        store = base / f"{world.label}.spark"
        shutil.rmtree(store, ignore_errors=True)
        glob = [
            "--engine",
            engine,
            "--data",
            str(store),
            *[a for c in spark_conf for a in ("--spark-conf", c)],
        ]
    record: dict[str, object] = {"engine": engine, "world": world.label}
    stages: dict[str, dict[str, float]] = {}
    left = timeout
    for name, args, stdout_path in pipeline(world, out_dir):
        stage = run_stage(
            name,
            [sys.executable, "-m", "vigil", *glob, *args],
            env=env,
            timeout=left,
            stdout_path=stdout_path,
        )
        (log_dir / f"{name}.log").write_text(stage.stderr)
        stages[name] = {
            "wall_s": round(stage.wall_s, 1),
            "cpu_s": round(stage.cpu_s, 1),
            "peak_rss_mb": round(stage.peak_rss_mb),
            "peak_pss_mb": round(stage.peak_pss_mb),
        }
        left -= stage.wall_s
        if name.startswith("ingest"):
            summary = json.loads(stage.stdout) if stage.error is None else {}
            record[name.removeprefix("ingest_")] = _total(summary, "stored")
            if name == "ingest_reports":
                record["rows_read"] = _total(summary, "rows_read")
        if stage.error:
            record["error"] = f"{name}: {stage.error}"
            break
    world.outputs = {p.name: p for p in out_dir.iterdir()}
    record["stages"] = stages
    record["total_wall_s"] = round(sum(s["wall_s"] for s in stages.values()), 1)
    record["total_cpu_s"] = round(sum(s["cpu_s"] for s in stages.values()), 1)
    record["peak_rss_mb"] = max((s["peak_rss_mb"] for s in stages.values()), default=0)
    record["peak_pss_mb"] = max((s["peak_pss_mb"] for s in stages.values()), default=0)
    record["store_mb"] = round(_size(store) / 1e6, 1)
    return record


def _total(summary: object, key: str) -> int | None:
    """A count from an ingest ``--json`` summary (totals, or summed over files)."""
    if not isinstance(summary, dict):
        return None
    for holder in (summary, summary.get("totals"), summary.get("total")):
        if isinstance(holder, dict) and isinstance(holder.get(key), int):
            return int(holder[key])
    files = summary.get("files")
    if isinstance(files, list):
        return sum(int(f.get(key) or 0) for f in files if isinstance(f, dict))
    return None


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def compare(label: str, results: dict[str, dict[str, Path]]) -> dict[str, object]:
    """Is each output byte-identical across the engines? sha256 prefixes beside."""
    check: dict[str, object] = {
        "check": "outputs byte-identical across engines",
        "world": label,
    }
    names = sorted({n for outs in results.values() for n in outs})
    for name in names:
        digests = {
            e: hashlib.sha256(outs[name].read_bytes()).hexdigest()[:12]
            if name in outs
            else None
            for e, outs in results.items()
        }
        check[name] = {
            "identical": len(set(digests.values())) == 1
            and None not in digests.values(),
            **digests,
        }
    return check


def reattribute(store: Path, base: Path, *, keep_pages: bool, memory_limit: str | None, timeout: float) -> None:
    """``attribute``, ``stats brands`` and ``export attribution`` again on an existing store
    (one JSON line): memory and time of the attribution alone, at a size already ingested."""
    import duckdb

    if not keep_pages:  # a cache digest no run can match: every page is analysed again
        with duckdb.connect(str(store)) as con:
            con.execute("UPDATE page_cache SET digest = 'recompute' WHERE name = 'pages'")
    out_dir, log_dir = base / "out" / "reattribute", base / "logs" / "reattribute"
    for folder in (out_dir, log_dir):
        folder.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env.update(VIGIL_PROGRESS="log", VIGIL_DB=str(store))
    if memory_limit:
        env["VIGIL_MEMORY_LIMIT"] = memory_limit
    record: dict[str, object] = {"store": str(store), "pages_kept": keep_pages, "load_average": os.getloadavg()}
    for name, args, stdout_path in [
        ("attribute", ["attribute"], None),
        ("stats_brands", ["stats", "brands", "--period", "2012", "--format", "json"], out_dir / "brands.json"),
        ("export", ["export", "attribution", "--format", "jsonl"], out_dir / "attribution.jsonl"),
    ]:
        stage = run_stage(name, [sys.executable, "-m", "vigil", *args], env=env, timeout=timeout, stdout_path=stdout_path)
        (log_dir / f"{name}.log").write_text(stage.stderr)
        record[name] = {"wall_s": round(stage.wall_s, 1), "cpu_s": round(stage.cpu_s, 1),
                        "peak_rss_mb": round(stage.peak_rss_mb), "peak_pss_mb": round(stage.peak_pss_mb)}  # fmt: skip
        if stage.error:
            record["error"] = f"{name}: {stage.error}"
            break
    print(json.dumps(record), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--reports",
        type=int,
        nargs="*",
        default=[100_000, 1_000_000],
        help="s3 world sizes (report rows)",
    )
    parser.add_argument(
        "--captures-worlds",
        type=int,
        nargs="*",
        default=[1],
        help="sizes K: K s4 worlds side by side (none: no capture worlds)",
    )
    parser.add_argument(
        "--captures-only",
        action="store_true",
        help="capture worlds skip the report steps (ingest reports, enrich, stats hosting)",
    )
    parser.add_argument("--engines", nargs="+", default=["duckdb", "spark"])
    parser.add_argument("--seed", type=int, default=2012, help="seed of the s3 worlds")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--timeout",
        type=float,
        default=1500.0,
        help="seconds for one engine's whole run on one world",
    )
    parser.add_argument(
        "--spark-conf", action="append", default=[], metavar="KEY=VALUE"
    )
    parser.add_argument(
        "--memory-limit",
        default=None,
        metavar="SIZE",
        help="VIGIL_MEMORY_LIMIT for the DuckDB runs (say 3GB, or duckdb for DuckDB's own); default: Vigil's (3GB)",
    )
    parser.add_argument(
        "--reattribute",
        type=Path,
        default=None,
        metavar="STORE",
        help="only rerun attribute, stats brands and export attribution on this DuckDB store "
        "(every page analysed again unless --keep-pages); outputs in WORKDIR/out/reattribute/",
    )
    parser.add_argument(
        "--keep-pages",
        action="store_true",
        help="with --reattribute: keep the per-page cache, so only the set steps run",
    )
    args = parser.parse_args()
    become_subreaper()
    if args.reattribute:
        reattribute(args.reattribute, args.workdir or args.reattribute.parent, keep_pages=args.keep_pages,
                    memory_limit=args.memory_limit, timeout=args.timeout)  # fmt: skip
        return
    base = args.workdir or Path(tempfile.mkdtemp(prefix="vigil-bench-engines-"))
    base.mkdir(parents=True, exist_ok=True)

    worlds: list[tuple[World, float]] = []
    for n in args.reports:
        path = base / f"world-{n}"
        worlds.append(
            (
                World(f"reports-{n}", [path], captures=False),
                synth(path, seed=args.seed, reports=n),
            )
        )
    for k in [k for k in args.captures_worlds if k > 0]:
        paths, synth_s = [], 0.0
        if k > 500:
            parser.error(f"--captures-worlds: at most 500 worlds, not {k}")
        for seed in range(1, k + 1):
            path = base / f"s4n-{seed}"
            synth_s += synth(path, seed=seed, profile="s4", namespace=seed - 1)
            paths.append(path)
        worlds.append(
            (
                World(f"s4x{k}", paths, captures=True, reports=not args.captures_only),
                synth_s,
            )
        )

    print(
        json.dumps(
            {
                "load_average": os.getloadavg(),
                "cores": os.cpu_count(),
                "workdir": str(base),
            }
        ),
        flush=True,
    )
    for world, synth_s in worlds:
        outputs: dict[str, dict[str, Path]] = {}
        for engine in args.engines:
            record = run_engine(
                engine,
                world,
                base,
                timeout=args.timeout,
                spark_conf=args.spark_conf,
                memory_limit=args.memory_limit if engine == "duckdb" else None,
            )
            record["synth_s"] = round(synth_s, 1)
            record["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
            print(json.dumps(record), flush=True)
            outputs[engine] = world.outputs
        if len(outputs) > 1:
            print(json.dumps(compare(world.label, outputs)), flush=True)


if __name__ == "__main__":
    main()
