-- A row whose publish failed waits until next_attempt_at (growing with its attempts) before it is claimed again, so a
-- message that cannot be published for a while (no queue bound to its exchange, say) neither holds up the rows behind
-- it nor slows the dispatcher down. NULL: never failed, claim at once.
-- A moment's exclusive lock: give up rather than queue every insert behind a long transaction (run migrate again).
SET LOCAL lock_timeout = '5s';
ALTER TABLE outbox ADD COLUMN next_attempt_at timestamptz;
