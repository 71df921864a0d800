"""Organisations, users, sessions and API tokens, in the store beside the evidence.

Secrets are never stored: passwords as Argon2id hashes, session and API tokens as SHA-256
of a 256-bit random token (what a stolen database gives away cannot be replayed).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any, Final

from vigil.access.policy import ACTIONS, RANK, ROLES, Actor, normalise_tlp
from vigil.accounts.passwords import DUMMY_HASH, MIN_PASSWORD, hash_password, verify_password
from vigil.errors import ConfigError
from vigil.store.store import utcnow

ORG_KINDS: Final = ("hotline", "law_enforcement", "payment_provider", "hosting_provider", "registrar", "operator")
_NAME: Final = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
SESSION_HOURS: Final = 12


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_org(con: Any, org_id: str, *, name: str, kind: str) -> None:
    if not _NAME.fullmatch(org_id):
        raise ConfigError(f"organisation ID {org_id!r}: 2-64 lower-case letters, digits, '.', '_' or '-'")
    if kind not in ORG_KINDS:
        raise ConfigError(f"organisation kind {kind!r}: use one of {', '.join(ORG_KINDS)}")
    if con.execute("SELECT 1 FROM organisations WHERE org_id = ?", [org_id]).fetchone():
        raise ConfigError(f"organisation {org_id!r} exists already")
    con.execute("INSERT INTO organisations VALUES (?, ?, ?, ?)", [org_id, name, kind, utcnow()])


def list_orgs(con: Any) -> list[dict[str, Any]]:
    cur = con.execute("SELECT org_id, name, kind, created_at FROM organisations ORDER BY org_id")
    return [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]


def add_user(con: Any, username: str, *, org_id: str, role: str, password: str, clearance: str = "AMBER") -> str:
    """Create an account; returns its user ID."""
    if not _NAME.fullmatch(username):
        raise ConfigError(f"user name {username!r}: 2-64 lower-case letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise ConfigError(f"role {role!r}: use one of {', '.join(ROLES)}")
    level = normalise_tlp(clearance)
    if level is None:
        raise ConfigError(f"clearance {clearance!r}: use CLEAR, GREEN, AMBER, AMBER+STRICT or RED")
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"the password is too short: at least {MIN_PASSWORD} characters")
    if not con.execute("SELECT 1 FROM organisations WHERE org_id = ?", [org_id]).fetchone():
        raise ConfigError(f"no organisation {org_id!r}: add it with `vigil orgs add`")
    if con.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise ConfigError(f"user {username!r} exists already")
    user_id = "U-" + secrets.token_hex(6)
    con.execute("INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, FALSE, ?)",
                [user_id, username, org_id, role, level, hash_password(password), utcnow()])  # fmt: skip
    return user_id


def list_users(con: Any) -> list[dict[str, Any]]:
    cur = con.execute("SELECT user_id, username, org_id, role, clearance, disabled, created_at FROM users ORDER BY username")
    return [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]


def _user_id(con: Any, username: str) -> str:
    got = con.execute("SELECT user_id FROM users WHERE username = ?", [username]).fetchone()
    if not got:
        raise ConfigError(f"no user {username!r}: see `vigil users list`")
    return str(got[0])


def disable_user(con: Any, username: str) -> None:
    """Disable an account and end its sessions and tokens."""
    user_id = _user_id(con, username)
    con.execute("UPDATE users SET disabled = TRUE WHERE user_id = ?", [user_id])
    con.execute("DELETE FROM sessions WHERE user_id = ?", [user_id])
    con.execute("UPDATE api_tokens SET revoked = TRUE WHERE user_id = ?", [user_id])


def reset_password(con: Any, username: str, password: str) -> None:
    """A new password (and the account enabled again); every session of the account ends."""
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"the password is too short: at least {MIN_PASSWORD} characters")
    user_id = _user_id(con, username)
    con.execute("UPDATE users SET password_hash = ?, disabled = FALSE WHERE user_id = ?", [hash_password(password), user_id])
    con.execute("DELETE FROM sessions WHERE user_id = ?", [user_id])


def _actor(row: Any, scopes: frozenset[str] | None = None) -> Actor:
    user_id, username, org_id, role, clearance = row[:5]
    return Actor(str(user_id), str(username), str(org_id), str(role), str(clearance), scopes)


_ACTOR_COLUMNS: Final = "u.user_id, u.username, u.org_id, u.role, u.clearance"


def authenticate(con: Any, username: str, password: str) -> Actor | None:
    """The actor for a correct name and password of an enabled account, else ``None``."""
    row = con.execute(f"SELECT {_ACTOR_COLUMNS}, u.password_hash, u.disabled FROM users u WHERE u.username = ?",
                      [username]).fetchone()  # fmt: skip
    if row is None:
        verify_password(DUMMY_HASH, password)  # the same cost, so timing tells no names
        return None
    if not verify_password(str(row[5]), password) or row[6]:
        return None
    return _actor(row)


def start_session(con: Any, actor: Actor, *, hours: int = SESSION_HOURS) -> tuple[str, str]:
    """A new session: ``(session token, CSRF token)``; only the session token's hash is stored."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)", [_sha(token), actor.user_id, csrf, now, now + timedelta(hours=hours)])
    return token, csrf


