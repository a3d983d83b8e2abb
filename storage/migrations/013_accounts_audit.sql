-- An account can be disabled without losing who it was in the audit log.
ALTER TABLE users ADD COLUMN disabled BOOLEAN DEFAULT false;

-- Failed sign-ins and changes to accounts are audited (storage/audit.py). DuckDB cannot alter a CHECK
-- constraint, so the log is copied into a table that allows the new actions, as in 011.
CREATE TABLE audit_log_v3 (
    entry_no BIGINT PRIMARY KEY DEFAULT nextval('audit_entry_seq'),
    happened_at TIMESTAMPTZ NOT NULL,
    actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL CHECK (action IN ('sign_in', 'sign_in_failed', 'call_view', 'audio_playback', 'export',
                                              'override', 'decryption', 'erasure', 'correction', 'retention_purge',
                                              'user_change')),
    target VARCHAR,
    detail VARCHAR,
    prev_hash VARCHAR NOT NULL,
    entry_hash VARCHAR NOT NULL
);
INSERT INTO audit_log_v3 SELECT entry_no, happened_at, actor, action, target, detail, prev_hash, entry_hash
FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_v3 RENAME TO audit_log;
