"""The web application in-process: every page and its JSON twin, the access matrix, CSRF, audit, submissions."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from vigil.access.policy import permission_allowed
from vigil.store import Store
from vigil.web import FORMS, PAGES, create_app
from webworld import PASSWORD, PAYCO_HOST, SECRET_VALUES, SEES, USERS
from webworld import login as _login
from test_access import _actor

API_EXTRA = {"/api/v1/jobs/{job_id}", "/reports/download", "/api/v1/reports/download"}
OTHER = {"/login", "/logout", "/healthz", "/favicon.ico", "/static", "/api/v1/openapi.json"}


@pytest.fixture(scope="module")
def world(marked_world: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The marked world on a copy of its store, served by one app for the module."""
    db = tmp_path_factory.mktemp("web") / "web.duckdb"
    shutil.copy(marked_world["db"], db)
    store = Store(db)
    app = create_app(db, store=store)
    yield {**marked_world, "db": db, "app": app, "store": store}
    store.close()


@pytest.fixture()
def fresh_world(marked_world: dict[str, Any], tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The marked world on a copy of its own, for tests that change it."""
    db = tmp_path / "web.duckdb"
    shutil.copy(marked_world["db"], db)
    store = Store(db)
    yield {**marked_world, "db": db, "app": create_app(db, store=store), "store": store}
    store.close()


def _csrf(client: TestClient) -> str:
    page = client.get("/").text
    return page.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def _samples(w: dict[str, Any]) -> dict[str, str]:
    """One concrete path per page (the entities of op-a, seen by the analyst)."""
    return {
        "/": "/", "/search": "/search?q=sales%40alpha-shop.test", "/url": "/url?u=" + quote("http://site11-0.test/", safe=""),
        "/domain/{domain}": "/domain/site11-0.test", "/asn/{asn}": "/asn/64500",
        "/identifier": "/identifier?kind=email&value=" + quote("sales@alpha-shop.test", safe=""),
        "/brand/{brand_id}": f"/brand/{w['brand']['op-a']}", "/distributor/{distributor_id}": f"/distributor/{w['distributor']['op-a']}",
        "/distributor/{distributor_id}/graph": f"/distributor/{w['distributor']['op-a']}/graph",
        "/dashboard": "/dashboard?period=2012&section=brands", "/export/attribution": "/export/attribution", "/submit": "/submit", "/submissions": "/submissions", "/audit": "/audit", "/markings": "/markings", "/reports": "/reports",
    }  # fmt: skip


def test_the_route_table_covers_every_route(world: dict[str, Any]) -> None:
    """A new route without an entry in PAGES / FORMS (and so in the matrix below) fails here."""
    known = {p.path for p in PAGES} | {"/api/v1" + p.path for p in PAGES if p.path != "/"} | {"/api/v1/me"}
    known |= set(FORMS) | {"/api/v1" + f for f in FORMS} | API_EXTRA | OTHER
    paths = {getattr(r, "path", "") for r in world["app"].routes}
    assert paths - known == set(), f"routes without an access entry: {sorted(paths - known)}"
    assert set(_samples(world)) == {p.path for p in PAGES}


@pytest.mark.parametrize("name", sorted(USERS))
def test_access_matrix_every_page_and_its_json_twin(world: dict[str, Any], name: str) -> None:
    client = _login(world["app"], name)
    actor = _actor(name)
    for page in PAGES:
        path = _samples(world)[page.path]
        allowed = page.action is None or permission_allowed(actor, page.action)
        sees_op_a = "hotline-a" in SEES[name]
        api = "/api/v1/me" if path == "/" else "/api/v1" + path
        for target in ([path] if page.template else []) + [api]:
            got = client.get(target)
            if not allowed:
                assert got.status_code == 403, (name, target, got.status_code)
            elif page.path in ("/", "/search", "/dashboard", "/submit", "/submissions", "/audit", "/export/attribution", "/markings", "/reports") or sees_op_a:
                assert got.status_code == 200, (name, target, got.status_code, got.text[:300])
            else:
                assert got.status_code == 404, (name, target, got.status_code)  # hidden looks like absent
            if target.startswith("/api/") and got.status_code == 200:
                assert got.headers["content-type"].startswith("application/json")
            elif got.status_code == 200:
                assert got.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("name", sorted(USERS))
def test_records_of_a_hidden_source_never_appear(world: dict[str, Any], name: str) -> None:
    client = _login(world["app"], name)
    sees_police = "police" in SEES[name]
    police_brand, police_dist = world["brand"]["op-c"], world["distributor"]["op-c"]
    seen = ""
    for path in (
        *(f"/api/v1/search?q={quote(v, safe='')}" for v in SECRET_VALUES), "/api/v1/search?q=198.51.100.31", "/api/v1/search?q=AS64501",
        f"/api/v1/brand/{police_brand}", f"/api/v1/distributor/{police_dist}", f"/api/v1/distributor/{police_dist}/graph",
        f"/api/v1/distributor/{world['distributor']['op-a']}/graph", "/api/v1/dashboard?period=2012&section=brands",
        "/api/v1/dashboard?period=2012&section=hosting", "/api/v1/asn/64501", "/dashboard?period=2012&section=brands",
        f"/api/v1/search?q={PAYCO_HOST}", "/api/v1/search?q=stray.invalid", "/api/v1/export/attribution",
    ):  # fmt: skip
        got = client.get(path)
        if got.status_code == 200:  # a search echoes its query: look only at its hits
            seen += json.dumps(got.json()["hits"]) if path.startswith("/api/v1/search") else got.text
    assert (police_brand in seen) is (sees_police and name != "auditor")
    export = client.get("/api/v1/export/attribution")
    if export.status_code == 200:
        assert {r["source"] for r in export.json()["rows"]} == SEES[name] - {"payco-feed"}
    assert all((v in seen) is sees_police for v in SECRET_VALUES), name
    assert (PAYCO_HOST in seen) is ("payco-feed" in SEES[name])
    assert "stray.invalid" not in seen


def test_counts_on_pages_are_taken_after_filtering(world: dict[str, Any]) -> None:
    analyst, detective = _login(world["app"], "analyst"), _login(world["app"], "detective")
    brand = world["marked_brand"]
    assert analyst.get(f"/api/v1/brand/{brand}").json()["brand"]["captures"] == 9
    assert detective.get(f"/api/v1/brand/{brand}").json()["brand"]["captures"] == 10
    dist = analyst.get(f"/api/v1/distributor/{world['distributor']['op-b']}").json()
    assert dist["complete"] is False and dist["explanation"] == []
    assert detective.get(f"/api/v1/distributor/{world['distributor']['op-b']}").json()["explanation"]
    stats = {r["figure"]: r["this_period"] for r in analyst.get("/api/v1/dashboard?period=2012&section=brands").json()["comparison"]}
    assert stats["distributors_active"] == 2 and stats["brands_active"] == 5


def test_pages_show_what_the_library_stored(world: dict[str, Any]) -> None:
    client = _login(world["app"], "analyst")
    found = client.get("/api/v1/search?q=DE89370400440532013000").json()
    assert found["recognised"]["kind"] == "identifier" and found["recognised"]["identifier_kind"] == "iban"
    assert client.get("/api/v1/search?q=AS64500").json()["recognised"] == {"kind": "asn", "value": "64500", "identifier_kind": None}
    assert client.get("/api/v1/search?q=192.0.2.11").json()["hits"]["hosts"]
    brand = client.get(f"/api/v1/brand/{world['brand']['op-a']}").json()
    assert brand["brand"]["distributor_id"] == world["distributor"]["op-a"] and brand["skeleton"]
    dist = client.get(f"/api/v1/distributor/{world['distributor']['op-a']}").json()
    assert len(dist["brands"]) == 3 and any("sales@alpha-shop.test" in line for line in dist["explanation"])
    graph = client.get(f"/api/v1/distributor/{world['distributor']['op-a']}/graph?kinds=email").json()
    assert {n["id"] for n in graph["nodes"] if n["type"] == "value"} == {"v:email:sales@alpha-shop.test"}
    ident = client.get("/api/v1/identifier?kind=payment_form&value=" + quote("https://checkout.bigpay.test/pay", safe="")).json()
    assert ident["status"]["status"] == "generic"
    page = client.get(f"/brand/{world['brand']['op-a']}")
    assert page.status_code == 200 and 'id="skeleton"' in page.text
    assert client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/brand/{brand_id}"]


def test_security_headers_on_every_kind_of_response(world: dict[str, Any]) -> None:
    client = _login(world["app"], "analyst")
    for path in ("/", "/api/v1/me", "/static/vigil.css", "/no-such-page", "/login"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"
    cookie = next(c for c in client.cookies.jar if c.name == "vigil_session")
    assert cookie.secure and cookie.has_nonstandard_attr("HttpOnly")


def test_signed_out_and_csrf(world: dict[str, Any]) -> None:
    anonymous = TestClient(world["app"], base_url="https://testserver")
    assert anonymous.get("/brand/x", follow_redirects=False).status_code == 303
    assert anonymous.get("/api/v1/brand/x").status_code == 401
    assert anonymous.post("/login", data={"username": "analyst", "password": PASSWORD, "csrf": "forged"}).status_code == 403
    client = _login(world["app"], "analyst")
    no_token = client.post("/submit", data={"url": "http://csrf.test/", "reported_at": "2012-06-01"})
    assert no_token.status_code == 403 and "CSRF" in no_token.text
    with_token = client.post("/submit", data={"url": "http://csrf.test/", "reported_at": "2012-06-01", "csrf": _csrf(client)})
    assert with_token.status_code == 200 and "stored 1" in with_token.text


def test_login_is_rate_limited(world: dict[str, Any]) -> None:
    client = TestClient(world["app"], base_url="https://testserver")
    client.get("/login")
    token = client.cookies.get("vigil_login_csrf")
    codes = [client.post("/login", data={"username": "auditor", "password": "wrong password!", "csrf": token}).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    right = client.post("/login", data={"username": "auditor", "password": PASSWORD, "csrf": token}, follow_redirects=False)
    assert right.status_code == 429  # still blocked for this name and client
    world["app"].state.vigil.limiter.succeeded("user:auditor", "client:testclient")


def test_api_tokens_are_limited_to_their_scopes(world: dict[str, Any]) -> None:
    from vigil.accounts import create_token

    _, token, _ = create_token(world["store"].con, "analyst", scopes=["search"], days=1)
    client = TestClient(world["app"], base_url="https://testserver", headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/v1/search?q=192.0.2.11").status_code == 200
    assert client.get(f"/api/v1/brand/{world['brand']['op-a']}").status_code == 403
    bad = TestClient(world["app"], base_url="https://testserver", headers={"Authorization": "Bearer vgl_not-a-token"})
    assert bad.get("/api/v1/search?q=x").status_code == 401


def test_bulk_upload_gives_each_row_its_outcome_and_hotlines_see_their_own(fresh_world: dict[str, Any]) -> None:
    world = fresh_world
    hotline = _login(world["app"], "hl")
    csv = (
        "report_id,reported_at,url,source,notes\n"
        "U-1,2012-07-01,http://upload-one.test/,police,<script>alert(1)</script>\n"  # a claimed source is ignored
        "U-2,31/12/2012,http://upload-two.test/,,\n"
        "U-1,2012-07-01,http://upload-one.test/,,\n"
        "U-3,2012-07-02,javascript:alert(1),,\n"
    )
    got = hotline.post("/api/v1/submit/upload", files={"file": ("<b>bulk</b>.csv", csv.encode(), "text/csv")},
                       headers={"X-CSRF-Token": _csrf(hotline)})  # fmt: skip
    assert got.status_code == 200, got.text
    rows = {r["line"]: r for r in got.json()["rows"]}
    assert rows[2]["outcome"] == "stored"
    assert rows[3]["outcome"] == "quarantined" and rows[3]["code"] == "bad_date"
    assert rows[4]["outcome"] == "duplicate"
    assert rows[5]["outcome"] == "quarantined" and rows[5]["code"] == "bad_url"
    with world["store"].con.cursor() as con:
        assert con.execute("SELECT source FROM reports WHERE report_id = 'U-1'").fetchall() == [("hotline-a",)]
    page = hotline.get("/submissions").text
    assert "&lt;b&gt;bulk&lt;/b&gt;.csv" in page and "<b>bulk</b>" not in page
    url_page = hotline.get("/url?u=" + quote("http://upload-one.test/", safe="")).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in url_page and "<script>alert(1)" not in url_page
    partner = _login(world["app"], "partner")
    assert partner.post("/api/v1/submit/upload", files={"file": ("x.csv", csv.encode(), "text/csv")},
                        headers={"X-CSRF-Token": _csrf(partner)}).status_code == 403  # fmt: skip
    assert "upload-one.test" not in partner.get("/api/v1/submissions").text


def test_reads_and_writes_are_audited_and_the_chain_holds(world: dict[str, Any]) -> None:
    client = _login(world["app"], "analyst")
    client.get(f"/brand/{world['brand']['op-a']}")
    client.get("/audit")  # denied: an analyst does not read the audit log
    auditor = _login(world["app"], "auditor")
    log = auditor.get("/api/v1/audit?actor=analyst%40ops&limit=1000").json()
    actions = {(e["action"], e["resource"].split()[0]) for e in log["entries"]}
    assert ("read", "brand") in actions and ("denied", "audit") in actions and ("login", "") not in actions
    assert log["intact"] is True


def test_a_not_same_judgement_splits_the_distributor(fresh_world: dict[str, Any]) -> None:
    world = fresh_world
    client = _login(world["app"], "analyst")
    dist = world["distributor"]["op-a"]
    brands = [b["brand_id"] for b in client.get(f"/api/v1/distributor/{dist}").json()["brands"]]
    got = client.post("/api/v1/judge", data={"brand_a": brands[0], "brand_b": brands[1], "verdict": "not_same", "note": "different staff"},
                      headers={"X-CSRF-Token": _csrf(client)})  # fmt: skip
    assert got.status_code == 202, got.text
    job = world["app"].state.vigil.jobs[got.json()["job"]["job_id"]]
    job.thread.join(timeout=300)
    assert client.get(f"/api/v1/jobs/{job.job_id}").json()["state"] == "done"
    after = {client.get(f"/api/v1/brand/{b}").json()["brand"]["distributor_id"] for b in brands[:2]}
    assert len(after) == 2
    hidden = client.post("/api/v1/judge", data={"brand_a": brands[0], "brand_b": world["brand"]["op-c"], "verdict": "same", "note": "x"},
                         headers={"X-CSRF-Token": _csrf(client)})  # fmt: skip
    assert hidden.status_code == 404  # a brand the analyst may not see cannot be judged


def test_demo_accounts_mark_every_source_and_sign_in(marked_world: dict[str, Any], tmp_path: Path) -> None:
    from vigil.access.markings import marking_list
    from vigil.accounts import authenticate
    from vigil.accounts.demo import DEMO_USERS, setup_demo

    db = tmp_path / "demo.duckdb"
    shutil.copy(marked_world["db"], db)
    with Store(db) as store:
        first = setup_demo(store.con)
        again = setup_demo(store.con)  # a second start gives new passwords; the old ones stop working
        assert [a["username"] for a in first] == list(DEMO_USERS)
        assert all(row["tlp"] for row in marking_list(store.con))  # no source left unmarked
        assert authenticate(store.con, "detective", again[-1]["password"]) is not None
        assert authenticate(store.con, "detective", first[-1]["password"]) is None


def test_an_admin_marking_change_shows_at_once(fresh_world: dict[str, Any]) -> None:
    world = fresh_world
    admin, analyst = _login(world["app"], "admin"), _login(world["app"], "analyst")
    assert analyst.post("/api/v1/markings", data={"source": "stray", "tlp": "GREEN", "org": "ops"},
                        headers={"X-CSRF-Token": _csrf(analyst)}).status_code == 403  # fmt: skip
    assert analyst.get("/api/v1/search?q=stray.invalid").json()["hits"]["domains"] == []
    got = admin.post("/markings", data={"source": "stray", "tlp": "GREEN", "org": "ops", "csrf": _csrf(admin)}, follow_redirects=False)
    assert got.status_code == 303
    assert analyst.get("/api/v1/search?q=stray.invalid").json()["hits"]["domains"]
    assert "stray" in admin.get("/markings").text


def _takedown_cases(con: Any) -> None:
    """Two noticed cases: one on op-a's URL (hotline-a, GREEN), one on op-c's (police, RED), both TLP:GREEN cases of ops."""
    for capture_id, registrar in (("op-a-11-0", "Registrar Seen Example"), ("op-c-31-0", "Registrar Hidden Example")):
        url = con.execute("SELECT url FROM captures WHERE capture_id = ?", [capture_id]).fetchone()[0]
        con.execute("""INSERT INTO takedown_cases (url, host, registrar, hosting_org, owner_org, marking, source)
                       VALUES (?, ?, ?, ?, 'ops', 'TLP:GREEN', 'store')""", [url, url.split("/")[2], registrar, f"Hosting of {registrar}"])
        for stage, at in (("notice_sent", "2012-06-01 10:00:00"), ("offline", "2012-06-02 10:00:00")):
            con.execute("INSERT INTO takedown_events VALUES (?, ?, ?, CAST(? AS TIMESTAMP), 'test', 'abuse@hosting.example', NULL)",
                        [f"{capture_id}-{stage}", url, stage, at])  # fmt: skip


def test_the_report_library_is_per_account_and_scoped(fresh_world: dict[str, Any]) -> None:
    world = fresh_world
    _takedown_cases(world["store"].con)
    analyst, detective = _login(world["app"], "analyst"), _login(world["app"], "detective")
    got = analyst.post("/api/v1/reports", data={"period": "2012"}, headers={"X-CSRF-Token": _csrf(analyst)})
    assert got.status_code == 202, got.text
    job = world["app"].state.vigil.jobs[got.json()["job_id"]]
    job.thread.join(timeout=600)
    assert job.state == "done", job.detail
    names = [f["name"] for f in analyst.get("/api/v1/reports").json()["files"]]
    markdown = next(n for n in names if n.endswith(".md"))
    text = analyst.get("/api/v1/reports/download", params={"name": markdown}).text
    assert "2012" in text and not any(v in text for v in (*SECRET_VALUES, world["brand"]["op-c"]))
    assert "Registrar Seen Example" in text and "Registrar Hidden Example" not in text  # takedown tables are scoped too
    assert detective.get("/api/v1/reports/download", params={"name": markdown}).status_code == 404  # not theirs
    assert analyst.get("/api/v1/reports/download", params={"name": "../../web.duckdb"}).status_code == 404
