"""Every bad invocation of every command ends in one clear line, a non-zero exit and no
half-written output (issue 17). The rows live in ``tests/bad_invocations/`` (one module per
area of the command line); this file runs them and checks that every option of every command
has a row or a stated exemption, so that a new option without one fails here, saying what
to add.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bad_invocations
import pytest
import typer.main
from bad_invocations import Case
from typer.testing import CliRunner

from vigil.cli import app

ROWS_DIR = Path(bad_invocations.__file__).parent


def _modules() -> list[Any]:
    return [importlib.import_module(f"bad_invocations.{m.name}") for m in pkgutil.iter_modules([str(ROWS_DIR)])]


MODULES = _modules()
CASES: list[Case] = [case for module in MODULES for case in module.CASES]
EXEMPT: dict[tuple[str, str], str] = {key: why for module in MODULES for key, why in getattr(module, "EXEMPT", {}).items()}
VALID_ARGS: dict[str, tuple[str, ...]] = {k: v for module in MODULES for k, v in getattr(module, "VALID_ARGS", {}).items()}

#: Bad values of the environment settings; every command must refuse each before any work.
BAD_ENV = {
    "VIGIL_THREADS": ("many", "VIGIL_THREADS"),
    "VIGIL_WORKERS": ("0", "VIGIL_WORKERS"),
    "VIGIL_MEMORY_LIMIT": ("lots", "VIGIL_MEMORY_LIMIT"),
    "VIGIL_PROGRESS": ("loud", "VIGIL_PROGRESS"),
    "VIGIL_SPARK_DRIVER_MEMORY": ("big", "VIGIL_SPARK_DRIVER_MEMORY"),
    "VIGIL_ENGINE": ("oracle", "VIGIL_ENGINE"),
}


def _walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield " ".join(path), command
        return
    for name, sub in sorted(subcommands.items()):
        yield from _walk(sub, (*path, name))


ROOT = typer.main.get_command(app)
COMMANDS = dict(_walk(ROOT))


def _params(command: Any) -> Iterator[tuple[str, set[str]]]:
    """(shown name, names a row may use) of each option and argument that takes a value."""
    for param in command.params:
        if getattr(param, "is_flag", False) or param.name == "help":
            continue  # a flag takes no value that could be bad
        if param.param_type_name == "argument":
            yield param.name.upper(), {param.name.upper()}
        else:
            yield param.opts[0], set(param.opts) | set(getattr(param, "secondary_opts", []))


def test_every_option_of_every_command_has_a_bad_invocation_row() -> None:
    covered: dict[str, set[str]] = {}
    for case in CASES:
        covered.setdefault(case.command, set()).update(case.covered())
    missing = []
    for name, command in [("", ROOT), *COMMANDS.items()]:
        for shown, names in _params(command):
            if names & covered.get(name, set()) or (name, shown) in EXEMPT:
                continue
            if shown == "--db" and name:
                continue  # the test makes a --db row for every command itself (test_a_db_under_a_file)
            missing.append(
                f"`vigil {name} {shown}` has no bad-invocation row: add Case({name!r}, (<args with a bad {shown}>,), "
                f"expect=<words of the one-line error>) to CASES in tests/bad_invocations/<area>.py "
                f"(the module for src/vigil/cli/<area>.py; make it if new), or ({name!r}, {shown!r}): '<why no value can be bad>' to its EXEMPT"
            )
    assert not missing, "\n".join(missing)
    known = set(COMMANDS) | {""}
    strays = sorted({c.command for c in CASES} - known)
    assert not strays, f"rows for commands that do not exist: {strays}"


@pytest.fixture(scope="session")
def ready(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small world and a store made from it (reports, captures, attribution)."""
    from vigil.synth import generate_world

    base = tmp_path_factory.mktemp("bad-invocations")
    world = base / "world"
    generate_world(world, seed=5, reports=300)
    db = base / "ready.duckdb"
    runner = CliRunner()
    for args in (["ingest", "reports", str(world / "reports")], ["ingest", "captures", str(world / "captures")],
                 ["attribute", "--processors", str(world / "processors.toml")]):
        result = runner.invoke(app, [*args, "--db", str(db)])
        assert result.exit_code == 0, result.output
    return {"world": world, "db": db}


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _placeholders(ready: dict[str, Path], tmp: Path) -> dict[str, str]:
    files = tmp / "inputs"
    files.mkdir()
    made = {
        "file": ("a-file", b"plain text\n"),
        "not_utf8": ("latin1.txt", "caf\xe9,na\xefve\n".encode("latin-1")),
        "bad_json": ("bad.json", b'{"list": [unclosed\n'),
        "bad_toml": ("bad.toml", b"[processor\nname = \n"),
        "bad_csv": ("bad.csv", b"what,ever\n1,2\n"),
        "lexicon": ("lexicon.csv", b"pattern,category\nalpha,series\n"),
        "truth_elsewhere": ("truth.jsonl", b'{"capture_id": "elsewhere-1", "brand": "b", "distributor": "d"}\n'),
    }
    values = {"db": str(ready["db"]), "world": str(ready["world"]), "missing": str(files / "missing.csv")}
    for key, (name, data) in made.items():
        (files / name).write_bytes(data)
        values[key] = str(files / name)
    out = tmp / "out"
    out.mkdir()
    values["tmp"] = str(out)
    return values


