"""Need-to-know: the one permission call, scoped reading (filter before aggregating), the audit chain."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from vigil.access import Actor, Marking, audit, marking_list, permission_allowed, scoped, verify_audit
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


# ---------------------------------------------------------------------------------------------
# Every table has a rule: market, disruption, sharing and attribution tables on a scoped store.
# ---------------------------------------------------------------------------------------------

#: captures of the marked world: op-a's (hotline-a, GREEN), op-b's (hotline-a), op-c's (police, RED)
GREEN_CAPTURE, HL_CAPTURE, RED_CAPTURE = "op-a-11-0", "op-b-22-0", "op-c-31-0"
CASE_ONLY_URL = "http://case-only.example/"
IMPORTED = {"IMP-AMBER": ("http://imported-amber.example/", "AMBER"), "IMP-GREEN": ("http://imported-green.example/", "GREEN")}


def _expected(**seen: set[str]) -> dict[str, set[str]]:
    return {name: seen.get(name, set()) for name in USERS}


#: table -> (SQL of one key per row, who sees which keys): the fixture's truth, written by hand
SCOPE_TRUTH: dict[str, tuple[str, dict[str, set[str]]]] = {
    # a case's own marking (and owner) and the evidence of its URL decide; shares are per source, not per case
    "takedown_cases": ("SELECT registrar FROM takedown_cases", _expected(
        admin={"Registrar Green"}, analyst={"Registrar Green"}, hl={"Registrar Hotline"}, partner={"Registrar Payco"},
        detective={"Registrar Green", "Registrar Police Evidence", "Registrar Case Only"})),
    "takedown_events": ("SELECT detail FROM takedown_events", _expected(
        admin={"green"}, analyst={"green"}, hl={"hotline"}, partner={"payco"}, detective={"green", "police", "case-only"})),
    # notices: admins and analysts, only when every URL named is a case they see
    "notices": ("SELECT notice_id FROM notices", _expected(
        admin={"N-green"}, analyst={"N-green"}, detective={"N-green", "N-mixed"})),
    "partner_outcomes": ("SELECT outcome FROM partner_outcomes", _expected(
        admin={"removed-green"}, analyst={"removed-green"}, detective={"removed-green", "removed-police"})),
    "contact_status": ("SELECT address FROM contact_status", _expected(
        admin={"abuse@host.example"}, analyst={"abuse@host.example"}, detective={"abuse@host.example"})),
    "feed_deliveries": ("SELECT feed FROM feed_deliveries", _expected(admin={"url-list"}, auditor={"url-list"})),
    # market: by the captures holding the page, the reports and captures of the URL
    "page_offers": ("SELECT CAST(amount AS VARCHAR) FROM page_offers WHERE span_start = 4242", _expected(
        admin={"10.0"}, analyst={"10.0"}, hl={"10.0"}, detective={"10.0", "99.0"})),
    "capture_offers": ("SELECT CAST(amount AS VARCHAR) FROM capture_offers WHERE span_start = 4242", _expected(
        admin={"10.0"}, analyst={"10.0"}, hl={"10.0"}, detective={"10.0", "99.0"})),
    "page_channel_signals": ("SELECT signal FROM page_channel_signals WHERE signal LIKE 'sig-%'", _expected(
        admin={"sig-green"}, analyst={"sig-green"}, hl={"sig-green"}, detective={"sig-green", "sig-red"})),
    "market_pages": ("SELECT CAST(version AS VARCHAR) FROM market_pages WHERE version > 900", _expected(
        admin={"901"}, analyst={"901"}, hl={"901"}, detective={"901", "903"})),
    "url_channels": ("SELECT reason FROM url_channels WHERE reason IN ('green', 'police', 'stray')", _expected(
        admin={"green"}, analyst={"green"}, hl={"green"}, detective={"green", "police"})),
    # sharing: an imported report needs the stricter of its object's and its source's marking
    "reports": ("SELECT report_key FROM reports WHERE report_key LIKE 'IMP-%'", _expected(
        admin={"IMP-GREEN"}, analyst={"IMP-GREEN"}, hl={"IMP-AMBER", "IMP-GREEN"}, detective={"IMP-GREEN"})),
    "report_markings": ("SELECT report_key FROM report_markings", _expected(
        admin={"IMP-GREEN"}, analyst={"IMP-GREEN"}, hl={"IMP-AMBER", "IMP-GREEN"}, detective={"IMP-GREEN"})),
    "shared_objects": ("SELECT object_id FROM shared_objects", _expected(
        admin={"obj-green"}, analyst={"obj-green"}, hl={"obj-amber", "obj-green"}, detective={"obj-green"})),
    "share_source_markings": ("SELECT source FROM share_source_markings", _expected(
        admin={"hotline-a", "police", "payco-feed"}, analyst={"hotline-a", "payco-feed"}, hl={"hotline-a"},
        partner={"payco-feed"}, detective={"hotline-a", "police"})),
    "partner_keys": ("SELECT key_id FROM partner_keys", _expected()),  # secrets: nobody, admins neither
    "match_runs": ("SELECT run_id FROM match_runs", _expected(admin={"run-1"}, auditor={"run-1"})),
    # accounts and markings
    "organisations": ("SELECT org_id FROM organisations", _expected(
        admin={"ops", "hotline-a", "police", "payco"}, analyst={"ops"}, auditor={"ops"}, hl={"hotline-a"},
        partner={"payco"}, detective={"police"})),
    "source_shares": ("SELECT source || '>' || org_id FROM source_shares", _expected(
        admin={"payco-feed>ops"}, analyst={"payco-feed>ops"})),
    "not_in_any_migration": ("SELECT x FROM not_in_any_migration", _expected()),  # deny by default
    "attribution_state": ("SELECT name FROM attribution_state WHERE name = 'captures'", _expected(admin={"captures"})),
}


@pytest.fixture(scope="module")
def scope_world(marked_world: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The marked world with known rows in the market, disruption and sharing tables."""
    db = tmp_path_factory.mktemp("scope") / "scope.duckdb"
    shutil.copy(marked_world["db"], db)
    with Store(db) as store:
        con = store.con

        def capture(capture_id: str) -> tuple[str, str]:
            return con.execute("SELECT url, page_sha256 FROM captures WHERE capture_id = ?", [capture_id]).fetchone()

        (green_url, green_page), (hl_url, _), (red_url, red_page) = map(capture, (GREEN_CAPTURE, HL_CAPTURE, RED_CAPTURE))
        payco_url = con.execute("SELECT url FROM reports WHERE report_id = 'P-1'").fetchone()[0]
        stray_url = con.execute("SELECT url FROM reports WHERE report_id = 'S-1'").fetchone()[0]
        con.execute("INSERT OR REPLACE INTO market_pages VALUES (?, 901), (?, 903)", [green_page, red_page])
        con.execute("INSERT INTO page_offers VALUES (?, 1, 'subscription', 30, 10.0, 'EUR', 4242, 5), (?, 1, 'subscription', 30, 99.0, 'EUR', 4242, 5)",
                    [green_page, red_page])  # fmt: skip
        con.execute("INSERT INTO page_channel_signals VALUES (?, 'forum', 'sig-green', 0, 1), (?, 'forum', 'sig-red', 0, 1)",
                    [green_page, red_page])  # fmt: skip
        con.execute("""INSERT OR REPLACE INTO url_channels VALUES (?, 'web', 'rule', NULL, 'green'), (?, 'web', 'rule', NULL, 'police'),
                       (?, 'web', 'rule', NULL, 'stray')""", [green_url, red_url, stray_url])  # fmt: skip
        cases = [  # url, marking, owner, registrar, event detail
            (green_url, "TLP:GREEN", "ops", "Registrar Green", "green"),
            (red_url, "TLP:GREEN", "ops", "Registrar Police Evidence", "police"),  # evidence only the police sees
            (CASE_ONLY_URL, "TLP:AMBER", "police", "Registrar Case Only", "case-only"),  # no evidence: its marking decides
            (hl_url, "TLP:AMBER", "hotline-a", "Registrar Hotline", "hotline"),
            (payco_url, "TLP:AMBER", "payco", "Registrar Payco", "payco"),
            (stray_url, "TLP:GREEN", "ops", "Registrar Stray", "stray"),  # unmarked evidence: no one
        ]
        for url, marking, owner, registrar, detail in cases:
            con.execute("""INSERT INTO takedown_cases (url, host, registrar, hosting_org, owner_org, marking, source)
                           VALUES (?, ?, ?, ?, ?, ?, 'store')""", [url, url.split("/")[2], registrar, f"Host of {detail}", owner, marking])
            con.execute("INSERT INTO takedown_events VALUES (?, ?, 'notice_sent', TIMESTAMP '2012-06-01 10:00:00', 'test', 'abuse@host.example', ?)",
                        [f"e-{detail}", url, detail])  # fmt: skip
            con.execute("INSERT INTO takedown_events VALUES (?, ?, 'offline', TIMESTAMP '2012-06-02 10:00:00', 'test', NULL, ?)",
                        [f"o-{detail}", url, detail])  # fmt: skip
        for notice_id, urls in (("N-green", [green_url]), ("N-mixed", [green_url, red_url]), ("N-hl", [hl_url])):
            con.execute("""INSERT INTO notices VALUES (?, 'Host', 'host', 'abuse@host.example', 'b', ?, 'TLP:AMBER', 1,
                           TIMESTAMP '2012-06-01 10:00:00', 'dry-run', 'm')""", [notice_id, urls])  # fmt: skip
        con.execute("INSERT INTO partner_outcomes VALUES ('payco', ?, 'removed-green', TIMESTAMP '2012-06-03', 'f', 1), "
                    "('payco', ?, 'removed-police', TIMESTAMP '2012-06-03', 'f', 2)", [green_url, red_url])  # fmt: skip
        con.execute("INSERT INTO contact_status VALUES ('abuse@host.example', 'bounced', 'r', 'f', TIMESTAMP '2012-06-04')")
        con.execute("INSERT INTO feed_deliveries VALUES ('url-list', 'payco', 'TLP:AMBER', 1, 'p', 's', TIMESTAMP '2012-06-04')")
        con.execute("INSERT INTO partner_keys VALUES ('k-1', 'payco', 'not-a-real-secret', TIMESTAMP '2012-06-04', NULL, NULL)")
        con.execute("INSERT INTO match_runs VALUES ('run-1', 1, 'payco', 'k-1', NULL, 3, 1, 'AMBER', 'ok', TIMESTAMP '2012-06-04', 'a', 'b')")
        template = con.execute("SELECT report_key FROM reports WHERE source = 'hotline-a' ORDER BY report_key LIMIT 1").fetchone()[0]
        for key, (url, marking) in IMPORTED.items():
            con.execute("""INSERT INTO reports SELECT * REPLACE (? AS report_key, ? AS report_id, ? AS url, ? AS url_original,
                               ? AS host, 'imp-sha' AS file_sha256) FROM reports WHERE report_key = ?""",
                        [key, key, url, url, url.split("/")[2], template])  # fmt: skip
            obj = "obj-" + marking.lower()
            con.execute("INSERT INTO report_markings VALUES (?, ?, NULL, ?, 'bx')", [key, marking, obj])
            con.execute("INSERT INTO shared_objects VALUES (?, 'stix', 'url', ?, NULL, '{}', 'f', 1, 'imp-sha', 'bx', TIMESTAMP '2012-06-04')",
                        [obj, marking])  # fmt: skip
        con.execute("INSERT INTO shared_objects VALUES ('obj-orphan', 'stix', 'indicator', 'CLEAR', NULL, '{}', 'f', 2, 'imp-sha', 'bx', "
                    "TIMESTAMP '2012-06-04')")  # an object that made no report: read with the CLI only
        con.execute("CREATE TABLE not_in_any_migration (x VARCHAR)")
        con.execute("INSERT INTO not_in_any_migration VALUES ('leak')")
        con.execute("INSERT OR REPLACE INTO attribution_state VALUES ('captures', '999')")
    return {**marked_world, "db": db}


