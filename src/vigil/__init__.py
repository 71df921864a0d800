"""Vigil: metadata-only intelligence on the commercial distribution of CSAM on the web.

The public surface is small and listed in ``__all__`` (a test checks it). Everything
else lives in the layer packages: ``ingest``, ``enrich``, ``attribute``, ``analyse``,
``publish`` above ``store``; ``cli`` on top.
"""

from vigil.errors import VigilError
from vigil.periods import Period

__version__ = "0.1.0"

__all__ = ["Period", "VigilError", "__version__"]