def _check(result: Any, *, exit_code: int, expect: str, what: str) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.output, f"{what}: a traceback\n{result.output}"
    assert result.exit_code == exit_code, f"{what}: exit {result.exit_code}, wanted {exit_code}\n{result.output}"
    assert len(lines) == 1, f"{what}: {len(lines)} lines on stderr, wanted 1:\n{result.stderr}"
    assert expect in lines[0], f"{what}: the error line does not say {expect!r} (a different error was reached?):\n{lines[0]}"


def _no_partial_output(folder: Path) -> None:
    left = [p for p in folder.rglob("*") if p.name.endswith(".part")]
    assert not left, f"partial output left behind: {left}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_invocation_ends_in_one_line(case: Case, ready: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    values = _placeholders(ready, tmp_path)
    for name, value in case.env.items():
        monkeypatch.setenv(name, _fill(value, values))
    before = {path: "old contents\n" for path in (_fill(p, values) for p in case.untouched)}
    for path, text in before.items():
        Path(path).write_text(text)
    db_before = ready["db"].stat().st_mtime_ns
    args = [_fill(a, values) for a in case.args]
    result = CliRunner().invoke(app, [*case.command.split(), *args] if case.command else args)
    _check(result, exit_code=case.exit_code, expect=_fill(case.expect, values), what=f"vigil {case.id}")
    for path in case.no_output:
        assert not Path(_fill(path, values)).exists(), f"vigil {case.id}: left {path} behind"
    for path, text in before.items():
        assert Path(path).read_text() == text, f"vigil {case.id}: changed {path} although it failed"
    _no_partial_output(tmp_path)
    _no_partial_output(ready["world"])
    del db_before  # opening the store may migrate it; its contents are checked by the rows that matter


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("variable", sorted(BAD_ENV))
def test_a_bad_environment_value_stops_every_command(command: str, variable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    value, expect = BAD_ENV[variable]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    monkeypatch.setenv("VIGIL_DB", str(tmp_path / "v.duckdb"))
    result = CliRunner().invoke(app, command.split())
    _check(result, exit_code=2, expect=expect, what=f"{variable}={value} vigil {command}")
    assert not list(tmp_path.iterdir()), f"{variable}={value} vigil {command} wrote {list(tmp_path.iterdir())}"


_DB_COMMANDS = sorted(name for name, command in COMMANDS.items() if any(p.name == "db" for p in command.params))


@pytest.mark.parametrize("command", _DB_COMMANDS)
def test_a_db_under_a_file(command: str, ready: dict[str, Path], tmp_path: Path) -> None:
    """``--db`` whose folder is an ordinary file: one line naming it, before any work."""
    plain = tmp_path / "a-file"
    plain.write_text("not a folder\n")
    needed = [p for p in COMMANDS[command].params if p.required and p.name != "db"]
    if needed and command not in VALID_ARGS:
        pytest.fail(f"`vigil {command}` has required parameters: give VALID_ARGS[{command!r}] = (<args that work>,) in its tests/bad_invocations module")
    values = {"world": str(ready["world"]), "tmp": str(tmp_path), "file": str(plain)}
    args = [_fill(a, values) for a in VALID_ARGS.get(command, ())]
    result = CliRunner().invoke(app, [*command.split(), *args, "--db", str(plain / "v.duckdb")])
    _check(result, exit_code=2, expect=str(plain), what=f"vigil {command} --db <file>/v.duckdb")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_the_rows_module_documents_its_placeholders() -> None:
    used = {part.split("}")[0] for case in CASES for a in (*case.args, *case.no_output, *case.untouched) for part in a.split("{")[1:]}
    assert used <= set(bad_invocations.PLACEHOLDERS), used - set(bad_invocations.PLACEHOLDERS)


def test_the_ready_store_works(ready: dict[str, Path]) -> None:
    """The rows fail for their own reason, not because the store they are given is broken."""
    result = CliRunner().invoke(app, ["status", "--db", str(ready["db"])])
    assert result.exit_code == 0 and not result.stderr.strip(), result.output


def test_a_duckdb_error_is_folded_into_one_line() -> None:
    """DuckDB's own messages run over several lines (the SQL and a caret): one line, the SQL kept for --debug."""
    import duckdb

    from vigil.cli.core import _describe, _one_line
    from vigil.errors import StoreError

    sql = "SELECT nope\nFROM range(3)"
    with pytest.raises(duckdb.Error) as caught:
        duckdb.connect().execute(sql)
    assert "\n" in str(caught.value), "DuckDB's message was already one line: this test proves nothing"
    message, code = _describe(StoreError("count things", sql, caught.value))
    line = _one_line(message)
    assert "\n" not in line and "LINE 1" not in line and "^" not in line and code == 2
    assert "count things" in line and "nope" in line


def test_output_is_whole_or_absent(tmp_path: Path) -> None:
    """A failure while writing leaves neither the file nor a temporary beside it; an old file stays as it was."""
    from vigil.atomic import atomic_dir, atomic_open

    target = tmp_path / "export.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write("half a ro")
        raise RuntimeError("the disk filled up")
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["export.csv"]
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "world") as folder:
        (folder / "reports.csv").write_text("a,b\n")
        raise RuntimeError("generator failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv"]


def test_version_needs_no_command() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("vigil ") and not result.stderr
