"""bench.pipeline charges CPU time to the right group: a stack process group's
processes, the children they waited for included, and this process."""

import os
import subprocess
import sys
import time

from bench import pipeline

# /proc counts CPU in clock ticks, sampled: each reading can be a tick or two off.
SLACK = 3 / os.sysconf("SC_CLK_TCK")
BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\n"


def test_cpu_is_charged_to_the_process_group_and_to_this_process():
    # A group leader whose child burns 0.3 s and exits (waited for), then it waits.
    code = f"import subprocess, sys, time\nsubprocess.run([sys.executable, '-c', {BURN!r}])\n"
    code += "print('burnt', flush=True)\ntime.sleep(60)\n"
    leader = subprocess.Popen(
        [sys.executable, "-c", code], start_new_session=True, stdout=subprocess.PIPE, text=True
    )
    try:
        assert leader.stdout is not None
        assert leader.stdout.readline() == "burnt\n"
        mine = pipeline.cpu_by_group({})["client"]
        started = time.process_time()
        while time.process_time() - started < 0.2:
            pass
        used = pipeline.cpu_by_group({leader.pid: "worker"})
    finally:
        leader.kill()
        leader.wait()
    assert used["worker"] >= 0.3 - SLACK  # the exited child's 0.3 s
    assert used["client"] - mine >= 0.2 - SLACK
