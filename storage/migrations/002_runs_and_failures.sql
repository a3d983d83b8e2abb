-- Bookkeeping of pipeline runs: what ran with which settings, how long it took, what failed and why.

CREATE TABLE processing_runs (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    pipeline_version VARCHAR NOT NULL,
    asr_model VARCHAR NOT NULL,
    settings JSON NOT NULL,
    calls_total INTEGER,
    calls_done INTEGER,
    calls_failed INTEGER,
    calls_skipped INTEGER,
    audio_seconds DOUBLE,
    wall_seconds DOUBLE,
    decode_seconds DOUBLE,  -- decryption and audio decoding together
    asr_seconds DOUBLE,
    store_seconds DOUBLE
);

CREATE SEQUENCE failure_id_seq;

CREATE TABLE failures (
    failure_id BIGINT PRIMARY KEY DEFAULT nextval('failure_id_seq'),
    run_id VARCHAR NOT NULL,
    call_id VARCHAR,  -- NULL when the sidecar could not be trusted to name the call
    recording_id VARCHAR,
    recording_path VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX failures_run_id ON failures (run_id);
