"""Measurement and reporting helpers of the benchmark (bench/run.py): the
process tree's peak RSS and CPU time, the physical limit, the ratios, the
table and the plot. No sandbox here, so the unit tests import it alone."""
import os
import re
import statistics
import subprocess
import tempfile
import threading
import time

PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
# Every kind of run, in table order; "limit" is helm alone (see limit_seconds).
KINDS = ("manual", "limit", "playbook", "noop", "preflight")
# Runs of ansible-playbook, whose memory and CPU the table shows.
PLAYBOOK_KINDS = ("preflight", "playbook", "noop")


def parse_list(text, convert=str):
    """``"1, 2,4"`` -> [1, 2, 4] (with convert=int); empty items dropped."""
    return [convert(item.strip()) for item in (text or "").split(",") if item.strip()]


# --- the process tree --------------------------------------------------------

def parse_stat(text):
    """(ppid, rss_kib) from a /proc/<pid>/stat line; the command name may hold
    spaces and parentheses, so fields are counted after its last ')'."""
    fields = text.rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3); ppid is field 4, rss (pages) field 24.
    return int(fields[1]), int(fields[21]) * PAGE_KIB


def descendants(ppid_of, root):
    """``root`` and every process under it, from a {pid: ppid} map."""
    children = {}
    for pid, ppid in ppid_of.items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in tree or pid not in ppid_of:
            continue
        tree.add(pid)
        todo.extend(children.get(pid, ()))
    return tree


def tree_rss_kib(procs, root, extra=()):
    """Sum of the RSS of ``root``'s tree plus the ``extra`` pids, from a
    {pid: (ppid, rss_kib)} map."""
    pids = descendants({pid: v[0] for pid, v in procs.items()}, root) | (set(extra) & set(procs))
    return sum(procs[pid][1] for pid in pids)


def read_procs():
    """{pid: (ppid, rss_kib)} of every process now."""
    procs = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry, encoding="utf-8", errors="replace") as f:
                    procs[int(entry)] = parse_stat(f.read())
            except (OSError, IndexError, ValueError):
                continue
    return procs


def has_marker(pid, marker):
    """Whether the process's environment holds ``marker`` (NAME=value)."""
    try:
        with open("/proc/%d/environ" % pid, "rb") as f:
            return marker.encode() in f.read().split(b"\0")
    except OSError:
        return False


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process tree every ``interval`` seconds
    and keeps the peak. Processes that left the tree (daemonized, reparented
    to init) still count when their environment carries ``marker``."""

    def __init__(self, root, marker=None, interval=0.2):
        super().__init__(daemon=True)
        self.root, self.marker, self.interval = root, marker, interval
        self.peak_kib = 0
        self.samples = 0
        self._stop_event = threading.Event()
        self._checked = set()
        self._marked = set()

    def sample(self):
        procs = read_procs()
        tree = descendants({pid: v[0] for pid, v in procs.items()}, self.root)
        if self.marker:
            for pid in procs:
                if pid not in tree and pid not in self._checked:
                    self._checked.add(pid)
                    if has_marker(pid, self.marker):
                        self._marked.add(pid)
            tree |= self._marked & set(procs)
        self.peak_kib = max(self.peak_kib, sum(procs[pid][1] for pid in tree))
        self.samples += 1

    def run(self):
        while True:
            self.sample()
            if self._stop_event.wait(self.interval):
                return

    def stop(self):
        self._stop_event.set()
        self.join()


def run_measured(cmd, env=None, cwd=None, marker=None, interval=0.2):
    """Run ``cmd`` to its end: wall seconds, exit code, the peak RSS of its
    process tree (MiB, sampled), and its CPU time (user + sys of it and of
    every descendant it waited for, from wait4), and its output."""
    with tempfile.TemporaryFile() as out:
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,  # pylint: disable=consider-using-with
                                stdin=subprocess.DEVNULL)
        sampler = TreeSampler(proc.pid, marker, interval)
        sampler.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop()
        out.seek(0)
        output = out.read().decode("utf-8", errors="replace")
    return {"seconds": round(seconds, 2), "returncode": proc.returncode,
            "peak_rss_mib": round(sampler.peak_kib / 1024.0, 1),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "samples": sampler.samples, "output": output}


# --- the physical limit and the ratios ----------------------------------------

def limit_seconds(control_plane, workers):
    """The physical limit of an upgrade of the fleet: the control plane's
    ``helm upgrade --wait``, then every worker's at once, so the slowest."""
    return round(control_plane + (max(workers) if workers else 0.0), 2)


# The playbook's own helm waits, by play and task name: the control plane's
# helm upgrade, and the workers' batch (one per serial batch).
HELM_WAIT_TASKS = (("Upgrade skoala on the control plane", "upgrade_release : Helm upgrade, values hidden, to "),
                   ("Upgrade skoala-init on the workers", "upgrade_release : Helm upgrade the batch's clusters"))
