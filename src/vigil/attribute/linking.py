"""Identifiers → distributor groups: an inverted index, a guard against over-matching, judgements.

Pure over its inputs (no store access), so it is tested directly. Pages are the nodes
(captures of one page share its identifiers); values are applied in increasing order of
spread, and a value that would join ``max_groups`` or more established groups (groups that
already span two templates) is flagged *generic* instead of linking (docs/attribution.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field


@dataclass
class ValueDecision:
    kind: str
    value: str
    spread: int
    status: str  # link | single | generic | warninglist | blocked
    reason: str
    groups_joined: int = 0
    pages: tuple[str, ...] = ()


@dataclass
class Linking:
    """The outcome: page → group root, every value's decision, judgement merges."""

    group: dict[str, str] = field(default_factory=dict)
    decisions: list[ValueDecision] = field(default_factory=list)
    judged: list[tuple[str, str, str]] = field(default_factory=list)  # (judgement_id, template_a, template_b)


class _UnionFind:
    def __init__(self, page_template: Mapping[str, str]) -> None:
        self.parent: dict[str, str] = {}
        self.templates: dict[str, set[str]] = {}
        for page, template in page_template.items():
            self.parent[page] = page
            self.templates[page] = {template}

    def find(self, node: str) -> str:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, roots: list[str]) -> str:
        roots = sorted(set(roots), key=lambda r: (-len(self.templates[r]), r))
        keep = roots[0]
        for other in roots[1:]:
            self.parent[other] = keep
            self.templates[keep] |= self.templates.pop(other)
        return keep


def link(
    page_template: Mapping[str, str],
    page_values: Iterable[tuple[str, str, str]],
    *,
    max_groups: int = 3,
    warned: Callable[[str], str | None] = lambda value: None,
    not_same: Iterable[tuple[str, str]] = (),
    same: Iterable[tuple[str, str, str]] = (),
) -> Linking:
    """Group pages by shared pivot values ``(page, kind, value)``.

    ``not_same`` holds template pairs an analyst says are different operators; ``same``
    holds ``(judgement_id, template_a, template_b)`` that must be one operator.
    """
    pages_of: dict[tuple[str, str], set[str]] = {}
    for page, kind, value in page_values:
        if page in page_template:
            pages_of.setdefault((kind, value), set()).add(page)
    spread = {key: len({page_template[p] for p in pages}) for key, pages in pages_of.items()}
    order = sorted(pages_of, key=lambda key: (spread[key], key[0], key[1]))
    forbidden: dict[str, set[str]] = {}
    for a, b in not_same:
        forbidden.setdefault(a, set()).add(b)
        forbidden.setdefault(b, set()).add(a)
    uf = _UnionFind(page_template)
    result = Linking()

    def clash(roots: list[str]) -> tuple[str, str] | None:
        seen: set[str] = set()
        for root in roots:
            templates = uf.templates[root]
            for template in templates:
                for other in forbidden.get(template, ()):
                    if other in seen:
                        return other, template
            seen |= templates
        return None

    for key in order:
        kind, value = key
        pages = sorted(pages_of[key])
        decision = ValueDecision(kind, value, spread[key], "link", "", pages=tuple(pages))
        result.decisions.append(decision)
        listed = warned(value)
        if listed:
            decision.status, decision.reason = "warninglist", f"on the warning list {listed!r}"
            continue
        roots = sorted({uf.find(p) for p in pages})
        established = [r for r in roots if len(uf.templates[r]) >= 2]
        decision.groups_joined = len(roots)
        if len(established) >= max_groups:
            decision.status = "generic"
            decision.reason = (f"shared by {spread[key]} templates in {len(established)} otherwise unrelated groups "
                               f"(the guard stops values joining {max_groups} or more)")  # fmt: skip
            continue
        pair = clash(roots)
        if pair:
            decision.status, decision.reason = "blocked", f"an analyst judged templates {pair[0]} and {pair[1]} not the same"
            continue
        if len(roots) == 1:
            decision.status, decision.reason = "single", "seen within one group only"
            continue
        uf.union(roots)
        decision.reason = f"links {len(roots)} groups"
    by_template: dict[str, list[str]] = {}
    for page, template in page_template.items():
        by_template.setdefault(template, []).append(page)
    for judgement_id, a, b in same:
        pages = by_template.get(a, []) + by_template.get(b, [])
        if pages:
            uf.union([uf.find(p) for p in pages])
            result.judged.append((judgement_id, a, b))
    result.group = {page: uf.find(page) for page in page_template}
    return result