def test_every_table_of_the_migrations_has_a_scope_rule() -> None:
    """A migration's new table or view without a rule in vigil/access/rules.py fails here."""
    import duckdb

    from vigil.access.rules import ruled_tables

    con = duckdb.connect(":memory:")
    Store._migrate_on(con)
    names = {r[0] for r in con.execute("""SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'
        UNION SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal""").fetchall()}  # fmt: skip
    con.close()
    assert {"takedown_cases", "page_offers", "partner_keys", "attribution_bands", "capture_offers"} <= names  # the catalogue is read
    assert names - ruled_tables() == set(), f"tables without a need-to-know rule: {sorted(names - ruled_tables())}"


@pytest.mark.parametrize("name", sorted(USERS))
def test_every_table_holds_only_what_its_rule_allows(scope_world: dict[str, Any], name: str) -> None:
    got: dict[str, set[str]] = {}
    with Store(scope_world["db"], read_only=True) as store, scoped(store, _actor(name)) as view:
        for table, (sql, _) in SCOPE_TRUTH.items():
            got[table] = {str(r[0]) for r in view.con.execute(sql).fetchall()}
    assert got == {table: truth[name] for table, (_, truth) in SCOPE_TRUTH.items()}


def test_the_takedown_section_counts_only_cases_the_reader_sees(scope_world: dict[str, Any]) -> None:
    """The report library's takedown league tables run on the scoped store."""
    from vigil.publish.report_takedown import takedown_report_stats

    groups = {}
    with Store(scope_world["db"], read_only=True) as store:
        for name in ("analyst", "detective"):
            with scoped(store, _actor(name)) as view:
                stats = takedown_report_stats(view, Period.parse("2012"))
                groups[name] = {r["group"] for r in stats["registrar"]["rows"]}
    assert groups == {"analyst": {"Registrar Green"},
                      "detective": {"Registrar Green", "Registrar Police Evidence", "Registrar Case Only"}}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# One table of source markings: the workbench's and sharing's commands read and write the same.
