"""A tiny store with known truth for the sharing tests: two sources, two markings.

``HL-G`` (TLP:GREEN) and ``HL-S`` (TLP:AMBER+STRICT). Distributor D-1 runs brands B-1 and
B-2 (tied by merchant account ``acq/M100``, seen on HL-G captures) and B-5, whose only
capture is HL-S's; distributor D-2 runs B-3 and B-4 (tied by an e-mail, HL-S only).
Reports: three GREEN URLs and one AMBER+STRICT URL. One test purchase on B-1's URL, paid to
``acq/M100`` (a payment provider's record: AMBER at least).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from vigil.share.marks import set_source_marking
from vigil.store import Store

T0 = datetime(2012, 10, 1)
GREEN_URLS = ["http://shop-a.example/", "http://shop-b.example/pay", "http://banner.test/x"]
STRICT_URL = "http://strict-only.example/hidden"
STRICT_EMAIL = "strict-contact@mail.example"
MERCHANT = "acq/M100"

# capture id, source, url, brand, distributor, page, when
CAPTURES = [
    ("c1", "HL-G", "http://shop-a.example/", "B-1", "D-1", "p1", datetime(2012, 10, 2)),
    ("c2", "HL-G", "http://shop-b.example/pay", "B-2", "D-1", "p2", datetime(2012, 11, 5)),
    ("c5", "HL-S", "http://strict-b5.example/", "B-5", "D-1", "p5", datetime(2012, 11, 20)),
    ("c3", "HL-S", "http://strict-b3.example/", "B-3", "D-2", "p3", datetime(2012, 10, 9)),
    ("c4", "HL-S", "http://strict-b4.example/", "B-4", "D-2", "p4", datetime(2012, 12, 1)),
]
IDENTIFIERS = [("p1", "merchant_account", MERCHANT), ("p2", "merchant_account", MERCHANT),
               ("p5", "merchant_account", MERCHANT), ("p3", "email", STRICT_EMAIL), ("p4", "email", STRICT_EMAIL)]  # fmt: skip


def build_store(path: Path) -> Path:
    with Store(path) as store:
        con = store.con
        rows = [(f"r{i}", "HL-G", url, datetime(2012, 10, 3 + i), i == 0) for i, url in enumerate(GREEN_URLS)]
        rows.append(("r9", "HL-S", STRICT_URL, datetime(2012, 11, 1), True))
        rows.append(("r10", "HL-G", GREEN_URLS[0], datetime(2012, 12, 24), True))
        for rid, source, url, when, commercial in rows:
            host = url.split("/")[2]
            con.execute("""INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pay_per_view', ['credit_card'], NULL,
                'fixture', 1, 'sha', 'b0', ?, NULL, NULL)""",
                        [f"{source}:{rid}", rid, source, when, url, url, host, "192.0.2.10", commercial, when])  # fmt: skip
        for cid, source, url, brand, dist, page, when in CAPTURES:
            con.execute("INSERT INTO captures VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, 'fixture', 1, 'sha', 'b0', ?)",
                        [f"k{cid}", cid, source, when, url, url, url.split("/")[2], page, when])  # fmt: skip
            con.execute("INSERT INTO capture_attribution VALUES (?, 's', 't', ?, ?, false)", [f"k{cid}", brand, dist])
            con.execute("INSERT INTO brands VALUES (?, ?, ?, ?, ?, 1, NULL, NULL)", [brand, f"T-{brand}", dist, when, when])
        for dist, brands in (("D-1", ["B-1", "B-2", "B-5"]), ("D-2", ["B-3", "B-4"])):
            whens = [c[6] for c in CAPTURES if c[3] in brands]
            con.execute("INSERT INTO distributors VALUES (?, ?, ?, ?, ?)", [dist, min(whens), max(whens), len(brands), len(brands)])
        for page, kind, value in IDENTIFIERS:
            con.execute("INSERT INTO page_identifiers VALUES (?, ?, ?, 'form', ?, true)", [page, kind, value, value])
        con.execute(f"INSERT INTO identifier_values VALUES ('merchant_account', '{MERCHANT}', 3, 'link', 2, 'shared', 'D-1')")
        con.execute(f"INSERT INTO identifier_values VALUES ('email', '{STRICT_EMAIL}', 2, 'link', 2, 'shared', 'D-2')")
        con.execute("INSERT INTO ip_info VALUES ('192.0.2.10', 'ZZ', 64500, 'Fictional Hosting', 'fixture')")
        con.execute("""INSERT INTO test_purchases VALUES ('tp1', 'TP-1', ?, ?, ?, 'shop-a.example', 'credit_card',
            'acq', ?, 29.95, 'EUR', 'charged', 'fixture', 1, 'sha', 'b0', ?)""",
                    [datetime(2012, 10, 20), GREEN_URLS[0], GREEN_URLS[0], MERCHANT, datetime(2012, 10, 20)])  # fmt: skip
        set_source_marking(store, "HL-G", "GREEN")
        set_source_marking(store, "HL-S", "amber+strict")
    return path
