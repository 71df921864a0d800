"""The public surface, the docs and the CLI agree."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

import vigil
from vigil.cli import app
from vigil.model import QuarantineReason

ROOT = Path(__file__).resolve().parents[1]


def test_public_surface_is_small_and_importable() -> None:
    assert sorted(vigil.__all__) == ["Period", "VigilError", "__version__"]
    for name in vigil.__all__:
        assert getattr(vigil, name) is not None


def _commands() -> list[str]:
    names = []
    for command in app.registered_commands:
        names.append(command.name or command.callback.__name__)  # type: ignore[union-attr]
    for group in app.registered_groups:
        for command in group.typer_instance.registered_commands:  # type: ignore[union-attr]
            names.append(f"{group.name} {command.name or command.callback.__name__}")  # type: ignore[union-attr]
    return names


def test_every_command_is_in_the_readme_and_has_help() -> None:
    readme = (ROOT / "README.md").read_text()
    runner = CliRunner()
    for name in _commands():
        assert f"vigil {name}" in readme, f"README does not document `vigil {name}`"
        result = runner.invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0, result.output


def test_every_environment_variable_the_code_reads_is_documented() -> None:
    docs = (ROOT / "README.md").read_text() + "".join(p.read_text() for p in (ROOT / "docs").glob("*.md"))
    used: set[str] = set()
    for path in (ROOT / "src").rglob("*.py"):
        used |= set(re.findall(r"\"(VIGIL_[A-Z_]+)\"", path.read_text()))
    assert used, "the scan found no environment variables at all"
    missing = sorted(v for v in used if v not in docs)
    assert not missing, f"undocumented environment variables: {missing}"


def test_every_quarantine_code_is_documented() -> None:
    formats = (ROOT / "docs" / "formats.md").read_text()
    codes = {reason.value for reason in QuarantineReason}
    assert {"missing_url", "binary_junk", "bad_file", "truncated_file", "bad_url"} <= codes
    missing = sorted(c for c in codes if f"`{c}`" not in formats)
    assert not missing, f"quarantine codes missing from docs/formats.md: {missing}"


def test_quarantine_codes_are_the_enumeration_not_literals() -> None:
    literal = re.compile(r"code=f?\"|quarantine\.append\(\(\d+, \"|\"q_code\": \"")
    offenders = [str(path.relative_to(ROOT)) for path in (ROOT / "src").rglob("*.py") if literal.search(path.read_text())]
    assert not offenders, f"quarantine codes written as string literals (use vigil.model.QuarantineReason): {offenders}"


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["stats", "hosting", "--period", "2012Q5", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "2012Q5" in result.output and "--period" in result.output  # the error it names, not the missing store
