"""The ``vigil`` command line: thin adapters over the library (no SQL, no business logic).

``core`` holds the app, the shared options and helpers, and the pipeline's commands; each
further area (the web application, disruption, sharing, …) adds its commands in a module of
its own, imported here so that they register on the one app.
"""

from __future__ import annotations

from vigil.cli import market  # noqa: F401  (registers vigil stats offers / channels)
from vigil.cli import share as _share  # noqa: F401  (registers the sharing commands)
from vigil.cli.core import app, main
from vigil.cli import accounts as _accounts  # noqa: F401  (registers its commands on app)
from vigil.cli import web as _web  # noqa: F401
from vigil.cli import disrupt as _disrupt  # noqa: F401  (registers its commands)

__all__ = ["app", "main"]
