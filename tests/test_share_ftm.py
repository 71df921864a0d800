"""FollowTheMoney export: valid against FtM's schema, loads with the ftm CLI, markings hold."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from followthemoney import model
from sharefixtures import MERCHANT, STRICT_EMAIL, build_store

from vigil.share.facts import Scope
from vigil.share.ftm import write_ftm
from vigil.store import Store

Q4 = (date(2012, 10, 1), date(2013, 1, 1))


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("ftm") / "v.duckdb")


def export(db: Path, marking: str) -> bytes:
    buf = io.BytesIO()
    with Store(db, read_only=True) as store:
        write_ftm(store, Scope(*Q4, marking), buf)
    return buf.getvalue()


def entities(raw: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in raw.decode().splitlines()]


def test_every_entity_validates_against_its_schema_and_the_graph_is_right(db: Path) -> None:
    found = entities(export(db, "AMBER+STRICT"))
    for data in found:
        schema = model.get(data["schema"])
        assert schema is not None and schema.validate(data) is None, data
        model.get_proxy(data, cleaned=False)
    by_name = {e["properties"]["name"][0]: e for e in found if "name" in e["properties"]}
    assert by_name["brand B-1"]["properties"]["parent"] == [by_name["distributor D-1"]["id"]]
    assert by_name["brand B-3"]["properties"]["email"] == [STRICT_EMAIL]
    account = by_name[MERCHANT]
    assert account["schema"] == "BankAccount" and account["properties"]["accountNumber"] == ["M100"]
    owners = {e["properties"]["owner"][0] for e in found if e["schema"] == "Ownership"}
    assert owners == {by_name[f"brand B-{n}"]["id"] for n in (1, 2, 5)}
    payment = next(e for e in found if e["schema"] == "Payment")
    assert payment["properties"]["beneficiary"] == [by_name["brand B-1"]["id"]]
    assert payment["properties"]["beneficiaryAccount"] == [account["id"]]
    assert payment["properties"]["amount"] == ["29.95"] and payment["properties"]["currency"] == ["EUR"]


def test_markings_hold_and_re_export_is_identical(db: Path) -> None:
    green = export(db, "GREEN")
    assert green == export(db, "GREEN")
    text = green.decode()
    for secret in (STRICT_EMAIL, "brand B-5", "brand B-3", "distributor D-1", "AMBER", "Payment"):
        assert secret not in text, secret
    assert "brand B-1" in text and "TLP:GREEN" in text


def test_the_export_loads_with_the_ftm_cli(db: Path, tmp_path: Path) -> None:
    ftm = shutil.which("ftm") or str(Path(sys.executable).parent / "ftm")
    if not Path(ftm).exists():
        pytest.skip("the ftm command (followthemoney) is not installed")
    (tmp_path / "e.json").write_bytes(export(db, "AMBER+STRICT"))
    valid = subprocess.run([ftm, "validate", "-i", str(tmp_path / "e.json")], capture_output=True, text=True, check=True)
    merged = subprocess.run([ftm, "aggregate", "-i", str(tmp_path / "e.json")], capture_output=True, text=True, check=True)
    n = len((tmp_path / "e.json").read_text().splitlines())
    assert len(valid.stdout.splitlines()) == n and len(merged.stdout.splitlines()) == n  # every ID distinct
