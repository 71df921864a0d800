"""No guessing across operators: a kit used by two distributors leaves its bare captures unattributed.

A small hand-built world with known truth: operators op-a and op-b each run a brand of their
own and both run one kit (the same page template). A third of every brand's captures carry
no identifier. The bare captures of an operator's own template take its distributor; the
bare captures of the kit are attributed to nobody — not to the operator whose capture is
nearest in time — and the export and `vigil explain` name both candidates.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from typer.testing import CliRunner

from test_fingerprint import Family
from vigil.attribute.run import attribute_store
from vigil.cli import app
from vigil.ingest.captures import CaptureIngest
from vigil.store import Store

KIT = 50
OPERATORS = {  # operator -> merchant accounts, e-mail, own template seeds
    "op-a": (["A-1001"], "sales@alpha-shop.test", [11]),
    "op-b": (["B-2001"], "desk@beta-shop.test", [21]),
}


def _ids(operator: str, account: str, email: str) -> str:
    return (f"<form action='https://pay.{operator}.test/checkout' method='post'>"
            f"<input type='hidden' name='merchant_id' value='{account}'></form><p>Contact: {email}</p>")


def build(root: Path) -> dict[str, tuple[str, str | None]]:
    """Writes captures; returns capture_id -> (template seed, true operator or None when the
    capture cannot be told apart: a bare capture of the shared kit)."""
    rng = random.Random(9)
    truth: dict[str, tuple[str, str | None]] = {}
    rows = []
    root.mkdir(parents=True)
    for operator, (accounts, email, seeds) in OPERATORS.items():
        for seed in [*seeds, KIT]:
            family = Family.make(seed)
            for month in range(9):
                capture_id = f"{operator}-{seed}-{month}"
                html = family.capture(rng)
                bare = month % 3 == 1
                if not bare:
                    html = html.replace("</body>", _ids(operator, accounts[0], email) + "</body>")
                (root / f"{capture_id}.html").write_text(html)
                day = 1 + (operator == "op-b")  # op-b's captures a day after op-a's: time would pick op-a or op-b
                rows.append({"capture_id": capture_id, "url": f"http://{operator}-{seed}-{month}.test/", "file": f"{capture_id}.html",
                             "captured_at": f"2012-{month + 1:02d}-{day:02d}T10:00:00Z"})  # fmt: skip
                truth[capture_id] = (str(seed), None if bare and seed == KIT else operator)
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return truth


def test_bare_captures_of_a_shared_kit_stay_unattributed_with_their_candidates(tmp_path: Path) -> None:
    truth = build(tmp_path / "caps")
    db = tmp_path / "v.duckdb"
    with Store(db) as store:
        CaptureIngest(store).run([tmp_path / "caps"])
        summary = attribute_store(store)
        got = {r[0]: (r[1], r[2], r[3]) for r in store.con.execute("""
            SELECT c.capture_id, a.template_id, a.distributor_id, a.brand_id
            FROM captures c JOIN capture_attribution a USING (capture_key)""").fetchall()}  # fmt: skip
    assert (summary.templates, summary.distributors) == (3, 2)
    operator_of: dict[str, str] = {}
    for capture_id, (_, operator) in truth.items():
        distributor = got[capture_id][1]
        if operator is None:
            assert distributor is None, f"{capture_id} was guessed into {distributor}"
        else:
            assert distributor is not None, capture_id
            assert operator_of.setdefault(operator, distributor) == distributor
    assert len(set(operator_of.values())) == 2
    kit_template = got["op-a-50-0"][0]
    assert {got[c][0] for c in truth if f"-{KIT}-" in c} == {kit_template}

    runner = CliRunner()
    exported = [json.loads(line) for line in runner.invoke(app, ["export", "attribution", "--db", str(db)]).output.splitlines()]
    by_id = {row["capture_id"]: row for row in exported}
    for capture_id, (_, operator) in truth.items():
        want = sorted(operator_of.values()) if operator is None else []
        assert by_id[capture_id]["candidates"] == want, capture_id
    csv_text = runner.invoke(app, ["export", "attribution", "--db", str(db), "--format", "csv"]).output
    assert csv_text.splitlines()[0].endswith(",candidates") and " ".join(sorted(operator_of.values())) in csv_text

    bare_brand = got["op-a-50-1"][2]
    words = runner.invoke(app, ["explain", "brand", bare_brand, "--db", str(db)]).output
    assert "used by 2 distributors" in words and all(d in words for d in operator_of.values()), words


def test_bare_captures_of_a_template_of_one_distributor_take_it(tmp_path: Path) -> None:
    truth = build(tmp_path / "caps")
    with Store(tmp_path / "v.duckdb") as store:
        CaptureIngest(store).run([tmp_path / "caps"])
        attribute_store(store)
        got = dict(store.con.execute("""SELECT c.capture_id, a.distributor_id
            FROM captures c JOIN capture_attribution a USING (capture_key)""").fetchall())  # fmt: skip
    for operator in OPERATORS:
        own = {got[c] for c, (seed, op) in truth.items() if op == operator and seed != str(KIT)}
        assert len(own) == 1 and None not in own
