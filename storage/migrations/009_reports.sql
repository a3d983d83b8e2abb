-- The feedback-improvement loop: the problem register with the inputs of every urgency ranking, corrective
-- actions with their status history, script pilots with their decisions, and the script version in force.

-- a problem's id is made from its source ('cluster:12', 'topic:taxes_fines', 'item:consent'), so a rebuild
-- finds the same problem again and actions keep pointing at it
CREATE TABLE problems (
    problem_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL CHECK (kind IN ('complaint_cluster', 'topic', 'checklist_item')),
    source_key VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    active BOOLEAN NOT NULL  -- false: the last rebuild no longer found it (kept for its actions and history)
);

-- every ranking with what it was made from; the latest as_of of a problem is its current urgency
CREATE TABLE problem_rankings (
    problem_id VARCHAR NOT NULL,
    as_of DATE NOT NULL,
    window_days INTEGER NOT NULL,
    calls INTEGER NOT NULL,  -- the problem's calls in the window ending at as_of
    share DOUBLE NOT NULL,  -- of all calls in that window
    previous_calls INTEGER NOT NULL,  -- in the window before
    growth DOUBLE,  -- calls / previous_calls; NULL when the window before had none
    rating_effect DOUBLE,  -- mean survey rating of its calls minus that of the other calls; NULL without surveys
    rated_calls INTEGER NOT NULL,
    volume_points INTEGER NOT NULL,
    effect_points INTEGER NOT NULL,
    growth_points INTEGER NOT NULL,
    urgency VARCHAR NOT NULL CHECK (urgency IN ('critical', 'high', 'medium', 'low')),
    rule JSON NOT NULL,  -- the thresholds the points were given by
    ranked_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (problem_id, as_of)
);

CREATE SEQUENCE corrective_action_id_seq;

CREATE TABLE corrective_actions (
    action_id INTEGER PRIMARY KEY DEFAULT nextval('corrective_action_id_seq'),
    problem_id VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    owner VARCHAR NOT NULL,
    due_date DATE NOT NULL,
    status VARCHAR NOT NULL CHECK (status IN ('planned', 'in_progress', 'done', 'dropped')),
    started_on DATE NOT NULL,  -- the outcome compares the problem's calls before this day with those after
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE SEQUENCE action_event_id_seq;

-- append-only: every status change, owner or due-date change of an action, with who made it and why
CREATE TABLE action_events (
    event_id BIGINT PRIMARY KEY DEFAULT nextval('action_event_id_seq'),
    action_id INTEGER NOT NULL,
    status VARCHAR NOT NULL,
    owner VARCHAR NOT NULL,
    due_date DATE NOT NULL,
    note VARCHAR,
    effective_on DATE NOT NULL,  -- the day the change took effect (done_on for outcomes)
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX action_events_action_id ON action_events (action_id);

CREATE TABLE script_pilots (
    pilot_id VARCHAR PRIMARY KEY,
    script_name VARCHAR NOT NULL,
    script_version VARCHAR NOT NULL,  -- the version piloted; stored in scoring_scripts
    control_version VARCHAR NOT NULL,
    operators VARCHAR[] NOT NULL,  -- every call of these operators is in the pilot
    share DOUBLE NOT NULL CHECK (share >= 0 AND share <= 1),  -- and this share of other calls, by call id hash
    started_on DATE NOT NULL,
    ended_on DATE,
    created_at TIMESTAMPTZ NOT NULL
);

-- append-only: the latest decision of a pilot is in force, with the analysis it was made on
CREATE TABLE pilot_decisions (
    pilot_id VARCHAR NOT NULL,
    decision VARCHAR NOT NULL CHECK (decision IN ('adopt', 'extend', 'reject')),
    note VARCHAR,
    analysis JSON NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL
);

-- the script version scoring uses when none is named: the shipped script until a pilot's version is adopted
CREATE TABLE default_script (
    singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
    script_name VARCHAR NOT NULL,
    script_version VARCHAR NOT NULL,
    pilot_id VARCHAR,
    adopted_at TIMESTAMPTZ NOT NULL
);
