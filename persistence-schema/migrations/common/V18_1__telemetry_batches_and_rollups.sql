-- Telemetry's batch numbers and one-minute rollups (docs/telemetry.md): the same on both
-- databases. The readings table differs (day partitions on PostgreSQL): V18 in each vendor's folder.

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
