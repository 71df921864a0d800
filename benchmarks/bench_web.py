"""Load on a real ``vigil serve``: concurrent analysts browsing entity, brand and distributor pages.

    python benchmarks/bench_web.py --db /tmp/wbench/s4.duckdb --users 10 --seconds 30
    python benchmarks/bench_web.py --db /tmp/wbench/s4.duckdb --users 10 --seconds 30 --ingest 20000
    python benchmarks/bench_web.py --build /tmp/wbig --worlds 25 --users 50 --seconds 60 --think 1 5

Works on a copy of the store: marks every source TLP:GREEN for one organisation and adds an
analyst (``vigil.accounts.demo``), starts ``vigil serve`` on loopback (one process, as
shipped), and lets ``--users`` threads, each signed in, open pages in a fixed mix (search,
URL, domain, brand, distributor with its graph) until ``--seconds`` or ``--requests`` run out.
Each user pauses between two pages for a time drawn uniformly from ``--think MIN MAX``
seconds, as locust's ``wait_time = between(MIN, MAX)`` does (``--think 0 0``: no pause, every
user hammers). Pages are drawn from ``--sample`` random brands, distributors, URLs and domains
of the store. ``--ingest N`` also uploads N generated reports through the application while
they browse (the application owns the store, so that is how a write arrives while it serves;
files of at most 50,000 rows, one after the other).

``--build DIR --worlds K`` makes the store first, or reuses the one an earlier run left in
DIR: K synthetic s4 worlds (seeds 1..K, namespaces 0..K-1, so they share no key identifier),
each about 55,000 reports and 4,000 captures — 25 worlds give about 1.4M reports and 100k
captures — through ``vigil ingest reports``, ``enrich``, ``ingest captures`` and ``attribute``.
Prints one JSON line: requests, errors, requests/s, p50 / p95 / max milliseconds per page
kind, the server's CPU seconds and the machine's load average at start and end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from vigil.accounts.demo import setup_demo
from vigil.store import Store

ROOT = Path(__file__).resolve().parents[1]


def _vigil(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    subprocess.run([sys.executable, "-m", "vigil", *args], check=True, env=env, stdout=subprocess.DEVNULL)


def build_store(folder: Path, worlds: int) -> Path:
    """The attributed store of ``worlds`` namespaced s4 worlds in ``folder`` (made once, then reused)."""
    db = folder / f"s4x{worlds}.duckdb"
    if db.exists():
        return db
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"s4-{seed}" for seed in range(1, worlds + 1)]
    for seed, path in enumerate(paths, start=1):
        if not (path / "truth").exists():
            _vigil("synth", "--out", str(path), "--seed", str(seed), "--profile", "s4", "--namespace", str(seed - 1))
    building = folder / "building.duckdb"
    building.unlink(missing_ok=True)
    _vigil("ingest", "reports", "--db", str(building), *(str(p / "reports") for p in paths))
    _vigil("enrich", "--db", str(building), "--ip-db", str(paths[0] / "iptoasn.tsv"),
           *(a for p in paths for a in ("--shared-services", str(p / "shared_services.csv"))))  # fmt: skip
    _vigil("ingest", "captures", "--db", str(building), *(str(p / "captures") for p in paths))
    _vigil("attribute", "--db", str(building), "--processors", str(paths[0] / "processors.toml"))
    building.rename(db)
    return db


def _prepare(db: Path, work: Path, n: int) -> tuple[Path, str, dict[str, list[str]]]:
    copy = work / "bench.duckdb"
    shutil.copy(db, copy)
    with Store(copy) as store:
        accounts = {a["username"]: a["password"] for a in setup_demo(store.con)}
        store.con.execute("UPDATE source_markings SET tlp = 'GREEN', org_id = 'demo-hotline'")  # the analyst sees everything
        pick = lambda sql: [r[0] for r in store.con.execute(sql).fetchall()]  # noqa: E731
        sample = {
            "brand": pick(f"SELECT brand_id FROM brands USING SAMPLE {n} ROWS"),
            "distributor": pick(f"SELECT distributor_id FROM distributors USING SAMPLE {n} ROWS"),
            "url": pick(f"SELECT DISTINCT url FROM reports USING SAMPLE {n} ROWS"),
            "domain": pick(f"SELECT DISTINCT coalesce(identity, registrable, host) FROM hosts USING SAMPLE {n} ROWS"),
        }
    return copy, accounts["analyst"], sample


def _paths(kind: str, value: str) -> list[str]:
    if kind == "distributor":
        return [f"/distributor/{value}", f"/api/v1/distributor/{value}/graph"]
    if kind == "url":
        return ["/url?u=" + quote(value, safe=""), "/search?q=" + quote(value, safe="")]
    return [f"/{kind}/{quote(value, safe='')}"]


def _login(base: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    client.get("/login")
    client.post("/login", data={"username": "analyst", "password": password, "csrf": client.cookies.get("vigil_login_csrf") or ""})
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="An attributed store (e.g. of an s4 world).")
    parser.add_argument("--build", type=Path, help="Make (or reuse) a store of --worlds s4 worlds in this folder.")
    parser.add_argument("--worlds", type=int, default=25, help="With --build: how many s4 worlds (25: ~1.4M reports, ~100k captures).")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 5.0), metavar=("MIN", "MAX"),
                        help="Each user pauses this many seconds (uniform) between pages (default 1 5; 0 0: none).")
    parser.add_argument("--sample", type=int, default=1000, help="Pages drawn from this many brands, distributors, URLs and domains.")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--requests", type=int, default=5000, help="Stop after this many in all.")
    parser.add_argument("--ingest", type=int, default=0, help="Upload this many reports through the app while browsing.")
    parser.add_argument("--warmup", type=float, default=10.0,
                        help="Seconds of browsing before --seconds starts, not counted (the pool's connections are built then).")
    args = parser.parse_args()
    if args.build is not None:
        args.db = build_store(args.build, args.worlds)
    if args.db is None:
        parser.error("give --db STORE or --build DIR")
    work = Path(tempfile.mkdtemp(prefix="vigil-bench-web-"))
    db, password, sample = _prepare(args.db, work, args.sample)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    load_before = os.getloadavg()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)  # the --build steps ran as children too
    server = subprocess.Popen([sys.executable, "-m", "vigil", "serve", "--db", str(db), "--port", str(port), "--insecure-cookies"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            httpx.get(base + "/healthz", timeout=2)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    timings: dict[str, list[float]] = {}
    errors: list[str] = []
    warmup_errors: list[str] = []
    warm_count = [0]
    retries = [0]
    lock = threading.Lock()
    budget = [args.requests]
    counted_from = time.monotonic() + args.warmup
    stop = counted_from + args.seconds

    def browse(seed: int) -> None:
        rng = random.Random(seed)
        client = _login(base, password)
        time.sleep(rng.uniform(0, args.think[1]))  # users arrive spread over one think time, not all at once
        while time.monotonic() < stop:
            kind = rng.choice(["brand", "brand", "distributor", "url", "domain"])
            if not sample[kind]:
                continue
            for path in _paths(kind, rng.choice(sample[kind])):
                with lock:
                    if budget[0] <= 0:
                        return
                    budget[0] -= 1
                t = time.perf_counter()
                counted = time.monotonic() >= counted_from
                try:
                    try:
                        status = client.get(path).status_code
                    except (httpx.ReadError, httpx.RemoteProtocolError):
                        # the server closed a kept-alive connection as it was reused (uvicorn's keep-alive is
                        # 5 s, a think time up to as long): a browser sends an idempotent GET again, so do we
                        with lock:
                            retries[0] += 1
                        status = client.get(path).status_code
                    problem = None if status == 200 else f"{path}: {status}"
                except httpx.HTTPError as exc:
                    problem = f"{path}: {exc!r}"
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    if not counted:
                        warm_count[0] += 1
                        warmup_errors.extend([problem] if problem else [])
                    else:
                        timings.setdefault(path.split("/")[1].split("?")[0] or "home", []).append(ms)
                        errors.extend([problem] if problem else [])
                pause = rng.uniform(*args.think)
                if time.monotonic() + pause >= stop:
                    return
                time.sleep(pause)

    ingest_result: dict[str, Any] = {}

    def ingest() -> None:
        client = _login(base, password)
        time.sleep(args.warmup)  # the upload runs in the counted window
        csrf = client.get("/").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        t = time.perf_counter()
        stored, statuses = 0, []
        for start in range(0, args.ingest, 50_000):  # files under the upload limit
            rows = "".join(f"BW-{i},2012-11-{i % 28 + 1:02d},http://bench{i % 5000}.example/p/{i}\n"
                           for i in range(start, min(args.ingest, start + 50_000)))  # fmt: skip
            got = client.post("/api/v1/submit/upload", files={"file": (f"bench-{start}.csv", ("report_id,reported_at,url\n" + rows).encode())},
                              headers={"X-CSRF-Token": csrf}, timeout=900)  # fmt: skip
            statuses.append(got.status_code)
            stored += got.json().get("counts", {}).get("stored", 0) if got.status_code == 200 else 0
        ingest_result.update(status=statuses, seconds=round(time.perf_counter() - t, 2), stored=stored)

    threads = [threading.Thread(target=browse, args=(i,)) for i in range(args.users)]
    if args.ingest:
        threads.append(threading.Thread(target=ingest))
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started - args.warmup
    load_after = os.getloadavg()
    server.terminate()
    server.wait(timeout=30)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutil.rmtree(work, ignore_errors=True)

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

    every = [v for vs in timings.values() for v in vs]
    server_cpu = cpu.ru_utime + cpu.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime  # the whole run, warm-up and ingest included
    n_warm = warm_count[0]
    print(json.dumps({
        "db": str(args.db), "users": args.users, "seconds": round(elapsed, 1), "requests": len(every), "errors": len(errors),
        "requests_per_s": round(len(every) / elapsed, 1), "p50_ms": pct(every, 0.5), "p95_ms": pct(every, 0.95),
        "mean_ms": round(statistics.fmean(every), 1) if every else None,
        "by_page": {k: {"n": len(v), "p50_ms": pct(v, 0.5), "p95_ms": pct(v, 0.95), "max_ms": round(max(v), 1)} for k, v in sorted(timings.items())},
        "ingest": ingest_result or None, "first_errors": errors[:5], "warmup_s": args.warmup, "warmup_errors": len(warmup_errors), "retried_on_closed_connection": retries[0], "think_s": list(args.think),
        "server_cpu_s": round(server_cpu, 1), "server_cpu_ms_per_request": round(1000 * server_cpu / max(1, len(every) + n_warm), 1), "load_before": [round(x, 1) for x in load_before],
        "load_after": [round(x, 1) for x in load_after],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
