-- Reports sent by e-mail (decision 0057): one row per report version and recipient, so each
-- recipient's SMTP transaction succeeds, fails and is retried on its own, and an accepted
-- recipient is never sent to again. Instants are epoch milliseconds of the database's clock,
-- which every node compares against.
CREATE TABLE report_delivery (
  id               VARCHAR(24)   PRIMARY KEY,    -- DL- and 20 hex of SHA-256(report, version, recipient): a repeated enqueue adds nothing
  report_id        VARCHAR(64)   NOT NULL,
  version          INTEGER       NOT NULL,
  recipient        VARCHAR(254)  NOT NULL,
  client_id        VARCHAR(32),
  specimen_ids     VARCHAR(100000) NOT NULL,     -- separated by one space (a batch holds up to 500)
  message_id       VARCHAR(255)  NOT NULL,       -- the same on every try: copies fold in the inbox
  status           VARCHAR(16)   NOT NULL,       -- queued | accepted | failed (dead letter)
  attempts         INTEGER       NOT NULL,       -- tries started (a claim counts one)
  queued_at        BIGINT        NOT NULL,
  next_attempt_at  BIGINT        NOT NULL,
  lease_owner      VARCHAR(255),                 -- the node sending it, until lease_until
  lease_until      BIGINT,
  last_error       VARCHAR(2000),
  server_response  VARCHAR(1000),                -- the server's reply to the message (250 ...)
  accepted_at      BIGINT,
  failed_at        BIGINT,
  custody_recorded BOOLEAN       NOT NULL        -- deliver taken on the version's specimens
);
CREATE INDEX report_delivery_due_idx ON report_delivery (status, next_attempt_at, id);
CREATE INDEX report_delivery_list_idx ON report_delivery (status, queued_at, id);
CREATE INDEX report_delivery_version_idx ON report_delivery (report_id, version);
-- Each round looks for versions accepted but not yet recorded on their specimens: few, among many recorded.
CREATE INDEX report_delivery_unrecorded_idx ON report_delivery (custody_recorded, status, report_id, version);
CREATE INDEX report_delivery_queued_idx ON report_delivery (queued_at, id);
