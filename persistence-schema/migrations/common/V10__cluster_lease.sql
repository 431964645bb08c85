-- The split-brain resolver's lease (decision 0038): when cluster members stop seeing each
-- other, the side that writes this row first keeps running and the other side stops itself.
-- The database is the arbiter every node already depends on. expires_at is the holder's
-- clock in epoch milliseconds: a holder that crashed mid-decision frees it by then.
CREATE TABLE cluster_lease (
  name VARCHAR(255) NOT NULL PRIMARY KEY,
  owner VARCHAR(255) NOT NULL,
  expires_at BIGINT NOT NULL
);
