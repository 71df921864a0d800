"""Need-to-know: markings, the one permission check, scoped reading, and the audit chain.

Every reader above the library — pages, API, exports, counts — asks
:func:`permission_allowed` whether an actor may do an action, and reads through
:func:`scoped`, on which every table holds only what the actor may see (filtered before any
aggregation). Every write and every sensitive read is appended to the audit log.
"""

from vigil.access.audit import audit, audit_entries, audit_head, verify_audit
from vigil.access.markings import mark_record, mark_source, marking_list, share_source
from vigil.access.policy import (ACTIONS, ROLE_ACTIONS, ROLES, SYSTEM, TLP_LEVELS, Actor, Marking, marking_visible,
                                 permission_allowed)
from vigil.access.scope import ScopedStore, scoped

__all__ = [
    "ACTIONS", "ROLES", "ROLE_ACTIONS", "SYSTEM", "TLP_LEVELS", "Actor", "Marking", "ScopedStore", "audit",
    "audit_entries", "audit_head", "mark_record", "mark_source", "marking_list", "marking_visible",
    "permission_allowed", "scoped", "share_source", "verify_audit",
]  # fmt: skip
