-- What every reader of verdicts and scores reads: the rule "an analyst's latest override wins over the automatic
-- verdict" and the weighted score that follows from it live here and nowhere else.

-- each scored item with the verdict in force: its latest override's, else the automatic one
CREATE VIEW verdicts_in_force AS
SELECT v.call_id, v.item_id, v.item_no, v.verdict AS automatic_verdict, coalesce(o.verdict, v.verdict) AS verdict,
       v.weight, v.critical, v.reason, v.evidence, o.override_id
FROM checklist_verdicts AS v
     LEFT JOIN (SELECT call_id, item_id, max(override_id) AS override_id, arg_max(verdict, override_id) AS verdict
                FROM verdict_overrides GROUP BY call_id, item_id) AS o USING (call_id, item_id);

-- each scored call's score in force: points of passed items over points of applicable ones, 0-100 to one decimal
-- (halves to even, as Python's round), NULL when no item applied; and its failed critical items in script order.
-- Overrides are few: only the calls that have one are re-scored, every other call keeps the score stored when it
-- was scored (scoring.records.weighted_score, the same sum).
CREATE VIEW scores_in_force AS
WITH rescored AS (
    SELECT call_id,
           round_even(100.0 * coalesce(sum(weight) FILTER (WHERE verdict = 'passed'), 0)
                      / nullif(sum(weight) FILTER (WHERE verdict <> 'not_applicable'), 0), 1) AS score,
           coalesce(list(item_id ORDER BY item_no) FILTER (WHERE critical AND verdict = 'failed'), [])
               AS critical_failures
    FROM verdicts_in_force
    WHERE call_id IN (SELECT call_id FROM verdict_overrides)
    GROUP BY call_id
)
SELECT s.call_id, s.script_name, s.script_version, s.encoder, s.score AS automatic_score,
       CASE WHEN r.call_id IS NULL THEN s.score ELSE r.score END AS score,
       CASE WHEN r.call_id IS NULL THEN s.critical_failures ELSE r.critical_failures END AS critical_failures,
       s.metrics, s.scored_at
FROM call_scores AS s LEFT JOIN rescored AS r USING (call_id);
