-- Sites, articles, comments and the transactional outbox.
CREATE TABLE sites (
    id                   text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name                 text        NOT NULL,
    allowed_origins      text[]      NOT NULL DEFAULT '{}',
    auto_create_articles boolean     NOT NULL DEFAULT true,
    -- Per-site moderation policy; fields left out fall back to the worker's configured defaults.
    policy               jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE articles (
    site_id    text        NOT NULL REFERENCES sites (id),
    id         text        NOT NULL CHECK (length(id) BETWEEN 1 AND 200),
    title      text,
    url        text,
    paragraphs text[]      NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, id)
);

CREATE TABLE comments (
    id                uuid PRIMARY KEY,
    site_id           text        NOT NULL,
    article_id        text        NOT NULL,
    parent_id         uuid REFERENCES comments (id),
    -- The top-level comment of the reply chain (NULL for a top-level comment): one query loads a page's replies.
    root_id           uuid REFERENCES comments (id),
    author_name       text        NOT NULL,
    author_email_hash text,
    body              text        NOT NULL,
    status            text        NOT NULL CHECK (status IN ('pending', 'approved', 'held', 'rejected')),
    scores            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    reasons           jsonb       NOT NULL DEFAULT '[]'::jsonb,
    model_version     text,
    created_at        timestamptz NOT NULL,
    decided_at        timestamptz,
    FOREIGN KEY (site_id, article_id) REFERENCES articles (site_id, id)
);

CREATE INDEX comments_thread_top ON comments (site_id, article_id, created_at, id)
    WHERE status = 'approved' AND parent_id IS NULL;
CREATE INDEX comments_thread_replies ON comments (root_id, created_at) WHERE status = 'approved';
CREATE INDEX comments_article_status ON comments (site_id, article_id, status);

CREATE TABLE outbox (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id   uuid        NOT NULL UNIQUE,
    message_type text        NOT NULL,
    payload      jsonb       NOT NULL,
    created_at   timestamptz NOT NULL,
    sent_at      timestamptz,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text
);

CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
