"""The optional header checker, on a fake transport only: headers are read, bodies never; media never requested."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import pytest

from vigil.disrupt import casestore, workflow
from vigil.disrupt.cases import Case
from vigil.disrupt.checker import HeaderChecker, TransportError
from vigil.disrupt.clocks import Event, build_records
from vigil.errors import ConfigError
from vigil.store.store import Store

CHECKED_AT = datetime(2012, 11, 2, 8, 0)


class FakeResponse:
    """A response whose body trips the test when anyone reads it."""

    def __init__(self, status: int, headers: Mapping[str, str]) -> None:
        self.status, self.headers = status, dict(headers)
        self.closed = False
        self.body_reads = 0

    def read(self, *args: object) -> bytes:
        self.body_reads += 1
        raise AssertionError("the checker read a response body")

    readline = read
    readinto = read
    __iter__ = read

    def close(self) -> None:
        self.closed = True


Route = tuple[int, dict[str, str]] | Exception


class FakeTransport:
    """Answers from a table keyed by (method, URL); records every request."""

    def __init__(self, routes: dict[tuple[str, str], Route], *, clock: list[float] | None = None) -> None:
        self.routes = routes
        self.calls: list[tuple[str, str, float]] = []
        self.responses: list[FakeResponse] = []
        self.clock = clock

    def open(self, method: str, url: str, *, timeout: float) -> FakeResponse:
        self.calls.append((method, url, timeout))
        if self.clock is not None:
            self.clock[0] += 0.5  # each request takes half a second of the fake clock
        route = self.routes.get((method, url))
        if route is None:
            raise AssertionError(f"unexpected request {method} {url}")
        if isinstance(route, Exception):
            raise route
        response = FakeResponse(*route)
        self.responses.append(response)
        return response


def _checker(transport: FakeTransport, **options: object) -> HeaderChecker:
    return HeaderChecker(transport, timeout=7.0, now=lambda: CHECKED_AT, sleep=lambda s: None, **options)  # type: ignore[arg-type]


HTML = {"Content-Type": "text/html; charset=utf-8"}
U = "https://shop.example/p"


@pytest.mark.parametrize(("routes", "status", "code", "detail", "methods"), [
    ({("HEAD", U): (200, HTML)}, "online", 200, "HTTP 200 text/html", ["HEAD"]),
    ({("HEAD", U): (200, {"content-type": "application/xhtml+xml"})}, "online", 200, "HTTP 200 application/xhtml+xml", ["HEAD"]),
    ({("HEAD", U): (404, {})}, "offline", 404, "HTTP 404", ["HEAD"]),
    ({("HEAD", U): (410, HTML)}, "offline", 410, "HTTP 410", ["HEAD"]),
    ({("HEAD", U): (451, {})}, "offline", 451, "HTTP 451", ["HEAD"]),
    ({("HEAD", U): (503, HTML)}, "error", 503, "HTTP 503", ["HEAD"]),
    ({("HEAD", U): (403, HTML)}, "error", 403, "HTTP 403", ["HEAD"]),
    ({("HEAD", U): (405, {}), ("GET", U): (200, HTML)}, "online", 200, "HTTP 200 text/html", ["HEAD", "GET"]),
    ({("HEAD", U): (501, {}), ("GET", U): (404, HTML)}, "offline", 404, "HTTP 404", ["HEAD", "GET"]),
    ({("HEAD", U): TransportError("timed out")}, "error", None, "no answer: timed out", ["HEAD"]),
    # a non-HTML answer is judged from its headers alone: no GET follows, nothing is read
    ({("HEAD", U): (200, {"Content-Type": "image/jpeg"})}, "error", 200, "HTTP 200 image/jpeg: not an HTML page", ["HEAD"]),
    ({("HEAD", U): (200, {"Content-Type": "video/mp4"})}, "error", 200, "HTTP 200 video/mp4: not an HTML page", ["HEAD"]),
    ({("HEAD", U): (200, {})}, "error", 200, "HTTP 200 no Content-Type: not an HTML page", ["HEAD"]),
    ({("HEAD", U): (405, {}), ("GET", U): (200, {"Content-Type": "application/octet-stream"})}, "error", 200,
     "HTTP 200 application/octet-stream: not an HTML page", ["HEAD", "GET"]),
])  # fmt: skip
def test_one_answer(routes: dict[tuple[str, str], Route], status: str, code: int | None, detail: str, methods: list[str]) -> None:
    transport = FakeTransport(routes)
    got = _checker(transport).check(U)
    assert (got.status, got.code, got.at) == (status, code, CHECKED_AT)
    assert got.detail.startswith(detail), got.detail
    assert [m for m, _, _ in transport.calls] == methods
    assert all(t == 7.0 for _, _, t in transport.calls)
    assert all(r.closed and r.body_reads == 0 for r in transport.responses)


@pytest.mark.parametrize("url", ["https://cdn.example/a/photo.JPG", "http://cdn.example/v/clip.mp4?x=1", "https://cdn.example/a.webm"])
def test_a_media_url_is_never_requested(url: str) -> None:
    transport = FakeTransport({})
    got = _checker(transport).check(url)
    assert got.status == "skipped" and got.event() is None
    assert transport.calls == []


def test_redirects_are_followed_and_bounded() -> None:
    routes: dict[tuple[str, str], Route] = {
        ("HEAD", U): (301, {"Location": "/q"}),
        ("HEAD", "https://shop.example/q"): (302, {"location": "https://www.shop.example/r"}),
        ("HEAD", "https://www.shop.example/r"): (200, HTML),
    }
    got = _checker(FakeTransport(routes)).check(U)
    assert (got.status, got.code) == ("online", 200)
    assert got.detail == "HTTP 200 text/html after 2 redirects to https://www.shop.example/r"
    loop = FakeTransport({("HEAD", U): (302, {"Location": U})})
    got = _checker(loop, max_redirects=2).check(U)
    assert (got.status, got.code) == ("error", 302) and "more than 2 redirects" in got.detail
    assert len(loop.calls) == 3  # the first request and two redirects, then it stops


@pytest.mark.parametrize(("location", "detail"), [
    ("https://cdn.example/big.mp4", "redirected to a media URL"),
    ("ftp://files.example/x", "redirected to a non-HTTP URL"),
])  # fmt: skip
def test_a_redirect_to_media_or_elsewhere_is_not_followed(location: str, detail: str) -> None:
    transport = FakeTransport({("HEAD", U): (302, {"Location": location})})
    got = _checker(transport).check(U)
    assert got.status == "error" and got.detail.startswith(detail)
    assert [u for _, u, _ in transport.calls] == [U]


def test_requests_to_one_host_are_paced() -> None:
    clock = [100.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock[0] += seconds

    urls = ["https://a.example/1", "https://b.example/1", "https://a.example/2", "https://a.example/3"]
    transport = FakeTransport({("HEAD", u): (200, HTML) for u in urls}, clock=clock)
    checker = HeaderChecker(transport, per_host_interval=2.0, clock=lambda: clock[0], sleep=sleep, now=lambda: CHECKED_AT)
    for url in urls:
        checker.check(url)
    # a/1 sent at 100.0, b/1 at 100.5 (another host: no wait); a/2 is ready at 101.0 and waits
    # until 102.0; a/3 is ready at 102.5 and waits until 104.0
    assert waits == [1.0, 1.5]


def _store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "c.duckdb")
    urls = ["http://up.example/a", "http://gone.example/a", "http://flaky.example/a", "http://new.example/a", "http://done.example/a"]
    casestore.save_cases(store.con, [Case(url=u, host=u.split("/")[2], owner_org="hotline", marking="TLP:AMBER") for u in urls])
    t = datetime(2012, 11, 1, 9, 0)
    events = [Event(u, "assessed", t, "test") for u in urls]
    events += [Event(u, "notice_sent", t, "notice:x", "host:AS64496") for u in urls if "new." not in u]
    events += [Event("http://done.example/a", "offline", t.replace(hour=12), "recheck:ana")]
    casestore.add_events(store.con, events)
    return store


def test_results_are_recorded_as_rechecks(tmp_path: Path) -> None:
    transport = FakeTransport({
        ("HEAD", "http://up.example/a"): (200, HTML),
        ("HEAD", "http://gone.example/a"): (404, HTML),
        ("HEAD", "http://flaky.example/a"): TransportError("connection refused"),
    })  # fmt: skip
    with _store(tmp_path) as store:
        summary = workflow.check_online(store.con, _checker(transport))
        # only noticed URLs not yet removed: new.example was never noticed, done.example is offline already
        assert sorted(u for _, u, _ in transport.calls) == ["http://flaky.example/a", "http://gone.example/a", "http://up.example/a"]
        assert {k: summary.counts[k] for k in ("checked", "online", "offline", "error", "events_new")} == {
            "checked": 3, "online": 1, "offline": 1, "error": 1, "events_new": 3}  # fmt: skip
        rows = store.con.execute("SELECT url, stage, happened_at, source, detail FROM takedown_events "
                                 "WHERE source = 'check:headers' ORDER BY url").fetchall()  # fmt: skip
        assert rows == [("http://flaky.example/a", "check_error", CHECKED_AT, "check:headers", "no answer: connection refused"),
                        ("http://gone.example/a", "offline", CHECKED_AT, "check:headers", "HTTP 404"),
                        ("http://up.example/a", "online", CHECKED_AT, "check:headers", "HTTP 200 text/html")]  # fmt: skip
        records = build_records(casestore.load_events(store.con))
        assert records["http://gone.example/a"].removed_at == CHECKED_AT
        assert records["http://flaky.example/a"].removed_at is None and records["http://flaky.example/a"].checks == []
        with pytest.raises(ConfigError, match="is not a takedown case"):
            workflow.check_online(store.con, _checker(FakeTransport({})), urls=["http://elsewhere.example/"])
        again = workflow.check_online(store.con, _checker(FakeTransport({("HEAD", "http://up.example/a"): (200, HTML)})),
                                      urls=["http://up.example/a"])  # fmt: skip
        assert again.counts["events_new"] == 0  # the same re-check at the same time is stored once
