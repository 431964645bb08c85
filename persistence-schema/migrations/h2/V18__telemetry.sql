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

-- One row per stored batch: a batch resent after a lost acknowledgement is recognised by its
-- (device, seq) and acknowledged again without storing its readings twice.
CREATE TABLE telemetry_batch (
  device_id VARCHAR(64) NOT NULL,
  seq       BIGINT      NOT NULL,
  stored_at TIMESTAMP WITH TIME ZONE NOT NULL,
  PRIMARY KEY (device_id, seq)
);
CREATE INDEX telemetry_batch_stored_at_idx ON telemetry_batch (stored_at);

-- Per device, channel and minute (of the instrument's time): kept longer than raw readings,
-- upserted in the batch's own transaction. avg = sum_value / reading_count.
CREATE TABLE telemetry_rollup (
  device_id     VARCHAR(64)      NOT NULL,
  channel       VARCHAR(64)      NOT NULL,
  minute_start  TIMESTAMP WITH TIME ZONE NOT NULL,
  min_value     DOUBLE PRECISION NOT NULL,
  max_value     DOUBLE PRECISION NOT NULL,
  sum_value     DOUBLE PRECISION NOT NULL,
  reading_count BIGINT           NOT NULL,
  PRIMARY KEY (device_id, channel, minute_start)
);
CREATE INDEX telemetry_rollup_minute_idx ON telemetry_rollup (minute_start);
