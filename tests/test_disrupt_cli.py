"""Disruption commands: one-line errors, the policy file, mailboxes, the dry-run outbox end to end."""

from __future__ import annotations

import mailbox
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vigil.cli import app
from vigil.disrupt.bounces import read_replies
from vigil.disrupt.escalation import Policy
from vigil.errors import ConfigError


@pytest.mark.parametrize("args", [
    ["feed", "everything", "--out", "x"],
    ["stats", "takedown", "--period", "2012", "--by", "moon"],
    ["notices", "send", "--transport", "pigeon"],
    ["notices", "send", "--transport", "smtp"],
    ["notices", "send", "--from", "nobody"],
    ["notices", "send", "--clearance", "x=TLP:PINK"],
    ["takedown", "import", "cases.jsonl", "--marking", "PINK"],
    ["takedown", "show", "http://nowhere.test/"],
])
def test_errors_are_one_line(tmp_path: Path, args: list[str]) -> None:
    db = tmp_path / "s.duckdb"
    CliRunner().invoke(app, ["takedown", "sync", "--db", str(db)])
    result = CliRunner().invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1, result.output


def test_policy_file(tmp_path: Path) -> None:
    good = tmp_path / "p.toml"
    good.write_text('resend_after_hours = 24\nescalate_after_hours = 72\nmax_attempts = 3\nladder = ["host", "registrar"]\n')
    policy = Policy.load(good)
    assert (policy.resend_after, policy.escalate_after, policy.max_attempts, policy.ladder) == (
        timedelta(hours=24), timedelta(hours=72), 3, ("host", "registrar"))
    bad = tmp_path / "b.toml"
    bad.write_text('ladder = ["host", "police"]\n')
    with pytest.raises(ConfigError, match=r"b\.toml.*police"):
        Policy.load(bad)


def _auto(n: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"desk{n}@hosting.example"
    message["Subject"] = "Automatic reply: away"
    message["Date"] = "Mon, 01 Oct 2012 10:00:00 +0000"
    message.set_content("away")
    return message


def test_replies_from_a_maildir_and_an_mbox(tmp_path: Path) -> None:
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    box.add(_auto(1))
    mbox = mailbox.mbox(str(tmp_path / "in.mbox"), create=True)
    mbox.add(_auto(2))
    mbox.flush()
    got = read_replies(tmp_path / "Maildir") + read_replies(tmp_path / "in.mbox")
    assert [(r.kind, r.address) for r in got] == [("auto-reply", "desk1@hosting.example"), ("auto-reply", "desk2@hosting.example")]


def test_notices_end_to_end_through_the_outbox(tmp_path: Path) -> None:
    runner = CliRunner()
    world, db = tmp_path / "w", str(tmp_path / "t.duckdb")
    for args in (["takedown", "synth", "--out", str(world), "--brands", "6"], ["takedown", "import", str(world / "cases.jsonl")]):
        assert runner.invoke(app, [*args, "--db", db] if args[1] == "import" else args).exit_code == 0
    send = ["notices", "send", "--db", db, "--now", "2012-12-31T00:00", "--contacts", str(world / "contacts.toml"),
            "--processors", str(world / "processors.toml"), "--rdap-cache", str(world / "rdap"), "--outbox", str(tmp_path / "outbox"), "--format", "json"]
    first = runner.invoke(app, send)
    assert first.exit_code == 0, first.output
    emls = sorted((tmp_path / "outbox").glob("*.eml"))
    assert emls and all(b"Content-Type: application/json" in p.read_bytes() for p in emls)
    again = runner.invoke(app, send)
    assert '"notices": 0' in again.output  # nothing new is due at the same time
