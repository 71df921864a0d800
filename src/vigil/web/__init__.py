"""The analysts' workbench (``vigil serve``): pages and a JSON API over the access layer."""

from vigil.web.app import FORMS, PAGES, create_app

__all__ = ["FORMS", "PAGES", "create_app"]
