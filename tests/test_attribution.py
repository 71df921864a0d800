"""Attribution end to end on a small hand-built world: captures → templates, brands, distributors.

Pages come from the fingerprint tests' neutral template families (a fictional photo club
with rotating names, prices and class suffixes); each operator's pages carry its own
merchant account and e-mail, and every page also carries a public checkout that all
operators share (a decoy the guard must stop).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from test_fingerprint import Family
from typer.testing import CliRunner

from vigil.attribute.run import attribute_store
from vigil.cli import app
from vigil.ingest.captures import CaptureIngest
from vigil.publish.explain import explain_brand, explain_brands_of
from vigil.store import Store

OPERATORS = {  # operator -> (merchant accounts over time, contact e-mail), brands (family seeds)
    "op-a": (["A-1001", "A-1002"], "sales@alpha-shop.test", [11, 12, 13]),
    "op-b": (["B-2001"], "desk@beta-shop.test", [21, 22]),
    "op-c": (["C-3001", "C-3002"], "hello@gamma-shop.test", [31, 32, 33]),
}


def _ids(operator: str, accounts: list[str], email: str, month: int) -> str:
    now = min(month // 4, len(accounts) - 1)
    account, older = accounts[now], accounts[max(now - 1, 0)]  # rotation with overlap
    return (
        f"<form action='https://pay.{operator}.test/checkout' method='post'>"
        f"<input type='hidden' name='merchant_id' value='{account}'>"
        f"<input type='hidden' name='account' value='{older}'></form>"
        f"<p>Contact: {email.replace('@', ' [at] ').replace('.', ' [dot] ')}</p>"
        "<form action='https://checkout.bigpay.test/pay' method='post'><input type='text' name='card_number'></form>"
    )


def build(root: Path) -> dict[str, tuple[str, str]]:
    """Writes captures; returns capture_id -> (true brand, true operator)."""
    rng = random.Random(5)
    truth: dict[str, tuple[str, str]] = {}
    rows = []
    root.mkdir(parents=True)
    for operator, (accounts, email, seeds) in OPERATORS.items():
        for seed in seeds:
            family = Family.make(seed)
            for month in range(10):
                capture_id = f"{operator}-{seed}-{month}"
                html = family.capture(rng)
                if month % 3 != 1:  # a third of the pages carry no identifier
                    html = html.replace("</body>", _ids(operator, accounts, email, month) + "</body>")
                (root / f"{capture_id}.html").write_text(html)
                rows.append({"capture_id": capture_id, "url": f"http://site{seed}-{month}.test/", "file": f"{capture_id}.html",
                             "captured_at": f"2012-{month + 1:02d}-{seed % 28 + 1:02d}T10:00:00Z"})  # fmt: skip
                truth[capture_id] = (f"brand-{seed}", operator)
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return truth


def test_brands_and_distributors_are_recovered_and_explained(tmp_path: Path) -> None:
    truth = build(tmp_path / "caps")
    db = tmp_path / "v.duckdb"
    with Store(db) as store:
        CaptureIngest(store).run([tmp_path / "caps"])
        summary = attribute_store(store)
        got = dict(store.con.execute("""SELECT c.capture_id, a.brand_id || ' ' || a.distributor_id
            FROM captures c JOIN capture_attribution a USING (capture_key)""").fetchall())  # fmt: skip
        generic = store.con.execute("SELECT value FROM identifier_values WHERE status = 'generic'").fetchall()
    assert (summary.templates, summary.brands, summary.distributors) == (8, 8, 3)
    # the same partition as the truth, for brands and for operators
    for index in (0, 1):
        pairs = {}
        for capture_id, labels in truth.items():
            pairs.setdefault(labels[index], set()).add(got[capture_id].split()[index])
        assert all(len(ids) == 1 for ids in pairs.values()), pairs
        assert len({next(iter(ids)) for ids in pairs.values()}) == len(pairs)
    assert generic == [("https://checkout.bigpay.test/pay",)]

    runner = CliRunner()
    distributor = got["op-a-11-0"].split()[1]
    text = runner.invoke(app, ["explain", "distributor", distributor, "--db", str(db)]).output
    assert "merchant account" in text and "3 brands" in text
    for brand in {got[c].split()[0] for c in truth if c.startswith("op-a")}:
        words = runner.invoke(app, ["explain", "brand", brand, "--db", str(db)]).output
        assert distributor in words
        assert "chain of evidence" in words or "first brand" in words
    # the distributor's explanation reads its brands in one query: the same text as asking brand by brand
    with Store(db) as store:
        members = [r[0] for r in store.con.execute(
            "SELECT brand_id FROM brands WHERE distributor_id = ? ORDER BY first_seen, brand_id", [distributor]).fetchall()]  # fmt: skip
        assert explain_brands_of(store, distributor) == [explain_brand(store, b) for b in members] and len(members) == 3
        assert explain_brands_of(store, distributor, limit=2) == [explain_brand(store, b) for b in members[:2]]
    exported = runner.invoke(app, ["export", "attribution", "--db", str(db), "--format", "jsonl"]).output.splitlines()
    assert len(exported) == len(truth) and set(json.loads(exported[0])) >= {"capture_id", "url", "template_id", "brand_id", "distributor_id"}


def test_a_not_same_judgement_survives_reruns(tmp_path: Path) -> None:
    build(tmp_path / "caps")
    db = tmp_path / "v.duckdb"
    runner = CliRunner()
    with Store(db) as store:
        CaptureIngest(store).run([tmp_path / "caps"])
        attribute_store(store)
        brands = [r[0] for r in store.con.execute(
            "SELECT brand_id FROM brands WHERE distributor_id = (SELECT distributor_id FROM brands GROUP BY distributor_id "
            "ORDER BY count(*) DESC, distributor_id LIMIT 1) ORDER BY first_seen").fetchall()]  # fmt: skip
    result = runner.invoke(app, ["judge", brands[0], brands[-1], "--verdict", "not_same", "--analyst", "a.n.analyst", "--db", str(db)])
    assert result.exit_code == 0, result.output
    for _ in range(2):
        assert runner.invoke(app, ["attribute", "--db", str(db)]).exit_code == 0
        with Store(db, read_only=True) as store:
            d = dict(store.con.execute("SELECT brand_id, distributor_id FROM brands").fetchall())
        assert d[brands[0]] != d[brands[-1]]


def test_the_strength_floor_is_a_visible_knob(tmp_path: Path) -> None:
    build(tmp_path / "caps")
    with Store(tmp_path / "v.duckdb") as store:
        CaptureIngest(store).run([tmp_path / "caps"])
        assert attribute_store(store).distributors == 3
        weak = attribute_store(store, min_strength=0.99)  # no kind is that strong: nothing can link
        assert (weak.brands, weak.distributors) == (8, 0)
        assert store.scalar("SELECT count(*) FROM capture_attribution WHERE distributor_id IS NOT NULL") == 0


def test_junk_pages_end_with_clear_messages_and_attribution_still_runs(tmp_path: Path) -> None:
    caps = tmp_path / "junk"
    caps.mkdir()
    (caps / "big.html").write_bytes(b"<html><body>" + b"<p>filler text</p>" * 3_000_000 + b"</body></html>")  # ~54 MB
    (caps / "deep.html").write_bytes(b"<html><body>" + b"<div>" * 100_000 + b"x" + b"</div>" * 100_000 + b"</body></html>")
    (caps / "ok.html").write_text(Family.make(3).capture(random.Random(1)))
    rows = [{"capture_id": n, "url": f"http://{n}.test/", "captured_at": "2012-03-01", "file": f"{n}.html"} for n in ("big", "deep", "ok")]
    (caps / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    db = tmp_path / "v.duckdb"
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", "captures", str(caps), "--db", str(db)])
    assert result.exit_code == 0 and "quarantined: 1" in result.output
    with Store(db, read_only=True) as store:
        assert store.con.execute("SELECT reason_code, reason FROM quarantine").fetchall()[0][0] == "page_too_large"
        assert store.scalar("SELECT count(*) FROM captures") == 2
    result = runner.invoke(app, ["attribute", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "2 captures" in result.output
