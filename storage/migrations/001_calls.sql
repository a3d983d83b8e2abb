-- Calls and what was made of them. Rows of one call are replaced together by the writer, so
-- segments and words carry no foreign keys (DuckDB refuses to delete rows a foreign key points at).

CREATE TABLE calls (
    call_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMPTZ,
    -- TIMESTAMPTZ keeps the instant only; the sidecar's offset is the regional centre's local time
    utc_offset_s INTEGER,
    operator_id VARCHAR,
    caller_id VARCHAR,
    ivr_branch INTEGER,
    regional_center VARCHAR,
    channels VARCHAR,
    operator_channel INTEGER,
    language_hint VARCHAR,
    language VARCHAR,
    language_probability DOUBLE,
    duration_s DOUBLE,
    status VARCHAR NOT NULL CHECK (status IN ('done', 'failed')),
    error VARCHAR,
    recording_id VARCHAR,
    run_id VARCHAR,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE recordings (
    recording_id VARCHAR PRIMARY KEY,  -- sha256 hex of the ciphertext
    call_id VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    size_bytes BIGINT NOT NULL,
    key_id VARCHAR,
    codec VARCHAR,
    sample_rate INTEGER,
    channel_count INTEGER,
    status VARCHAR NOT NULL CHECK (status IN ('done', 'failed')),
    quarantined_to VARCHAR,
    received_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX recordings_call_id ON recordings (call_id);

-- the full-text index needs a single-column key per document
CREATE SEQUENCE segment_id_seq;

CREATE TABLE segments (
    call_id VARCHAR NOT NULL,
    segment_no INTEGER NOT NULL,
    segment_id BIGINT NOT NULL DEFAULT nextval('segment_id_seq'),
    start_s DOUBLE NOT NULL,
    end_s DOUBLE NOT NULL,
    channel INTEGER,
    speaker VARCHAR,
    role VARCHAR,
    text VARCHAR NOT NULL,
    PRIMARY KEY (call_id, segment_no)
);
-- saving a call deletes its rows by call_id, which the (call_id, segment_no) key does not serve
CREATE INDEX segments_call_id ON segments (call_id);

CREATE TABLE words (
    call_id VARCHAR NOT NULL,
    segment_no INTEGER NOT NULL,
    word_no INTEGER NOT NULL,
    start_s DOUBLE NOT NULL,
    end_s DOUBLE NOT NULL,
    text VARCHAR NOT NULL,
    probability DOUBLE,
    channel INTEGER,
    speaker VARCHAR,
    PRIMARY KEY (call_id, segment_no, word_no)
);
CREATE INDEX words_call_id ON words (call_id);