_PLAY_RE = re.compile(r"^PLAY \[(.*)\] \*+$")
_TASK_RE = re.compile(r"^TASK \[(.*)\] \*+$")
# profile_tasks, under each task's banner and after the recap: the time the task before took.
_STAMP_RE = re.compile(r"^\w+ \d+ \w+ \d{4}\s+\d\d:\d\d:\d\d [+-]\d{4} \((\d+):(\d\d):(\d\d(?:\.\d+)?)\)")


def task_seconds(output):
    """[(play, task, seconds)] of an ansible-playbook run's output with the
    profile_tasks callback; seconds is None for a task whose time was not printed."""
    tasks, play, recap = [], None, False
    for line in output.splitlines():
        stamp = _STAMP_RE.match(line)
        if stamp:
            seconds = int(stamp.group(1)) * 3600 + int(stamp.group(2)) * 60 + float(stamp.group(3))
            index = -1 if recap else -2
            if len(tasks) >= -index and tasks[index][2] is None:
                tasks[index][2] = round(seconds, 2)
            continue
        play_banner, task_banner = _PLAY_RE.match(line), _TASK_RE.match(line)
        if line.startswith("PLAY RECAP"):
            recap = True
        elif play_banner:
            play = play_banner.group(1)
        elif task_banner:
            tasks.append([play, task_banner.group(1), None])
    return [tuple(t) for t in tasks]


def helm_wait_seconds(output):
    """How long the playbook run waited on helm upgrades (HELM_WAIT_TASKS):
    the part of it that the limit measures, with this run's readiness delays."""
    return round(sum(seconds or 0.0 for play, task, seconds in task_seconds(output)
                     if any((play or "").startswith(p) and t in task for p, t in HELM_WAIT_TASKS)), 2)


def ratio(numerator, denominator):
    return round(numerator / denominator, 2) if numerator is not None and denominator else None


def summarize(row):
    """Medians, minima, maxima, peak RSS, CPU and the ratios of a row whose
    ``runs`` holds, per kind, a list of runs ({"seconds", ...})."""
    row["median"], row["min"], row["max"], row["peak_rss_mib"], row["cpu_seconds"] = {}, {}, {}, {}, {}
    for kind, runs in row["runs"].items():
        if not runs:
            continue
        seconds = [r["seconds"] for r in runs]
        row["median"][kind] = round(statistics.median(seconds), 2)
        row["min"][kind] = min(seconds)
        row["max"][kind] = max(seconds)
        rss = [r["peak_rss_mib"] for r in runs if r.get("peak_rss_mib") is not None]
        cpu = [r["cpu_seconds"] for r in runs if r.get("cpu_seconds") is not None]
        if rss:
            row["peak_rss_mib"][kind] = max(rss)
        if cpu:
            row["cpu_seconds"][kind] = round(statistics.median(cpu), 2)
    # The playbook's own time: without its helm waits, whose readiness
    # delays are drawn apart from the limit run's.
    waits = [r for r in row["runs"].get("playbook") or [] if r.get("helm_wait_seconds") is not None]
    if waits:
        row["median"]["playbook_helm_waits"] = round(statistics.median(r["helm_wait_seconds"] for r in waits), 2)
        row["median"]["playbook_own"] = round(statistics.median(r["seconds"] - r["helm_wait_seconds"] for r in waits), 2)
    median = row["median"]
    row["ratio_playbook_manual"] = ratio(median.get("playbook"), median.get("manual"))
    row["ratio_playbook_limit"] = ratio(median.get("playbook"), median.get("limit"))
    return row


# --- the table ---------------------------------------------------------------

def _s(value):
    return "-" if value is None else "%.1f" % value


def _r(value):
    return "-" if value is None else "%.2f" % value


