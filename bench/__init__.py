"""Warble's performance harness: `python -m bench --scale tiny|small|seed` (see bench/README.md).

It starts a production-like stack as subprocesses on a fresh database, loads
the seed's follow graph in bulk, drives the real HTTP API and WebSockets with
an asyncio load generator, and writes a JSON report, a markdown table and
PNG plots to var/bench/ (or --out).
"""
