"""The Mastodon-compatible client API: a second face over Warble's services and
selectors (issue 19). It adapts shapes, paging and errors; it owns no domain rule.
mastodon_api/INTERFACE.md describes its shared pieces."""
