"""Warble's own knobs: posts, the home feed, notifications, ids."""

import os

from config.settings.env import REDIS_URL, env_int, env_list

# --- posts ----------------------------------------------------------------
# How long after posting the author may still edit a post.
POST_EDIT_WINDOW_MINUTES = env_int("POST_EDIT_WINDOW_MINUTES", 30)

# --- home feed (tweets.feed, docs/feed.md) ------------------------------------
# "redis": fan-out on write into Redis timelines; "sql": the keyset pull query.
FEED_BACKEND = os.environ.get("FEED_BACKEND") or ("redis" if REDIS_URL else "sql")
FEED_REDIS_URL = os.environ.get("FEED_REDIS_URL") or REDIS_URL
FEED_MAX_ENTRIES = env_int("FEED_MAX_ENTRIES", 800)  # per timeline and per author list
# Authors with more followers are not fanned out; readers merge their author list.
FEED_FANOUT_MAX_FOLLOWERS = env_int("FEED_FANOUT_MAX_FOLLOWERS", 10_000)
# Readers merge the lists of followed authors above this (lower: hysteresis, so an
# author who drops back under the fan-out threshold is still merged).
FEED_MERGE_MIN_FOLLOWERS = env_int("FEED_MERGE_MIN_FOLLOWERS", FEED_FANOUT_MAX_FOLLOWERS // 2)
FEED_MAX_MERGED_AUTHORS = env_int("FEED_MAX_MERGED_AUTHORS", 100)  # more: served by SQL
# The SQL feed reads a top-n per followee up to this many followees (tweets.feed.rules),
# and scans the newest posts filtered by author beyond (most recent posts qualify).
FEED_SQL_LATERAL_MAX_FOLLOWS = env_int("FEED_SQL_LATERAL_MAX_FOLLOWS", 1000)
# Readers also merge the lists of accounts they followed this recently: their posts
# show in the very next read, before the follow's backfill (a worker) has run.
FEED_FOLLOW_MERGE_SECONDS = env_int("FEED_FOLLOW_MERGE_SECONDS", 600)
FEED_ACTIVE_DAYS = env_int("FEED_ACTIVE_DAYS", 14)  # timeline TTL, refreshed by each read
FEED_FANOUT_CHUNK = env_int("FEED_FANOUT_CHUNK", 1000)  # followers per fan-out task
FEED_PAYLOAD_TTL = env_int("FEED_PAYLOAD_TTL", 86_400)  # seconds a post payload is cached
# Seconds a rendered feed page is kept (served again while nothing on it changed; 0: off).
FEED_PAGE_CACHE_SECONDS = env_int("FEED_PAGE_CACHE_SECONDS", 30)
# A rebuild re-reads entries this much older than its snapshot (commits in flight).
FEED_REBUILD_MARGIN_SECONDS = env_int("FEED_REBUILD_MARGIN_SECONDS", 10)

# --- notifications ----------------------------------------------------------
# Users notified per post for its mentions (the rest of a long @-list is ignored).
NOTIFICATIONS_MAX_MENTIONS = env_int("NOTIFICATIONS_MAX_MENTIONS", 10)
# Email digests: the first emailable notification schedules one email this many
# seconds later, covering everything that arrived meanwhile. Keep it below RabbitMQ's
# consumer_timeout (30 min): a worker holds a countdown task unacknowledged until then.
NOTIFICATIONS_EMAIL_DIGEST_SECONDS = env_int("NOTIFICATIONS_EMAIL_DIGEST_SECONDS", 300)
# post.updated pushes of counter changes: at most one per post per interval.
NOTIFICATIONS_POST_UPDATE_INTERVAL_SECONDS = env_int(
    "NOTIFICATIONS_POST_UPDATE_INTERVAL_SECONDS", 2
)
NOTIFICATIONS_MAX_POST_SUBSCRIPTIONS = env_int("NOTIFICATIONS_MAX_POST_SUBSCRIPTIONS", 200)
NOTIFICATIONS_SSE_KEEPALIVE_SECONDS = env_int("NOTIFICATIONS_SSE_KEEPALIVE_SECONDS", 15)

# --- moderation (moderation/, README "Moderation") ------------------------------------
# The automatic first pass: a new or edited post containing one of these words
# (whole words, any case) or a link to one of these domains (or their subdomains)
# is reported by the system into the moderators' queue. Comma-separated.
MODERATION_BLOCKED_WORDS = env_list("MODERATION_BLOCKED_WORDS")
MODERATION_BLOCKED_LINK_DOMAINS = env_list("MODERATION_BLOCKED_LINK_DOMAINS")

# --- ids ------------------------------------------------------------------
# Every process making ids leases its own worker id in PostgreSQL (core.id_leases)
# for this long, renewing it after a third; a process that died without giving it
# back frees it after this. Never from Redis: a flush or restart must not hand one
# id out twice.
ID_WORKER_LEASE_SECONDS = env_int("ID_WORKER_LEASE_SECONDS", 60)

# --- media (media/, docs/media.md) ----------------------------------------------
# Decoding bound (Pillow's decompression-bomb guard, set from this): an image with
# more pixels is refused with a 400 from its header alone, before any decoding.
MEDIA_MAX_PIXELS = env_int("MEDIA_MAX_PIXELS", 40_000_000)
# Thumbnails: the long side of each variant of a post's image, in pixels.
MEDIA_SMALL_PX = env_int("MEDIA_SMALL_PX", 400)
MEDIA_LARGE_PX = env_int("MEDIA_LARGE_PX", 1200)
# Uploads never attached to a post within this many hours are deleted with their files.
MEDIA_UNATTACHED_TTL_HOURS = env_int("MEDIA_UNATTACHED_TTL_HOURS", 24)
