-- Telemetry channels an administrator declared for a device (JSON, as GET
-- /devices/{id}/telemetry/channels shows them; null: the device type's from configuration),
-- and every alarm raised on a device, projected from its journal (docs/domain.md, Alarms).
ALTER TABLE device ADD COLUMN channels VARCHAR(100000);

CREATE TABLE alarm (
  id              VARCHAR(100)  PRIMARY KEY,     -- <device id>~<n>
  device_id       VARCHAR(64)   NOT NULL,
  channel         VARCHAR(64)   NOT NULL,
  kind            VARCHAR(8)    NOT NULL,        -- high | low | rate | stale
  severity        VARCHAR(8)    NOT NULL,        -- warning | critical
  reading_value   DOUBLE PRECISION NOT NULL,     -- the reading that raised it (rate: per second; stale: seconds silent)
  threshold       DOUBLE PRECISION NOT NULL,
  reading_at      TIMESTAMP WITH TIME ZONE NOT NULL,
  raised_at       TIMESTAMP WITH TIME ZONE NOT NULL,
  cleared_at      TIMESTAMP WITH TIME ZONE,
  cleared_value   DOUBLE PRECISION,
  acknowledged_by VARCHAR(200),
  acknowledged_at TIMESTAMP WITH TIME ZONE,
  ack_comment     VARCHAR(2000),
  active          BOOLEAN       NOT NULL
);
-- Lists are newest first with keyset pagination on (raised_at, id): over all alarms, the
-- active ones, and one device's.
CREATE INDEX alarm_raised_idx ON alarm (raised_at, id);
CREATE INDEX alarm_active_idx ON alarm (active, raised_at, id);
CREATE INDEX alarm_device_idx ON alarm (device_id, raised_at, id);
