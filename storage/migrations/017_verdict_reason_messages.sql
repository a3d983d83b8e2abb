-- A verdict's reason as catalogue messages with their values, so that the dashboard shows it in each reader's
-- language; `reason` keeps the English text (the export's). NULL for verdicts stored before: those show `reason`.
ALTER TABLE checklist_verdicts ADD COLUMN reason_messages JSON;  -- [{msgid, values, plural}]

CREATE OR REPLACE VIEW verdicts_in_force AS
SELECT v.call_id, v.item_id, v.item_no, v.verdict AS automatic_verdict, coalesce(o.verdict, v.verdict) AS verdict,
       v.weight, v.critical, v.reason, v.evidence, o.override_id, v.reason_messages
FROM checklist_verdicts AS v
     LEFT JOIN (SELECT call_id, item_id, max(override_id) AS override_id, arg_max(verdict, override_id) AS verdict
                FROM verdict_overrides GROUP BY call_id, item_id) AS o USING (call_id, item_id);
