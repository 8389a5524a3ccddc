"""Mastodon's streaming API over Warble's channel layer (see session.py)."""
