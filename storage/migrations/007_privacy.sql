-- Personal data: where it was masked in each call (for muting audio), an append-only audit log, and which
-- calls lost their recording and transcript to retention. Transcripts are stored already redacted; the
-- unredacted text is not kept anywhere.

CREATE TABLE pii_spans (
    call_id VARCHAR NOT NULL,
    start_s DOUBLE NOT NULL,
    end_s DOUBLE NOT NULL,
    kind VARCHAR NOT NULL
        CHECK (kind IN ('name', 'address', 'date', 'passport', 'snils', 'inn', 'phone', 'card', 'email')),
    channel INTEGER  -- NULL: mute every channel
);
CREATE INDEX pii_spans_call_id ON pii_spans (call_id);

-- Rows are only ever inserted (storage/audit.py has no other write). Each row's hash covers the previous
-- row's hash, so an edit or a deletion made past the API breaks the chain and audit.verify finds it.
CREATE SEQUENCE audit_entry_seq;
CREATE TABLE audit_log (
    entry_no BIGINT PRIMARY KEY DEFAULT nextval('audit_entry_seq'),
    happened_at TIMESTAMPTZ NOT NULL,
    actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL CHECK (action IN ('sign_in', 'call_view', 'audio_playback', 'export', 'override',
                                              'decryption', 'erasure', 'retention_purge')),
    target VARCHAR,
    detail VARCHAR,
    prev_hash VARCHAR NOT NULL,
    entry_hash VARCHAR NOT NULL
);

CREATE TABLE retention_purges (
    call_id VARCHAR PRIMARY KEY,
    purged_at TIMESTAMPTZ NOT NULL,
    older_than_days INTEGER NOT NULL
);

ALTER TABLE processing_runs ADD COLUMN redact_seconds DOUBLE;
