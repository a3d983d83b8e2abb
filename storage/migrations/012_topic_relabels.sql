-- Analysts' corrections of a call's topic. Append-only like verdict_overrides: the latest re-label of a call is
-- in force (call_topics carries it), the rest is its history. The complaint a re-label teaches the topic
-- classifier is read from `complaints` when the classifier is built, so an erased call stops teaching it.
CREATE SEQUENCE topic_relabel_id_seq;

CREATE TABLE topic_relabels (
    relabel_id BIGINT PRIMARY KEY DEFAULT nextval('topic_relabel_id_seq'),
    call_id VARCHAR NOT NULL,
    topic VARCHAR NOT NULL,
    automatic_topic VARCHAR NOT NULL,  -- what the re-label corrected, as call_topics had it then
    analyst VARCHAR NOT NULL,
    reason VARCHAR,
    relabelled_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX topic_relabels_call_id ON topic_relabels (call_id);
