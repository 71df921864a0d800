"""Warning lists in MISP's warninglist JSON format: values that never link brands.

A file is one object ``{"name", "description", "type", "list": [...]}`` (or a list of
them); ``type`` is ``string`` (exact, case-insensitive), ``substring``, or ``hostname``
(the value's host — of a URL, or the domain of an e-mail — is the entry or under it).
The bundled list holds only generic, fictional examples; users add their own files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from vigil.errors import ConfigError

_TYPES = ("string", "substring", "hostname")


def _host_of(value: str) -> str:
    if "@" in value and "://" not in value:
        return value.rsplit("@", 1)[1].lower()
    if "://" in value:
        return (urlsplit(value).hostname or "").lower()
    return value.split("/", 1)[0].lower()


@dataclass
class WarningLists:
    names: list[str] = field(default_factory=list)
    strings: dict[str, str] = field(default_factory=dict)
    substrings: list[tuple[str, str]] = field(default_factory=list)
    hostnames: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, extra: Sequence[Path] = ()) -> WarningLists:
        lists = cls()
        bundled = resources.files("vigil.attribute") / "data" / "warninglist.json"
        lists._add(bundled.read_text(encoding="utf-8"), "bundled warninglist.json")
        for path in extra:
            try:
                lists._add(Path(path).read_text(encoding="utf-8"), str(path))
            except OSError as exc:
                raise ConfigError(f"warning list {path}: cannot read: {exc.strerror}") from None
            except UnicodeDecodeError as exc:
                raise ConfigError(f"warning list {path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        return lists

    def _add(self, text: str, origin: str) -> None:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"warning list {origin}: not JSON: {exc}") from None
        for entry in data if isinstance(data, list) else [data]:
            if not isinstance(entry, dict) or not isinstance(entry.get("list"), list):
                raise ConfigError(f"warning list {origin}: expected an object with a 'list' array")
            kind = entry.get("type", "string")
            if kind not in _TYPES:
                raise ConfigError(f"warning list {origin}: type {kind!r} is not one of {', '.join(_TYPES)}")
            name = str(entry.get("name") or origin)
            self.names.append(name)
            for item in entry["list"]:
                value = str(item).strip().lower()
                if kind == "string":
                    self.strings[value] = name
                elif kind == "substring":
                    self.substrings.append((value, name))
                else:
                    self.hostnames[value.lstrip(".")] = name

    def match(self, value: str) -> str | None:
        """The name of the list that holds ``value``, or None."""
        low = value.lower()
        if low in self.strings:
            return self.strings[low]
        # merchant accounts and affiliate IDs are scoped "scope/value": test the bare value too
        bare = low.split("/", 1)[1] if "/" in low and "://" not in low and "@" not in low else None
        if bare and bare in self.strings:
            return self.strings[bare]
        for needle, name in self.substrings:
            if needle in low:
                return name
        host = _host_of(low)
        while host:
            if host in self.hostnames:
                return self.hostnames[host]
            host = host.partition(".")[2]
        return None
