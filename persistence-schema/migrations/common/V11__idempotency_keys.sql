-- The Idempotency-Key of the create routes (decision 0040): one row per caller, route and key.
-- A row is written before the create runs and holds the id the entity is created under, so a
-- repeat, a concurrent twin or a retry after a crash creates under the same id; the answer is
-- added once the create has one. Rows older than lims.http.idempotency.window are purged.
CREATE TABLE idempotency_key (
  caller       VARCHAR(64)  NOT NULL,
  route        VARCHAR(100) NOT NULL,
  idem_key     VARCHAR(255) NOT NULL,
  -- HMAC-SHA-256 (hex) of the request body in a canonical form: the same key with another body is refused.
  fingerprint  VARCHAR(64)  NOT NULL,
  entity_id    VARCHAR(64)  NOT NULL,
  -- Kept by the entity with its creation, so it tells its own creator's repeats from anyone else's create.
  token        VARCHAR(36)  NOT NULL,
  created_at   TIMESTAMP WITH TIME ZONE NOT NULL,
  -- The answer: null while the create is under way (or its node stopped before it answered).
  status       INTEGER,
  content_type VARCHAR(100),
  body         TEXT,
  PRIMARY KEY (caller, route, idem_key)
);
CREATE INDEX idempotency_key_created_idx ON idempotency_key (created_at);
