"""Benchmark: the vendor's manual procedure (bench/manual_upgrade.sh),
``ansible-playbook playbooks/upgrade.yml`` and the physical limit (helm
alone), on the sandbox, for a control plane plus N workers, with pods Ready at
once (instant) and after a realistic delay; and a no-op re-run of the
playbook and the preflight playbook alone.

    python bench/run.py [--workers 1,2,4,8,16] [--reps 3] [--modes instant,realistic]
                        [--ready-delay 30s] [--out bench/results]

Environment: BENCH_WORKERS, BENCH_REPS, BENCH_MODES, BENCH_READY_DELAY,
BENCH_OUT. Every upgrade starts from the same baseline (every release reset to
--baseline) and must end with every release deployed at --target, or the
benchmark stops: a fast run that did not upgrade is not a result. Writes
results.json, results.md, scaling.png and the per-task timings of the last
playbook run for each N and mode (profile-N<n>-<mode>.txt).
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import secrets
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "sandbox"))
sys.path.insert(0, HERE)

import benchlib  # noqa: E402
import kwok_stages  # noqa: E402
import sandbox as sandbox_mod  # noqa: E402

# The image tags the vendor's pages set, as manual_upgrade.sh does.
IMAGE_TAG_KEYS = {
    "skoala": ("hive.image.tag", "sesame.image.tag"),
    "skoala-init": ("nacos-operator.image.tag", "skoala-agent.image.tag", "sentinel-operator.image.tag",
                    "seata-operator.image.tag"),
}
# The admission Jobs the version notes delete before leaving 0.24.2 or older.
OLD_ADMISSION_JOBS = ("gateway-api-admission", "gateway-api-admission-patch")


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def chart_of(cluster):
    return "skoala" if cluster == sandbox_mod.CONTROL_PLANE else "skoala-init"


class Bench:
    def __init__(self, args):
        self.args = args
        self.box = sandbox_mod.Sandbox()
        self.box.provision()
        self.marker = "DCE5_BENCH_RUN=" + secrets.token_hex(8)

    def env(self):
        env = dict(self.box.env)
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
        env["ANSIBLE_CONFIG"] = os.path.join(ROOT, "ansible.cfg")
        env["ANSIBLE_NOCOLOR"] = "1"
        name, value = self.marker.split("=", 1)
        env[name] = value
        return env

    def measured(self, what, cmd, env):
        run = benchlib.run_measured(cmd, env=env, cwd=ROOT, marker=self.marker)
        if run["returncode"] != 0:
            sys.stderr.write(run["output"][-4000:])
            raise SystemExit("bench: %s failed (exit %d)" % (what, run["returncode"]))
        return run

    def check_at(self, what, version, revision=None):
        """Every release deployed at ``version`` (and ``revision``), or the run does not count."""
        for cluster in self.box.state["clusters"]:
            chart = chart_of(cluster)
            release = self.box.release(cluster, chart)
            want = "%s-%s" % (chart, version)
            if not release or release["status"] != "deployed" or release["chart"] != want \
                    or (revision and release["revision"] != revision):
                raise SystemExit("bench: after %s, %s on %s is %s, not %s deployed%s" % (
                    what, chart, cluster, release and (release["chart"], release["status"], release["revision"]),
                    want, " at revision %s" % revision if revision else ""))

    def check_upgraded(self, what):
        self.check_at(what, self.args.target)

    def reset(self):
        self.box.reset(self.args.baseline)

    @staticmethod
    def record(run, **extra):
        out = {k: run[k] for k in ("seconds", "peak_rss_mib", "cpu_seconds")}
        out.update(extra)
        return out

    def manual(self, n):
        clusters = self.box.state["clusters"]
        env = self.env()
        env.update(REPO_URL=self.box.repo_url, REPO_USERNAME=sandbox_mod.REPO_USER,
                   REPO_PASSWORD=self.box.state["repo_password"],
                   WORK_DIR=os.path.join(self.box.dir, "bench-manual"))
        cmd = ["bash", os.path.join(HERE, "manual_upgrade.sh"), self.args.target] + \
              [self.box.kubeconfig(c) for c in clusters]
        run = self.measured("the manual procedure (N=%d)" % n, cmd, env)
        self.check_upgraded("the manual procedure")
        return self.record(run)

    def helm_upgrade_cmd(self, cluster, values_file):
        chart = chart_of(cluster)
        cmd = [os.path.join(self.box.bin, "helm"), "--kubeconfig", self.box.kubeconfig(cluster), "upgrade", chart,
               "sandbox/" + chart, "-n", sandbox_mod.NAMESPACE, "--version", self.args.target, "-f", values_file,
               "--wait", "--timeout", "10m"]
        for key in IMAGE_TAG_KEYS[chart]:
            cmd += ["--set", "%s=v%s" % (key, self.args.target)]
        return cmd

    def limit(self, n):
        """helm alone: the control plane's ``helm upgrade --wait``, then every
        worker's at once; each timed. What is not an upgrade (reading the
        values, deleting the old admission Jobs) is done before the clock."""
        clusters = self.box.state["clusters"]
        env = self.env()
        work = os.path.join(self.box.dir, "bench-limit")
        os.makedirs(work, mode=0o700, exist_ok=True)
        values = {}
        for cluster in clusters:
            values[cluster] = os.path.join(work, cluster + ".yaml")
            out = self.box.helm(cluster, "get", "values", chart_of(cluster), "-n", sandbox_mod.NAMESPACE,
                                "-o", "yaml", capture=True).stdout
            sandbox_mod.write_private(values[cluster], out)
            if cluster != sandbox_mod.CONTROL_PLANE:
                self.box.kubectl(cluster, "-n", sandbox_mod.NAMESPACE, "delete", "job", *OLD_ADMISSION_JOBS,
                                 "--ignore-not-found", capture=True)
        control_plane = self.measured("helm upgrade of the control plane (N=%d)" % n,
                                      self.helm_upgrade_cmd(clusters[0], values[clusters[0]]), env)
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(clusters) - 1) as pool:
            runs = list(pool.map(lambda c: self.measured("helm upgrade of %s (N=%d)" % (c, n),
                                                         self.helm_upgrade_cmd(c, values[c]), env), clusters[1:]))
        self.check_upgraded("helm alone")
        workers = {c: r["seconds"] for c, r in zip(clusters[1:], runs)}
        return {"seconds": benchlib.limit_seconds(control_plane["seconds"], list(workers.values())),
                "control_plane": control_plane["seconds"], "workers": workers}

    def playbook(self, n, what, name="upgrade.yml"):
        env = self.env()
        env["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.posix.profile_tasks"
        env["PROFILE_TASKS_TASK_OUTPUT_LIMIT"] = "25"
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "-i", os.path.join(self.box.dir, "inventory.yml"), os.path.join(ROOT, "playbooks", name)]
        run = self.measured("the playbook %s, %s (N=%d)" % (name, what, n), cmd, env)
        return self.record(run), run["output"]

    def fleet(self, n, delay_ms):
        log("fleet: control plane + %d worker(s)" % n)
        self.box.up(n, self.args.baseline, self.args.target, ready_delay_ms=delay_ms)

    def measure(self, n, mode, delay_ms):
        self.box.set_ready_delay(delay_ms)
        row = {"workers": n, "clusters": n + 1, "mode": mode, "ready_delay_ms": delay_ms,
               "load": {"before": round(os.getloadavg()[0], 2)}, "runs": {k: [] for k in benchlib.KINDS}}
        reps, profile = self.args.reps, ""

        def done(kind, rep, run):
            row["runs"][kind].append(run)
            log("N=%d %s run %d/%d: %s %.1fs%s" % (
                n, mode, rep, reps, kind, run["seconds"],
                ", peak RSS %.0f MiB, CPU %.1fs" % (run["peak_rss_mib"], run["cpu_seconds"])
                if kind in benchlib.PLAYBOOK_KINDS else ""))

        for rep in range(1, reps + 1):
            self.reset()
            done("manual", rep, self.manual(n))
            self.reset()
            done("limit", rep, self.limit(n))
            self.reset()
            run = self.playbook(n, "preflight alone", "preflight.yml")[0]
            self.check_at("the preflight playbook", self.args.baseline, revision="1")
            done("preflight", rep, run)
            run, profile = self.playbook(n, "upgrade")
            self.check_upgraded("the playbook")
            run["helm_wait_seconds"] = benchlib.helm_wait_seconds(profile)
            done("playbook", rep, run)
        for rep in range(1, reps + 1):
            run = self.playbook(n, "no-op re-run")[0]
            self.check_upgraded("the no-op re-run")
            done("noop", rep, run)
        row["load"]["after"] = round(os.getloadavg()[0], 2)
        write(os.path.join(self.args.out, "profile-N%d-%s.txt" % (n, mode)), profile_section(profile))
        return benchlib.summarize(row)


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
    import ansible  # pylint: disable=import-outside-toplevel
    galaxy = out(os.path.join(os.path.dirname(sys.executable), "ansible-galaxy"), "collection", "list",
                 "kubernetes.core")
    core = [line.split()[-1] for line in galaxy.splitlines() if line.startswith("kubernetes.core")]
    pinned = sandbox_mod.read_versions()
    return {"ansible-core": ansible.__version__, "kubernetes.core": core[0] if core else "?",
            "helm": out(os.path.join(box.bin, "helm"), "version", "--template", "{{.Version}}"),
            "kubernetes": pinned.get("KUBE_VERSION"), "kwok": pinned.get("KWOK_VERSION")}


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def parse_modes(text, realistic_ms):
    """{"instant": 0, "realistic": realistic_ms} in the order asked."""
    known = {"instant": 0, "realistic": realistic_ms}
    modes = {}
    for mode in benchlib.parse_list(text):
        if mode not in known:
            raise ValueError("unknown mode %r (instant, realistic)" % mode)
        modes[mode] = known[mode]
    if not modes:
        raise ValueError("no mode")
    return modes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default=os.environ.get("BENCH_WORKERS") or "1,2,4,8,16")
    parser.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS") or 3))
    parser.add_argument("--modes", default=os.environ.get("BENCH_MODES") or "instant,realistic")
    parser.add_argument("--ready-delay", default=os.environ.get("BENCH_READY_DELAY") or "30s",
                        help="the realistic mode's readiness delay (+/- 30 %%)")
    parser.add_argument("--realistic-workers", default=os.environ.get("BENCH_REALISTIC_WORKERS") or "",
                        help="measure the realistic mode only at these N (default: every N); it takes most of the time")
    parser.add_argument("--baseline", default=sandbox_mod.DEFAULT_BASELINE)
    parser.add_argument("--target", default="0.28.1")
    parser.add_argument("--out", default=os.environ.get("BENCH_OUT") or os.path.join(HERE, "results"))
    args = parser.parse_args(argv)
    try:
        workers = benchlib.parse_list(args.workers, int)
        realistic_workers = benchlib.parse_list(args.realistic_workers, int) or workers
        modes = parse_modes(args.modes, kwok_stages.parse_duration_ms(args.ready_delay))
    except ValueError as exc:
        parser.error(str(exc))
    if not workers or min(workers) < 1 or args.reps < 1:
        parser.error("--workers needs numbers >= 1 and --reps at least 1")
    os.makedirs(args.out, exist_ok=True)
    bench = Bench(args)
    result = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
              "machine": machine(), "versions": tool_versions(bench.box), "baseline": args.baseline,
              "target": args.target, "reps": args.reps, "modes": modes, "ready_jitter": kwok_stages.READY_JITTER,
              "rows": []}
    t0 = time.monotonic()
    try:
        for n in workers:
            modes_at_n = {m: d for m, d in modes.items() if m != "realistic" or n in realistic_workers}
            if not modes_at_n:
                continue
            bench.fleet(n, next(iter(modes_at_n.values())))
            for mode, delay_ms in modes_at_n.items():
                result["rows"].append(bench.measure(n, mode, delay_ms))
                # Written after every row, so a long run that is stopped keeps what it measured.
                write(os.path.join(args.out, "results.json"), json.dumps(result, indent=2) + "\n")
                write(os.path.join(args.out, "results.md"), benchlib.markdown(result))
    finally:
        # The sandbox is left as tests and the demo expect it: pods Ready at once.
        if bench.box.state.get("ready_delay_ms"):
            try:
                bench.box.set_ready_delay(0)
            except Exception as exc:  # noqa: BLE001 - the benchmark's own error matters more  # pylint: disable=broad-except
                log("could not turn the readiness delay off: %s" % exc)
    benchlib.plot(result, os.path.join(args.out, "scaling.png"), log)
    print(benchlib.markdown(result))
    log("done in %.0fs; results in %s" % (time.monotonic() - t0, args.out))


if __name__ == "__main__":
    main()
