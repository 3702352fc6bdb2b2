-- 0018: the customer's say over what the shop learns about them. learning_stopped_at is NULL while
-- the shop learns from what the customer does (colours, sizes and categories from purchases; the
-- value segment from purchases, opens and clicks); set, the customer asked on the preference page
-- to stop at that time, and only what they state themselves is used. Written with the preferences
-- signal it owes, in one transaction (store.SetLearningOwing).
ALTER TABLE customers ADD COLUMN learning_stopped_at timestamptz;
