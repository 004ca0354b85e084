"""bench/benchlib.py: the process tree's RSS, the limit, the ratios, the table."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import benchlib  # noqa: E402


def test_parse_list():
    assert benchlib.parse_list("1, 2,4,,", int) == [1, 2, 4]
    assert benchlib.parse_list("instant,realistic") == ["instant", "realistic"]
    assert benchlib.parse_list("") == []


def test_parse_stat_with_spaces_and_parens_in_the_name():
    fields = ["S", "42"] + ["0"] * 19 + ["250"] + ["0"] * 20
    line = "1234 (a (weird) name) " + " ".join(fields)
    ppid, rss = benchlib.parse_stat(line)
    assert ppid == 42
    assert rss == 250 * benchlib.PAGE_KIB


def test_parse_stat_of_this_process():
    with open("/proc/self/stat", encoding="utf-8") as f:
        ppid, rss = benchlib.parse_stat(f.read())
    assert ppid == os.getppid()
    assert rss > 0


PROCS = {
    1: (0, 10),
    100: (1, 1000),      # ansible-playbook
    101: (100, 200),     # a fork
    102: (100, 300),     # another fork
    103: (101, 50),      # a module the fork runs
    104: (103, 40),      # helm under the module
    200: (1, 5000),      # an unrelated process
    201: (200, 7000),
}


def test_descendants():
    assert benchlib.descendants({pid: v[0] for pid, v in PROCS.items()}, 100) == {100, 101, 102, 103, 104}
    assert benchlib.descendants({pid: v[0] for pid, v in PROCS.items()}, 104) == {104}


def test_descendants_of_a_gone_root():
    assert benchlib.descendants({pid: v[0] for pid, v in PROCS.items()}, 999) == set()


def test_tree_rss_sums_the_tree_only():
    assert benchlib.tree_rss_kib(PROCS, 100) == 1000 + 200 + 300 + 50 + 40


def test_tree_rss_counts_marked_orphans_once():
    assert benchlib.tree_rss_kib(PROCS, 100, extra={201, 101, 999}) == 1590 + 7000


def test_run_measured_counts_children_cpu_and_memory():
    # A child that writes ~40 MiB and burns a little CPU in a grandchild. The
    # bytes are written (a bytearray's zeroed pages are not resident: one run
    # read 23 MiB) and held for a second, for a sampler that looks late.
    code = ("import subprocess, sys, time; b = b'x' * (40 * 1024 * 1024); "
            "subprocess.run([sys.executable, '-c', 'sum(range(3000000))'], check=True); time.sleep(1); print('ok')")
    run = benchlib.run_measured([sys.executable, "-c", code], interval=0.05)
    assert run["returncode"] == 0
    assert run["output"].strip() == "ok"
    assert run["samples"] >= 1
    assert run["peak_rss_mib"] >= 40
    assert run["cpu_seconds"] > 0


def test_run_measured_exit_code():
    run = benchlib.run_measured([sys.executable, "-c", "import sys; sys.exit(3)"])
    assert run["returncode"] == 3


def test_sampler_follows_marked_processes_outside_the_tree():
    sampler = benchlib.TreeSampler(os.getpid(), marker="DCE5_BENCH_TEST_MARKER=absent")
    sampler.sample()
    assert sampler.samples == 1
    assert sampler.peak_kib > 0
    assert not sampler._marked  # pylint: disable=protected-access


def test_limit_is_control_plane_plus_slowest_worker():
    assert benchlib.limit_seconds(10.0, [5.0, 12.5, 7.0]) == 22.5
    assert benchlib.limit_seconds(10.0, []) == 10.0


def test_ratio():
    assert benchlib.ratio(30.0, 10.0) == 3.0
    assert benchlib.ratio(None, 10.0) is None
    assert benchlib.ratio(1.0, 0) is None


def run(seconds, rss=None, cpu=None, **extra):
    out = {"seconds": seconds, "peak_rss_mib": rss, "cpu_seconds": cpu}
    out.update(extra)
    return out


def row(**overrides):
    r = {
        "workers": 2, "clusters": 3, "mode": "instant", "ready_delay_ms": 0, "load": {"before": 1.5, "after": 2.25},
        "runs": {
            "manual": [run(10.0, 50, 1.0), run(12.0, 60, 1.2), run(11.0, 55, 1.1)],
            "limit": [run(6.0, control_plane=2.0, workers={"w1": 3.0, "w2": 4.0}),
                      run(5.0, control_plane=2.0, workers={"w1": 3.0, "w2": 3.0}),
                      run(7.0, control_plane=3.0, workers={"w1": 4.0, "w2": 2.0})],
            "playbook": [run(30.0, 400, 20.0), run(33.0, 420, 22.0), run(31.0, 410, 21.0)],
            "noop": [run(9.0, 300, 8.0)],
            "preflight": [],
        },
    }
    r.update(overrides)
    return benchlib.summarize(r)


def test_summarize():
    r = row()
    assert r["median"] == {"manual": 11.0, "limit": 6.0, "playbook": 31.0, "noop": 9.0}
    assert r["min"]["playbook"] == 30.0 and r["max"]["playbook"] == 33.0
    assert r["peak_rss_mib"]["playbook"] == 420
    assert r["cpu_seconds"]["playbook"] == 21.0
    assert "limit" not in r["peak_rss_mib"]
    assert r["ratio_playbook_manual"] == round(31.0 / 11.0, 2)
    assert r["ratio_playbook_limit"] == round(31.0 / 6.0, 2)


def test_summarize_without_manual_runs():
    r = row()
    r["runs"]["manual"] = []
    benchlib.summarize(r)
    assert r["ratio_playbook_manual"] is None


def test_limit_cell_shows_the_median_runs_parts():
    assert benchlib.limit_cell(row()) == "6.0 (2.0 + 4.0)"


def result(rows):
    return {"date": "2026-12-04 12:00 UTC",
            "machine": {"cores": 2, "memory_gib": 23.5, "cpu": "AMD EPYC"},
            "versions": {"helm": "v3.19.0", "kwok": "v0.7.0"}, "baseline": "0.19.2", "target": "0.28.1",
            "reps": 3, "modes": {"instant": 0, "realistic": 30000}, "ready_jitter": 0.3, "rows": rows}


def test_markdown_table():
    text = benchlib.markdown(result([row(), row(mode="realistic", ready_delay_ms=30000)]))
    assert "realistic (pods Ready after 30 s +/- 30 %)" in text
    assert "instant (pods Ready at once)" in text
    lines = [line for line in text.splitlines() if line.startswith("| 2 |")]
    assert lines[0] == "| 2 | instant | 11.0 | 6.0 (2.0 + 4.0) | 31.0 | 2.82 | 5.17 | 9.0 | - | 1.5 / 2.2 |"
    assert lines[1].startswith("| 2 | realistic | 11.0 |")
    assert lines[2] == "| 2 | instant | 420.0 | 21.0 | 300.0 | 8.0 | - | - |"
    header = [line for line in text.splitlines() if line.startswith("| N workers")][0]
    assert header.count("|") - 1 == lines[0].count("|") - 1


def test_describe_mode():
    assert benchlib.describe_mode(0) == "pods Ready at once"
    assert benchlib.describe_mode(30000) == "pods Ready after 30 s +/- 30 %"


@pytest.mark.parametrize("text", ["1,x", "a"])
def test_parse_list_rejects_non_numbers(text):
    with pytest.raises(ValueError):
        benchlib.parse_list(text, int)


# A playbook run's output with profile_tasks, cut down: each timestamp line
# under a banner gives the time of the task before it, the last one after the recap.
PROFILED_OUTPUT = """
PLAY [Upgrade skoala on the control plane] *************************************

