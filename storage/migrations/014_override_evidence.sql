-- An override teaches the checklist's judges: it keeps the quotes it was about (the automatic verdict's evidence at
-- the time, or the analyst's own), since re-scoring replaces the automatic evidence. Older overrides have none.
-- A table of its own: DuckDB fails to replay from its WAL an ALTER TABLE of a table whose default calls nextval().
-- call_id: erasing a caller removes every row of their calls, these quotes included.
CREATE TABLE override_quotes (
    override_id BIGINT PRIMARY KEY,
    call_id VARCHAR NOT NULL,
    quotes VARCHAR NOT NULL  -- JSON list of the quoted sentences
);
