-- Post-call surveys and the personal account's feedback comments. Results are kept whether or not their call
-- was processed yet: they join calls when read. Bad rows are kept too, with the reason they were refused.

-- A result's id is the hash of its content, so a re-sent result is recognised and stored once.
CREATE TABLE survey_results (
    result_id VARCHAR PRIMARY KEY,
    source VARCHAR NOT NULL CHECK (source IN ('post_call', 'account_comment')),
    call_id VARCHAR,
    caller_id VARCHAR,  -- comments from the personal account may name the caller instead of a call
    rating INTEGER CHECK (rating BETWEEN 1 AND 5),
    resolved BOOLEAN,
    comment VARCHAR,  -- PII masked
    answered_at TIMESTAMPTZ NOT NULL,
    batch_id VARCHAR NOT NULL,
    CHECK (call_id IS NOT NULL OR caller_id IS NOT NULL)
);
CREATE INDEX survey_results_call_id ON survey_results (call_id);

-- one row per file or HTTP request received, with what became of its rows
CREATE TABLE survey_batches (
    batch_id VARCHAR PRIMARY KEY,
    source VARCHAR NOT NULL,
    origin VARCHAR NOT NULL,  -- the file's name or the HTTP client's name
    accepted INTEGER NOT NULL,
    duplicates INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    received_at TIMESTAMPTZ NOT NULL
);

-- The raw row as received (comment PII masked); the same bad row sent again is recorded once.
CREATE TABLE survey_rejects (
    reject_id VARCHAR PRIMARY KEY,
    batch_id VARCHAR NOT NULL,
    row_no INTEGER,  -- 1-based; NULL when the whole file or body was unreadable
    raw VARCHAR NOT NULL,
    reason VARCHAR NOT NULL
);
CREATE INDEX survey_rejects_batch_id ON survey_rejects (batch_id);

-- Systems allowed to push results over HTTP. Only a hash of each token is kept: tokens are random, 256 bits.
CREATE TABLE survey_clients (
    name VARCHAR PRIMARY KEY,
    token_sha256 VARCHAR NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
