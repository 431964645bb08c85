-- Clients as lists read them (issue 22). The Client entity is the truth; this table is its
-- projection. contacts holds the client's contacts as a JSON array of {name, email,
-- receives_reports}: a list is always read whole with its client, never searched.
CREATE TABLE client (
  code       VARCHAR(16)   PRIMARY KEY,
  name       VARCHAR(200)  NOT NULL,
  address    VARCHAR(1000),
  contacts   VARCHAR(40000) NOT NULL,
  created_at TIMESTAMP WITH TIME ZONE NOT NULL,
  updated_at TIMESTAMP WITH TIME ZONE NOT NULL
);

-- The client a specimen was registered for (its code), NULL for none and for specimens
-- registered before clients existed. The specimens list filters by it, and a viewer linked
-- to a client sees only that client's specimens.
ALTER TABLE specimen ADD COLUMN client_id VARCHAR(16);
CREATE INDEX specimen_client_id_idx ON specimen (client_id, id);