# ---------------------------------------------------------------------------------------------


def test_sharing_and_the_workbench_share_one_table_of_source_markings(tmp_path: Path) -> None:
    import json

    from sharefixtures import GREEN_URLS, STRICT_URL, build_store

    from vigil.share.facts import Facts, Scope

    db = build_store(tmp_path / "s.duckdb")  # vigil share mark-source: HL-G GREEN, HL-S AMBER+STRICT, no owner
    runner = CliRunner()
    listed = json.loads(runner.invoke(app, ["share", "markings", "--db", str(db)]).output)
    assert [(r["source"], r["marking"], r["organisation"]) for r in listed] == [("HL-G", "GREEN", None), ("HL-S", "AMBER+STRICT", None)]
    assert set(listed[0]) == {"source", "marking", "organisation", "reports", "captures"}  # the JSON keys stay
    with Store(db, read_only=True) as store:
        workbench = marking_list(store.con)  # what `vigil markings list` prints
    assert {(r["source"], r["tlp"]) for r in workbench} == {("HL-G", "GREEN"), ("HL-S", "AMBER+STRICT")}
    reader = Actor("U-r", "reader", "ops", "analyst", "RED")
    with Store(db, read_only=True) as store, scoped(store, reader) as view:
        urls = {r[0] for r in view.con.execute("SELECT url FROM reports").fetchall()}
    assert urls == set(GREEN_URLS)  # GREEN: anyone; AMBER+STRICT with no owner: no one

    with Store(db) as store:
        from vigil.accounts import add_org

        add_org(store.con, "ops", name="Ops", kind="operator")
    got = runner.invoke(app, ["markings", "set", "HL-G", "--tlp", "RED", "--org", "ops", "--db", str(db)])
    assert got.exit_code == 0, got.output
    listed = json.loads(runner.invoke(app, ["share", "markings", "--db", str(db)]).output)
    assert (listed[0]["source"], listed[0]["marking"], listed[0]["organisation"]) == ("HL-G", "RED", "ops")
    with Store(db) as store:
        p = Period.parse("2012Q4")
        exported = {r["url"] for r in Facts(store, Scope(p.start, p.end, "AMBER+STRICT")).urls()}
    assert exported == {STRICT_URL}  # the workbench's RED now keeps HL-G out of every export below RED
    got = runner.invoke(app, ["share", "mark-source", "HL-G", "--marking", "GREEN", "--db", str(db)])
    assert got.exit_code == 0 and "HL-G: TLP:GREEN" in got.output
    with Store(db, read_only=True) as store:  # the level changes, the owner stays
        assert store.con.execute("SELECT tlp, org_id FROM source_markings WHERE source = 'HL-G'").fetchall() == [("GREEN", "ops")]


