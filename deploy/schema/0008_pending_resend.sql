-- The worker sends a comment again when it has stayed pending long after every message of it was consumed (its message
-- parked in the error queue by a long outage, or lost with a broker's disk): resends counts how often, resent_at when
-- last, so a comment that cannot be decided is not sent forever. Adding nullable or constant-default columns only
-- changes the catalogue, but it needs a moment's exclusive lock: give up rather than queue every query behind a long
-- transaction (run migrate again). The index is built by 0009 without blocking writes.
SET LOCAL lock_timeout = '5s';
ALTER TABLE comments ADD COLUMN resends smallint NOT NULL DEFAULT 0, ADD COLUMN resent_at timestamptz;
