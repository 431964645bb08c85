-- A lab test's whole definition (JSON), so that a completed test its firing partition has
-- forgotten can be read, edited and run again from here (decision 0064).
ALTER TABLE lab_test ADD COLUMN definition TEXT;
