-- A lab test's status after an execution asks whether it has open dead letters.
CREATE INDEX dead_letter_lab_test_idx ON dead_letter (lab_test_id, state);
