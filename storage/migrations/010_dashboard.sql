-- Dashboard accounts and their sign-in sessions, and the indexes the dashboard's pages look calls up by.

CREATE TABLE users (
    user_name VARCHAR PRIMARY KEY,
    password_hash VARCHAR NOT NULL,  -- argon2id, with its parameters and salt
    role VARCHAR NOT NULL CHECK (role IN ('admin', 'analyst', 'supervisor')),
    created_at TIMESTAMPTZ NOT NULL
);

-- the teams a supervisor reads the scorecards and calls of (other roles see every team)
CREATE TABLE user_teams (
    user_name VARCHAR NOT NULL,
    team VARCHAR NOT NULL,
    PRIMARY KEY (user_name, team)
);

-- only a hash of the session cookie is kept: a copy of the database hands out no live session
CREATE TABLE sessions (
    token_sha256 VARCHAR PRIMARY KEY,
    user_name VARCHAR NOT NULL,
    csrf_token VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- the call page reads one call's verdicts; without it that is a scan of every call's verdicts
CREATE INDEX checklist_verdicts_call_id ON checklist_verdicts (call_id);
CREATE INDEX calls_operator_id ON calls (operator_id);

-- Summaries the dashboard's pages add up instead of a million calls. Each is rebuilt when the fingerprint of
-- what it was made from (row counts, newest change) moved on; dashboard_summaries keeps that fingerprint.
CREATE TABLE dashboard_summaries (
    name VARCHAR PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,
    refreshed_at TIMESTAMPTZ NOT NULL
);

-- per operator, regional centre and local day; scores with analysts' overrides applied
CREATE TABLE scorecard_days (
    operator_id VARCHAR,
    regional_center VARCHAR,
    day DATE NOT NULL,
    calls INTEGER NOT NULL,
    scored INTEGER NOT NULL,  -- calls with a score (some have no applicable item)
    score_sum DOUBLE NOT NULL,
    critical_calls INTEGER NOT NULL
);

-- clustered calls per complaint cluster, team and local week (Monday)
CREATE TABLE cluster_weeks (
    cluster_id INTEGER NOT NULL,
    team VARCHAR,
    week DATE NOT NULL,
    calls INTEGER NOT NULL
);

-- The search index's postings sorted by word, each with its segment's call: a search reads the few row groups
-- holding its words (zone maps) instead of every posting of the index.
CREATE TABLE search_postings (
    term VARCHAR NOT NULL,
    segment_id BIGINT NOT NULL,
    call_id VARCHAR NOT NULL,
    tf INTEGER NOT NULL,
    len INTEGER NOT NULL  -- words in the segment
);
