-- 0015: holdouts. A follow-up held out (the customer is in its control group: decided like an
-- email, not sent) is recorded in followup_outcomes with outcome held_out, keyed by its send key
-- like every outcome; the report counts the purchases of held-out customers in the attribution
-- window after decided_at. A held_out row is final: no later outcome replaces it (RecordOutcomes).
-- behaviour is a held-out offer's behaviour at the moment of truth, as send_log.behaviour (0014)
-- is a sent one's, so that the report by behaviour compares like with like; '' otherwise.
ALTER TABLE followup_outcomes DROP CONSTRAINT followup_outcomes_outcome_check;
ALTER TABLE followup_outcomes ADD CONSTRAINT followup_outcomes_outcome_check
    CHECK (outcome IN ('deferred', 'skipped', 'dropped', 'held_out'));
ALTER TABLE followup_outcomes ADD COLUMN behaviour text NOT NULL DEFAULT '';
CREATE INDEX followup_outcomes_held_out_idx ON followup_outcomes (decided_at) WHERE outcome = 'held_out';
