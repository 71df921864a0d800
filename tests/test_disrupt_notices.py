"""Notices: grouping, deduplication, need-to-know, XARF v4, SMTP, bounces and the escalation clock."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from disrupt_helpers import DATA, xarf_validator

from vigil.synth.procfile import world_processors
from vigil.disrupt import casestore, workflow
from vigil.disrupt.cases import Case
from vigil.disrupt.clocks import Event, build_records
from vigil.disrupt.escalation import Policy, due_for
from vigil.disrupt.notices import Due, plan_notices, render
from vigil.disrupt.rdap import CacheRdap
from vigil.disrupt.recipients import Contacts, Recipient, Resolver
from vigil.disrupt.transport import OutboxTransport, SmtpTransport
from vigil.disrupt.xarf import Sender
from vigil.store.store import Store

T0 = datetime(2012, 10, 1, 9, 0)
SENDER = Sender(org="Example Hotline", contact="notices@hotline.example", domain="hotline.example")


def case(n: int, **kw: Any) -> Case:
    values: dict[str, Any] = {"url": f"http://shop-a.test/p{n}", "host": "shop-a.test", "owner_org": "hotline", "marking": "TLP:AMBER",
                                  "domain": "shop-a.test", "suffix": "test", "ip": "192.0.2.10", "asn": 64500, "brand": "B-1",
                                  "processor": "example-card-gateway", "merchant_account": "example-card-gateway:M-77"}
    values.update(kw)
    return Case(**values)


HOST = Recipient("host", "Example Hosting", "abuse@hosting.example", "test")


def test_grouped_per_recipient_and_bundle_and_deduplicated() -> None:
    due = [Due(case(1), HOST, 1, "first"), Due(case(2), HOST, 1, "first"), Due(case(3, brand="B-2"), HOST, 1, "first"),
           Due(case(4), HOST, 1, "first")]
    plan = plan_notices(due, sent={(HOST.key, case(4).url, 1)})
    assert [(n.bundle, n.urls) for n in plan.notices] == [
        ("brand:B-1", ["http://shop-a.test/p1", "http://shop-a.test/p2"]), ("brand:B-2", ["http://shop-a.test/p3"])]
    assert plan.already_sent == 1
    again = plan_notices(due, sent={(HOST.key, d.case.url, 1) for d in due})
    assert again.notices == [] and again.already_sent == 4


def test_a_recipient_never_gets_another_orgs_or_a_stricter_record() -> None:
    due = [Due(case(1), HOST, 1, "f"), Due(case(2, marking="TLP:RED"), HOST, 1, "f"),
           Due(case(3, owner_org="partner-hotline"), HOST, 1, "f"), Due(case(4, owner_org="partner-hotline", marking="TLP:GREEN"), HOST, 1, "f"),
           Due(case(5, marking="TLP:AMBER+STRICT"), HOST, 1, "f")]
    plan = plan_notices(due, sent=set())
    assert [u for n in plan.notices for u in n.urls] == ["http://shop-a.test/p1", "http://shop-a.test/p4"]
    assert plan.withheld == 3
    green_only = plan_notices(due, sent=set(), clearance={HOST.key: "TLP:GREEN"})
    assert [u for n in green_only.notices for u in n.urls] == ["http://shop-a.test/p4"]


def test_rendered_notice_is_rfc5322_with_valid_xarf_and_no_content(vectors_dir: Path) -> None:
    validator = xarf_validator(vectors_dir)
    plan = plan_notices([Due(case(1), HOST, 1, "f", detected=T0), Due(case(2), HOST, 1, "f", detected=T0)], sent=set())
    message = render(plan.notices[0], sender=SENDER, sent_at=T0 + timedelta(hours=3))
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["To"] == "Example Hosting <abuse@hosting.example>" and parsed["Message-ID"].endswith("@hotline.example>")
    reports = [json.loads(p.get_content()) for p in parsed.iter_attachments()]
    assert len(reports) == 2
    for report in reports:
        errors = sorted(e.message for e in validator.iter_errors(report))
        assert errors == []
        assert report["category"] == "content" and report["type"] == "csam"
        evidence = base64.b64decode(report["evidence"][0]["payload"]).decode()
        assert evidence.startswith("field,value\nurl,http://shop-a.test/p") and "first_seen,2012-10-01T09:00:00Z" in evidence
    for part in parsed.walk():
        assert part.get_content_maintype() not in ("image", "video", "audio")


def test_the_xarf_samples_validate_and_a_broken_report_does_not(vectors_dir: Path) -> None:
    validator = xarf_validator(vectors_dir)
    sample = json.loads((vectors_dir / "xarf" / "samples" / "v4" / "content-csam.json").read_text())
    assert not list(validator.iter_errors(sample))
    del sample["classification"]
    assert list(validator.iter_errors(sample))  # the validator can fail


def test_escalation_follows_the_clock() -> None:
    ladder: dict[str, Recipient | None] = {
        "host": HOST, "upstream": Recipient("upstream", "Example Transit", "abuse@transit.example", "t"),
        "registrar": Recipient("registrar", "Quiet Registrar", None, "t"),
        "registry": Recipient("registry", "Test Registry", "abuse@registry.example", "t"), "processor": None}
    policy = Policy(resend_after=timedelta(days=2), escalate_after=timedelta(days=5), max_attempts=2)
    c = case(1)
    events = [Event(c.url, "detected", T0, "t"), Event(c.url, "assessed", T0, "t")]

    def step(now: datetime) -> tuple[str, int] | None:
        got = due_for(c, build_records(events)[c.url], ladder, now=now, policy=policy)
        if got is not None:
            events.append(Event(c.url, "notice_sent", now, "t", got.recipient.key))
            return got.recipient.key, got.attempt
        return None

    assert step(T0) == ("host:Example Hosting", 1)
    assert step(T0 + timedelta(days=1)) is None
    assert step(T0 + timedelta(days=2)) == ("host:Example Hosting", 2)
    assert step(T0 + timedelta(days=4)) is None  # max attempts reached, not yet time to escalate
    assert step(T0 + timedelta(days=5)) == ("upstream:Example Transit", 1)
    events.append(Event(c.url, "acknowledged", T0 + timedelta(days=6), "t", "upstream:Example Transit"))
    assert step(T0 + timedelta(days=8)) is None  # acknowledged: no re-send
    # the registrar has no mailbox (REDACTED): passed over for the registry
    assert step(T0 + timedelta(days=10)) == ("registry:Test Registry", 1)
    events.append(Event(c.url, "offline", T0 + timedelta(days=11), "recheck:a"))
    assert step(T0 + timedelta(days=30)) is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def smtp_server() -> Iterator[tuple[str, list[EmailMessage]]]:
    from aiosmtpd.controller import Controller

    received: list[EmailMessage] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            received.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
            return "250 OK"

    port = _free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"127.0.0.1:{port}", received
    finally:
        controller.stop()


def _store(tmp_path: Path, cases: list[Case]) -> Store:
    store = Store(tmp_path / "s.duckdb")
    casestore.save_cases(store.con, cases)
    casestore.add_events(store.con, [Event(c.url, s, T0, "t") for c in cases for s in ("detected", "assessed")])
    return store


def _resolver(store: Store) -> Resolver:
    return Resolver(contacts=Contacts.load([DATA / "contacts.toml"]), rdap=CacheRdap(DATA / "rdap"),
                    processors=world_processors(), unreliable=casestore.unreliable(store.con))


def _dsn(notice_message_id: str, address: str) -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.hosting.example>\r\nTo: notices@hotline.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nDate: Thu, 04 Oct 2012 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.hosting.example\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {notice_message_id}\r\nSubject: notice\r\n\r\n--b--\r\n"
    ).encode()


def test_smtp_delivery_bounce_and_escalation(tmp_path: Path, smtp_server: tuple[str, list[EmailMessage]],
                                             vectors_dir: Path) -> None:
    server, received = smtp_server
    validator = xarf_validator(vectors_dir)
    store = _store(tmp_path, [case(1), case(2), case(3, brand="B-2")])
    policy = Policy()
    first = workflow.send_notices(store.con, resolver=_resolver(store), policy=policy, now=T0 + timedelta(hours=1),
                                  sender=SENDER, transport=SmtpTransport(server))
    assert first.counts["notices"] == 2 and len(received) == 2
    assert {m["To"].addresses[0].addr_spec for m in received} == {"Abuse@hosting.example"}
    for message in received:
        for part in message.iter_attachments():
            assert not list(validator.iter_errors(json.loads(part.get_content())))
    # sending again at the same time sends nothing (deduplicated against what was sent)
    again = workflow.send_notices(store.con, resolver=_resolver(store), policy=policy, now=T0 + timedelta(hours=1),
                                  sender=SENDER, transport=SmtpTransport(server))
    assert again.counts["notices"] == 0 and len(received) == 2
    # the host's mailbox bounces: the contact is marked unreliable
    replies = tmp_path / "replies"
    replies.mkdir()
    (replies / "bounce.eml").write_bytes(_dsn(str(received[0]["Message-ID"]), "Abuse@hosting.example"))
    back = workflow.read_back(store.con, replies)
    assert back.counts["bounced"] == 1 and back.counts["contacts_marked"] == 1
    assert casestore.unreliable(store.con) == {"Abuse@hosting.example"}
    # a day later: no re-send to a dead mailbox; the next rung (upstream) gets the notice at once
    later = workflow.send_notices(store.con, resolver=_resolver(store), policy=policy, now=T0 + timedelta(days=1),
                                  sender=SENDER, transport=SmtpTransport(server))
    assert {i["recipient"] for i in later.items} == {"upstream:Example Transit"} and len(received) == 4


def test_outbox_and_an_answer_acknowledges(tmp_path: Path) -> None:
    store = _store(tmp_path, [case(1)])
    outbox = tmp_path / "outbox"
    workflow.send_notices(store.con, resolver=_resolver(store), policy=Policy(), now=T0, sender=SENDER,
                          transport=OutboxTransport(outbox))
    [eml] = sorted(outbox.glob("*.eml"))
    sent = message_from_bytes(eml.read_bytes(), policy=policy.default)
    answer = (f"From: Abuse <abuse@hosting.example>\r\nTo: notices@hotline.example\r\nSubject: Re: {sent['Subject']}\r\n"
              f"In-Reply-To: {sent['Message-ID']}\r\nDate: Tue, 02 Oct 2012 08:00:00 +0000\r\n\r\nWe are looking into it.\r\n")
    auto = ("From: Someone <abuse@registry.example>\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n"
            "Date: Tue, 02 Oct 2012 08:00:00 +0000\r\n\r\naway\r\n")
    replies = tmp_path / "in"
    replies.mkdir()
    (replies / "a.eml").write_text(answer)
    (replies / "b.eml").write_text(auto)
    back = workflow.read_back(store.con, replies)
    assert back.counts["reply"] == 1 and back.counts["acknowledged"] == 1 and back.counts["auto-reply"] == 1
    record = build_records(casestore.load_events(store.con))[case(1).url]
    assert record.acknowledged == {"host:Example Hosting": datetime(2012, 10, 2, 8, 0)}
    assert casestore.unreliable(store.con) == {"abuse@registry.example"}