TASK [dce5.skoala.upgrade_release : Note the start] ****************************
Saturday 05 December 2026  16:17:01 +0000 (0:00:00.120)       0:00:20.100 *****
ok: [dce-global]

TASK [dce5.skoala.upgrade_release : Helm upgrade, values hidden, to 0.28.1] ****
Saturday 05 December 2026  16:17:01 +0000 (0:00:00.300)       0:00:20.400 *****
changed: [dce-global]

TASK [dce5.skoala.verify : Workloads are ready and run the expected images] ****
Saturday 05 December 2026  16:18:10 +0000 (0:01:09.130)       0:01:29.530 *****
ok: [dce-global]

PLAY [Upgrade skoala-init on the workers, in batches] **************************

TASK [dce5.skoala.upgrade_release : Helm upgrade the batch's clusters, values hidden, one process per machine] ***
Saturday 05 December 2026  16:18:11 +0000 (0:00:01.140)       0:01:30.670 *****
changed: [dce-worker-1] => (item=(censored due to no_log))

TASK [dce5.skoala.upgrade_release : Helm upgrade, values hidden, to 0.28.1] ****
Saturday 05 December 2026  16:19:29 +0000 (0:01:17.840)       0:02:48.510 *****
changed: [dce-worker-1]

PLAY RECAP *********************************************************************
dce-global                 : ok=40   changed=2    unreachable=0    failed=0    skipped=20   rescued=0    ignored=0
Saturday 05 December 2026  16:19:30 +0000 (0:00:00.380)       0:02:48.890 *****
"""


def test_task_seconds_gives_each_task_the_time_printed_after_it():
    tasks = benchlib.task_seconds(PROFILED_OUTPUT)
    assert tasks[1] == ("Upgrade skoala on the control plane",
                        "dce5.skoala.upgrade_release : Helm upgrade, values hidden, to 0.28.1", 69.13)
    assert tasks[3][2] == 77.84
    # The worker's own task, which took its upgrade from the batch: timed by the line after the recap.
    assert tasks[-1] == ("Upgrade skoala-init on the workers, in batches",
                         "dce5.skoala.upgrade_release : Helm upgrade, values hidden, to 0.28.1", 0.38)


def test_helm_waits_are_the_control_planes_upgrade_and_the_workers_batch():
    # Not the workers' own task after the batch, which ran no helm.
    assert benchlib.helm_wait_seconds(PROFILED_OUTPUT) == round(69.13 + 77.84, 2)
    assert benchlib.helm_wait_seconds("no profile here") == 0.0


def test_summarize_gives_the_playbooks_own_time():
    r = row()
    for run, waits in zip(r["runs"]["playbook"], (20.0, 22.0, 21.0)):
        run["helm_wait_seconds"] = waits
    benchlib.summarize(r)
    assert r["median"]["playbook_helm_waits"] == 21.0
    # Each run's own time (30 - 20, 33 - 22, 31 - 21), then their median.
    assert r["median"]["playbook_own"] == 10.0
    text = benchlib.markdown(result([r]))
    assert "| 2 | instant | 31.0 | 21.0 | 10.0 | 6.0 |" in text.splitlines()
