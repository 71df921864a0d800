"""Need-to-know: the one permission call, scoped reading (filter before aggregating), the audit chain."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vigil.access import Actor, Marking, audit, permission_allowed, scoped, verify_audit
from vigil.access.policy import ROLE_ACTIONS, marking_visible
from vigil.analyse.brands import brand_stats
from vigil.cli import app
from vigil.periods import Period
from vigil.publish.explain import explain_distributor
from vigil.store import Store
from webworld import SECRET_VALUES, SEES, USERS


def _actor(name: str) -> Actor:
    org, role, clearance = USERS[name]
    return Actor(f"U-{name}", name, org, role, clearance)


@pytest.mark.parametrize(
    "role, clearance, org, marking, seen",
    [
        ("analyst", "AMBER", "ops", Marking("GREEN", "x"), True),
        ("analyst", "GREEN", "ops", Marking("AMBER", "ops"), False),  # clearance below the marking
        ("analyst", "AMBER", "ops", Marking("AMBER", "x"), False),  # not the owner, not shared
        ("analyst", "AMBER", "ops", Marking("AMBER", "x", frozenset({"ops"})), True),
        ("analyst", "RED", "ops", Marking("AMBER+STRICT", "x", frozenset({"ops"})), False),  # strict: owner only
        ("analyst", "RED", "x", Marking("RED", "x"), True),
        ("analyst", "AMBER+STRICT", "x", Marking("RED", "x"), False),
        ("partner", "RED", "payco", Marking("CLEAR", "x"), False),  # confined to its own records
        ("partner", "AMBER", "payco", Marking("AMBER", "payco"), True),
        ("hotline", "AMBER", "h", Marking("GREEN", "h"), True),
        ("admin", "RED", "ops", Marking("RED", "x"), False),  # need-to-know binds admins too
    ],
)
def test_markings_decide_who_sees_a_record(role: str, clearance: str, org: str, marking: Marking, seen: bool) -> None:
    actor = Actor("U-1", "someone", org, role, clearance)
    assert marking_visible(actor, marking) is seen
    action = next(iter(sorted(ROLE_ACTIONS[role])))
    assert permission_allowed(actor, action, marking) is seen


def test_roles_grant_actions_and_token_scopes_narrow_them() -> None:
    assert permission_allowed(_actor("auditor"), "view_audit")
    assert not permission_allowed(_actor("auditor"), "search")
    assert not permission_allowed(_actor("hl"), "view_distributor")
    assert not permission_allowed(_actor("partner"), "submit_report")
    assert permission_allowed(_actor("analyst"), "judge")
    scoped_token = Actor("U-a", "analyst", "ops", "analyst", "AMBER", frozenset({"search"}))
    assert permission_allowed(scoped_token, "search") and not permission_allowed(scoped_token, "view_brand")
    assert not permission_allowed(None, "search") and not permission_allowed(_actor("admin"), "no_such_action")


@pytest.mark.parametrize("name", sorted(USERS))
def test_scoped_tables_hold_only_visible_sources(marked_world: dict[str, Any], name: str) -> None:
    with Store(marked_world["db"], read_only=True) as store, scoped(store, _actor(name)) as view:
        sources = {r[0] for r in view.con.execute("SELECT source FROM reports UNION SELECT source FROM captures").fetchall()}
        values = {r[0] for r in view.con.execute("SELECT value FROM page_identifiers").fetchall()}
        hosts = {r[0] for r in view.con.execute("SELECT host FROM hosts").fetchall()}
    assert sources == SEES[name]
    assert "stray.invalid" not in hosts
    secret_seen = any(v.lower() in {x.lower() for x in values} for v in SECRET_VALUES)
    assert secret_seen is (name == "detective")


def test_counts_are_taken_after_filtering(marked_world: dict[str, Any]) -> None:
    brand = marked_world["marked_brand"]
    with Store(marked_world["db"], read_only=True) as store:
        whole = store.con.execute("SELECT captures FROM brands WHERE brand_id = ?", [brand]).fetchone()[0]
        with scoped(store, _actor("analyst")) as view:
            seen = view.con.execute("SELECT captures FROM brands WHERE brand_id = ?", [brand]).fetchone()[0]
            evidence = view.con.execute("SELECT evidence FROM brands WHERE brand_id = ?", [brand]).fetchone()[0]
            assert not view.brand_complete(brand)
            distributors = view.con.execute("SELECT count(*) FROM distributors").fetchone()[0]
            stats = brand_stats(view.engine, Period.parse("2012"))
            lines = explain_distributor(view, marked_world["distributor"]["op-a"])
        with scoped(store, _actor("detective")) as view:
            assert view.con.execute("SELECT count(*) FROM distributors").fetchone()[0] == 3
    assert (whole, seen, evidence) == (10, 9, None)
    assert distributors == 2  # op-c's distributor is the police's alone
    assert not any(v in str(stats) for v in SECRET_VALUES)
    assert not any(v in line for line in lines for v in SECRET_VALUES)


def test_audit_verify_names_edited_deleted_and_reordered_entries(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    with Store(db) as store:
        for i in range(6):
            audit(store.con, "cli:test", "read", f"thing-{i}", n=i)
        assert verify_audit(store.con) == []
    runner = CliRunner()
    assert runner.invoke(app, ["audit", "verify", "--db", str(db)]).exit_code == 0
    for tamper, expected in (
        ("UPDATE audit_log SET resource = 'other' WHERE seq = 2", "entry 2: edited"),
        ("DELETE FROM audit_log WHERE seq = 3", "entry 3: deleted"),
        ("UPDATE audit_log SET seq = CASE seq WHEN 4 THEN 5 ELSE 4 END WHERE seq IN (4, 5)", "entry 4: reordered"),
    ):
        copy = tmp_path / f"t{len(expected)}.duckdb"
        shutil.copy(db, copy)
        with Store(copy) as store:
            store.con.execute(tamper)
        got = runner.invoke(app, ["audit", "verify", "--db", str(copy)])
        assert got.exit_code == 1 and expected in got.output, got.output
    with Store(db) as store:
        head = store.con.execute("SELECT entry_hash FROM audit_log WHERE seq = 6").fetchone()[0]
        store.con.execute("DELETE FROM audit_log WHERE seq = 6")
    got = runner.invoke(app, ["audit", "verify", "--db", str(db), "--head", head])
    assert got.exit_code == 1 and "truncated" in got.output


def test_accounts_on_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "u.duckdb")
    runner = CliRunner()
    assert runner.invoke(app, ["orgs", "add", "hotline-x", "--name", "Hotline X", "--kind", "hotline", "--db", db]).exit_code == 0
    ok = runner.invoke(app, ["users", "add", "ana", "--org", "hotline-x", "--role", "hotline", "--password", "long enough pw", "--db", db])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["users", "add", "bob", "--org", "nowhere", "--role", "hotline", "--password", "long enough pw", "--db", db])
    assert bad.exit_code == 2 and "no organisation 'nowhere'" in bad.output
    token = runner.invoke(app, ["tokens", "create", "ana", "--scope", "search", "--days", "3", "--db", db])
    assert token.exit_code == 0 and "vgl_" in token.output
    listed = runner.invoke(app, ["users", "list", "--db", db]).output + runner.invoke(app, ["tokens", "list", "--db", db]).output
    assert "ana" in listed and "vgl_" not in listed
    with Store(db) as store:
        stored = store.con.execute("SELECT password_hash FROM users").fetchone()[0]
        from vigil.accounts import authenticate, token_actor

        assert stored.startswith("$argon2id$") and "long enough" not in stored
        assert authenticate(store.con, "ana", "long enough pw") is not None
        assert authenticate(store.con, "ana", "wrong password") is None
        secret = token.output.strip().splitlines()[-1]
        assert token_actor(store.con, secret) is not None and token_actor(store.con, secret).scopes == frozenset({"search"})
    assert runner.invoke(app, ["users", "disable", "ana", "--db", db]).exit_code == 0
    with Store(db) as store:
        assert authenticate(store.con, "ana", "long enough pw") is None and token_actor(store.con, secret) is None
    log = runner.invoke(app, ["audit", "list", "--json", "--db", db]).output
    assert "user.add" in log and "token.create" in log and "user.disable" in log
