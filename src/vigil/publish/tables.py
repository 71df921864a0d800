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

from vigil.atomic import make_dir, write_text

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
    make_dir(out)
    written: dict[str, Path] = {}
    path = out / f"{name}.json"
    write_text(path, to_json(stats))
    written["json"] = path
    for table in table_names(stats):
        path = out / f"{name}-{table}.csv"
        write_text(path, to_csv(stats[table]))
        written[table] = path
    path = out / f"{name}.html"
    tables = {t: stats[t] for t in table_names(stats)}
    scalars = {k: v for k, v in stats.items() if not isinstance(v, (list, dict))}
    html = _env.get_template("summary.html.j2").render(title=title, scalars=scalars, tables=tables, flat=flat)
    write_text(path, html)
    written["html"] = path
    return written
