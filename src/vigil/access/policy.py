"""Who may do what, and see which record: the one call every page, API and export asks.

Roles grant *actions* (see :data:`ROLE_ACTIONS`). Markings decide *records*: every record
carries a TLP 2.0 marking and an owning organisation (inherited from its source unless the
record has its own). A principal sees a record only when it may see its marking:

=============  ============================================================================
TLP:CLEAR      anyone whose clearance reaches CLEAR (every account)
TLP:GREEN      every account whose clearance reaches GREEN
TLP:AMBER      the owning organisation, and organisations the source is shared with
TLP:AMBER+STRICT  the owning organisation only
TLP:RED        the owning organisation's accounts cleared for RED
=============  ============================================================================

and, whatever the marking, only when the principal's *clearance* reaches it. Hotline and
partner accounts are further confined to records of their own organisation (or shared with
it): a hotline sees its own submissions, a partner what is addressed to it. Unmarked sources
are closed: no one sees them until an admin marks them (``vigil markings set``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

TLP_LEVELS: Final = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
RANK: Final = {name: i for i, name in enumerate(TLP_LEVELS)}

ROLES: Final = ("admin", "analyst", "hotline", "partner", "auditor")

#: Every action a route or command may ask for.
ACTIONS: Final = (
    "search", "view_entity", "view_brand", "view_distributor", "view_dashboard", "submit_report",
    "view_submissions", "judge", "view_audit", "manage_accounts", "set_marking", "export",
)  # fmt: skip

ROLE_ACTIONS: Final[dict[str, frozenset[str]]] = {
    "admin": frozenset(ACTIONS),
    "analyst": frozenset({"search", "view_entity", "view_brand", "view_distributor", "view_dashboard", "submit_report",
                          "view_submissions", "judge", "export"}),  # fmt: skip
    "hotline": frozenset({"search", "view_entity", "submit_report", "view_submissions"}),
    "partner": frozenset({"search", "view_entity", "view_submissions"}),
    "auditor": frozenset({"view_audit"}),
}
#: Roles confined to records of their own organisation (or shared with it), whatever the TLP.
CONFINED_ROLES: Final = frozenset({"hotline", "partner"})


def normalise_tlp(text: str) -> str | None:
    """``amber+strict``, ``TLP:RED``, ``white`` (TLP 1.0's name for CLEAR) → the TLP 2.0 name."""
    value = text.strip().upper().removeprefix("TLP:").replace(" ", "")
    value = {"WHITE": "CLEAR", "AMBER_STRICT": "AMBER+STRICT", "AMBERSTRICT": "AMBER+STRICT"}.get(value, value)
    return value if value in RANK else None


@dataclass(frozen=True, slots=True)
class Marking:
    """A TLP marking and the organisation that owns the record."""

    tlp: str
    org_id: str
    shared_with: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Actor:
    """A principal: a signed-in user, or a user acting through an API token (with its scopes)."""

    user_id: str
    username: str
    org_id: str
    role: str
    clearance: str
    scopes: frozenset[str] | None = None  # None: a session, with every action of the role

    @property
    def label(self) -> str:
        return f"{self.username}@{self.org_id}"


SYSTEM: Final = Actor("system", "system", "-", "admin", "RED")


def marking_visible(actor: Actor, marking: Marking) -> bool:
    """May ``actor`` see a record carrying ``marking``? (See the module docstring.)"""
    if marking.tlp not in RANK or RANK[marking.tlp] > RANK.get(actor.clearance, -1):
        return False
    own = actor.org_id == marking.org_id
    shared = own or actor.org_id in marking.shared_with
    if actor.role in CONFINED_ROLES and not shared:
        return False
    if marking.tlp in ("CLEAR", "GREEN"):
        return True
    if marking.tlp == "AMBER":
        return shared
    return own  # AMBER+STRICT and RED: the owning organisation (RED also needs RED clearance, checked above)


def permission_allowed(actor: Actor | None, action: str, resource: Marking | None = None) -> bool:
    """The one permission check: may ``actor`` do ``action`` (on a record marked ``resource``)?"""
    if actor is None or action not in ACTIONS:
        return False
    if action not in ROLE_ACTIONS.get(actor.role, frozenset()):
        return False
    if actor.scopes is not None and action not in actor.scopes:
        return False
    return resource is None or marking_visible(actor, resource)
