"""Shared helpers for the disruption tests: the XARF validator, read in place from the vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

DATA = Path(__file__).resolve().parent / "data" / "disrupt"


def xarf_validator(vectors: Path) -> Draft202012Validator:
    """A validator for ``xarf-v4-master.json`` with every local ``$ref`` resolvable."""
    root = vectors / "xarf" / "schemas" / "v4"
    resources = []
    for path in sorted(root.rglob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
    registry: Registry[Any] = Registry().with_resources(resources)
    master = json.loads((root / "xarf-v4-master.json").read_text(encoding="utf-8"))
    return Draft202012Validator(master, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
