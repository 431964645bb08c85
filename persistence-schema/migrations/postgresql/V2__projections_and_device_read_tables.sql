-- Offsets of the exactly-once projections (pekko-projection-jdbc), committed in the same
-- transaction as the read-table rows they produced.
CREATE TABLE pekko_projection_offset_store (
  projection_name VARCHAR(255) NOT NULL,
  projection_key  VARCHAR(255) NOT NULL,
  current_offset  VARCHAR(255) NOT NULL,
  manifest        VARCHAR(4)   NOT NULL,
  mergeable       BOOLEAN      NOT NULL,
  last_updated    BIGINT       NOT NULL,
  PRIMARY KEY (projection_name, projection_key)
);
CREATE INDEX projection_name_index ON pekko_projection_offset_store (projection_name);

CREATE TABLE pekko_projection_management (
  projection_name VARCHAR(255) NOT NULL,
  projection_key  VARCHAR(255) NOT NULL,
  paused          BOOLEAN      NOT NULL,
  last_updated    BIGINT       NOT NULL,
  PRIMARY KEY (projection_name, projection_key)
);

-- Devices as lists show them; keyset-paginated by id.
CREATE TABLE device (
  id                 VARCHAR(64)  PRIMARY KEY,
  name               VARCHAR(200) NOT NULL,
  type               VARCHAR(32)  NOT NULL,
  status             VARCHAR(16)  NOT NULL,
  capabilities       VARCHAR(1000) NOT NULL,
  holder_workflow_id VARCHAR(64),
  booked_at          TIMESTAMP WITH TIME ZONE,
  queue_length       INTEGER      NOT NULL,
  updated_at         TIMESTAMP WITH TIME ZONE NOT NULL
);

-- One row per operation run on a device. Every list is newest first with keyset
-- pagination on (started_at, execution_id); the two indexes serve the time-range search
-- over all devices and the per-device list/search.
CREATE TABLE execution_log (
  execution_id VARCHAR(100) PRIMARY KEY,
  device_id    VARCHAR(64)  NOT NULL,
  device_type  VARCHAR(32)  NOT NULL,
  workflow_id  VARCHAR(64)  NOT NULL,
  operation    VARCHAR(64)  NOT NULL,
  parameters   TEXT         NOT NULL,
  status       VARCHAR(16)  NOT NULL,
  started_at   TIMESTAMP WITH TIME ZONE NOT NULL,
  finished_at  TIMESTAMP WITH TIME ZONE,
  duration_ms  BIGINT,
  result       TEXT
);
CREATE INDEX execution_log_started_idx ON execution_log (started_at DESC, execution_id DESC);
CREATE INDEX execution_log_device_started_idx ON execution_log (device_id, started_at DESC, execution_id DESC);

-- Running mean duration of each operation per device type, for wait-time estimates.
-- Every (type, operation) row exists from the start, so the projection only updates.
CREATE TABLE operation_duration (
  device_type VARCHAR(32) NOT NULL,
  operation   VARCHAR(64) NOT NULL,
  runs        BIGINT      NOT NULL,
  mean_ms     DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (device_type, operation)
);
INSERT INTO operation_duration (device_type, operation, runs, mean_ms) VALUES
  ('liquid_handler', 'pipette_transfer', 0, 0), ('liquid_handler', 'dispense_reagent', 0, 0),
  ('liquid_handler', 'aspirate', 0, 0), ('liquid_handler', 'mix', 0, 0),
  ('incubator', 'incubate', 0, 0), ('incubator', 'heat', 0, 0), ('incubator', 'cool', 0, 0), ('incubator', 'shake', 0, 0),
  ('plate_reader', 'read_absorbance', 0, 0), ('plate_reader', 'read_fluorescence', 0, 0);
