"""Re-send, then escalate: host → upstream network → registrar → registry → payment provider.

:func:`due_for` decides, at a time ``now`` (a clock the caller passes, so tests use a fake
one), what a live URL needs next. Walking the ladder from the bottom:

* a rung with nobody to write to (no contact, a placeholder, or an address a bounce marked
  unreliable) is passed over;
* a rung never written to gets the first notice (attempt 1);
* a rung written to and not acknowledged gets a re-send once ``resend_after`` has passed
  since the last notice, up to ``max_attempts`` notices;
* once ``escalate_after`` has passed since a rung's first notice and the URL is still up
  (acknowledged or not), the next rung is due.

A URL removed (first seen offline or resolved after its first notice) needs nothing.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from vigil.disrupt.cases import Case
from vigil.disrupt.clocks import TakedownRecord
from vigil.disrupt.notices import Due
from vigil.disrupt.recipients import LADDER, Recipient
from vigil.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Policy:
    resend_after: timedelta = timedelta(days=2)
    escalate_after: timedelta = timedelta(days=5)
    max_attempts: int = 2
    ladder: tuple[str, ...] = field(default=LADDER)

    @classmethod
    def load(cls, path: Path | None) -> Policy:
        """From a TOML file: ``resend_after_hours``, ``escalate_after_hours``, ``max_attempts``, ``ladder``."""
        if path is None:
            return cls()
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read the escalation policy: {exc}") from None
        allowed = {"resend_after_hours", "escalate_after_hours", "max_attempts", "ladder"}
        unknown = set(data) - allowed
        if unknown:
            raise ConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(allowed))})")
        ladder = tuple(data.get("ladder", LADDER))
        bad = [r for r in ladder if r not in LADDER]
        if bad:
            raise ConfigError(f"{path}: ladder: unknown rung(s) {', '.join(bad)} (known: {', '.join(LADDER)})")
        policy = cls(timedelta(hours=float(data.get("resend_after_hours", 48))),
                     timedelta(hours=float(data.get("escalate_after_hours", 120))),
                     int(data.get("max_attempts", 2)), ladder)  # fmt: skip
        if policy.max_attempts < 1 or policy.escalate_after < policy.resend_after:
            raise ConfigError(f"{path}: need max_attempts ≥ 1 and escalate_after ≥ resend_after")
        return policy


def due_for(case: Case, record: TakedownRecord, ladder: dict[str, Recipient | None], *, now: datetime,
            policy: Policy) -> Due | None:  # fmt: skip
    """What ``case`` needs at ``now``: a first notice, a re-send, an escalation, or nothing."""
    if record.removed_at is not None or (record.resolved is not None and record.first_notice is None):
        return None
    previous: Recipient | None = None
    for rung in policy.ladder:
        recipient = ladder.get(rung)
        if recipient is None or not recipient.reachable:
            continue
        sent = [at for at in record.sent_to(recipient.key) if at <= now]
        verified = record.last_online
        if not sent:
            reason = f"escalated from {previous.key}" if previous else "first notice"
            return Due(case, recipient, 1, reason, record.detected, verified)
        if now >= sent[0] + policy.escalate_after:
            previous = recipient
            continue
        ack = record.acknowledged.get(recipient.key)
        if (ack is None or ack > now) and len(sent) < policy.max_attempts and now >= sent[-1] + policy.resend_after:
            return Due(case, recipient, len(sent) + 1, "re-send: no answer", record.detected, verified)
        return None  # waiting on this rung
    return None
