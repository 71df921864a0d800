"""Names a reader expects in prose and tables: countries, payment types, offer types, channels.

Codes stay in the data (JSON, CSV); the report says *United States* and *credit card*.
Country names come from the ISO 3166 table shipped with ``pycountry``: its common name where
it has one (*South Korea*), else ISO's short name (*Russian Federation*); a code it does not
know (or ``unknown``) is shown as it is.
"""

from __future__ import annotations

from functools import lru_cache

import pycountry

__all__ = ["channel_name", "country_name", "offer_type_name", "payment_type_name"]

PAYMENT_TYPES = {
    "credit_card": "credit card", "digital_wallet": "digital wallet", "sms": "SMS", "premium_call": "premium-rate call",
    "virtual_currency": "virtual currency", "money_transfer": "money transfer", "mobile_payment": "mobile payment",
    "unknown": "unknown",
}  # fmt: skip
OFFER_TYPES = {
    "subscription": "subscription", "pay_per_view": "pay-per-view", "per_item": "per item", "lifetime": "lifetime access",
    "trial": "trial", "unknown": "type not stated",
}  # fmt: skip
CHANNELS = {
    "web": "web", "hidden_service": "hidden services", "p2p": "peer-to-peer", "cyberlocker": "cyberlockers",
    "forum": "forums", "live_streaming": "live streaming", "other": "other channels", "unclassified": "unclassified",
}  # fmt: skip


@lru_cache(maxsize=512)
def country_name(code: str | None) -> str:
    """``US`` → ``United States``; an unknown code as it is."""
    if not code:
        return "unknown"
    found = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    if found is None:
        return code
    return str(getattr(found, "common_name", None) or found.name)


def payment_type_name(code: str) -> str:
    return PAYMENT_TYPES.get(code, code.replace("_", " "))


def offer_type_name(code: str) -> str:
    return OFFER_TYPES.get(code, code.replace("_", " "))


def channel_name(code: str) -> str:
    return CHANNELS.get(code, code.replace("_", " "))
