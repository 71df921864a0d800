"""Acting on intelligence: recipients, notices, takedown clocks, escalation, partner feeds.

Everything here works on metadata (URLs, times, identifiers, hashes), never content:

    recipients.py   who should act on a URL, a merchant account or a wallet
    rdap.py         RFC 9083 responses → abuse contacts (offline cache; network off by default)
    markings.py     TLP markings and need-to-know: what a recipient may receive
    xarf.py         the XARF v4 ``content``/``csam`` attachment
    notices.py      notices grouped per recipient and evidence bundle, rendered as .eml
    transport.py    the dry-run outbox (default) and SMTP
    deliverylog.py  the hash-chained log of every notice and feed sent (``vigil takedown verify-log``)
    bounces.py      bounces and auto-replies read back: the contact becomes unreliable
    clocks.py       each URL's takedown record: stages, times, sources; reappearances
    checker.py      the optional header-only online checker (``vigil takedown check``; off by default)
    escalation.py   re-send, then escalate host → upstream → registrar → registry → payment provider
    league.py       takedown league tables (``vigil stats takedown``)
    feeds.py        partner feeds (``vigil feed NAME``) and partner outcomes
    casestore.py    the disruption tables in the evidence store
"""

from __future__ import annotations
