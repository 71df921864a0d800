"""The pool of scoped connections: materialised key sets per data version, bounded connections, cached pages."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from webworld import USERS
from webworld import login as _login

from vigil.access import Actor
from vigil.access import scope as scope_module
from vigil.access.scope import ScopePool
from vigil.store import Store
from vigil.web.app import create_app


def _actor(name: str) -> Actor:
    org, role, clearance = USERS[name]
    return Actor(f"U-{name}", name, org, role, clearance)


@pytest.fixture()
def store(marked_world: dict[str, Any], tmp_path: Path) -> Iterator[Store]:
    db = tmp_path / "pool.duckdb"
    shutil.copy(marked_world["db"], db)
    with Store(db) as opened:
        yield opened


def _add_report(store: Store, *, source: str, host: str) -> None:
    """A report of ``source`` on a new host, and that host's enrichment row."""
    con = store.con
    con.execute("""INSERT INTO reports SELECT * REPLACE (? AS report_key, ? AS report_id, ? AS url, ? AS url_original, ? AS host)
                   FROM reports WHERE source = ? LIMIT 1""", [f"key-{host}", f"R-{host}", f"http://{host}/", f"http://{host}/", host, source])  # fmt: skip
    con.execute("INSERT INTO hosts SELECT * REPLACE (? AS host) FROM hosts LIMIT 1", [host])


def _hosts(pool: ScopePool, name: str) -> set[str]:
    with pool.scoped(_actor(name)) as view:
        return {r[0] for r in view.con.execute("SELECT host FROM hosts").fetchall()}


def test_key_sets_are_computed_again_after_new_evidence_and_never_show_a_hidden_record(store: Store) -> None:
    pool = ScopePool(store)
    before = _hosts(pool, "analyst")
    _add_report(store, source="hotline-a", host="new-green.test")  # GREEN: the analyst sees it
    _add_report(store, source="police", host="new-red.test")  # RED, police only
    stale = _hosts(pool, "analyst")
    pool.changed()
    after = _hosts(pool, "analyst")
    detective = _hosts(pool, "detective")
    pool.close()
    assert stale <= before | {"new-green.test"}  # maybe not computed again yet: never more than the key allows
    assert after == before | {"new-green.test"}
    assert "new-red.test" in detective and "new-red.test" not in after


class _SignalledCondition(threading.Condition):
    """A condition that says when a thread starts waiting on it."""

    def __init__(self, lock: Any) -> None:
        super().__init__(lock)
        self.waiting = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting.set()
        return super().wait(timeout)


def test_a_burst_waits_for_a_kept_connection_instead_of_building_more(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []

    class Counted(scope_module.ScopedStore):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(scope_module, "ScopedStore", Counted)
    pool = ScopePool(store, per_key=1)
    pool._freed = _SignalledCondition(pool._lock)
    holding, release = threading.Event(), threading.Event()
    seen: list[int] = []

    def first() -> None:
        with pool.scoped(_actor("analyst")) as view:
            holding.set()
            release.wait(30)
            seen.append(view.con.execute("SELECT count(*) FROM brands").fetchone()[0])

    def second() -> None:
        with pool.scoped(_actor("analyst")) as view:
            seen.append(view.con.execute("SELECT count(*) FROM brands").fetchone()[0])

    one = threading.Thread(target=first)
    one.start()
    assert holding.wait(30)
    two = threading.Thread(target=second)
    two.start()
    assert pool._freed.waiting.wait(30)  # the second request waits for the one connection
    release.set()
    one.join(30)
    two.join(30)
    pool.close()
    assert len(built) == 1
    assert len(seen) == 2 and seen[0] == seen[1]


def test_a_cached_page_shows_a_submission_made_after_it(store: Store) -> None:
    app = create_app(store.path, store=store)
    hotline = _login(app, "hl")
    url = "http://site11-0.test/"
    first = hotline.get("/api/v1/url?u=" + quote(url, safe="")).json()
    assert hotline.get("/api/v1/url?u=" + quote(url, safe="")).json() == first  # served again, from the cache
    csrf = hotline.get("/").text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    got = hotline.post("/api/v1/submit/upload", files={"file": ("again.csv", f"report_id,reported_at,url\nAGAIN-1,2012-08-01,{url}\n".encode())},
                       headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert got.status_code == 200 and got.json()["counts"]["stored"] == 1
    after = hotline.get("/api/v1/url?u=" + quote(url, safe="")).json()
    assert {r["report_id"] for r in after["reports"]} == {r["report_id"] for r in first["reports"]} | {"AGAIN-1"}


def test_while_one_request_refreshes_a_key_the_others_serve_from_their_sets_without_waiting(store: Store) -> None:
    pool = ScopePool(store)
    before = _hosts(pool, "analyst")  # one kept connection of the analyst's key
    _add_report(store, source="hotline-a", host="refresh-green.test")
    _add_report(store, source="police", host="refresh-red.test")
    pool.changed()
    key = pool.key(_actor("analyst"))
    computing = pool._computing.setdefault(key, threading.Lock())
    assert computing.acquire(timeout=5)  # as if another request were computing the new sets
    try:
        served: list[tuple[set[str], int]] = []

        def read() -> None:
            with pool.scoped(_actor("analyst")) as view:
                served.append(({r[0] for r in view.con.execute("SELECT host FROM hosts").fetchall()}, view.data_version))

        reader = threading.Thread(target=read)
        reader.start()
        reader.join(10)
        assert not reader.is_alive()  # it did not queue behind the refresh
        assert served == [(before, 0)]  # the sets it had, under the version they were computed for
    finally:
        computing.release()
    after = _hosts(pool, "analyst")  # the lock free: this request computes the new version's sets
    pool.close()
    assert after == before | {"refresh-green.test"} and "refresh-red.test" not in after
