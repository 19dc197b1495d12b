-- no transaction
-- Finds the old pending comments the worker may send again (0008). Built concurrently, so submissions and decisions go
-- on while it scans a large comments table; an index a failed run left invalid is dropped first.
DROP INDEX CONCURRENTLY IF EXISTS comments_pending;
CREATE INDEX CONCURRENTLY comments_pending ON comments (created_at) WHERE status = 'pending';
