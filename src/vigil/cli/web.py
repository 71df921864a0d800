"""``vigil serve``: the analysts' workbench on the store (thin adapter)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from vigil.cli.core import (
    DbOption,
    ProcessorsOption,
    app,
    env_paths,
    err,
    errors,
    open_duck,
    out,
)
from vigil.defaults import STORE_PATH
from vigil.store.status import table_rows


def _host(value: str) -> str:
    """An option callback: an IP address or a host name (checked before the store is opened)."""
    import ipaddress

    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if not re.fullmatch(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?", value):
        raise typer.BadParameter(f"{value[:80]!r} is not an IP address or a host name")
    return value


@app.command()
def serve(
    db: DbOption = STORE_PATH,
    host: Annotated[str, typer.Option(callback=_host, help="Address to listen on (loopback by default; put a TLS proxy in front for more).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    demo: Annotated[bool, typer.Option("--demo", help="Build the demo store as `vigil demo` does (when --db holds none yet), mark its sources and create one account per role, printed once.")] = False,
    out_dir: Annotated[Path, typer.Option("--out", help="With --demo: where the demo world and tables go.")] = Path("vigil-out"),
    insecure_cookies: Annotated[bool, typer.Option("--insecure-cookies", help="Send the session cookie without the Secure flag (plain HTTP on a name browsers do not trust).")] = False,
    processors: ProcessorsOption = None,
) -> None:
    """The web application: search, entity, brand and distributor pages, dashboards, submissions; JSON at /api/v1."""
    import uvicorn

    from vigil.web import create_app

    with errors():
        from vigil.attribute.processors import Processors

        files = env_paths("VIGIL_PROCESSORS", processors)
        Processors.load(files)  # a bad processors file stops here, before the store is opened
        if demo:
            _demo_store(db, out_dir)
            if not files and (out_dir / "world" / "processors.toml").exists():
                files = [out_dir / "world" / "processors.toml"]  # the demo world's own, as `vigil demo` gives it
        store = open_duck(db, what="the web application runs")
        if demo:
            from vigil.access.audit import audit
            from vigil.accounts.demo import setup_demo

            accounts = setup_demo(store.con)
            audit(store.con, "cli:serve", "demo.accounts", str(db), users=[a["username"] for a in accounts])
            out.print("demo accounts (shown once; `vigil serve --demo` again gives new passwords):")
            for a in accounts:
                out.print(f"  {a['username']:<10} {a['password']}  {a['role']} of {a['org']}, TLP:{a['clearance']}", highlight=False)
        application = create_app(db, secure_cookies=not insecure_cookies, store=store, processors=files)
    out.print(f"Vigil on http://{host}:{port}/  (API description at /api/v1/openapi.json; Ctrl-C stops)", highlight=False)
    uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False)


def _demo_store(db: Path, out_dir: Path) -> None:
    from vigil.cli.core import demo as demo_cmd

    if db.exists():
        with open_duck(db, read_only=True, what="the web application runs") as store:
            ready = table_rows(store, "brands")
        if ready:
            err.print(f"using the demo store already in {db}")
            return
    demo_cmd(out_dir=out_dir, db=db, seed=2012, period="2012Q4")
