"""Versioned schema migrations for the evidence store.

Each migration is applied once, in order, inside a transaction, and recorded in
``schema_migrations``. Never edit a released migration: add the next one.

Evidence tables (``reports``, ``quarantine``, ``dns_observations``, ``ingest_*``) are
append-only and carry provenance. Derived tables (``hosts``, ``ip_info``,
``url_site_types``) are rebuilt by ``vigil enrich`` from evidence and data files.
All timestamps are UTC, stored as ``TIMESTAMP`` without zone.
"""

from __future__ import annotations

from typing import NamedTuple


class Migration(NamedTuple):
    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "evidence: reports, quarantine, ingest provenance, DNS observations; derived enrichment",
        """
        CREATE TABLE ingest_batches (
            batch_id      VARCHAR PRIMARY KEY,
            kind          VARCHAR NOT NULL,
            started_at    TIMESTAMP NOT NULL,
            finished_at   TIMESTAMP,
            vigil_version VARCHAR NOT NULL,
            arguments     VARCHAR
        );
        CREATE TABLE ingest_files (
            file_sha256   VARCHAR PRIMARY KEY,
            kind          VARCHAR NOT NULL,
            path          VARCHAR NOT NULL,
            size_bytes    BIGINT NOT NULL,
            batch_id      VARCHAR NOT NULL,
            records_done  BIGINT NOT NULL,
            completed     BOOLEAN NOT NULL,
            rows_read     BIGINT NOT NULL DEFAULT 0,
            stored        BIGINT NOT NULL DEFAULT 0,
            duplicates    BIGINT NOT NULL DEFAULT 0,
            quarantined   BIGINT NOT NULL DEFAULT 0,
            updated_at    TIMESTAMP NOT NULL
        );
        CREATE TABLE reports (
            report_key    VARCHAR NOT NULL,
            report_id     VARCHAR NOT NULL,
            source        VARCHAR NOT NULL,
            reported_at   TIMESTAMP NOT NULL,
            url_original  VARCHAR NOT NULL,
            url           VARCHAR NOT NULL,
            host          VARCHAR NOT NULL,
            ip            VARCHAR,
            commercial    BOOLEAN,
            site_type     VARCHAR,
            payment_types VARCHAR[],
            notes         VARCHAR,
            source_file   VARCHAR NOT NULL,
            source_line   BIGINT NOT NULL,
            file_sha256   VARCHAR NOT NULL,
            batch_id      VARCHAR NOT NULL,
            ingested_at   TIMESTAMP NOT NULL
        );
        CREATE TABLE quarantine (
            kind          VARCHAR NOT NULL,
            source_file   VARCHAR NOT NULL,
            line          BIGINT NOT NULL,
            reason_code   VARCHAR NOT NULL,
            reason        VARCHAR NOT NULL,
            excerpt       VARCHAR,
            file_sha256   VARCHAR NOT NULL,
            batch_id      VARCHAR NOT NULL,
            ingested_at   TIMESTAMP NOT NULL
        );
        CREATE TABLE dns_observations (
            host          VARCHAR NOT NULL,
            ip            VARCHAR NOT NULL,
            seen_at       TIMESTAMP NOT NULL,
            resolver      VARCHAR NOT NULL,
            batch_id      VARCHAR NOT NULL
        );
        CREATE VIEW observations AS
            SELECT host, ip, reported_at AS seen_at, 'report' AS origin, report_key AS ref
            FROM reports WHERE ip IS NOT NULL
            UNION ALL
            SELECT host, ip, seen_at, 'dns' AS origin, resolver AS ref FROM dns_observations;
        CREATE TABLE hosts (
            host          VARCHAR PRIMARY KEY,
            registrable   VARCHAR,
            public_suffix VARCHAR,
            service       VARCHAR,
            identity      VARCHAR,
            label         VARCHAR,
            suffix        VARCHAR
        );
        CREATE TABLE ip_info (
            ip            VARCHAR PRIMARY KEY,
            country       VARCHAR,
            asn           BIGINT,
            organisation  VARCHAR,
            provider      VARCHAR NOT NULL
        );
        CREATE TABLE url_site_types (
            url           VARCHAR PRIMARY KEY,
            site_type     VARCHAR NOT NULL,
            decided_by    VARCHAR NOT NULL,
            rule          VARCHAR,
            reason        VARCHAR NOT NULL
        );
        CREATE TABLE enrich_runs (
            run_id        VARCHAR PRIMARY KEY,
            finished_at   TIMESTAMP NOT NULL,
            ip_provider   VARCHAR NOT NULL,
            data_files    VARCHAR NOT NULL,
            hosts         BIGINT NOT NULL,
            ips           BIGINT NOT NULL,
            urls          BIGINT NOT NULL,
            vigil_version VARCHAR NOT NULL
        );
        """,
    ),
    Migration(
        2,
        "captures: pages stored once by sha256 (compressed HTML, media stripped), capture evidence",
        """
        ALTER TABLE ingest_files ADD COLUMN skipped_media BIGINT DEFAULT 0;
        CREATE TABLE pages (
            page_sha256    VARCHAR NOT NULL,
            html_zlib      BLOB NOT NULL,
            size_bytes     BIGINT NOT NULL,
            media_stripped INTEGER NOT NULL,
            batch_id       VARCHAR NOT NULL,
            stored_at      TIMESTAMP NOT NULL
        );
        CREATE TABLE captures (
            capture_key    VARCHAR NOT NULL,
            capture_id     VARCHAR NOT NULL,
            source         VARCHAR NOT NULL,
            captured_at    TIMESTAMP NOT NULL,
            url_original   VARCHAR NOT NULL,
            url            VARCHAR NOT NULL,
            host           VARCHAR NOT NULL,
            referrer       VARCHAR,
            page_sha256    VARCHAR NOT NULL,
            source_file    VARCHAR NOT NULL,
            source_record  BIGINT NOT NULL,
            file_sha256    VARCHAR NOT NULL,
            batch_id       VARCHAR NOT NULL,
            ingested_at    TIMESTAMP NOT NULL
        );
        """,
    ),
    Migration(
        3,
        "reports: optional 'actioned' (the hotline acted on the URL)",
        "ALTER TABLE reports ADD COLUMN actioned BOOLEAN;",
    ),
    Migration(
        4,
        "attribution: per-page skeletons and identifiers (cached by page), derived templates, "
        "brands and distributors with evidence, analyst judgements",
        """
        CREATE TABLE page_skeletons (
            page_sha256   VARCHAR PRIMARY KEY,
            skeleton_id   VARCHAR NOT NULL,
            minhash       BLOB NOT NULL,
            features      INTEGER NOT NULL,
            version       INTEGER NOT NULL
        );
        CREATE TABLE page_identifiers (
            page_sha256   VARCHAR NOT NULL,
            kind          VARCHAR NOT NULL,
            value         VARCHAR NOT NULL,
            where_found   VARCHAR NOT NULL,
            raw           VARCHAR NOT NULL,
            is_pivot      BOOLEAN NOT NULL
        );
        CREATE TABLE judgements (
            judgement_id  VARCHAR PRIMARY KEY,
            brand_a       VARCHAR NOT NULL,
            brand_b       VARCHAR NOT NULL,
            verdict       VARCHAR NOT NULL,
            analyst       VARCHAR NOT NULL,
            note          VARCHAR,
            made_at       TIMESTAMP NOT NULL
        );
        CREATE TABLE capture_attribution (
            capture_key   VARCHAR PRIMARY KEY,
            skeleton_id   VARCHAR,
            template_id   VARCHAR,
            brand_id      VARCHAR,
            distributor_id VARCHAR,
            cover         BOOLEAN NOT NULL
        );
        CREATE TABLE templates (
            template_id   VARCHAR PRIMARY KEY,
            first_seen    TIMESTAMP NOT NULL,
            skeletons     INTEGER NOT NULL,
            lineage_skeleton VARCHAR,
            lineage_similarity DOUBLE
        );
        CREATE TABLE skeleton_links (
            skeleton_id   VARCHAR PRIMARY KEY,
            parent_id     VARCHAR,
            similarity    DOUBLE,
            template_id   VARCHAR NOT NULL,
            first_seen    TIMESTAMP NOT NULL
        );
        CREATE TABLE brands (
            brand_id      VARCHAR PRIMARY KEY,
            template_id   VARCHAR NOT NULL,
            distributor_id VARCHAR,
            first_seen    TIMESTAMP NOT NULL,
            last_seen     TIMESTAMP NOT NULL,
            captures      BIGINT NOT NULL,
            lineage_brand VARCHAR,
            evidence      VARCHAR
        );
        CREATE TABLE distributors (
            distributor_id VARCHAR PRIMARY KEY,
            first_seen    TIMESTAMP NOT NULL,
            last_seen     TIMESTAMP NOT NULL,
            brands        INTEGER NOT NULL,
            captures      BIGINT NOT NULL
        );
        CREATE TABLE identifier_values (
            kind          VARCHAR NOT NULL,
            value         VARCHAR NOT NULL,
            spread        INTEGER NOT NULL,
            status        VARCHAR NOT NULL,
            groups_joined INTEGER,
            reason        VARCHAR NOT NULL,
            distributor_id VARCHAR
        );
        CREATE TABLE page_cache (
            name          VARCHAR PRIMARY KEY,
            digest        VARCHAR NOT NULL
        );
        CREATE TABLE disguised_urls (
            url           VARCHAR PRIMARY KEY,
            cover_captures INTEGER NOT NULL,
            sales_captures INTEGER NOT NULL,
            referrer      VARCHAR NOT NULL
        );
        """,
    ),
    Migration(
        5,
        "assessment inputs: expert estimates, search-volume exports, test purchases (evidence with provenance)",
        """
        CREATE TABLE expert_estimates (
            question      VARCHAR NOT NULL,
            respondent    VARCHAR NOT NULL,
            value         DOUBLE NOT NULL,
            unit          VARCHAR NOT NULL,
            source_file   VARCHAR NOT NULL,
            source_line   BIGINT NOT NULL,
            file_sha256   VARCHAR NOT NULL,
            batch_id      VARCHAR NOT NULL,
            ingested_at   TIMESTAMP NOT NULL
        );
        CREATE TABLE search_volumes (
            period        VARCHAR NOT NULL,
            period_start  DATE NOT NULL,
            country       VARCHAR NOT NULL,
            term          VARCHAR NOT NULL,
            volume        DOUBLE NOT NULL,
            source_file   VARCHAR NOT NULL,
            source_line   BIGINT NOT NULL,
            file_sha256   VARCHAR NOT NULL,
            batch_id      VARCHAR NOT NULL,
            ingested_at   TIMESTAMP NOT NULL
        );
        CREATE TABLE test_purchases (
            purchase_key  VARCHAR NOT NULL,
            purchase_id   VARCHAR NOT NULL,
            purchased_at  TIMESTAMP NOT NULL,
            url_original  VARCHAR NOT NULL,
            url           VARCHAR NOT NULL,
            host          VARCHAR NOT NULL,
            payment_type  VARCHAR NOT NULL,
            processor     VARCHAR,
            merchant_account VARCHAR,
            amount        DOUBLE,
            currency      VARCHAR,
            outcome       VARCHAR,
            source_file   VARCHAR NOT NULL,
            source_line   BIGINT NOT NULL,
            file_sha256   VARCHAR NOT NULL,
            batch_id      VARCHAR NOT NULL,
            ingested_at   TIMESTAMP NOT NULL
        );
        """,
    ),
    Migration(
        6,
        "incremental attribution: what the last run saw (batches, settings), LSH bands, linking components and merges",
        """
        CREATE TABLE attribution_state (
            name          VARCHAR PRIMARY KEY,
            value         VARCHAR NOT NULL
        );
        CREATE TABLE attribution_batches (
            batch_id      VARCHAR PRIMARY KEY
        );
        CREATE TABLE attribution_bands (
            lsh           INTEGER NOT NULL,
            skeleton_id   VARCHAR NOT NULL,
            band          INTEGER NOT NULL,
            key           BIGINT NOT NULL,
            first_seen    TIMESTAMP NOT NULL
        );
        CREATE TABLE attribution_components (
            template_id   VARCHAR PRIMARY KEY,
            component     VARCHAR NOT NULL
        );
        CREATE TABLE attribution_merges (
            spread        INTEGER NOT NULL,
            node          VARCHAR NOT NULL,
            label         VARCHAR NOT NULL,
            templates     BIGINT NOT NULL,
            template_id   VARCHAR NOT NULL
        );
        """,
    ),
    Migration(
        7,
        "market (§2.2, §2.3): reports' optional channel; offers and channel signals per page (cached by page); "
        "derived URL channels with their reasons",
        """
        ALTER TABLE reports ADD COLUMN channel VARCHAR;
        CREATE TABLE market_pages (
            page_sha256   VARCHAR PRIMARY KEY,
            version       INTEGER NOT NULL
        );
        CREATE TABLE page_offers (
            page_sha256   VARCHAR NOT NULL,
            offer_no      INTEGER NOT NULL,
            offer_type    VARCHAR NOT NULL,
            period_days   INTEGER,
            amount        DOUBLE NOT NULL,
            currency      VARCHAR NOT NULL,
            span_start    BIGINT NOT NULL,
            span_end      BIGINT NOT NULL
        );
        CREATE TABLE page_channel_signals (
            page_sha256   VARCHAR NOT NULL,
            channel       VARCHAR NOT NULL,
            signal        VARCHAR NOT NULL,
            span_start    BIGINT NOT NULL,
            span_end      BIGINT NOT NULL
        );
        CREATE TABLE url_channels (
            url           VARCHAR PRIMARY KEY,
            channel       VARCHAR NOT NULL,
            decided_by    VARCHAR NOT NULL,
            rule          VARCHAR,
            reason        VARCHAR NOT NULL
        );
        CREATE VIEW capture_offers AS
            SELECT c.capture_key, c.captured_at, c.url, c.page_sha256, o.offer_no, o.offer_type, o.period_days,
                   o.amount, o.currency, o.span_start, o.span_end
            FROM captures c JOIN page_offers o ON o.page_sha256 = c.page_sha256;
        CREATE VIEW brand_offers AS
            SELECT a.brand_id, a.distributor_id, o.offer_type, o.period_days, o.amount, o.currency,
                   min(o.captured_at) AS first_seen, max(o.captured_at) AS last_seen,
                   count(DISTINCT o.capture_key) AS captures
            FROM capture_offers o JOIN capture_attribution a ON a.capture_key = o.capture_key
            WHERE NOT a.cover AND a.brand_id IS NOT NULL
            GROUP BY a.brand_id, a.distributor_id, o.offer_type, o.period_days, o.amount, o.currency;
        """,
    ),
    Migration(
        8,
        "access: organisations, users, sessions, API tokens, markings (TLP) of sources and records, "
        "the hash-chained audit log",
        """
        CREATE TABLE organisations (
            org_id        VARCHAR PRIMARY KEY,
            name          VARCHAR NOT NULL,
            kind          VARCHAR NOT NULL,
            created_at    TIMESTAMP NOT NULL
        );
        CREATE TABLE users (
            user_id       VARCHAR PRIMARY KEY,
            username      VARCHAR NOT NULL UNIQUE,
            org_id        VARCHAR NOT NULL,
            role          VARCHAR NOT NULL,
            clearance     VARCHAR NOT NULL,
            password_hash VARCHAR NOT NULL,
            disabled      BOOLEAN NOT NULL,
            created_at    TIMESTAMP NOT NULL
        );
        CREATE TABLE sessions (
            session_sha256 VARCHAR PRIMARY KEY,
            user_id       VARCHAR NOT NULL,
            csrf          VARCHAR NOT NULL,
            created_at    TIMESTAMP NOT NULL,
            expires_at    TIMESTAMP NOT NULL
        );
        CREATE TABLE api_tokens (
            token_id      VARCHAR PRIMARY KEY,
            user_id       VARCHAR NOT NULL,
            token_sha256  VARCHAR NOT NULL UNIQUE,
            scopes        VARCHAR NOT NULL,
            expires_at    TIMESTAMP NOT NULL,
            revoked       BOOLEAN NOT NULL,
            created_at    TIMESTAMP NOT NULL
        );
        CREATE TABLE source_markings (
            source        VARCHAR PRIMARY KEY,
            tlp           VARCHAR NOT NULL,
            org_id        VARCHAR NOT NULL,
            set_by        VARCHAR NOT NULL,
            set_at        TIMESTAMP NOT NULL
        );
        CREATE TABLE source_shares (
            source        VARCHAR NOT NULL,
            org_id        VARCHAR NOT NULL,
            PRIMARY KEY (source, org_id)
        );
        CREATE TABLE record_markings (
            kind          VARCHAR NOT NULL,
            record_key    VARCHAR NOT NULL,
            tlp           VARCHAR NOT NULL,
            org_id        VARCHAR NOT NULL,
            set_by        VARCHAR NOT NULL,
            set_at        TIMESTAMP NOT NULL,
            PRIMARY KEY (kind, record_key)
        );
        CREATE TABLE submissions (
            source        VARCHAR NOT NULL,
            file_sha256   VARCHAR NOT NULL,
            user_id       VARCHAR NOT NULL,
            org_id        VARCHAR NOT NULL,
            file_name     VARCHAR NOT NULL,
            submitted_at  TIMESTAMP NOT NULL
        );
        CREATE TABLE audit_log (
            seq           BIGINT PRIMARY KEY,
            logged_at     TIMESTAMP NOT NULL,
            actor         VARCHAR NOT NULL,
            action        VARCHAR NOT NULL,
            resource      VARCHAR NOT NULL,
            detail        VARCHAR NOT NULL,
            prev_hash     VARCHAR NOT NULL,
            entry_hash    VARCHAR NOT NULL
        );
        """,
    ),
    Migration(
        9,
        "disruption: takedown cases and their clock, notices sent (with marking), contact status, "
        "partner outcomes, feed deliveries",
        """
        CREATE TABLE takedown_cases (
            url           VARCHAR PRIMARY KEY,
            host          VARCHAR NOT NULL,
            domain        VARCHAR,
            suffix        VARCHAR,
            ip            VARCHAR,
            asn           BIGINT,
            country       VARCHAR,
            hosting_org   VARCHAR,
            upstream_asn  BIGINT,
            registrar     VARCHAR,
            registry      VARCHAR,
            brand         VARCHAR,
            distributor   VARCHAR,
            processor     VARCHAR,
            merchant_account VARCHAR,
            wallets       VARCHAR[],
            emails        VARCHAR[],
            payment_forms VARCHAR[],
            prices        VARCHAR[],
            evidence_ref  VARCHAR,
            dedicated     BOOLEAN NOT NULL DEFAULT FALSE,
            owner_org     VARCHAR NOT NULL,
            marking       VARCHAR NOT NULL,
            source        VARCHAR NOT NULL
        );
        CREATE TABLE takedown_events (
            event_key     VARCHAR PRIMARY KEY,
            url           VARCHAR NOT NULL,
            stage         VARCHAR NOT NULL,
            happened_at   TIMESTAMP NOT NULL,
            source        VARCHAR NOT NULL,
            recipient     VARCHAR,
            detail        VARCHAR
        );
        CREATE TABLE notices (
            notice_id     VARCHAR PRIMARY KEY,
            recipient     VARCHAR NOT NULL,
            role          VARCHAR NOT NULL,
            address       VARCHAR NOT NULL,
            bundle        VARCHAR NOT NULL,
            urls          VARCHAR[] NOT NULL,
            marking       VARCHAR NOT NULL,
            attempt       INTEGER NOT NULL,
            sent_at       TIMESTAMP NOT NULL,
            transport     VARCHAR NOT NULL,
            message_id    VARCHAR NOT NULL
        );
        CREATE TABLE contact_status (
            address       VARCHAR NOT NULL,
            status        VARCHAR NOT NULL,
            reason        VARCHAR NOT NULL,
            source        VARCHAR NOT NULL,
            marked_at     TIMESTAMP NOT NULL
        );
        CREATE TABLE partner_outcomes (
            partner       VARCHAR NOT NULL,
            item          VARCHAR NOT NULL,
            outcome       VARCHAR NOT NULL,
            recorded_at   TIMESTAMP NOT NULL,
            source_file   VARCHAR NOT NULL,
            source_line   BIGINT NOT NULL
        );
        CREATE TABLE feed_deliveries (
            feed          VARCHAR NOT NULL,
            recipient     VARCHAR NOT NULL,
            marking       VARCHAR NOT NULL,
            items         BIGINT NOT NULL,
            path          VARCHAR NOT NULL,
            sha256        VARCHAR NOT NULL,
            written_at    TIMESTAMP NOT NULL
        );
        """,
    ),
    Migration(
        10,
        "derived-step runs: when attribution (and later steps) last finished, for vigil status",
        """
        CREATE TABLE derived_runs (
            run_id        VARCHAR PRIMARY KEY,
            step          VARCHAR NOT NULL,
            finished_at   TIMESTAMP NOT NULL,
            summary       VARCHAR NOT NULL,
            vigil_version VARCHAR NOT NULL
        );
        """,
    ),
    Migration(
        11,
        "sharing: source and record markings (TLP 2.0), objects kept from partner bundles, "
        "partner keys for keyed matching and the hash-chained log of match runs",
        """
        CREATE TABLE share_source_markings (
            source        VARCHAR PRIMARY KEY,
            marking       VARCHAR NOT NULL,
            organisation  VARCHAR,
            set_at        TIMESTAMP NOT NULL
        );
        CREATE TABLE report_markings (
            report_key    VARCHAR PRIMARY KEY,
            marking       VARCHAR NOT NULL,
            organisation  VARCHAR,
            object_id     VARCHAR,
            batch_id      VARCHAR NOT NULL
        );
        CREATE TABLE shared_objects (
            object_id     VARCHAR NOT NULL,
            format        VARCHAR NOT NULL,
            type          VARCHAR NOT NULL,
            marking       VARCHAR NOT NULL,
            organisation  VARCHAR,
            body          VARCHAR NOT NULL,
            source_file   VARCHAR NOT NULL,
            record        BIGINT NOT NULL,
            file_sha256   VARCHAR NOT NULL,
            batch_id      VARCHAR NOT NULL,
            ingested_at   TIMESTAMP NOT NULL
        );
        CREATE TABLE partner_keys (
            key_id        VARCHAR PRIMARY KEY,
            partner       VARCHAR NOT NULL,
            secret        VARCHAR NOT NULL,
            created_at    TIMESTAMP NOT NULL,
            retired_at    TIMESTAMP,
            revoked_at    TIMESTAMP
        );
        CREATE TABLE match_runs (
            run_id        VARCHAR PRIMARY KEY,
            seq           BIGINT NOT NULL,
            partner       VARCHAR NOT NULL,
            key_id        VARCHAR,
            file_sha256   VARCHAR,
            rows_read     BIGINT NOT NULL,
            matched       BIGINT NOT NULL,
            marking       VARCHAR NOT NULL,
            outcome       VARCHAR NOT NULL,
            started_at    TIMESTAMP NOT NULL,
            prev_hash     VARCHAR NOT NULL,
            entry_hash    VARCHAR NOT NULL
        );
        """,
    ),
    Migration(
        12,
        "one source of truth for source markings: sharing's share_source_markings folded into the workbench's "
        "source_markings (the stricter level kept where both marked a source); a compatibility view keeps its name",
        """
        UPDATE source_markings SET tlp = s.marking
            FROM share_source_markings s
            WHERE s.source = source_markings.source
              AND list_position(['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'], s.marking)
                > list_position(['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'], source_markings.tlp);
        INSERT INTO source_markings
            SELECT s.source, s.marking, coalesce(s.organisation, '-'), 'vigil share mark-source', s.set_at
            FROM share_source_markings s
            WHERE s.source NOT IN (SELECT source FROM source_markings);
        DROP TABLE share_source_markings;
        CREATE VIEW share_source_markings AS
            SELECT source, tlp AS marking, nullif(org_id, '-') AS organisation, set_at FROM source_markings;
        """,
    ),
    Migration(
        13,
        "disruption: the hash-chained delivery log (each notice and feed sent: recipient, items, marking, "
        "time, transport, message-id or file hash)",
        """
        CREATE TABLE delivery_log (
            seq           BIGINT PRIMARY KEY,
            delivered_at  TIMESTAMP NOT NULL,
            kind          VARCHAR NOT NULL,
            name          VARCHAR NOT NULL,
            recipient     VARCHAR NOT NULL,
            address       VARCHAR NOT NULL,
            marking       VARCHAR NOT NULL,
            items         BIGINT NOT NULL,
            urls          VARCHAR[] NOT NULL,
            transport     VARCHAR NOT NULL,
            reference     VARCHAR NOT NULL,
            prev_hash     VARCHAR NOT NULL,
            entry_hash    VARCHAR NOT NULL
        );
        """,
    ),
    Migration(
        14,
        "ingest: progress recorded append-only (ingest_progress, one row per committed unit); ingest_files "
        "becomes the view of each file's newest row, so both engines keep checkpoints without updates",
        """
        CREATE TABLE ingest_progress (
            file_sha256   VARCHAR NOT NULL,
            seq           BIGINT NOT NULL,
            kind          VARCHAR NOT NULL,
            path          VARCHAR NOT NULL,
            size_bytes    BIGINT NOT NULL,
            batch_id      VARCHAR NOT NULL,
            records_done  BIGINT NOT NULL,
            completed     BOOLEAN NOT NULL,
            rows_read     BIGINT NOT NULL,
            stored        BIGINT NOT NULL,
            duplicates    BIGINT NOT NULL,
            quarantined   BIGINT NOT NULL,
            skipped_media BIGINT NOT NULL,
            updated_at    TIMESTAMP NOT NULL,
            PRIMARY KEY (file_sha256, seq)
        );
        INSERT INTO ingest_progress
            SELECT file_sha256, 1, kind, path, size_bytes, batch_id, records_done, completed, rows_read, stored,
                   duplicates, quarantined, coalesce(skipped_media, 0), updated_at
            FROM ingest_files;
        DROP TABLE ingest_files;
        CREATE VIEW ingest_files AS
            SELECT file_sha256, kind, path, size_bytes, batch_id, records_done, completed, rows_read, stored,
                   duplicates, quarantined, updated_at, skipped_media
            FROM (SELECT *, row_number() OVER (PARTITION BY file_sha256 ORDER BY seq DESC) AS newest
                  FROM ingest_progress) p
            WHERE newest = 1;
        """,
    ),
)

LATEST = MIGRATIONS[-1].version
