-- Specimen numbers: one sequence for the whole cluster, so SP-<yyyy>-<n> never repeats.
CREATE SEQUENCE specimen_number START WITH 1;

-- Specimens as lists, searches and the lab-automation sample view read them.
CREATE TABLE specimen (
  id            VARCHAR(32)  PRIMARY KEY,
  barcode       VARCHAR(32)  NOT NULL UNIQUE,
  client_ref    VARCHAR(200) NOT NULL,
  type          VARCHAR(64)  NOT NULL,
  state         VARCHAR(32)  NOT NULL,
  priority      VARCHAR(16)  NOT NULL,
  plate         VARCHAR(64),
  well          VARCHAR(3),
  replaces      VARCHAR(32),
  registered_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at    TIMESTAMP WITH TIME ZONE NOT NULL
);
CREATE INDEX specimen_state_idx ON specimen (state, id);
CREATE INDEX specimen_client_ref_idx ON specimen (client_ref, id);
