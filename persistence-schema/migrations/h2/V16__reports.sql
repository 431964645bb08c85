-- Reports (decision 0058). A render job is a row: the queue survives restarts, and every node's
-- render worker claims due jobs with a lease (lease_owner, lease_until in the database's clock,
-- epoch ms) that it renews while it renders, so a job whose node stopped is claimed elsewhere.
-- status: queued | rendering | stored (report written; specimens and delivery still to be told)
--         | done | failed (after its tries, or refused outright; last_error says why).
CREATE SEQUENCE report_job_number;
CREATE SEQUENCE report_number;
CREATE TABLE report_job (
  job_id          BIGINT        NOT NULL PRIMARY KEY,
  -- One automatic report per specimen or batch: the trigger's key makes a repeated trigger add nothing.
  trigger_key     VARCHAR(200)  NOT NULL UNIQUE,
  report_id       VARCHAR(40)   NOT NULL,
  specimen_ids    VARCHAR(100000) NOT NULL, -- comma-separated; a batch holds up to 500
  batch_key       VARCHAR(100),
  requested_by    VARCHAR(64)   NOT NULL,
  requested_at    BIGINT        NOT NULL,
  status          VARCHAR(16)   NOT NULL,
  attempts        INTEGER       NOT NULL,
  next_attempt_at BIGINT        NOT NULL,
  lease_owner     VARCHAR(255),
  lease_until     BIGINT,
  last_error      VARCHAR(2000),
  version         INTEGER,
  updated_at      BIGINT        NOT NULL
);
CREATE INDEX report_job_due_idx ON report_job (status, next_attempt_at);

-- A stored report version: immutable once written (a re-render is a new version).
CREATE TABLE report (
  report_id    VARCHAR(40)   NOT NULL,
  version      INTEGER       NOT NULL,
  job_id       BIGINT        NOT NULL UNIQUE,
  client_id    VARCHAR(32),
  specimen_ids VARCHAR(100000) NOT NULL,
  batch_key    VARCHAR(100),
  -- Comma-separated e-mail addresses the report goes to (the client's report contacts and the specimens' own).
  recipients   VARCHAR(100000) NOT NULL,
  pages        INTEGER       NOT NULL,
  pdf          BLOB NOT NULL,
  pdf_sha256   CHAR(64)      NOT NULL,
  xlsx         BLOB NOT NULL,
  xlsx_sha256  CHAR(64)      NOT NULL,
  rendered_at  BIGINT        NOT NULL,
  rendered_by  VARCHAR(255)  NOT NULL,
  render_ms    BIGINT        NOT NULL,
  PRIMARY KEY (report_id, version)
);
CREATE TABLE report_specimen (
  specimen_id VARCHAR(40) NOT NULL,
  report_id   VARCHAR(40) NOT NULL,
  version     INTEGER     NOT NULL,
  PRIMARY KEY (specimen_id, report_id, version)
);

-- Which test batches hold a specimen (from the test-batch journal), for reports per batch.
CREATE TABLE batch_member (
  batch_key   VARCHAR(100) NOT NULL,
  specimen_id VARCHAR(40)  NOT NULL,
  PRIMARY KEY (batch_key, specimen_id)
);
CREATE INDEX batch_member_specimen_idx ON batch_member (specimen_id);
