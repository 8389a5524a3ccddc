"""The seed workload's target is the scale's: the issue's 900 s at seed scale."""

import pytest

from bench import report
from bench.scales import SCALES


def seed_row(scale: str, seconds: float) -> dict:
    body = {
        "meta": {"scale_config": {"seed_target": SCALES[scale].seed_target}},
        "phases": {
            "seed": {
                "status": "ok",
                "wall_seconds_first_post_to_last_delivery": seconds,
                "check": {"status": "ok", "entries_lost": 0},
            }
        },
    }
    (row,) = [r for r in report.targets(body) if r["target"].endswith("to last delivery")]
    return row


@pytest.mark.parametrize(("scale", "limit"), [("seed", 900), ("small", 75)])
def test_the_seed_workload_is_judged_against_its_scales_target(scale, limit):
    assert seed_row(scale, limit)["limit"] == limit
    assert seed_row(scale, limit)["status"] == "pass"
    assert seed_row(scale, limit + 1)["status"] == "miss"
