"""PostgreSQL only: the full-text column and index of posts, the trigram indexes of users.

- tweets_post.search_vector: a STORED generated column, to_tsvector('english', text),
  so every insert and edit re-indexes the post in its own transaction and the
  tweets app declares nothing; a GIN index over it (tweets.textsearch reads it).
- pg_trgm, and GIN trigram indexes on lower(username) and lower(display_name)
  for fuzzy user search (similarity, `%`) and prefix completion (LIKE 'ab%');
- a varchar_pattern_ops btree on search_hashtag.name for hashtag prefix search.

On SQLite (the embedded mode) this migration does nothing: searches fall back
to icontains there (docs/search.md).
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE tweets_post ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text)) STORED",
    "CREATE INDEX IF NOT EXISTS post_search_vector_gin ON tweets_post USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS user_username_trgm ON accounts_user "
    "USING gin (lower(username) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS user_display_name_trgm ON accounts_user "
    "USING gin (lower(display_name) gin_trgm_ops)",
    # Hashtag search is a prefix match (name LIKE 'ab%'): a pattern-ops btree serves it.
    "CREATE INDEX IF NOT EXISTS hashtag_name_prefix ON search_hashtag "
    "(name varchar_pattern_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS hashtag_name_prefix",
    "DROP INDEX IF EXISTS user_display_name_trgm",
    "DROP INDEX IF EXISTS user_username_trgm",
    "DROP INDEX IF EXISTS post_search_vector_gin",
    "ALTER TABLE tweets_post DROP COLUMN IF EXISTS search_vector",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("search", "0001_initial"),
        ("tweets", "0002_post_version"),
        ("accounts", "0003_revoked_session"),
    ]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
