-- The full-text index is a static snapshot of segments. Every write that changes segments bumps
-- segments_version; the index is stale while indexed_version lags behind it.

CREATE TABLE search_index_state (
    singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
    segments_version BIGINT NOT NULL,
    indexed_version BIGINT
);
INSERT INTO search_index_state (segments_version, indexed_version) VALUES (0, NULL);
