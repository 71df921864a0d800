"""The world's own processors file: the fictional payment processors its pages post to.

Every world writes ``processors.toml`` beside its ``iptoasn.tsv`` and
``shared_services.csv``, and the pipeline is given it explicitly (``vigil attribute
--processors``, ``vigil stats payments --processors``, ``vigil report --processors``, ...),
as the §3 world's IP table is given to ``vigil enrich --ip-db``. The bundled processors
file holds generic entries only, so no score measured on a world depends on defaults
written for this generator.

The four processors are the ones :mod:`vigil.synth.captures.identifiers` (form actions and merchant
fields), :mod:`vigil.synth.market`, :mod:`vigil.synth.brand_world.inputs` (test purchases) and
:mod:`vigil.synth.takedown` name. Hosts are reserved (``.example``/``.test``).
"""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Final

from vigil.attribute.processors import Processors

__all__ = ["PROCESSORS_FILE", "PROCESSORS_TOML", "world_processors", "write_processors"]

#: The file's name inside a world directory.
PROCESSORS_FILE: Final = "processors.toml"

PROCESSORS_TOML: Final = """\
# The synthetic world's payment processors (fictional, reserved hosts). Format:
# docs/identifiers.md. Give this file to every command that reads processors:
#   vigil attribute --processors processors.toml
#   vigil stats payments --processors processors.toml   (and stats offers, report, ...)

# A card gateway: every merchant posts to one checkout; the account is in gw_merchant or gw_site.
[[processor]]
name = "Example Card Gateway"
hosts = ["cardgate.example", "pay.cardgate.test"]
merchant_fields = ["gw_merchant", "gw_site"]
payment_type = "credit_card"
shared_checkout = true

# A digital wallet: one send page; the payee's account is in wallet_account.
[[processor]]
name = "Example Wallet"
hosts = ["wallet.example"]
merchant_fields = ["wallet_account"]
payment_type = "digital_wallet"
shared_checkout = true

# Premium SMS billing: one start page; the merchant's service is in service_id.
[[processor]]
name = "Example SMS Billing"
hosts = ["smsbill.example"]
merchant_fields = ["service_id"]
payment_type = "sms"
shared_checkout = true

# A money-transfer service: each beneficiary has its own page (/in/<account>), so the URL
# itself is the merchant's; the account is in beneficiary.
[[processor]]
name = "Example Money Transfer"
hosts = ["transfer.example"]
merchant_fields = ["beneficiary"]
payment_type = "money_transfer"
shared_checkout = false
"""


def write_processors(out: Path) -> Path:
    """Write the world's ``processors.toml`` into the directory ``out``; return its path."""
    path = out / PROCESSORS_FILE
    path.write_text(PROCESSORS_TOML, encoding="utf-8")
    return path


@lru_cache(maxsize=1)
def world_processors() -> Processors:
    """What ``Processors.load([world / "processors.toml"])`` gives for any world, read once (tests, benchmarks)."""
    with tempfile.TemporaryDirectory() as folder:
        return Processors.load([write_processors(Path(folder))])
