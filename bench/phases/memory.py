"""Phase 7: Redis bytes per entry and peak RSS."""

import re

from bench.phases.common import Bench

# --- phase 7: memory ------------------------------------------------------------


def memory(b: Bench) -> dict:
    r = b.redis()
    try:
        patterns: dict[str, list[bytes]] = {}
        for key in r.scan_iter(count=2000, _type="zset"):
            name = key.decode(errors="replace")
            if ":group:" in name or name.startswith("bench:"):
                continue  # channels-redis groups, the ceiling's sets
            if not re.search(r"\d+$", name):
                continue
            patterns.setdefault(re.sub(r"\d+", "{n}", name), []).append(key)
        out: dict = {"status": "ok"}
        if patterns:
            pattern, keys = max(patterns.items(), key=lambda kv: len(kv[1]))
            sample = keys[:: max(1, len(keys) // 300)][:300]
            pipe = r.pipeline(transaction=False)
            for key in sample:
                pipe.memory_usage(key, samples=0)
                pipe.zcard(key)
            values = pipe.execute()
            used, entries = sum(v or 0 for v in values[0::2]), sum(values[1::2])
            out["redis"] = {
                "timeline_key_pattern": pattern,
                "timelines": len(keys),
                "sampled_keys": len(sample),
                "sampled_entries": entries,
                "bytes_per_entry": round(used / entries, 1) if entries else None,
                "used_memory": r.info("memory").get("used_memory"),
            }
        else:
            out["redis"] = {"status": "error: no timeline sorted sets in Redis (no fan-out)"}
    finally:
        r.close()
    peak = b.stack.monitor.peak
    out["peak_rss_mb"] = {
        role: {
            "group": round(v["rss"] / 2**20, 1),
            "largest_process": round(v["rss_max_proc"] / 2**20, 1),
        }
        for role, v in sorted(peak.items())
    }
    return out
