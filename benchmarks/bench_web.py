"""Load on a real ``vigil serve``: concurrent analysts browsing entity, brand and distributor pages.

    python benchmarks/bench_web.py --db /tmp/wbench/s4.duckdb --users 10 --seconds 30
    python benchmarks/bench_web.py --db /tmp/wbench/s4.duckdb --users 10 --seconds 30 --ingest 20000

Works on a copy of the store: marks every source TLP:GREEN for one organisation and adds an
analyst (``vigil.accounts.demo``), starts ``vigil serve`` on loopback (one process, as
shipped), and lets ``--users`` threads, each signed in, open pages in a fixed mix (search,
URL, domain, brand, distributor with its graph) until ``--seconds`` or ``--requests`` run out.
``--ingest N`` also uploads N generated reports through the application while they browse
(the application owns the store, so that is how a write arrives while it serves).
Prints one JSON line: requests, errors, requests/s, and p50 / p95 / max milliseconds per page kind.
"""

from __future__ import annotations

import argparse
import json
import os
import random
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


def _prepare(db: Path, work: Path) -> tuple[Path, str, dict[str, list[str]]]:
    copy = work / "bench.duckdb"
    shutil.copy(db, copy)
    with Store(copy) as store:
        accounts = {a["username"]: a["password"] for a in setup_demo(store.con)}
        store.con.execute("UPDATE source_markings SET tlp = 'GREEN', org_id = 'demo-hotline'")  # the analyst sees everything
        pick = lambda sql: [r[0] for r in store.con.execute(sql).fetchall()]  # noqa: E731
        sample = {
            "brand": pick("SELECT brand_id FROM brands USING SAMPLE 200 ROWS"),
            "distributor": pick("SELECT distributor_id FROM distributors USING SAMPLE 100 ROWS"),
            "url": pick("SELECT DISTINCT url FROM reports USING SAMPLE 200 ROWS"),
            "domain": pick("SELECT coalesce(identity, registrable, host) FROM hosts USING SAMPLE 200 ROWS"),
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
    parser.add_argument("--db", type=Path, required=True, help="An attributed store (e.g. of an s4 world).")
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--requests", type=int, default=5000, help="Stop after this many in all.")
    parser.add_argument("--ingest", type=int, default=0, help="Upload this many reports through the app while browsing.")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vigil-bench-web-"))
    db, password, sample = _prepare(args.db, work)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
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
    lock = threading.Lock()
    budget = [args.requests]
    stop = time.monotonic() + args.seconds

    def browse(seed: int) -> None:
        rng = random.Random(seed)
        client = _login(base, password)
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
                try:
                    status = client.get(path).status_code
                except httpx.HTTPError as exc:
                    status = -1
                    errors.append(f"{path}: {exc}")
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    timings.setdefault(path.split("/")[1].split("?")[0] or "home", []).append(ms)
                    if status != 200:
                        errors.append(f"{path}: {status}")

    ingest_result: dict[str, Any] = {}

    def ingest() -> None:
        client = _login(base, password)
        csrf = client.get("/").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        rows = "".join(f"BW-{i},2012-11-{i % 28 + 1:02d},http://bench{i % 5000}.example/p/{i}\n" for i in range(args.ingest))
        t = time.perf_counter()
        got = client.post("/api/v1/submit/upload", files={"file": ("bench.csv", ("report_id,reported_at,url\n" + rows).encode())},
                          headers={"X-CSRF-Token": csrf}, timeout=600)  # fmt: skip
        ingest_result.update(status=got.status_code, seconds=round(time.perf_counter() - t, 2),
                             stored=got.json().get("counts", {}).get("stored") if got.status_code == 200 else None)  # fmt: skip

    threads = [threading.Thread(target=browse, args=(i,)) for i in range(args.users)]
    if args.ingest:
        threads.append(threading.Thread(target=ingest))
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    server.terminate()
    server.wait(timeout=30)
    shutil.rmtree(work, ignore_errors=True)

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

    every = [v for vs in timings.values() for v in vs]
    print(json.dumps({
        "db": str(args.db), "users": args.users, "seconds": round(elapsed, 1), "requests": len(every), "errors": len(errors),
        "requests_per_s": round(len(every) / elapsed, 1), "p50_ms": pct(every, 0.5), "p95_ms": pct(every, 0.95),
        "mean_ms": round(statistics.fmean(every), 1) if every else None,
        "by_page": {k: {"n": len(v), "p50_ms": pct(v, 0.5), "p95_ms": pct(v, 0.95), "max_ms": round(max(v), 1)} for k, v in sorted(timings.items())},
        "ingest": ingest_result or None, "first_errors": errors[:5],
    }))  # fmt: skip


if __name__ == "__main__":
    main()
