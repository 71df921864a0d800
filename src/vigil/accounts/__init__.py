"""Organisations, accounts (Argon2id passwords), sessions and scoped API tokens."""

from vigil.accounts.users import (ORG_KINDS, add_org, add_user, authenticate, create_token, disable_user, end_session,
                                  list_orgs, list_tokens, list_users, reset_password, revoke_token, session_actor,
                                  start_session, token_actor)

__all__ = [
    "ORG_KINDS", "add_org", "add_user", "authenticate", "create_token", "disable_user", "end_session", "list_orgs",
    "list_tokens", "list_users", "reset_password", "revoke_token", "session_actor", "start_session", "token_actor",
]  # fmt: skip
