-- The specimens list filters by when a specimen was received (the web UI's Specimens screen):
-- the instant of its receive transition, the custody hand-over. NULL until it is received,
-- and for specimens received before this column existed (their history still has the instant).
ALTER TABLE specimen ADD COLUMN received_at TIMESTAMP WITH TIME ZONE;
CREATE INDEX specimen_received_at_idx ON specimen (received_at, id);