def session_actor(con: Any, token: str) -> tuple[Actor, str] | None:
    """The actor and CSRF token of a live session of an enabled account."""
    row = con.execute(
        f"""SELECT {_ACTOR_COLUMNS}, s.csrf FROM sessions s JOIN users u USING (user_id)
            WHERE s.session_sha256 = ? AND s.expires_at > ? AND NOT u.disabled""", [_sha(token), utcnow()]).fetchone()  # fmt: skip
    return (_actor(row), str(row[5])) if row else None


def end_session(con: Any, token: str) -> None:
    con.execute("DELETE FROM sessions WHERE session_sha256 = ?", [_sha(token)])


def create_token(con: Any, username: str, *, scopes: list[str], days: int = 30) -> tuple[str, str, datetime]:
    """A scoped API token for automation: ``(token ID, token, expiry)``; the token is shown once."""
    unknown = sorted(set(scopes) - set(ACTIONS))
    if unknown or not scopes:
        raise ConfigError(f"token scopes: give one or more of {', '.join(ACTIONS)} (not {', '.join(unknown) or 'none'})")
    if not 1 <= days <= 366:
        raise ConfigError("a token lives from 1 to 366 days")
    user_id = _user_id(con, username)
    token_id, token = "T-" + secrets.token_hex(6), "vgl_" + secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(days=days)
    con.execute("INSERT INTO api_tokens VALUES (?, ?, ?, ?, ?, FALSE, ?)",
                [token_id, user_id, _sha(token), ",".join(sorted(set(scopes))), expires, utcnow()])  # fmt: skip
    return token_id, token, expires


def list_tokens(con: Any) -> list[dict[str, Any]]:
    cur = con.execute("""SELECT t.token_id, u.username, t.scopes, t.expires_at, t.revoked, t.created_at
        FROM api_tokens t JOIN users u USING (user_id) ORDER BY t.created_at""")
    return [dict(zip([d[0] for d in cur.description], r)) for r in cur.fetchall()]


def revoke_token(con: Any, token_id: str) -> None:
    if not con.execute("SELECT 1 FROM api_tokens WHERE token_id = ?", [token_id]).fetchone():
        raise ConfigError(f"no API token {token_id!r}: see `vigil tokens list`")
    con.execute("UPDATE api_tokens SET revoked = TRUE WHERE token_id = ?", [token_id])


def token_actor(con: Any, token: str) -> Actor | None:
    """The actor of a live, unrevoked API token of an enabled account, limited to the token's scopes."""
    row = con.execute(
        f"""SELECT {_ACTOR_COLUMNS}, t.scopes FROM api_tokens t JOIN users u USING (user_id)
            WHERE t.token_sha256 = ? AND NOT t.revoked AND t.expires_at > ? AND NOT u.disabled""",
        [_sha(token), utcnow()]).fetchone()  # fmt: skip
    return _actor(row, frozenset(str(row[5]).split(","))) if row else None


def clearance_covers(actor: Actor, tlp: str) -> bool:
    return RANK.get(tlp, 99) <= RANK.get(actor.clearance, -1)
