"""Rows for tests/test_bad_invocations.py: bad invocations of every ``vigil`` command.

Each module here holds the rows for one area of the command line (``core.py`` for the
commands in ``src/vigil/cli/core.py``; a command added in ``src/vigil/cli/<area>.py`` puts its
rows in ``tests/bad_invocations/<area>.py``) as two module-level names:

``CASES``
    a list of :class:`Case`: the command, its arguments (placeholders such as ``{db}`` are
    filled in by the test, see :data:`PLACEHOLDERS`), a few words the one line on stderr must
    contain (so the row proves it reached the error it names, not an earlier one), the exit
    code, and the output paths that must not exist afterwards.
``EXEMPT``
    ``{("command", "--option"): "why no value of it can be bad"}`` for the rare option that
    takes free text.

Every option and argument of every command needs a row or an exemption; boolean flags
(``--json``, ``--all``) take no value and need neither. Three kinds of row are made for every
command by the test itself: each bad ``VIGIL_*`` environment value, a ``--db`` whose folder is
a file (for commands with ``--db``), and ``--help`` is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: What the placeholders in a row's arguments stand for (made fresh by the test).
PLACEHOLDERS = {
    "db": "a small ready store (reports, captures, attribution)",
    "world": "the small synthetic world the store was made from",
    "tmp": "an empty folder of this row's own",
    "file": "an existing ordinary file (so '{file}/x' is a path whose folder is a file)",
    "missing": "a path that does not exist",
    "not_utf8": "a file of Latin-1 bytes that are not UTF-8",
    "bad_json": "a UTF-8 file that is not JSON",
    "bad_toml": "a UTF-8 file that is not TOML",
    "bad_csv": "a UTF-8 CSV file without the expected header",
    "lexicon": "a good two-line lexicon CSV",
    "truth_elsewhere": "a truth file whose capture IDs are not in the store",
}


@dataclass(frozen=True)
class Case:
    """One bad invocation and what it must end in."""

    command: str
    args: tuple[str, ...]
    expect: str
    exit_code: int = 2
    #: the options/arguments this row tests; by default every ``--option`` in ``args``
    covers: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    #: paths (placeholders allowed) that must not exist after the run
    no_output: tuple[str, ...] = ()
    #: files (placeholders allowed) made before the run with known text that must not change
    untouched: tuple[str, ...] = ()

    def covered(self) -> set[str]:
        return set(self.covers) or {a.split("=", 1)[0] for a in self.args if a.startswith("-")}

    @property
    def id(self) -> str:
        shown = " ".join(self.args)[:60]
        env = " ".join(f"{k}={v}" for k, v in self.env.items())
        return f"{env + ' ' if env else ''}{self.command} {shown}".strip()
