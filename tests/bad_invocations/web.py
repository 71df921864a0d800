"""Bad invocations of ``vigil serve`` (``src/vigil/cli/web.py``; see ``__init__.py``).

Every row here must fail before the server starts (and before the store is opened)."""

from __future__ import annotations

from bad_invocations import Case

CASES: list[Case] = [
    Case("serve", ("--port", "70000", "--db", "{db}"), "--port"),
    Case("serve", ("--port", "-1", "--db", "{db}"), "--port"),
    Case("serve", ("--host", "not a host!", "--db", "{db}"), "--host"),
    Case("serve", ("--host", "", "--db", "{db}"), "--host"),
    Case("serve", ("--processors", "{missing}", "--db", "{db}"), "cannot read processors file"),
    Case("serve", ("--processors", "{bad_toml}", "--db", "{db}"), "bad.toml: not valid TOML"),
    Case("serve", ("--demo", "--out", "{file}/demo", "--db", "{tmp}/d.duckdb"), "is a file, not a folder", covers=("--out",), no_output=("{tmp}/d.duckdb",)),
]
