-- Telemetry (docs/telemetry.md): readings are plain rows, not journal events. The embedded
-- database has no partitions: retention deletes by age. PostgreSQL's table is partitioned by day.
-- quality: 0 good, 1 future (the instrument's clock ahead of the node's by more than the tolerance).
CREATE TABLE telemetry_reading (
  device_id   VARCHAR(64)      NOT NULL,
  channel     VARCHAR(64)      NOT NULL,
  at          TIMESTAMP WITH TIME ZONE NOT NULL,
  received_at TIMESTAMP WITH TIME ZONE NOT NULL,
  reading_value DOUBLE PRECISION NOT NULL,
  quality     SMALLINT         NOT NULL
);
CREATE INDEX telemetry_reading_device_channel_at_idx ON telemetry_reading (device_id, channel, at);
CREATE INDEX telemetry_reading_at_idx ON telemetry_reading (at);
