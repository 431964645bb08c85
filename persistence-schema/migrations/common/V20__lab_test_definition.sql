-- A lab test's whole definition (JSON) and the token of the Idempotency-Key that created it,
-- so that a completed or deleted test its firing partition has forgotten can be read, edited,
-- run again, and refused or answered as before when created again (decision 0064).
ALTER TABLE lab_test ADD COLUMN definition TEXT;
ALTER TABLE lab_test ADD COLUMN idempotency_token VARCHAR(36);
