"""A small marked world for the access and web tests, with its ground truth of who sees what.

Captures are the attribution tests' three operators (op-a, op-b, op-c; 8 brands, 3
distributors). Sources and markings:

- ``hotline-a`` (TLP:GREEN, owned by hotline-a): op-a and op-b's captures and their reports;
  one capture of op-b's brand 21 carries a record marking of its own (TLP:RED, owned by police);
- ``police`` (TLP:RED, owned by police): op-c's captures and reports;
- ``payco-feed`` (TLP:AMBER, owned by payco, shared with ops): reports addressed to payco;
- ``stray`` (unmarked): seen by no one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from test_attribution import build

from vigil.access.markings import mark_record, mark_source, share_source
from vigil.accounts import add_org, add_user
from vigil.attribute.run import attribute_store
from vigil.enrich.ip import open_ip_provider
from vigil.enrich.run import enrich_store
from vigil.ingest.captures import CaptureIngest
from vigil.ingest.reports import ReportIngest
from vigil.store import Store

PASSWORD = "correct horse battery"
#: username -> (org, role, clearance)
USERS = {
    "admin": ("ops", "admin", "RED"),
    "analyst": ("ops", "analyst", "AMBER"),
    "auditor": ("ops", "auditor", "GREEN"),
    "hl": ("hotline-a", "hotline", "AMBER"),
    "partner": ("payco", "partner", "AMBER"),
    "detective": ("police", "analyst", "RED"),
}
#: username -> sources whose records it sees
SEES = {
    "admin": {"hotline-a", "payco-feed"},
    "analyst": {"hotline-a", "payco-feed"},
    "auditor": set(),
    "hl": {"hotline-a"},
    "partner": {"payco-feed"},
    "detective": {"hotline-a", "police"},
}
#: values only on op-c's (police, RED) pages: never shown to anyone but the detective
SECRET_VALUES = ("C-3001", "hello@gamma-shop.test")
PAYCO_HOST = "shop.payco-case.example"
STRAY_HOST = "stray.invalid"
#: the capture of brand 21 marked RED for police on its own
MARKED_CAPTURE = "op-b-21-3"


def _ip(operator: str, seed: int) -> str:
    return {"op-a": "192.0.2.", "op-b": "192.0.2.", "op-c": "198.51.100."}[operator] + str(seed)


def build_marked_world(root: Path) -> dict[str, Any]:
    caps = root / "caps"
    truth = build(caps)
    manifest = [json.loads(line) for line in (caps / "manifest.jsonl").read_text().splitlines()]
    for row in manifest:
        row["source"] = "police" if row["capture_id"].startswith("op-c") else "hotline-a"
    (caps / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in manifest))
    reports = root / "reports.jsonl"
    lines = []
    for i, row in enumerate(manifest):
        operator, seed = row["capture_id"].split("-")[0] + "-" + row["capture_id"].split("-")[1], int(row["capture_id"].split("-")[2])
        lines.append({"report_id": f"R-{i}", "source": row["source"], "reported_at": row["captured_at"], "url": row["url"],
                      "ip": _ip(operator, seed), "commercial": True, "site_type": "pay_per_view"})  # fmt: skip
    lines += [
        {"report_id": "P-1", "source": "payco-feed", "reported_at": "2012-05-01", "url": f"http://{PAYCO_HOST}/checkout",
         "ip": "203.0.113.9", "commercial": True},
        {"report_id": "S-1", "source": "stray", "reported_at": "2012-05-02", "url": f"http://{STRAY_HOST}/", "ip": "203.0.113.10"},
    ]  # fmt: skip
    reports.write_text("".join(json.dumps(r) + "\n" for r in lines))
    ipdb = root / "iptoasn.tsv"
    ipdb.write_text(
        "192.0.2.0\t192.0.2.255\t64500\tUS\tExample Hosting One\n"
        "198.51.100.0\t198.51.100.255\t64501\tNL\tExample Hosting Two\n"
        "203.0.113.0\t203.0.113.255\t64502\tDE\tExample Hosting Three\n"
    )
    db = root / "web.duckdb"
    with Store(db) as store:
        ReportIngest(store).run([reports])
        enrich_store(store, provider=open_ip_provider(ipdb), ip_db=ipdb)
        CaptureIngest(store).run([caps])
        attribute_store(store)
        con = store.con
        for org, kind in (("ops", "operator"), ("hotline-a", "hotline"), ("police", "law_enforcement"), ("payco", "payment_provider")):
            add_org(con, org, name=org.title(), kind=kind)
        for name, (org, role, clearance) in USERS.items():
            add_user(con, name, org_id=org, role=role, password=PASSWORD, clearance=clearance)
        mark_source(con, "hotline-a", tlp="GREEN", org_id="hotline-a", by="test")
        mark_source(con, "police", tlp="RED", org_id="police", by="test")
        mark_source(con, "payco-feed", tlp="AMBER", org_id="payco", by="test")
        share_source(con, "payco-feed", "ops")
        key = con.execute("SELECT capture_key FROM captures WHERE capture_id = ?", [MARKED_CAPTURE]).fetchone()[0]
        mark_record(con, "capture", key, tlp="RED", org_id="police", by="test")
        brands = dict(con.execute("""SELECT c.capture_id, a.brand_id FROM captures c JOIN capture_attribution a USING (capture_key)""").fetchall())
        dists = dict(con.execute("""SELECT c.capture_id, a.distributor_id FROM captures c JOIN capture_attribution a USING (capture_key)""").fetchall())
    op_brand = {op: brands[f"{op}-{seed}-0"] for op, seed in (("op-a", 11), ("op-b", 21), ("op-c", 31))}
    op_dist = {op: dists[f"{op}-{seed}-0"] for op, seed in (("op-a", 11), ("op-b", 21), ("op-c", 31))}
    return {"db": db, "truth": truth, "brand": op_brand, "distributor": op_dist, "marked_brand": brands[MARKED_CAPTURE],
            "root": root}  # fmt: skip


def login(app: Any, name: str) -> Any:
    """A TestClient signed in as ``name`` (password :data:`PASSWORD`) through the login form."""
    from fastapi.testclient import TestClient

    client = TestClient(app, base_url="https://testserver")
    client.get("/login")
    got = client.post("/login", data={"username": name, "password": PASSWORD, "csrf": client.cookies.get("vigil_login_csrf"),
                                      "next": "/"}, follow_redirects=False)  # fmt: skip
    assert got.status_code == 303, got.text
    return client
