-- The worker sends a comment again when it has stayed pending long after every message of it was consumed (its message
-- parked in the error queue by a long outage, or lost with a broker's disk): resends counts how often, resent_at when
-- last, so a comment that cannot be decided is not sent forever. The index finds the old pending comments.
ALTER TABLE comments ADD COLUMN resends smallint NOT NULL DEFAULT 0, ADD COLUMN resent_at timestamptz;
CREATE INDEX comments_pending ON comments (created_at) WHERE status = 'pending';
