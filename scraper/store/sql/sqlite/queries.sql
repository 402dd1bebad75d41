-- Every query the SQLite store runs, one per `-- name: <name>` header, with :named parameters.
-- Times are fixed-width ISO-8601 UTC text (see 0001_initial.sql), so `<=` on them compares times.

-- name: create_migrations_table
CREATE TABLE IF NOT EXISTS migrations (
    name       TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
);

-- name: applied_migrations
SELECT name, applied_at FROM migrations ORDER BY name;

-- name: record_migration
-- The database's clock, not Python's: migrations run while opening, before any unit of work has a `now`.
INSERT INTO migrations (name, applied_at)
VALUES (:name, strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000+00:00');

-- name: add_link
INSERT INTO frontier (url, site, source, title, published_at, next_attempt_at, discovered_at)
VALUES (:url, :site, :source, :title, :published_at, :now, :now)
ON CONFLICT (url) DO NOTHING;

-- name: due_urls
-- New and retry URLs that are due first, oldest first; then, if :recheck_before is given, done URLs last
-- checked before it, for a conditional GET.
SELECT url, site, status, attempts, etag, last_modified, last_cause, last_error
FROM frontier
WHERE (:site IS NULL OR site = :site)
  AND ((status IN ('new', 'retry') AND next_attempt_at <= :now)
       OR (status = 'done' AND checked_at < :recheck_before))
ORDER BY status = 'done', CASE status WHEN 'done' THEN checked_at ELSE next_attempt_at END, url
LIMIT :limit;

-- name: frontier_entry
SELECT url, site, status, attempts, etag, last_modified, last_cause, last_error FROM frontier WHERE url = :url;

-- name: mark_fetched
UPDATE frontier
SET status = 'done', attempts = 0, last_cause = NULL, last_error = NULL,
    etag = :etag, last_modified = :last_modified, checked_at = :now
WHERE url = :url;

-- name: mark_unchanged
UPDATE frontier
SET status = 'done', attempts = 0, last_cause = NULL, last_error = NULL, checked_at = :now
WHERE url = :url;

-- name: mark_extracted
-- A re-clean that found an article in a stored page: the URL is done, whatever failed before.
UPDATE frontier
SET status = 'done', attempts = 0, last_cause = NULL, last_error = NULL
WHERE url = :url;

-- name: mark_failed
UPDATE frontier
SET status = :status, attempts = attempts + 1, next_attempt_at = coalesce(:retry_at, next_attempt_at),
    last_cause = :cause, last_error = :message, checked_at = :now
WHERE url = :url;

-- name: reset_failed
-- Failed and retrying URLs back to new, due at :now with no attempts counted, so the next run fetches them.
-- last_cause and last_error stay, as the record of why they had failed, until the next attempt replaces them.
UPDATE frontier
SET status = 'new', attempts = 0, next_attempt_at = :now
WHERE status IN ('failed', 'retry')
  AND (:site IS NULL OR site = :site)
  AND (:cause IS NULL OR last_cause = :cause);

-- name: upsert_page
INSERT INTO pages (url, requested_url, final_url, status, content_type, etag, last_modified, headers, body,
                   body_size, fetched_at)
VALUES (:url, :requested_url, :final_url, :status, :content_type, :etag, :last_modified, :headers, :body,
        :body_size, :fetched_at)
ON CONFLICT (url) DO UPDATE SET
    requested_url = excluded.requested_url, final_url = excluded.final_url, status = excluded.status,
    content_type = excluded.content_type, etag = excluded.etag, last_modified = excluded.last_modified,
    headers = excluded.headers, body = excluded.body, body_size = excluded.body_size,
    fetched_at = excluded.fetched_at;

-- name: page_site
SELECT f.site, p.requested_url FROM pages AS p JOIN frontier AS f ON f.url = p.url WHERE p.url = :url;

-- name: article_row
SELECT url, site, requested_url, canonical_url, article_url, article_site, title, author, date, dateline, language,
       paragraphs, tags, removed, content_hash, rules_version, extracted_at,
       (SELECT fetched_at FROM pages WHERE pages.url = articles.url) AS fetched_at
FROM articles
WHERE url = :url;

-- name: upsert_article
INSERT INTO articles (url, site, requested_url, canonical_url, article_url, article_site, title, author, date,
                      dateline, language, paragraphs, tags, removed, removed_count, content_hash, rules_version,
                      extracted_at)
VALUES (:url, :site, :requested_url, :canonical_url, :article_url, :article_site, :title, :author, :date,
        :dateline, :language, :paragraphs, :tags, :removed, :removed_count, :content_hash, :rules_version,
        :extracted_at)
ON CONFLICT (url) DO UPDATE SET
    site = excluded.site, requested_url = excluded.requested_url, canonical_url = excluded.canonical_url,
    article_url = excluded.article_url, article_site = excluded.article_site, title = excluded.title,
    author = excluded.author, date = excluded.date, dateline = excluded.dateline, language = excluded.language,
    paragraphs = excluded.paragraphs, tags = excluded.tags, removed = excluded.removed,
    removed_count = excluded.removed_count, content_hash = excluded.content_hash,
    rules_version = excluded.rules_version, extracted_at = excluded.extracted_at;

-- name: touch_article
-- An identical re-clean: the article is current with these rules, and nothing else moves.
UPDATE articles SET rules_version = :rules_version, requested_url = :requested_url WHERE url = :url;

-- name: articles_page
-- Keyset pagination, so no cursor stays open between batches (a writer may use the connection meanwhile).
SELECT a.url, a.site, a.requested_url, a.canonical_url, a.article_url, a.article_site, a.title, a.author, a.date,
       a.dateline, a.language, a.paragraphs, a.tags, a.removed, a.content_hash, a.rules_version, a.extracted_at,
       p.fetched_at
FROM articles AS a JOIN pages AS p ON p.url = a.url
WHERE (:site IS NULL OR a.site = :site)
  AND (:since IS NULL OR p.fetched_at >= :since)
  AND (p.fetched_at, a.url) > (:after_time, :after_url)
ORDER BY p.fetched_at, a.url
LIMIT :limit;

-- name: pages_page
SELECT p.url, f.site, p.requested_url, p.final_url, p.status, p.content_type, p.etag, p.last_modified, p.headers,
       p.body, p.fetched_at
FROM pages AS p JOIN frontier AS f ON f.url = p.url
WHERE p.body IS NOT NULL
  AND (:site IS NULL OR f.site = :site)
  AND p.url > :after_url
ORDER BY p.url
LIMIT :limit;

-- name: acquire_lock
-- Taken when free, expired, or already ours (which extends it); otherwise no row changes.
INSERT INTO locks (name, owner, acquired_at, expires_at)
VALUES (:name, :owner, :now, :expires_at)
ON CONFLICT (name) DO UPDATE SET
    owner = excluded.owner, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
WHERE locks.owner = excluded.owner OR locks.expires_at <= excluded.acquired_at;

-- name: release_lock
DELETE FROM locks WHERE name = :name AND owner = :owner;

-- name: lock_holder
SELECT name, owner, acquired_at, expires_at FROM locks WHERE name = :name AND expires_at > :now;

-- name: start_run
INSERT INTO runs (started_at) VALUES (:now);

-- name: finish_run
UPDATE runs SET finished_at = :now, stats = :stats WHERE id = :id;

-- name: recent_runs
SELECT id, started_at, finished_at, stats FROM runs ORDER BY id DESC LIMIT :limit;

-- name: site_frontier
SELECT site, count(*) AS urls,
       sum(status IN ('new', 'retry')) AS pending,
       max(checked_at) AS last_checked_at
FROM frontier
GROUP BY site
ORDER BY site;

-- name: site_articles
SELECT site, count(*) AS articles, sum(removed_count) AS removals FROM articles GROUP BY site;

-- name: site_failures
SELECT site, last_cause AS cause, count(*) AS urls
FROM frontier
WHERE status IN ('retry', 'failed') AND last_cause IS NOT NULL
GROUP BY site, last_cause;

-- name: resource_state
SELECT url, etag, last_modified, children, checked_at FROM discovery_resources WHERE url = :url;

-- name: save_resource
INSERT INTO discovery_resources (url, etag, last_modified, children, checked_at)
VALUES (:url, :etag, :last_modified, :children, :checked_at)
ON CONFLICT (url) DO UPDATE SET
    etag = excluded.etag, last_modified = excluded.last_modified, children = excluded.children,
    checked_at = excluded.checked_at;

-- name: forget_learned
DELETE FROM learned_lines WHERE host = :host;

-- name: add_learned
INSERT INTO learned_lines (host, line, pages, articles, learned_at)
VALUES (:host, :line, :pages, :articles, :learned_at);

-- name: learned_lines
SELECT host, line, pages, articles, learned_at
FROM learned_lines
WHERE (:host IS NULL OR host = :host)
ORDER BY host, pages DESC, line;
