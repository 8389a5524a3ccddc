"""The home feed (DESIGN.md §5, docs/feed.md).

- `rules`: which entries belong to whose feed: the one definition the SQL pull
  feed, the Redis read filter, fan-out and rebuilds all apply.
- `compiled`: feed querysets compiled once per process, run as prepared statements.
- `states`: a post's counters, author and the viewer's flags, read with the page.
- `merged`: the authors a reader's Redis read merges, remembered per process.
- `store`: Redis timelines (`tl:<user>`) and author lists (`ul:<author>`).
- `fanout`: what the event handlers (tweets/handlers.py) do to the store.
- `rebuild`: a timeline or author list rebuilt from PostgreSQL.
- `selectors.home_timeline`: the feed as entry rows (Redis or SQL, same order and cursors).
- `hydrate.render_entries`: rows to the API shape, through the versioned payload cache.
- `pages`: rendered pages kept in Redis, served again while nothing on them changed
  (`selectors.home_page`, for the feed view; stamps: core.stamps).
"""
