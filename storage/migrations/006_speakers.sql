-- Who spoke when: each call's speakers with the role diarization gave them (and how sure it was), and the
-- speaker turns themselves, overlaps kept. Rows are replaced with the call's transcript.

CREATE TABLE call_speakers (
    call_id VARCHAR NOT NULL,
    speaker VARCHAR NOT NULL,
    role VARCHAR NOT NULL CHECK (role IN ('operator', 'caller')),
    confidence DOUBLE NOT NULL,
    source VARCHAR NOT NULL,  -- metadata | configured | content
    cues VARCHAR[] NOT NULL,  -- the phrases that decided a role taken from what was said
    speech_s DOUBLE NOT NULL,
    PRIMARY KEY (call_id, speaker)
);

CREATE TABLE speaker_turns (
    call_id VARCHAR NOT NULL,
    turn_no INTEGER NOT NULL,
    start_s DOUBLE NOT NULL,
    end_s DOUBLE NOT NULL,
    speaker VARCHAR NOT NULL,
    channel INTEGER,
    PRIMARY KEY (call_id, turn_no)
);

ALTER TABLE processing_runs ADD COLUMN diarize_seconds DOUBLE;
