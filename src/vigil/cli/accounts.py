"""Commands for accounts, organisations, API tokens, markings and the audit log (thin adapters)."""

from __future__ import annotations

import getpass
import json
import re
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.table import Table
from rich.text import Text

from vigil.cli.core import DbOption, app, check_nonblank, err, errors, open_duck, out
from vigil.defaults import STORE_PATH

_ACCOUNTS = "accounts, markings and the audit log live"  # on the DuckDB store only

users_app = typer.Typer(help="Accounts of the web application (vigil serve).", no_args_is_help=True)
orgs_app = typer.Typer(help="Organisations: who owns records and who accounts work for.", no_args_is_help=True)
tokens_app = typer.Typer(help="Scoped API tokens with an expiry, for automation.", no_args_is_help=True)
markings_app = typer.Typer(help="TLP markings and owners of sources and records (need-to-know).", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log: list, verify, head.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(orgs_app, name="orgs")
app.add_typer(tokens_app, name="tokens")
app.add_typer(markings_app, name="markings")
app.add_typer(audit_app, name="audit")

PasswordOption = Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                             help="The password (prompted when not given; at least 10 characters).")]  # fmt: skip


def _who() -> str:
    return f"cli:{getpass.getuser()}"


def _table(rows: list[dict[str, Any]], title: str) -> None:
    if not rows:
        out.print(f"{title}: none")
        return
    table = Table(*rows[0].keys(), title=title, title_justify="left")
    for row in rows:
        table.add_row(*(Text("" if v is None else str(v)) for v in row.values()))
    out.print(table)


def _write(db: Path, action: str, resource: str, fn: Any, **detail: Any) -> Any:
    from vigil.access.audit import audit

    with open_duck(db, what=_ACCOUNTS) as store:
        result = fn(store.con)
        audit(store.con, _who(), action, resource, **detail)
        return result


@orgs_app.command("add")
def orgs_add(
    org_id: Annotated[str, typer.Argument(help="Short ID, e.g. hotline-nl.")],
    name: Annotated[str, typer.Option(callback=check_nonblank, help="Display name.")],
    kind: Annotated[str, typer.Option(help="hotline, law_enforcement, payment_provider, hosting_provider, registrar or operator.")],
    db: DbOption = STORE_PATH,
) -> None:
    """Add an organisation."""
    from vigil.accounts import add_org

    with errors():
        _write(db, "org.add", org_id, lambda con: add_org(con, org_id, name=name, kind=kind), kind=kind)
        out.print(f"added organisation {org_id}")


@orgs_app.command("list")
def orgs_list(db: DbOption = STORE_PATH) -> None:
    """List organisations."""
    from vigil.accounts import list_orgs

    with errors(), open_duck(db, read_only=True, what=_ACCOUNTS) as store:
        _table(list_orgs(store.con), "organisations")


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    org: Annotated[str, typer.Option(help="The user's organisation ID.")],
    role: Annotated[str, typer.Option(help="admin, analyst, hotline, partner or auditor.")],
    password: PasswordOption,
    clearance: Annotated[str, typer.Option(help="Highest TLP marking the user may see: CLEAR, GREEN, AMBER, AMBER+STRICT or RED.")] = "AMBER",
    db: DbOption = STORE_PATH,
) -> None:
    """Add an account (its password stored as an Argon2id hash)."""
    from vigil.accounts import add_user

    with errors():
        user_id = _write(db, "user.add", username,
                         lambda con: add_user(con, username, org_id=org, role=role, password=password, clearance=clearance),
                         org=org, role=role, clearance=clearance)  # fmt: skip
        out.print(f"added user {username} ({user_id}), {role} of {org}, cleared for TLP:{clearance.upper()}")


@users_app.command("list")
def users_list(db: DbOption = STORE_PATH) -> None:
    """List accounts."""
    from vigil.accounts import list_users

    with errors(), open_duck(db, read_only=True, what=_ACCOUNTS) as store:
        _table(list_users(store.con), "users")


@users_app.command("disable")
def users_disable(username: Annotated[str, typer.Argument(help="Login name.")], db: DbOption = STORE_PATH) -> None:
    """Disable an account; its sessions end and its API tokens are revoked."""
    from vigil.accounts import disable_user

    with errors():
        _write(db, "user.disable", username, lambda con: disable_user(con, username))
        out.print(f"disabled {username}")


@users_app.command("reset")
def users_reset(username: Annotated[str, typer.Argument(help="Login name.")], password: PasswordOption,
                db: DbOption = STORE_PATH) -> None:  # fmt: skip
    """Set a new password (enables the account again; its sessions end)."""
    from vigil.accounts import reset_password

    with errors():
        _write(db, "user.reset", username, lambda con: reset_password(con, username, password))
        out.print(f"reset the password of {username}")


@tokens_app.command("create")
def tokens_create(
    username: Annotated[str, typer.Argument(help="The account the token acts for.")],
    scope: Annotated[list[str], typer.Option("--scope", help="An action the token may do (repeatable), e.g. search, view_entity.")],
    days: Annotated[int, typer.Option(min=1, max=366, help="Days until it expires (1-366).")] = 30,
    db: DbOption = STORE_PATH,
) -> None:
    """Create a scoped API token (printed once; only its hash is kept). Send it as `Authorization: Bearer …`."""
    from vigil.accounts import create_token

    with errors():
        token_id, token, expires = _write(db, "token.create", username,
                                          lambda con: create_token(con, username, scopes=scope, days=days), scopes=scope)  # fmt: skip
        out.print(f"token {token_id} for {username}, expires {expires:%Y-%m-%d %H:%M} UTC (shown once):")
        sys.stdout.write(token + "\n")


