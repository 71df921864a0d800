"""Stages that hand temporary tables to each other declare them.

A pipeline such as ``vigil attribute`` is a sequence of stages; each leaves temporary tables
(``_links``, ``_page_groups``, …) that later stages read by name. The decorator
:func:`stage` records, next to the function, what it reads and writes, so the hand-offs are
written down where the function is and can be checked (tests/test_stages.py)::

    @stage(reads=("_attr_captures", "page_identifiers"), writes=("_lk_pages", "_lk_pivots"))
    def pivots(engine: Engine, min_strength: float) -> None: ...

- ``reads``: tables the stage needs — temporary ones (a leading ``_``) written by an earlier
  stage, or stored ones (from the migrations).
- ``writes``: temporary tables the stage always leaves behind, for later stages or as its own
  scratch. A name may end in ``*`` for a family (``_lk_level_*``: one per spread level).
- ``maybe``: temporary tables it leaves only in some runs (a big graph solved in SQL rather
  than on the driver, a clash between judged templates, an incremental run's scope).
- ``drops``: temporary tables it makes and drops again before it returns (scratch that would
  otherwise hold memory or spill until the connection closes); no later stage may read them.

:func:`check_order` says which reads of a sequence of stages nothing earlier provides.
Declaring changes nothing at run time: the function is returned as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Stage:
    """What one stage reads and leaves behind (see the module docstring)."""

    name: str
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    maybe: tuple[str, ...] = ()
    drops: tuple[str, ...] = ()

    def covers(self, table: str) -> bool:
        """True when ``table`` is one the stage may write."""
        return any(fnmatchcase(table, pattern) for pattern in (*self.writes, *self.maybe))

    def dropped(self, table: str) -> bool:
        """True when the stage drops ``table`` before it returns."""
        return any(fnmatchcase(table, pattern) for pattern in self.drops)


def stage(*, reads: Iterable[str] = (), writes: Iterable[str] = (), maybe: Iterable[str] = (),
          drops: Iterable[str] = ()) -> Callable[[F], F]:
    """Record a stage's inputs and outputs on the function (as ``__stage__``)."""

    def mark(fn: F) -> F:
        fn.__stage__ = Stage(f"{fn.__module__}.{fn.__qualname__}", tuple(reads), tuple(writes), tuple(maybe), tuple(drops))  # type: ignore[attr-defined]
        return fn

    return mark


def stage_of(fn: Callable[..., Any]) -> Stage:
    """The declaration of a stage function (``TypeError`` when it has none)."""
    found = getattr(fn, "__stage__", None)
    if not isinstance(found, Stage):
        raise TypeError(f"{getattr(fn, '__qualname__', fn)!r} declares no stage (use @stage)")
    return found


def check_order(stages: Sequence[Stage], stored: Collection[str]) -> list[str]:
    """Problems with running ``stages`` in order: a read that no earlier stage writes and that
    is not a ``stored`` table, or a stored table spelled like a temporary one. Empty: consistent."""
    problems = []
    for i, one in enumerate(stages):
        for table in one.reads:
            if table.startswith("_"):
                last = next((e for e in reversed(stages[:i]) if e.covers(table) or e.dropped(table)), None)
                if last is None:
                    problems.append(f"{one.name} reads {table}, which no earlier stage writes")
                elif last.dropped(table):
                    problems.append(f"{one.name} reads {table}, which {last.name} drops")
            elif table not in stored:
                problems.append(f"{one.name} reads {table}, which is no stored table")
        for table in (*one.writes, *one.maybe):
            if not table.startswith("_"):
                problems.append(f"{one.name} writes {table}: temporary tables start with '_'")
    return problems


def declared(stages: Iterable[Stage]) -> tuple[set[str], set[str]]:
    """Every name the stages always leave (written, not dropped), and every name they may write (patterns as given)."""
    always: set[str] = set()
    possible: set[str] = set()
    for one in stages:
        always -= {t for t in always if one.dropped(t)}
        always.update(t for t in one.writes if not one.dropped(t))
        possible.update(one.writes, one.maybe)
    return always, possible


__all__ = ["Stage", "check_order", "declared", "stage", "stage_of"]
