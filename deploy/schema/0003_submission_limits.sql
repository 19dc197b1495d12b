-- Per-client and per-author submission limits: who sent a comment (a keyed hash of the client address, never the address).
ALTER TABLE comments ADD COLUMN client_key text;

CREATE INDEX comments_recent_by_client ON comments (site_id, client_key, created_at DESC) WHERE client_key IS NOT NULL;
CREATE INDEX comments_recent_by_author ON comments (site_id, author_email_hash, created_at DESC) WHERE author_email_hash IS NOT NULL;
