-- Correction on request (storage/correction.py) is audited like an erasure. DuckDB cannot alter a CHECK
-- constraint, so the log is copied into a table that allows the new action; its rows and hashes stay as they
-- were, and the entry sequence goes on.
CREATE TABLE audit_log_v2 (
    entry_no BIGINT PRIMARY KEY DEFAULT nextval('audit_entry_seq'),
    happened_at TIMESTAMPTZ NOT NULL,
    actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL CHECK (action IN ('sign_in', 'call_view', 'audio_playback', 'export', 'override',
                                              'decryption', 'erasure', 'correction', 'retention_purge')),
    target VARCHAR,
    detail VARCHAR,
    prev_hash VARCHAR NOT NULL,
    entry_hash VARCHAR NOT NULL
);
INSERT INTO audit_log_v2 SELECT entry_no, happened_at, actor, action, target, detail, prev_hash, entry_hash
FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_v2 RENAME TO audit_log;
