-- What insights learned about calls: the caller's complaint, its cluster, the call's topic and routing, repeat
-- calls and registered requests with their deadlines. Rows are keyed by call and replaced by the writer.

CREATE TABLE complaints (
    call_id VARCHAR PRIMARY KEY,
    text VARCHAR NOT NULL,  -- empty: the caller stated no problem (a silent line)
    refers_to_earlier_call BOOLEAN NOT NULL,
    embedding FLOAT[512] NOT NULL,
    encoder VARCHAR NOT NULL,
    extracted_at TIMESTAMPTZ NOT NULL
);

-- Ids are never reused: a cluster that a full re-cluster does not carry over is retired, not deleted.
CREATE TABLE complaint_clusters (
    cluster_id INTEGER PRIMARY KEY,
    topic VARCHAR,  -- every member's topic; NULL for clusters made without topics
    vector_sum DOUBLE[512] NOT NULL,  -- sum of the members' unit vectors; its direction is the centroid
    size INTEGER NOT NULL,
    keywords VARCHAR[] NOT NULL,
    quote VARCHAR NOT NULL,
    emerging BOOLEAN NOT NULL DEFAULT false,
    retired BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE call_clusters (
    call_id VARCHAR PRIMARY KEY,
    cluster_id INTEGER NOT NULL,
    similarity DOUBLE NOT NULL,
    run_id VARCHAR NOT NULL
);
CREATE INDEX call_clusters_cluster_id ON call_clusters (cluster_id);

CREATE TABLE cluster_runs (
    run_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL CHECK (kind IN ('assign', 'recluster')),
    started_at TIMESTAMPTZ NOT NULL,
    calls INTEGER NOT NULL,
    clusters_opened INTEGER NOT NULL,
    settings JSON NOT NULL
);

CREATE TABLE call_topics (
    call_id VARCHAR PRIMARY KEY,
    topic VARCHAR NOT NULL,
    score DOUBLE NOT NULL,
    keywords VARCHAR[] NOT NULL,
    ivr_branch INTEGER,
    misrouted BOOLEAN  -- NULL: no branch recorded, or a topic outside the catalogue
);

CREATE TABLE repeat_calls (
    call_id VARCHAR PRIMARY KEY,
    repeat_of VARCHAR NOT NULL,
    hours_apart DOUBLE NOT NULL
);
CREATE INDEX repeat_calls_repeat_of ON repeat_calls (repeat_of);

CREATE TABLE requests (
    call_id VARCHAR PRIMARY KEY,
    number VARCHAR,
    request_type VARCHAR NOT NULL CHECK (request_type IN ('simple', 'documents', 'complex')),
    registered_at TIMESTAMPTZ NOT NULL,
    utc_offset_s INTEGER,  -- the regional centre's offset: deadlines end with its working day
    due_at TIMESTAMPTZ NOT NULL,
    extended BOOLEAN NOT NULL DEFAULT false,
    closed_at TIMESTAMPTZ
);
