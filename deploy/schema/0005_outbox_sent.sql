-- The dispatcher deletes sent rows after a retention period, oldest first; this index finds them without reading the
-- rows still retained (the unsent ones have their own partial index, outbox_unsent).
CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL;