def limit_cell(row):
    """``median (control plane + slowest worker)`` of the limit run whose
    total is the median one (the lower middle for an even count)."""
    runs = sorted(row["runs"].get("limit") or [], key=lambda r: r["seconds"])
    if not runs:
        return "-"
    mid = runs[(len(runs) - 1) // 2]
    return "%s (%s + %s)" % (_s(row["median"]["limit"]), _s(mid["control_plane"]), _s(max(mid["workers"].values())))


def markdown(result):
    modes = ", ".join("%s (%s)" % (m, describe_mode(d, result.get("ready_jitter", 0.3)))
                      for m, d in result["modes"].items())
    lines = [
        "# Benchmark: manual procedure, playbook and the physical limit",
        "",
        "Measured %s on %d cores, %.1f GiB (%s); %s. Upgrade %s -> %s, %d run(s) of each kind per row, "
        "every upgrade from the same baseline. Modes: %s." % (
            result["date"], result["machine"]["cores"], result["machine"]["memory_gib"],
            result["machine"]["cpu"] or "cpu unknown",
            ", ".join("%s %s" % kv for kv in sorted(result["versions"].items())),
            result["baseline"], result["target"], result["reps"], modes),
        "",
        "Seconds, median of the runs:",
        "",
        "| N workers | mode | manual | limit (control plane + slowest worker) | playbook | playbook / manual "
        "| playbook / limit | no-op re-run | preflight alone | load (1 min) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        m = r["median"]
        lines.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["workers"], r["mode"], _s(m.get("manual")), limit_cell(r), _s(m.get("playbook")),
            _r(r["ratio_playbook_manual"]), _r(r["ratio_playbook_limit"]), _s(m.get("noop")),
            _s(m.get("preflight")), load_cell(r)))
    lines += [
        "",
        "ansible-playbook's process tree (ansible-playbook, its forks, the modules and the helm they run): "
        "peak of the summed RSS (MiB, sampled every 0.2 s) and CPU seconds (user + sys, median):",
        "",
        "| N workers | mode | upgrade RSS | upgrade CPU | no-op RSS | no-op CPU | preflight RSS | preflight CPU |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        rss, cpu = r["peak_rss_mib"], r["cpu_seconds"]
        lines.append("| %d | %s | %s |" % (r["workers"], r["mode"], " | ".join(
            "%s | %s" % (_s(rss.get(k)), _s(cpu.get(k))) for k in ("playbook", "noop", "preflight"))))
    lines += [
        "",
        "The playbook's own time: the playbook less its helm waits (the control plane's helm upgrade and the "
        "workers' batch, timed by profile_tasks). The readiness delays of a run are drawn at random, so the "
        "playbook's helm waits and the limit run's differ; its own time does not depend on them:",
        "",
        "| N workers | mode | playbook | its helm waits | its own time | limit |",
        "|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        m = r["median"]
        lines.append("| %d | %s | %s | %s | %s | %s |" % (
            r["workers"], r["mode"], _s(m.get("playbook")), _s(m.get("playbook_helm_waits")),
            _s(m.get("playbook_own")), _s(m.get("limit"))))
    lines += [
        "",
        "manual: bench/manual_upgrade.sh, the vendor's pages with the helm CLI, cluster after cluster. "
        "limit: helm alone, `helm upgrade --wait` of the control plane, then of every worker at once; "
        "the limit is the control plane's time plus the slowest worker's, what no tool running the upgrade "
        "in that order can beat. playbook: playbooks/upgrade.yml with its preflight, backup, verification "
        "and report. no-op: the playbook again on the upgraded fleet. preflight alone: playbooks/preflight.yml "
        "on the baseline fleet. load: the machine's 1-minute load average before / after the row.",
        "",
    ]
    return "\n".join(lines)


def load_cell(row):
    load = row.get("load") or {}
    if "before" not in load:
        return "-"
    return "%.1f / %.1f" % (load["before"], load.get("after", float("nan")))


def describe_mode(delay_ms, jitter=0.3):
    if not delay_ms:
        return "pods Ready at once"
    return "pods Ready after %g s +/- %d %%" % (delay_ms / 1000.0, round(jitter * 100))


# --- the plot ----------------------------------------------------------------

SERIES = (("manual", "manual procedure (vendor pages)", "o"),
          ("playbook", "ansible-playbook upgrade.yml", "s"),
          ("limit", "physical limit (helm alone)", "v"))


def plot(result, path, log=print):
    try:
        import matplotlib  # pylint: disable=import-outside-toplevel
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    except ImportError:
        log("matplotlib missing: no plot (pip install -r bench/requirements.txt)")
        return False
    modes = [m for m in result["modes"] if any(r["mode"] == m for r in result["rows"])]
    fig, axes = plt.subplots(1, len(modes), figsize=(6.5 * len(modes), 4.5), squeeze=False)
    for ax, mode in zip(axes[0], modes):
        rows = [r for r in result["rows"] if r["mode"] == mode]
        n = [r["workers"] for r in rows]
        for key, label, marker in SERIES:
            points = [(r["workers"], r["median"][key], r["min"][key], r["max"][key]) for r in rows if key in r["median"]]
            if not points:
                continue
            ax.plot([p[0] for p in points], [p[1] for p in points], marker=marker, label=label + " (median)")
            ax.fill_between([p[0] for p in points], [p[2] for p in points], [p[3] for p in points], alpha=0.15)
        if max(n) >= 8:
            ax.set_xscale("log", base=2)
        ax.set_xticks(n)
        ax.set_xticklabels([str(x) for x in n])
        ax.set_xlabel("worker clusters (plus one control plane)")
        ax.set_ylabel("seconds")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.set_title("%s: %s" % (mode, describe_mode(result["modes"][mode], result.get("ready_jitter", 0.3))))
        ax.legend(fontsize="small")
    fig.suptitle("Upgrade %s -> %s, %d cores" % (result["baseline"], result["target"], result["machine"]["cores"]))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True
