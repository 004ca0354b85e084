"""Benchmark: the vendor's manual procedure (bench/manual_upgrade.sh) against
``ansible-playbook playbooks/upgrade.yml``, on the sandbox, for a control
plane plus N workers; and a no-op re-run of the playbook.

    python bench/run.py [--workers 1,2,4] [--reps 3] [--out bench/results]

Every measured run starts from the same baseline (every release reset to
--baseline) and must end with every release deployed at --target, or the
benchmark stops: a fast run that did not upgrade is not a result. Writes
results.json, results.md, scaling.png and the per-task timings of the last
playbook run for each N (profile-N<n>.txt).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "sandbox"))

import sandbox as sandbox_mod  # noqa: E402


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


class Bench:
    def __init__(self, args):
        self.args = args
        self.box = sandbox_mod.Sandbox()
        self.box.provision()

    def env(self):
        env = dict(self.box.env)
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
        env["ANSIBLE_CONFIG"] = os.path.join(ROOT, "ansible.cfg")
        env["ANSIBLE_NOCOLOR"] = "1"
        return env

    def timed(self, what, cmd, env):
        t0 = time.monotonic()
        proc = subprocess.run(cmd, env=env, cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              check=False)
        seconds = time.monotonic() - t0
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout[-4000:])
            raise SystemExit("bench: %s failed (exit %d)" % (what, proc.returncode))
        return seconds, proc.stdout

    def check_upgraded(self, what):
        """Every release deployed at the target, or the run does not count."""
        for cluster in self.box.state["clusters"]:
            chart = "skoala" if cluster == sandbox_mod.CONTROL_PLANE else "skoala-init"
            release = self.box.release(cluster, chart)
            want = "%s-%s" % (chart, self.args.target)
            if not release or release["status"] != "deployed" or release["chart"] != want:
                raise SystemExit("bench: after %s, %s on %s is %s, not %s deployed"
                                 % (what, chart, cluster, release and (release["chart"], release["status"]), want))

    def reset(self):
        self.box.reset(self.args.baseline)

    def manual(self, n):
        clusters = self.box.state["clusters"]
        env = self.env()
        env.update(REPO_URL=self.box.repo_url, REPO_USERNAME=sandbox_mod.REPO_USER,
                   REPO_PASSWORD=self.box.state["repo_password"],
                   WORK_DIR=os.path.join(self.box.dir, "bench-manual"))
        cmd = ["bash", os.path.join(HERE, "manual_upgrade.sh"), self.args.target] + \
              [self.box.kubeconfig(c) for c in clusters]
        seconds = self.timed("the manual procedure (N=%d)" % n, cmd, env)[0]
        self.check_upgraded("the manual procedure")
        return seconds

    def playbook(self, n, what):
        env = self.env()
        env["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.posix.profile_tasks"
        env["PROFILE_TASKS_TASK_OUTPUT_LIMIT"] = "25"
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "-i", os.path.join(self.box.dir, "inventory.yml"), os.path.join(ROOT, "playbooks", "upgrade.yml")]
        seconds, out = self.timed("the playbook, %s (N=%d)" % (what, n), cmd, env)
        self.check_upgraded("the playbook")
        return seconds, out

    def fleet(self, n):
        log("fleet: control plane + %d worker(s)" % n)
        self.box.up(n, self.args.baseline, self.args.target)

    def measure(self, n):
        self.fleet(n)
        row = {"workers": n, "clusters": n + 1, "manual": [], "playbook": [], "noop": []}
        profile = ""
        for rep in range(1, self.args.reps + 1):
            self.reset()
            seconds = self.manual(n)
            row["manual"].append(round(seconds, 2))
            log("N=%d run %d/%d: manual procedure %.1fs" % (n, rep, self.args.reps, seconds))
            self.reset()
            seconds, profile = self.playbook(n, "upgrade")
            row["playbook"].append(round(seconds, 2))
            log("N=%d run %d/%d: playbook %.1fs" % (n, rep, self.args.reps, seconds))
        for rep in range(1, self.args.reps + 1):
            seconds = self.playbook(n, "no-op re-run")[0]
            row["noop"].append(round(seconds, 2))
            log("N=%d no-op %d/%d: playbook %.1fs" % (n, rep, self.args.reps, seconds))
        write(os.path.join(self.args.out, "profile-N%d.txt" % n), profile_section(profile))
        for key in ("manual", "playbook", "noop"):
            row[key + "_min"] = min(row[key])
            row[key + "_median"] = round(statistics.median(row[key]), 2)
        row["ratio_median"] = round(row["playbook_median"] / row["manual_median"], 2)
        row["ratio_min"] = round(row["playbook_min"] / row["manual_min"], 2)
        return row


def profile_section(out):
    """The per-task timings profile_tasks prints at the end of a run."""
    start = out.rfind("TASKS RECAP")
    return out[start:] if start >= 0 else out[-4000:]


def machine():
    mem_kib = 0
    with open("/proc/meminfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cores": os.cpu_count(), "memory_gib": round(mem_kib / 1024 / 1024, 1), "cpu": model,
            "kernel": platform.release(), "python": platform.python_version()}


def tool_versions(box):
    def out(*cmd):
        return subprocess.run(list(cmd), env=box.env, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, check=False).stdout.strip()
    import ansible
    galaxy = out(os.path.join(os.path.dirname(sys.executable), "ansible-galaxy"), "collection", "list",
                 "kubernetes.core")
    core = [line.split()[-1] for line in galaxy.splitlines() if line.startswith("kubernetes.core")]
    pinned = sandbox_mod.read_versions()
    return {"ansible-core": ansible.__version__, "kubernetes.core": core[0] if core else "?",
            "helm": out(os.path.join(box.bin, "helm"), "version", "--template", "{{.Version}}"),
            "kubernetes": pinned.get("KUBE_VERSION"), "kwok": pinned.get("KWOK_VERSION")}


def markdown(result):
    lines = [
        "# Benchmark: manual procedure vs playbook",
        "",
        "Measured %s on %d cores, %.1f GiB (%s); %s. Upgrade %s -> %s, %d runs each, "
        "every run from the same baseline." % (
            result["date"], result["machine"]["cores"], result["machine"]["memory_gib"],
            result["machine"]["cpu"] or "cpu unknown",
            ", ".join("%s %s" % kv for kv in sorted(result["versions"].items())),
            result["baseline"], result["target"], result["reps"]),
        "",
        "| N workers | clusters | manual min / median (s) | playbook min / median (s) | ratio (median) "
        "| ratio (min) | no-op re-run min / median (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in result["rows"]:
        lines.append("| %d | %d | %.1f / %.1f | %.1f / %.1f | %.2f | %.2f | %.1f / %.1f |" % (
            r["workers"], r["clusters"], r["manual_min"], r["manual_median"], r["playbook_min"],
            r["playbook_median"], r["ratio_median"], r["ratio_min"], r["noop_min"], r["noop_median"]))
    lines += ["", "Ratio = playbook / manual. The playbook also runs preflight, a values backup, "
              "verification and the report; the manual procedure does none of these but the backup.", ""]
    return "\n".join(lines)


def plot(result, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing: no plot (pip install -r bench/requirements.txt)")
        return False
    rows = result["rows"]
    n = [r["workers"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for key, label, marker in (("manual", "manual procedure (vendor pages)", "o"),
                               ("playbook", "ansible-playbook upgrade.yml", "s"),
                               ("noop", "playbook, no-op re-run", "^")):
        ax.plot(n, [r[key + "_median"] for r in rows], marker=marker, label=label + " (median)")
        ax.fill_between(n, [r[key + "_min"] for r in rows], [max(r[key]) for r in rows], alpha=0.15)
    ax.set_xlabel("worker clusters (plus one control plane)")
    ax.set_ylabel("seconds")
    ax.set_xticks(n)
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.set_title("Upgrade %s -> %s, %d cores" % (result["baseline"], result["target"], result["machine"]["cores"]))
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default=os.environ.get("BENCH_WORKERS") or "1,2,4")
    parser.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS") or 3))
    parser.add_argument("--baseline", default=sandbox_mod.DEFAULT_BASELINE)
    parser.add_argument("--target", default="0.28.1")
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    bench = Bench(args)
    result = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "machine": machine(), "versions": tool_versions(bench.box), "baseline": args.baseline,
              "target": args.target, "reps": args.reps, "rows": []}
    t0 = time.monotonic()
    for n in [int(x) for x in args.workers.split(",")]:
        result["rows"].append(bench.measure(n))
        # Written after every N, so a long run that is stopped keeps what it measured.
        write(os.path.join(args.out, "results.json"), json.dumps(result, indent=2) + "\n")
        write(os.path.join(args.out, "results.md"), markdown(result))
    plot(result, os.path.join(args.out, "scaling.png"))
    print(markdown(result))
    log("done in %.0fs; results in %s" % (time.monotonic() - t0, args.out))


if __name__ == "__main__":
    main()
