-- Bans and the per-author rate limit look comments up by author_key (0004), which is the email hash for anonymous
-- comments; nothing queries author_email_hash any more, so its two indexes only cost every insert and decision.
DROP INDEX IF EXISTS comments_author;
DROP INDEX IF EXISTS comments_recent_by_author;
