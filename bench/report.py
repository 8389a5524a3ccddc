"""The report: JSON with every figure, a markdown table, PNG plots, side by side.

var/bench/<date>-<scale>[-tag].json, .md, -latency.png, -throughput.png (or --out).
"""

import itertools
import json
from pathlib import Path

from bench import loadgen


def _get(data: dict, *path, default=None):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def _status_of(section: dict | None) -> str:
    status = (section or {}).get("status", "missing")
    return "" if status == "ok" else status


def targets(report: dict) -> list[dict]:
    """The issue's targets, each with its value and pass / miss / unmeasured."""
    p = report.get("phases", {})
    rows = []

    def add(name, value, op, limit, section, unit=""):
        why = _status_of(section)
        if value is None:
            status = f"unmeasured ({why or 'no value'})"
        else:
            ok = value >= limit if op == ">=" else value <= limit
            status = "pass" if ok else "miss"
        rows.append(
            {
                "target": name,
                "value": value,
                "unit": unit,
                "op": op,
                "limit": limit,
                "status": status,
            }
        )

    base = p.get("baseline", {})
    add(
        "ping requests/s ÷ unauthenticated DRF hello",
        base.get("ping_vs_hello"),
        ">=",
        0.8,
        base,
        "x",
    )
    feed = p.get("feed", {})
    add("feed requests/s ÷ baseline (worst reader)", _worst(feed), ">=", 0.6, feed, "x")
    feed_sql = p.get("feed_sql", {})
    add(
        "feed, FEED_BACKEND=sql, requests/s ÷ baseline (worst reader)",
        _worst(feed_sql),
        ">=",
        0.3,
        feed_sql,
        "x",
    )
    add(
        "feed p99(5,000 followees) ÷ p99(10)",
        feed.get("p99_ratio_most_vs_fewest_followees"),
        "<=",
        1.2,
        feed,
        "x",
    )
    posting = p.get("posting", {})
    add(
        "POST /posts requests/s ÷ baseline", posting.get("rps_vs_baseline"), ">=", 0.3, posting, "x"
    )
    add(
        "POST p99(5,000 followers) ÷ p99(10)",
        posting.get("p99_ratio_most_vs_fewest_followers"),
        "<=",
        1.2,
        posting,
        "x",
    )
    fanout = p.get("fanout", {})
    add(
        "fan-out deliveries/s ÷ Redis ZADD ceiling",
        fanout.get("deliveries_vs_ceiling"),
        ">=",
        0.5,
        fanout,
        "x",
    )
    latency = fanout.get("latency", fanout if fanout.get("status") != "ok" else {})
    add(
        "post-to-timeline p99 at half the max posting rate",
        latency.get("p99_ms"),
        "<=",
        1000,
        latency,
        "ms",
    )
    seed = p.get("seed", {})
    check = seed.get("check", {})
    lost = check.get("entries_lost")
    if lost is not None and check.get("entries_unexpected"):
        lost += check["entries_unexpected"]  # a wrong timeline is not a complete one either
    add("seed workload: timeline entries lost or wrong", lost, "<=", 0, check)
    add(
        "seed workload: first post to last delivery",
        seed.get("wall_seconds_first_post_to_last_delivery")
        if seed.get("status") == "ok" and check.get("status") == "ok"
        else None,
        "<=",
        _get(report, "meta", "scale_config", "seed_target", default=75),
        seed if seed.get("status") != "ok" else check,  # unchecked: no "delivery" to time
        "s",
    )
    return rows


def hello_ratio(base: dict):
    """hello req/s ÷ ping req/s (the "x baseline" column; the target reads it upside down)."""
    hello, ping = base["hello"].get("rps"), base.get("rps")
    return round(hello / ping, 3) if hello is not None and ping else None


def _worst(feed: dict):
    readers = feed.get("readers", {})
    return min(
        (r["rps_vs_baseline"] for r in readers.values() if r.get("rps_vs_baseline")), default=None
    )


def _fmt(value, unit="") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def _backlog(backlog: dict | None) -> str:
    """One line of a backlog (bench/backlog.py)."""
    if not backlog:
        return "-"
    ready = ", ".join(f"{q} {_fmt(n)}" for q, n in (backlog.get("ready") or {}).items())
    held = backlog.get("held")
    return (
        f"ready in RabbitMQ: {ready}; held by workers (unacknowledged): "
        f"{'no answer' if held is None else _fmt(held)}; outbox rows pending: "
        f"{_fmt(backlog.get('outbox_pending'))}; retries waiting: {_fmt(backlog.get('retrying'))}"
    )


