-- The list of lab tests shows who receives each test's report (the web UI's landing page).
-- Addresses separated by one space (an address has no white space); NULL for none, and for
-- tests created before this column until they are next edited.
ALTER TABLE lab_test ADD COLUMN recipients VARCHAR(13000);
