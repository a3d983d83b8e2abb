-- Checklist scores. Automatic verdicts and analysts' overrides live in separate tables: an override is added
-- beside the verdict it corrects and never replaces it, so both stay visible and auditable.

-- every script version a score was made with, with its full text
CREATE TABLE scoring_scripts (
    name VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    content VARCHAR NOT NULL,
    stored_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (name, version)
);

-- the current automatic score of each call; re-scoring replaces it with that of the new script version
CREATE TABLE call_scores (
    call_id VARCHAR PRIMARY KEY,
    script_name VARCHAR NOT NULL,
    script_version VARCHAR NOT NULL,
    encoder VARCHAR NOT NULL,
    score DOUBLE,  -- NULL when no item applied
    critical_failures VARCHAR[] NOT NULL,
    metrics JSON NOT NULL,
    scored_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE checklist_verdicts (
    call_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    item_no INTEGER NOT NULL,  -- the item's place in the script, to list items in the script's order
    verdict VARCHAR NOT NULL CHECK (verdict IN ('passed', 'failed', 'not_applicable')),
    weight DOUBLE NOT NULL,
    critical BOOLEAN NOT NULL,
    reason VARCHAR NOT NULL,
    evidence JSON NOT NULL,  -- [{start, end, speaker, quote, method}]
    PRIMARY KEY (call_id, item_id)
);

CREATE SEQUENCE verdict_override_id_seq;

-- append-only: the latest override of a (call, item) is the one in force
CREATE TABLE verdict_overrides (
    override_id BIGINT PRIMARY KEY DEFAULT nextval('verdict_override_id_seq'),
    call_id VARCHAR NOT NULL,
    item_id VARCHAR NOT NULL,
    verdict VARCHAR NOT NULL CHECK (verdict IN ('passed', 'failed', 'not_applicable')),
    reason VARCHAR NOT NULL,
    analyst VARCHAR NOT NULL,
    overridden_at TIMESTAMPTZ NOT NULL,
    automatic_verdict VARCHAR NOT NULL,  -- what the override corrected, as it was then
    script_version VARCHAR NOT NULL
);
CREATE INDEX verdict_overrides_call_id ON verdict_overrides (call_id);

-- which team each operator works in (sidecars name the operator and regional centre, not the team)
CREATE TABLE operator_teams (
    operator_id VARCHAR PRIMARY KEY,
    team VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- the pipeline times scoring as its own stage of a run
ALTER TABLE processing_runs ADD COLUMN score_seconds DOUBLE;
