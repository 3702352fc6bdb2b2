-- 0014: the behaviour (lifecycle.Behaviour) a moment-of-truth offer was chosen for, so that
-- `starter report --by behaviour` can show offer acceptance per behaviour. '' for every other kind
-- and for offers sent before this column existed (reported as "not recorded").
ALTER TABLE send_log ADD COLUMN behaviour text NOT NULL DEFAULT '';
