-- What became of a campaign's follow-up that was not emailed: deferred by the contact policy, or
-- skipped or dropped (by the customer's workflow, or by SendFollowUp), with the class of the rule
-- behind it (workflows.ReasonLabel, activities' Skip* reasons). One row per follow-up key; a later
-- decision replaces an earlier one. Emailed and refused follow-ups are in send_log, which wins.
CREATE TABLE followup_outcomes (
    key         text PRIMARY KEY CHECK (key <> ''),
    customer_id text NOT NULL,
    kind        text NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('deferred', 'skipped', 'dropped')),
    reason      text NOT NULL,
    decided_at  timestamptz NOT NULL
);