@tokens_app.command("list")
def tokens_list(db: DbOption = STORE_PATH) -> None:
    """List API tokens (never the tokens themselves)."""
    from vigil.accounts import list_tokens

    with errors(), open_duck(db, read_only=True, what=_ACCOUNTS) as store:
        _table(list_tokens(store.con), "API tokens")


@tokens_app.command("revoke")
def tokens_revoke(token_id: Annotated[str, typer.Argument(help="Token ID, e.g. T-1a2b3c4d5e6f.")], db: DbOption = STORE_PATH) -> None:
    """Revoke an API token."""
    from vigil.accounts import revoke_token

    with errors():
        _write(db, "token.revoke", token_id, lambda con: revoke_token(con, token_id))
        out.print(f"revoked {token_id}")


@markings_app.command("set")
def markings_set(
    source: Annotated[str, typer.Argument(callback=check_nonblank, help="A source code (as in reports and captures).")],
    tlp: Annotated[str, typer.Option(help="CLEAR, GREEN, AMBER, AMBER+STRICT or RED.")],
    org: Annotated[str, typer.Option(help="The organisation that owns the source's records.")],
    db: DbOption = STORE_PATH,
) -> None:
    """Mark a source: its records (that have no marking of their own) carry this TLP and owner."""
    from vigil.access.markings import mark_source

    with errors():
        _write(db, "marking.source", source, lambda con: mark_source(con, source, tlp=tlp, org_id=org, by=_who()), tlp=tlp, org=org)
        out.print(f"marked source {source} TLP:{tlp.upper()}, owned by {org}")


@markings_app.command("share")
def markings_share(
    source: Annotated[str, typer.Argument(callback=check_nonblank, help="A source code.")],
    org: Annotated[str, typer.Option(help="The organisation that may also see its TLP:AMBER records.")],
    db: DbOption = STORE_PATH,
) -> None:
    """Share a source's TLP:AMBER records with another organisation."""
    from vigil.access.markings import share_source

    with errors():
        _write(db, "marking.share", source, lambda con: share_source(con, source, org), org=org)
        out.print(f"shared source {source} with {org}")


@markings_app.command("record")
def markings_record(
    kind: Annotated[str, typer.Argument(help="report or capture.")],
    key: Annotated[str, typer.Argument(callback=check_nonblank, help="The record's key (report_key or capture_key).")],
    tlp: Annotated[str, typer.Option(help="CLEAR, GREEN, AMBER, AMBER+STRICT or RED.")],
    org: Annotated[str, typer.Option(help="The owning organisation.")],
    db: DbOption = STORE_PATH,
) -> None:
    """Give one report or capture a marking of its own (it overrides its source's)."""
    from vigil.access.markings import mark_record

    with errors():
        _write(db, "marking.record", f"{kind}:{key}", lambda con: mark_record(con, kind, key, tlp=tlp, org_id=org, by=_who()), tlp=tlp, org=org)
        out.print(f"marked {kind} {key} TLP:{tlp.upper()}, owned by {org}")


@markings_app.command("list")
def markings_list(db: DbOption = STORE_PATH) -> None:
    """Every source with its marking; unmarked sources are seen by no one."""
    from vigil.access.markings import marking_list

    with errors(), open_duck(db, read_only=True, what=_ACCOUNTS) as store:
        _table(marking_list(store.con), "source markings")


@audit_app.command("list")
def audit_list(
    db: DbOption = STORE_PATH,
    limit: Annotated[int, typer.Option(min=1, help="The latest N entries.")] = 50,
    actor: Annotated[Optional[str], typer.Option(help="Only this actor (user@org or cli:NAME).")] = None,
    action: Annotated[Optional[str], typer.Option(help="Only this action.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The latest audit entries: who saw or did what, when."""
    from vigil.access.audit import audit_entries

    with errors(), open_duck(db, read_only=True, what=_ACCOUNTS) as store:
        rows = audit_entries(store.con, limit=limit, actor=actor, action=action)
        if as_json:
            sys.stdout.write(json.dumps(rows, default=str, indent=1) + "\n")
        else:
            _table(rows, "audit log (latest first)")


def _hash(value: str | None) -> str | None:
    """An option callback: a head hash as `vigil audit head` prints it (64 hex digits)."""
    if value is not None and not re.fullmatch(r"[0-9a-f]{64}", value.strip().lower()):
        raise typer.BadParameter(f"{value[:80]!r} is not a head hash (64 hex digits, as `vigil audit head` prints)")
    return value.strip().lower() if value is not None else None


@audit_app.command("verify")
def audit_verify(
    db: DbOption = STORE_PATH,
    head: Annotated[Optional[str], typer.Option(callback=_hash, help="A head hash kept elsewhere (from `vigil audit head`): detects deleted last entries.")] = None,
) -> None:
    """Check the hash chain; name every edited, deleted or reordered entry. Exit 1 when any."""
    from vigil.access.audit import audit_head, verify_audit

    with errors(), open_duck(db, read_only=True, what=_ACCOUNTS) as store:
        problems = verify_audit(store.con, head=head)
        count, _ = audit_head(store.con)
    for problem in problems:
        err.print(Text(f"audit: {problem}"), soft_wrap=True)
    if problems:
        raise typer.Exit(1)
    out.print(f"audit log intact: {count:,} entries")


@audit_app.command("head")
def audit_head_cmd(db: DbOption = STORE_PATH) -> None:
    """The last entry's number and hash: keep it elsewhere, pass it to `vigil audit verify --head`."""
    from vigil.access.audit import audit_head

    with errors(), open_duck(db, read_only=True, what=_ACCOUNTS) as store:
        seq, digest = audit_head(store.con)
    sys.stdout.write(f"{seq} {digest}\n")
