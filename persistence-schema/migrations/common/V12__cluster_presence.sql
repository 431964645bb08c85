-- Which nodes were members of the running cluster lately (decision 0047): every Up member
-- writes its row every 2 s. A first seed node that starts while another node's row is
-- fresh joins that cluster instead of forming a second one on the same database.
-- seen_at is the database's own clock in epoch milliseconds.
CREATE TABLE cluster_presence (
  address VARCHAR(255) NOT NULL PRIMARY KEY,
  seen_at BIGINT NOT NULL
);
