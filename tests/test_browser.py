"""Debian's Chromium, driven by Playwright, against a real `vigil serve` on loopback.

Signs in, searches a URL, drills to its brand and distributor, and waits for the evidence
graph to draw; fails on any dialog, console error or request to another origin. Screenshots
go to the test's temporary folder (artefacts, never committed).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from webworld import PASSWORD

CHROMIUM = Path(os.environ.get("VIGIL_CHROMIUM", "/usr/bin/chromium"))

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(marked_world: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium; scripts/test.sh does)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
    db = tmp_path_factory.mktemp("browser") / "web.duckdb"
    shutil.copy(marked_world["db"], db)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "vigil", "serve", "--db", str(db), "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:  # wait until it answers (start-up, not a timing assertion)
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"vigil serve did not start: {proc.stdout.read().decode() if proc.stdout else ''}")
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=30)


def test_sign_in_search_and_open_a_distributor_graph(server: str, marked_world: dict[str, Any], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("request", lambda r: None if r.url.startswith(server) else problems.append(f"request: {r.url}"))
        page.goto(server + "/search")
        assert "/login" in page.url
        page.fill("input[name=username]", "analyst")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(server + "/search")
        page.fill("input[name=q]", "http://site11-0.test/")
        page.press("input[name=q]", "Enter")
        page.wait_for_selector("#results a[href^='/url']")
        assert "Looked up as url" in page.inner_text("#results")
        page.screenshot(path=str(tmp_path / "search.png"))
        page.click("#results a[href^='/url']")
        page.click("a[href^='/brand/']")
        page.wait_for_selector("#skeleton")
        page.click("a[href^='/distributor/']")
        page.wait_for_selector("#graph[data-drawn]", timeout=30_000)
        drawn = int(page.get_attribute("#graph", "data-drawn") or 0)
        assert drawn >= 4  # three brands and the values they share
        assert "sales@alpha-shop.test" in page.inner_text("#explain")
        page.screenshot(path=str(tmp_path / "distributor.png"))
        browser.close()
    assert problems == [], "\n".join(problems)


XSS = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "javascript:alert(3)", "<svg onload=alert(4)>",
    "<div style=\"background:url(javascript:alert(5))\">", "</td></tr></table><b>broken", "\u202eevil\u202c", "x" * 5000,
]


def _page(p: Any, server: str, problems: list[str]) -> Any:
    browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
    page = browser.new_page()
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("request", lambda r: None if r.url.startswith(server) else problems.append(f"request: {r.url}"))
    return page


def _sign_in(page: Any, server: str, name: str) -> None:
    page.goto(server + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/")


def test_a_hotline_uploads_hostile_rows_and_sees_each_reason_as_text(server: str, tmp_path: Path) -> None:
    import csv
    import io

    from playwright.sync_api import sync_playwright

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["report_id", "reported_at", "url", "notes"])
    for i, value in enumerate(XSS):
        writer.writerow([f"X-{i}", "2012-08-01", f"http://xss{i}.test/?q=1", value])
    writer.writerow(["X-bad", "not a date", "http://xss-bad.test/", "bad row"])
    upload = tmp_path / "<img src=x onerror=alert(9)>.csv"
    upload.write_text(buffer.getvalue())
    problems: list[str] = []
    with sync_playwright() as p:
        page = _page(p, server, problems)
        _sign_in(page, server, "hl")
        page.goto(server + "/submit")
        page.set_input_files("input[type=file]", str(upload))
        page.click("form[action='/submit/upload'] button[type=submit]")
        page.wait_for_selector("#rows")
        rows = page.inner_text("#rows")
        assert "stored" in rows and "bad_date" in rows
        assert "onerror=alert(9)" in page.inner_text("h1")  # the file name, as text
        page.screenshot(path=str(tmp_path / "submitted.png"))
        page.goto(server + "/url?u=" + "http%3A%2F%2Fxss0.test%2F%3Fq%3D1")
        assert "<script>alert(1)</script>" in page.inner_text("main")
        page.goto(server + "/submissions")
        assert "onerror=alert(9)" in page.inner_text("main")
        page.goto(server + "/brand/anything")  # hotlines do not see brand pages
        assert "403" in page.inner_text("h1")
    # the denied page's own status is logged as a failed load; nothing else may be
    assert [x for x in problems if "status of 403" not in x] == [], "\n".join(problems)


def test_a_partner_sees_only_records_addressed_to_it(server: str) -> None:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as p:
        page = _page(p, server, problems)
        _sign_in(page, server, "partner")
        page.goto(server + "/search?q=shop.payco-case.example")
        assert "shop.payco-case.example/checkout" in page.inner_text("#results")
        page.goto(server + "/search?q=192.0.2.11")
        assert "0 hits" in page.inner_text("#results")
        page.goto(server + "/url?u=http%3A%2F%2Fsite11-0.test%2F")
        assert "404" in page.inner_text("h1")
    # a 404 page logs its own status as a failed load; nothing else may be
    assert [x for x in problems if "status of 404" not in x] == [], "\n".join(problems)


def test_a_not_same_judgement_splits_the_distributor(server: str, marked_world: dict[str, Any]) -> None:
    """Last in the module: it changes the served world."""
    import json

    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    dist = marked_world["distributor"]["op-a"]
    with sync_playwright() as p:
        page = _page(p, server, problems)
        _sign_in(page, server, "analyst")
        page.goto(f"{server}/distributor/{dist}")
        brand_a = page.input_value("select[name=brand_a]")
        brand_b = page.input_value("select[name=brand_b]")
        assert brand_a != brand_b
        page.fill("input[name=note]", "different staff and hours")
        page.click("form[action='/judge'] button[type=submit]")
        job_id = page.inner_text("main code").strip()
        deadline = time.monotonic() + 300
        while True:  # the job re-runs attribution in the server; wait for it to finish
            page.goto(f"{server}/api/v1/jobs/{job_id}")
            state = json.loads(page.inner_text("body"))["state"]
            if state != "running" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert state == "done"
        owners = set()
        for brand in (brand_a, brand_b):
            page.goto(f"{server}/api/v1/brand/{brand}")
            owners.add(json.loads(page.inner_text("body"))["brand"]["distributor_id"])
        assert len(owners) == 2  # split
    assert problems == [], "\n".join(problems)
