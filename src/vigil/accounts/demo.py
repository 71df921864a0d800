"""Demo accounts and markings for ``vigil serve --demo``: one account per role, passwords printed once.

The demo store's sources are marked so need-to-know shows: the first source (by name) is
TLP:RED, owned by a police organisation; every other source TLP:GREEN, owned by a hotline.
Running it again gives the accounts new passwords (the old ones stop working).
"""

from __future__ import annotations

import secrets
from typing import Any, Final

from vigil.access.markings import mark_source, marking_list
from vigil.accounts.users import add_org, add_user, reset_password

DEMO_ORGS: Final = {
    "demo-ops": ("Demo coordination centre", "operator"),
    "demo-hotline": ("Demo hotline", "hotline"),
    "demo-police": ("Demo police unit", "law_enforcement"),
    "demo-payco": ("Demo payment provider", "payment_provider"),
}
#: username -> (organisation, role, clearance)
DEMO_USERS: Final = {
    "admin": ("demo-ops", "admin", "RED"),
    "analyst": ("demo-ops", "analyst", "AMBER"),
    "hotline": ("demo-hotline", "hotline", "AMBER"),
    "partner": ("demo-payco", "partner", "AMBER"),
    "auditor": ("demo-ops", "auditor", "GREEN"),
    "detective": ("demo-police", "analyst", "RED"),
}


def setup_demo(con: Any) -> list[dict[str, str]]:
    """Create (or refresh) the demo organisations, accounts and markings; returns the accounts with passwords."""
    known_orgs = {r[0] for r in con.execute("SELECT org_id FROM organisations").fetchall()}
    for org_id, (name, kind) in DEMO_ORGS.items():
        if org_id not in known_orgs:
            add_org(con, org_id, name=name, kind=kind)
    sources = [row["source"] for row in marking_list(con)]
    for i, source in enumerate(sources):
        if i == 0 and len(sources) > 1:
            mark_source(con, source, tlp="RED", org_id="demo-police", by="vigil serve --demo")
        else:
            mark_source(con, source, tlp="GREEN", org_id="demo-hotline", by="vigil serve --demo")
    known_users = {r[0] for r in con.execute("SELECT username FROM users").fetchall()}
    accounts = []
    for username, (org_id, role, clearance) in DEMO_USERS.items():
        password = secrets.token_urlsafe(12)
        if username in known_users:
            reset_password(con, username, password)
        else:
            add_user(con, username, org_id=org_id, role=role, password=password, clearance=clearance)
        accounts.append({"username": username, "password": password, "role": role, "org": org_id, "clearance": clearance})
    return accounts
