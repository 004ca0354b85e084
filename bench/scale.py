"""How big a fleet the sandbox holds on this machine: brings up (or resets)
the sandbox with a control plane plus N workers and reports how long that
took, the memory, CPU, file descriptors, ports and inotify instances its
processes use, and the machine's free memory before and after.

    python bench/scale.py --workers 16 [--down] [--idle 30] [--out FILE.json]

Run it on a sandbox that is down to time a bring-up from nothing; ``--down``
stops the sandbox afterwards.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "sandbox"))

import sandbox as sandbox_mod  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def meminfo():
    out = {}
    with open("/proc/meminfo", encoding="utf-8") as f:
        for line in f:
            key, value = line.split(":", 1)
            out[key] = int(value.split()[0])
    return out


def cpu_ticks(pid):
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except OSError:
        return 0


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return 0


def listening_ports(pids):
    """TCP ports in LISTEN state whose socket one of ``pids`` holds."""
    inodes = set()
    for pid in pids:
        fd_dir = "/proc/%d/fd" % pid
        try:
            for fd in os.listdir(fd_dir):
                target = os.readlink(os.path.join(fd_dir, fd))
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="utf-8") as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and fields[9] in inodes:
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        except OSError:
            continue
    return sorted(ports)


def by_component(pids):
    """Resident MiB summed per program name (kube-apiserver, etcd, ...)."""
    out = {}
    for pid in pids:
        try:
            with open("/proc/%d/comm" % pid, encoding="utf-8") as f:
                name = f.read().strip()
        except OSError:
            continue
        out[name] = out.get(name, 0) + sandbox_mod.rss_kib(pid) / 1024.0
    return {k: round(v) for k, v in sorted(out.items(), key=lambda kv: -kv[1])}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds over which idle CPU is measured")
    parser.add_argument("--down", action="store_true", help="stop the sandbox afterwards")
    parser.add_argument("--out", help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    box = sandbox_mod.Sandbox()
    box.provision()
    was_up = bool(box.kwok_clusters())
    before = meminfo()
    t0 = time.monotonic()
    box.up(args.workers, sandbox_mod.DEFAULT_BASELINE, "0.28.1", ready_delay_ms=0)
    seconds = time.monotonic() - t0
    after = meminfo()
    pids = box.pids()
    ticks0 = {pid: cpu_ticks(pid) for pid in pids}
    time.sleep(args.idle)
    idle_cpu = sum(cpu_ticks(pid) - ticks0[pid] for pid in pids) / CLOCK_TICKS / args.idle
    clusters = len(box.state["clusters"])
    rss_mib = sum(sandbox_mod.rss_kib(pid) for pid in pids) / 1024.0
    figures = {
        "workers": args.workers, "clusters": clusters, "from_nothing": not was_up,
        "up_seconds": round(seconds), "processes": len(pids), "rss_mib": round(rss_mib),
        "rss_mib_per_cluster": round(rss_mib / clusters), "rss_mib_by_program": by_component(pids),
        "mem_available_mib_before": before["MemAvailable"] // 1024, "mem_available_mib_after": after["MemAvailable"] // 1024,
        "mem_total_mib": before["MemTotal"] // 1024,
        # RSS counts the pages of a binary that 17 kube-apiservers share 17 times;
        # the drop of MemAvailable is closer to what the sandbox costs.
        "mem_available_drop_mib": (before["MemAvailable"] - after["MemAvailable"]) // 1024,
        "idle_cpu_cores": round(idle_cpu, 2), "cores": os.cpu_count(),
        "open_fds": sum(fd_count(pid) for pid in pids), "listening_ports": len(listening_ports(pids)),
        "inotify_instances_user": sandbox_mod.inotify_instances(os.getuid()),
        "inotify_limit": int(sandbox_mod.read_text("/proc/sys/fs/inotify/max_user_instances").strip()),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(figures, indent=2))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(json.dumps(figures, indent=2) + "\n")
    if args.down:
        box.down()


if __name__ == "__main__":
    main()
