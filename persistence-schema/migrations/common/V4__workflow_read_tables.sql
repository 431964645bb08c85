-- Workflows as GET /workflows lists them: a page of workflows, then their samples and
-- steps by workflow id, three queries whatever the page size.
CREATE TABLE workflow (
  id          VARCHAR(32)  PRIMARY KEY,
  name        VARCHAR(200) NOT NULL,
  device_id   VARCHAR(64)  NOT NULL,
  status      VARCHAR(16)  NOT NULL,
  priority    VARCHAR(16)  NOT NULL,
  created_by  VARCHAR(64)  NOT NULL,
  created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
  booked_at   TIMESTAMP WITH TIME ZONE,
  finished_at TIMESTAMP WITH TIME ZONE
);
CREATE INDEX workflow_status_idx ON workflow (status, id);

CREATE TABLE workflow_sample (
  workflow_id VARCHAR(32) NOT NULL,
  position    INTEGER     NOT NULL,
  barcode     VARCHAR(32) NOT NULL,
  specimen_id VARCHAR(32) NOT NULL,
  PRIMARY KEY (workflow_id, position)
);

CREATE TABLE workflow_step (
  workflow_id  VARCHAR(32) NOT NULL,
  step_index   INTEGER     NOT NULL,
  operation    VARCHAR(64) NOT NULL,
  parameters   TEXT        NOT NULL,
  status       VARCHAR(16) NOT NULL,
  execution_id VARCHAR(100),
  started_at   TIMESTAMP WITH TIME ZONE,
  finished_at  TIMESTAMP WITH TIME ZONE,
  PRIMARY KEY (workflow_id, step_index)
);