def test_migration_12_folds_sharing_markings_into_the_workbench_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import vigil.store.store as module
    from vigil.store.migrations import MIGRATIONS

    db = tmp_path / "old.duckdb"
    monkeypatch.setattr(module, "MIGRATIONS", MIGRATIONS[:11])
    with Store(db) as store:
        assert store.version() == 11
        store.con.execute("""INSERT INTO source_markings VALUES ('both-a', 'GREEN', 'org-1', 'admin', TIMESTAMP '2012-01-01'),
            ('both-b', 'RED', 'org-2', 'admin', TIMESTAMP '2012-01-01')""")  # fmt: skip
        store.con.execute("""INSERT INTO share_source_markings VALUES ('both-a', 'AMBER', NULL, TIMESTAMP '2012-02-01'),
            ('both-b', 'CLEAR', 'org-9', TIMESTAMP '2012-02-01'), ('share-only', 'AMBER+STRICT', 'partner-x', TIMESTAMP '2012-02-01'),
            ('share-no-owner', 'CLEAR', NULL, TIMESTAMP '2012-02-01')""")  # fmt: skip
    monkeypatch.setattr(module, "MIGRATIONS", MIGRATIONS)
    with Store(db) as store:
        rows = store.con.execute("SELECT source, tlp, org_id FROM source_markings ORDER BY source").fetchall()
        view = store.con.execute("SELECT source, marking, organisation FROM share_source_markings ORDER BY source").fetchall()
    assert rows == [("both-a", "AMBER", "org-1"), ("both-b", "RED", "org-2"),  # the stricter level, the workbench's owner
                    ("share-no-owner", "CLEAR", "-"), ("share-only", "AMBER+STRICT", "partner-x")]  # fmt: skip
    assert view == [("both-a", "AMBER", "org-1"), ("both-b", "RED", "org-2"), ("share-no-owner", "CLEAR", None),
                    ("share-only", "AMBER+STRICT", "partner-x")]  # fmt: skip
