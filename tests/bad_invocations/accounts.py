"""Bad invocations of the commands in ``src/vigil/cli/accounts.py`` (see ``__init__.py``):
organisations, accounts, API tokens, markings and the audit log."""

from __future__ import annotations

from bad_invocations import Case

_PASSWORD = "a long enough password"

CASES: list[Case] = [
    # orgs
    Case("orgs add", ("Not An ID!", "--name", "Some org", "--kind", "hotline", "--db", "{db}"), "organisation ID", covers=("ORG_ID",)),
    Case("orgs add", ("some-org", "--name", " ", "--kind", "hotline", "--db", "{db}"), "--name"),
    Case("orgs add", ("some-org", "--name", "Some org", "--kind", "pirate", "--db", "{db}"), "organisation kind"),
    # users
    Case("users add", ("Not A Name!", "--org", "hotline", "--role", "analyst", "--password", _PASSWORD, "--db", "{db}"), "user name", covers=("USERNAME",)),
    Case("users add", ("someone", "--org", "no-such-org", "--role", "analyst", "--password", _PASSWORD, "--db", "{db}"), "no organisation", covers=("--org",)),
    Case("users add", ("someone", "--org", "hotline", "--role", "king", "--password", _PASSWORD, "--db", "{db}"), "role 'king'", covers=("--role",)),
    Case("users add", ("someone", "--org", "hotline", "--role", "analyst", "--clearance", "PURPLE", "--password", _PASSWORD, "--db", "{db}"), "clearance 'PURPLE'", covers=("--clearance",)),
    Case("users add", ("someone", "--org", "hotline", "--role", "analyst", "--password", "short", "--db", "{db}"), "too short", covers=("--password",)),
    Case("users disable", ("nobody", "--db", "{db}"), "no user 'nobody'", covers=("USERNAME",)),
    Case("users reset", ("nobody", "--password", _PASSWORD, "--db", "{db}"), "no user 'nobody'", covers=("USERNAME",)),
    Case("users reset", ("nobody", "--password", "short", "--db", "{db}"), "too short", covers=("--password",)),
    # tokens
    Case("tokens create", ("nobody", "--scope", "search", "--db", "{db}"), "no user 'nobody'", covers=("USERNAME",)),
    Case("tokens create", ("nobody", "--scope", "fly", "--db", "{db}"), "token scopes", covers=("--scope",)),
    Case("tokens create", ("nobody", "--scope", "search", "--days", "0", "--db", "{db}"), "--days"),
    Case("tokens create", ("nobody", "--scope", "search", "--days", "367", "--db", "{db}"), "--days"),
    Case("tokens revoke", ("T-000000000000", "--db", "{db}"), "no API token", covers=("TOKEN_ID",)),
    # markings
    Case("markings set", (" ", "--tlp", "AMBER", "--org", "hotline", "--db", "{db}"), "'source': must not be blank", covers=("SOURCE",)),
    Case("markings set", ("src", "--tlp", "PURPLE", "--org", "hotline", "--db", "{db}"), "unknown TLP marking", covers=("--tlp",)),
    Case("markings set", ("src", "--tlp", "AMBER", "--org", "no-such-org", "--db", "{db}"), "no organisation", covers=("--org",)),
    Case("markings share", ("", "--org", "hotline", "--db", "{db}"), "'source': must not be blank", covers=("SOURCE",)),
    Case("markings share", ("src", "--org", "no-such-org", "--db", "{db}"), "no organisation", covers=("--org",)),
    Case("markings record", ("email", "k1", "--tlp", "AMBER", "--org", "hotline", "--db", "{db}"), "not 'email'", covers=("KIND",)),
    Case("markings record", ("report", " ", "--tlp", "AMBER", "--org", "hotline", "--db", "{db}"), "'key': must not be blank", covers=("KEY",)),
    Case("markings record", ("report", "k1", "--tlp", "PURPLE", "--org", "hotline", "--db", "{db}"), "unknown TLP marking", covers=("--tlp",)),
    Case("markings record", ("report", "k1", "--tlp", "AMBER", "--org", "no-such-org", "--db", "{db}"), "no organisation", covers=("--org",)),
    # audit
    Case("audit list", ("--limit", "0", "--db", "{db}"), "--limit"),
    Case("audit list", ("--limit", "-1", "--db", "{db}"), "--limit"),
    Case("audit verify", ("--head", "not-a-hash", "--db", "{db}"), "--head"),
    Case("audit verify", ("--head", "ab" * 32, "--db", "{db}"), "truncated", exit_code=1),
]

EXEMPT: dict[tuple[str, str], str] = {
    ("audit list", "--actor"): "a filter on free text: an actor that never acted matches no entry, which is an answer",
    ("audit list", "--action"): "a filter on free text: an action never logged matches no entry, which is an answer",
}

#: Arguments that get each command past its required options (for the ``--db`` rows the test makes).
VALID_ARGS: dict[str, tuple[str, ...]] = {
    "orgs add": ("some-org", "--name", "Some org", "--kind", "hotline"),
    "users add": ("someone", "--org", "hotline", "--role", "analyst", "--password", _PASSWORD),
    "users disable": ("someone",),
    "users reset": ("someone", "--password", _PASSWORD),
    "tokens create": ("someone", "--scope", "search"),
    "tokens revoke": ("T-000000000000",),
    "markings set": ("src", "--tlp", "AMBER", "--org", "hotline"),
    "markings share": ("src", "--org", "hotline"),
    "markings record": ("report", "k1", "--tlp", "AMBER", "--org", "hotline"),
}