def markdown(report: dict) -> str:
    meta, p = report["meta"], report.get("phases", {})
    lines = [
        f"# Warble benchmark — {meta['scale']} scale, {meta['date']}",
        "",
        f"Command: `{meta['command']}` · commit `{meta.get('commit', '?')}` · "
        f"{meta['cpus']} CPUs · load average at start {meta['loadavg_start']}, "
        f"at end {meta.get('loadavg_end')} · web server {meta['server']} · "
        f"total {meta.get('total_seconds')} s",
        "",
        f"Dataset: {_fmt(report['dataset'].get('users'))} accounts "
        f"({_fmt(report['dataset'].get('seed_users'))} posting users), "
        f"{_fmt(report['dataset'].get('follows'))} follows, "
        f"{_fmt(report['dataset'].get('history_posts'))} history posts; "
        f"loaded in {report['dataset'].get('load_seconds')} s.",
        "",
        "## Targets (ratios, same run)",
        "",
        "| Target | Value | Limit | Status |",
        "|---|---|---|---|",
    ]
    for row in report["targets"]:
        lines.append(
            f"| {row['target']} | {_fmt(row['value'], row['unit'])} | "
            f"{row['op']} {_fmt(row['limit'], row['unit'])} | {row['status']} |"
        )
    lines += [
        "",
        "## Phases",
        "",
        "| Phase | Status | req/s | p50 ms | p99 ms | x baseline "
        "req/s | errors | server CPU (cores) | harness CPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]

    def row(name, s, status="ok", ratio=None):
        if not s:
            lines.append(f"| {name} | {status} | | | | | | | |")
            return
        cpu = s.get("server_cpu_cores") or {}
        server = sum(v for k, v in cpu.items() if k != "harness")
        lines.append(
            f"| {name} | {status} | {_fmt(s.get('rps'))} | {_fmt(s.get('p50_ms'))} | "
            f"{_fmt(s.get('p99_ms'))} | {_fmt(ratio)} | {sum(s.get('errors', {}).values()) or 0}"
            f" | {_fmt(round(server, 2))} | {_fmt(s.get('client_cpu_cores'))} |"
        )

    base = p.get("baseline", {})
    row("1 baseline GET /ping", base, base.get("status"), 1.0)
    if base.get("hello"):
        hello = base["hello"]
        row("1 GET /api/v1/bench/hello (no authentication)", hello, "ok", hello_ratio(base))
    for key, label in (("feed", "2 feed"), ("feed_sql", "2b feed, FEED_BACKEND=sql")):
        feed = p.get(key, {})
        if feed.get("status") == "ok":
            for count, s in feed["readers"].items():
                row(
                    f"{label}, following {int(count):,} (first read {s['first_read_ms']} ms)",
                    s,
                    "ok",
                    s.get("rps_vs_baseline"),
                )
        else:
            row(label, None, feed.get("status"))
    posting = p.get("posting", {})
    for s in posting.get("ramp", []):
        row(f"3 POST /posts ramp, concurrency {s['concurrency']}", s)
    if posting.get("max_rate"):
        row(
            f"3 POST /posts at max (concurrency {posting['max_rate']['concurrency']})",
            posting["max_rate"],
            "ok",
            posting.get("rps_vs_baseline"),
        )
    for n, s in posting.get("by_author_followers", {}).items():
        row(f"3 POST /posts by an author with {int(n):,} followers", s)
    fanout = p.get("fanout", {})
    lat = fanout.get("latency", {})
    if lat.get("posting"):
        row(f"4 POST /posts at half rate ({lat['posting_rate']}/s, open loop)", lat["posting"])
    ws = p.get("websockets", {})
    for key, label in (("reads_without_sockets", "without"), ("reads_with_sockets", "with")):
        if ws.get(key):
            row(f"6 reads {label} {ws.get('sockets_open', 0):,} idle sockets", ws[key])
    lines += ["", "## Fan-out (phase 4)", ""]
    lines.append(f"- status: {fanout.get('status')}")
    labels = {
        "posts": "posts in the measured posting run",
        "deliveries": "their deliveries (followers reached)",
        "deliveries_per_second_during_posting": "deliveries/s during posting "
        "(first post to drained backlog; bounded by the posting rate)",
        "drain_seconds_after_last_post": "drain time after the last post, s",
        "zadd_calls": "Redis ZADD calls meanwhile",
        "redis_zadd_ceiling": "Redis ZADD ceiling, per second",
        "deliveries_per_second": "deliveries/s used for the target (the higher of the two)",
        "deliveries_vs_ceiling": "deliveries/s / ceiling",
    }
    for key, label in labels.items():
        if key in fanout:
            lines.append(f"- {label}: {_fmt(fanout[key])}")
    if fanout.get("backlog_left"):
        lines.append(f"- backlog left (did not drain): {_backlog(fanout['backlog_left'])}")
    if "backlog_when_posting_stopped" in fanout:
        lines.append(
            f"- backlog when posting stopped: {_backlog(fanout['backlog_when_posting_stopped'])}"
        )
    cap = fanout.get("capacity")
    if cap:
        lines.append(
            f"- capacity ({cap.get('status')}): {_fmt(cap.get('deliveries'))} deliveries of "
            f"{_fmt(cap.get('posts'))} posts queued while the fan-out worker was paused, drained "
            f"in {_fmt(cap.get('drain_seconds'))} s = {_fmt(cap.get('deliveries_per_second'))} "
            f"deliveries/s, fan-out worker CPU {_fmt(cap.get('fanout_worker_cpu_cores'))} cores"
        )
        lines.append(
            f"- backlog at the fan-out worker's resume: {_backlog(cap.get('backlog_at_resume'))}"
        )
    if lat:
        lines.append(
            f"- post-to-timeline latency ({lat.get('status')}): p50 {_fmt(lat.get('p50_ms'))} ms,"
            f" p99 {_fmt(lat.get('p99_ms'))} ms over {lat.get('sampled')} sampled posts "
            f"(polled every {lat.get('poll_interval_ms')} ms; not seen in 30 s: "
            f"{lat.get('not_seen_within_30s')})"
        )
    seed = p.get("seed", {})
    check = seed.get("check", {})
    lines += ["", "## Seed workload (phase 5)", "", f"- status: {seed.get('status')}"]
    for key in (
        "posts_created",
        "concurrency",
        "posts_per_second",
        "posting_seconds",
        "deliveries",
        "wall_seconds_first_post_to_last_delivery",
        "vs_seed_30s",
        "drain_seconds_after_last_post",
        "deliveries_planned",
        "projected_posting_seconds_for_all",
        "projected_wall_seconds_for_all",
        "projected_vs_seed_30s",
        "p50_ms",
        "p99_ms",
        "dead_letters",
    ):
        if key in seed:
            lines.append(f"- {key.replace('_', ' ')}: {_fmt(seed[key])}")
    if seed.get("backlog_left"):
        lines.append(f"- backlog left at the deadline: {_backlog(seed['backlog_left'])}")
    lines.append(
        f"- timelines checked against SQL ({check.get('status')}): "
        f"{check.get('timelines_equal', '-')}/{check.get('followers_checked', '-')} equal, "
        f"{check.get('entries_lost', '-')} entries lost, "
        f"{check.get('entries_unexpected', '-')} unexpected ({check.get('expectation', '')})"
    )
    lines += ["", "## WebSockets (phase 6)", "", f"- status: {ws.get('status')}"]
    for key in (
        "sockets_open",
        "open_seconds",
        "open_failures",
        "rps_with_vs_without",
        "feed_note",
    ):
        if key in ws:
            lines.append(f"- {key.replace('_', ' ')}: {_fmt(ws[key])}")
    like = ws.get("like_to_frame", {})
    lines.append(
        f"- like → `notification.created` ({like.get('status')}): p50 "
        f"{_fmt(like.get('p50_ms'))} ms, p99 {_fmt(like.get('p99_ms'))} ms over "
        f"{like.get('frames', '-')} frames"
    )
    mem = p.get("memory", {})
    lines += ["", "## Memory (phase 7)", ""]
    redis_mem = mem.get("redis", {})
    lines.append(
        f"- Redis bytes per timeline entry: {_fmt(redis_mem.get('bytes_per_entry'))} "
        f"({redis_mem.get('status') or redis_mem.get('timeline_key_pattern')}, "
        f"{_fmt(redis_mem.get('timelines'))} timelines)"
    )
    for role, v in mem.get("peak_rss_mb", {}).items():
        lines.append(
            f"- peak RSS {role}: {v['group']} MB (largest process {v['largest_process']} MB)"
        )
    lines += [
        "",
        f"Redis ZADD ceiling: {_fmt(_get(report, 'redis_ceiling', 'zadd_per_second'))}"
        " per second (`redis-benchmark -P 16`, 800 sets of 800 entries).",
        "",
    ]
    for note in meta.get("notes", []):
        lines.append(f"- {note}")
    lines += ["", "Plots: `" + "`, `".join(report.get("plots", [])) + "`", ""]
    return "\n".join(lines)


def plots(report: dict, runs: list[loadgen.Run], monitor_samples: list[dict], stem: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    # 1. Latency percentiles per measured run.
    rows = []
    for run in runs:
        ok = sorted(s.latency for s in run.steady() if 200 <= s.status < 300)
        if ok:
            rows.append((run.name, [loadgen.percentile(ok, q) * 1000 for q in (50, 90, 99)]))
    if rows:
        fig, ax = plt.subplots(figsize=(max(8, len(rows) * 0.7), 5))
        width = 0.27
        for i, (label, color) in enumerate(
            (("p50", "#4c72b0"), ("p90", "#dd8452"), ("p99", "#c44e52"))
        ):
            ax.bar(
                [x + (i - 1) * width for x in range(len(rows))],
                [r[1][i] for r in rows],
                width,
                label=label,
                color=color,
            )
        ax.set_xticks(range(len(rows)), [r[0] for r in rows], rotation=40, ha="right")
        ax.set_yscale("log")
        ax.set_ylabel("latency, ms (log scale)")
        ax.set_title(f"Latency percentiles per phase — {report['meta']['scale']}")
        ax.legend()
        ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        path = stem.with_name(stem.name + "-latency.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path.name)

    # 2. Throughput over time: completed requests per second, per phase, with
    #    Redis ZADD calls/s and the RabbitMQ backlog behind them.
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 7), sharex=True)
    for run in runs:
        ok = [s.start + s.latency for s in run.samples if 200 <= s.status < 300]
        if not ok:
            continue
        lo, hi = int(min(ok)), int(max(ok)) + 1
        counts = [0] * (hi - lo)
        for t in ok:
            counts[int(t) - lo] += 1
        top.plot([lo + i + 0.5 for i in range(len(counts))], counts, label=run.name, lw=1.2)
    top.set_ylabel("responses (2xx) per second")
    top.legend(fontsize=7, ncol=4)
    top.grid(alpha=0.3)
    top.set_title(f"Throughput over time — {report['meta']['scale']}")
    samples = [s for s in monitor_samples if "zadd_calls" in s]
    if len(samples) > 1:
        ts = [s["t"] for s in samples[1:]]
        zadd = [
            max(0, (b["zadd_calls"] - a["zadd_calls"]) / max(1e-9, b["t"] - a["t"]))
            for a, b in itertools.pairwise(samples)
        ]
        bottom.plot(ts, zadd, color="#55a868", lw=1, label="Redis ZADD calls/s")
        bottom.set_ylabel("ZADD calls per second")
        twin = bottom.twinx()
        for series, color, style, label in (
            (lambda s: (s.get("ready") or {}).get("fanout"), "#c44e52", "-", "fanout: ready"),
            (lambda s: (s.get("ready") or {}).get("default"), "#8172b3", "--", "default: ready"),
            (lambda s: s.get("held"), "#937860", ":", "held by workers"),
        ):
            # None (not read, or a worker did not answer: paused) leaves a gap.
            values = [series(s) for s in samples]
            twin.plot(
                [s["t"] for s in samples],
                [float("nan") if v is None else v for v in values],
                color=color,
                lw=1,
                ls=style,
                label=label,
            )
        twin.set_ylabel("tasks (RabbitMQ ready; held: unacknowledged)")
        lines = bottom.get_legend_handles_labels()
        lines2 = twin.get_legend_handles_labels()
        bottom.legend(lines[0] + lines2[0], lines[1] + lines2[1], fontsize=7, loc="upper left")
    bottom.set_xlabel("seconds since the stack started")
    bottom.grid(alpha=0.3)
    fig.tight_layout()
    path = stem.with_name(stem.name + "-throughput.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    written.append(path.name)
    return written


def write(report: dict, runs, monitor_samples, out_dir: Path, stem_name: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / stem_name
    report["targets"] = targets(report)
    report["plots"] = plots(report, runs, monitor_samples, stem)
    report["timeseries"] = {
        "monitor": [
            {
                "t": round(s["t"], 2),
                "load1": s.get("load1"),
                "ready": s.get("ready"),
                "held": s.get("held"),
                "zadd_calls": s.get("zadd_calls"),
                "rss_mb": {k: round(v["rss"] / 2**20, 1) for k, v in s["groups"].items()},
                "cpu_s": {k: round(v["cpu"], 2) for k, v in s["groups"].items()},
                "harness_cpu_s": round(s["client_cpu"], 2),
            }
            for s in monitor_samples[:: max(1, len(monitor_samples) // 2000)]
        ],
    }
    json_path = stem.with_suffix(".json")
    tmp = json_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=1, default=str))
    tmp.replace(json_path)
    stem.with_suffix(".md").write_text(markdown(report))
    return json_path
