-- Telemetry (docs/telemetry.md): readings are plain rows, not journal events. The table is
-- partitioned by day of the instrument's time, so retention drops whole days (no bulk DELETE,
-- no vacuum debt). The node creates each day's partition ahead of time; a reading of a day
-- without one (an adapter resending after days offline, an instrument clock years off) lands in
-- the default partition and never fails its batch.
-- quality: 0 good, 1 future (the instrument's clock ahead of the node's by more than the tolerance).
CREATE TABLE telemetry_reading (
  device_id   VARCHAR(64)      NOT NULL,
  channel     VARCHAR(64)      NOT NULL,
  at          TIMESTAMPTZ      NOT NULL,
  received_at TIMESTAMPTZ      NOT NULL,
  reading_value DOUBLE PRECISION NOT NULL,
  quality     SMALLINT         NOT NULL
) PARTITION BY RANGE (at);
CREATE TABLE telemetry_reading_default PARTITION OF telemetry_reading DEFAULT;
-- BRIN: rows arrive in time order, so a tiny index narrows a time range to its blocks;
-- the btree serves the per-device chart (one device, one channel, a time range).
CREATE INDEX telemetry_reading_at_brin ON telemetry_reading USING BRIN (at);
CREATE INDEX telemetry_reading_device_channel_at_idx ON telemetry_reading (device_id, channel, at);
