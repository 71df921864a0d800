"""Write a statistics object as JSON, one CSV per table, and a short HTML summary.

The HTML is rendered by Jinja2 with autoescaping on: hosts, organisations and labels come
from hostile input and are only ever shown as text.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

_env = Environment(loader=PackageLoader("vigil.publish", "templates"), autoescape=select_autoescape(default=True))


def flat(value: Any) -> Any:
    """Lists (ASNs, suffixes, hop history) as ``;``-joined text for CSV and terminal tables."""
    if isinstance(value, list):
        return ";".join(
            " ".join(f"{v}" for v in item.values()) if isinstance(item, dict) else str(item) for item in value
        )
    return value


def table_names(stats: dict[str, Any]) -> list[str]:
    return [k for k, v in stats.items() if isinstance(v, list)]


def to_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: flat(v) for k, v in row.items()})
    return buffer.getvalue()


def to_json(stats: dict[str, Any]) -> str:
    return json.dumps(stats, indent=2, ensure_ascii=False, default=str) + "\n"


def write_outputs(stats: dict[str, Any], out: Path, *, name: str, title: str) -> dict[str, Path]:
    """Write ``NAME.json``, ``NAME-TABLE.csv`` for each table, and ``NAME.html``; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    path = out / f"{name}.json"
    path.write_text(to_json(stats), encoding="utf-8")
    written["json"] = path
    for table in table_names(stats):
        path = out / f"{name}-{table}.csv"
        path.write_text(to_csv(stats[table]), encoding="utf-8")
        written[table] = path
    path = out / f"{name}.html"
    tables = {t: stats[t] for t in table_names(stats)}
    scalars = {k: v for k, v in stats.items() if not isinstance(v, (list, dict))}
    html = _env.get_template("summary.html.j2").render(title=title, scalars=scalars, tables=tables, flat=flat)
    path.write_text(html, encoding="utf-8")
    written["html"] = path
    return written
