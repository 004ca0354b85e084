"""The local sandbox: real Kubernetes control planes (kwokctl, binary runtime),
a Helm chart repository with basic auth, the fixture charts, and a baseline
install of skoala / skoala-init.

    python tests/sandbox/sandbox.py up [--workers N] [--baseline X.Y.Z] [--ready-delay 30s]
    python tests/sandbox/sandbox.py ready-delay 30s|off
    python tests/sandbox/sandbox.py down
    python tests/sandbox/sandbox.py status

`up` on a running sandbox resets every cluster to the baseline. State lives in
``.sandbox/`` (or $SANDBOX_DIR): ``inventory.yml``, ``kubeconfigs/<cluster>.yaml``,
``env`` (a shell file to source) and ``state.json``.

Pods turn Ready at once unless a readiness delay is set (``--ready-delay`` or
$READY_DELAY, e.g. ``30s``: each pod is Ready 21 to 39 s after it is
scheduled). `up` applies the delay it is given (none when neither is set);
`ready-delay` changes it on a running sandbox without a reset. Either way
only kwok's controller restarts, and only on a cluster whose stages change.
"""
import argparse
import concurrent.futures
import contextlib
import fcntl
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import fixture_charts  # noqa: E402  (sibling module, path set above)
import kwok_stages  # noqa: E402
import offline_bundles  # noqa: E402

CONTROL_PLANE = "dce-global"
NAMESPACE = "skoala-system"
REPO_USER = "admin"
DEFAULT_BASELINE = "0.19.2"
REGISTRY_USER = "admin"
# Offline bundles the sandbox writes (the versions offline tests upgrade to).
OFFLINE_VERSIONS = ("0.28.1",)
MYSQL_NAMESPACE = "mcamel-system"
MYSQL_STATEFULSET = "mcamel-common-mysql-cluster-mysql"
# Characters that break naive shell or URL handling; the DSN must survive them.
DB_PASSWORD_SPECIALS = "p@ss:w&rd=%x"
# kwok's controller reads its stages from this file of the cluster's work dir;
# next to it, the stages the sandbox last gave it.
KWOK_CONFIG = "kwok.yaml"
APPLIED_STAGES = "sandbox-stages.yaml"
# inotify instances a cluster holds (kube-apiserver 4, kube-controller-manager 1),
# counted on a running sandbox; fs.inotify.max_user_instances is per user.
INOTIFY_PER_CLUSTER = 5


def ready_delay_from_env():
    """The readiness delay $READY_DELAY asks for, in milliseconds (0: none)."""
    return kwok_stages.parse_duration_ms(os.environ.get("READY_DELAY") or "0")


def log(msg):
    print("[sandbox %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


class Sandbox:
    def __init__(self, directory=None):
        self.dir = os.path.abspath(directory or os.environ.get("SANDBOX_DIR") or os.path.join(ROOT, ".sandbox"))
        self.state_path = os.path.join(self.dir, "state.json")
        self.kubeconfig_dir = os.path.join(self.dir, "kubeconfigs")
        self.state = {}
        if os.path.exists(self.state_path):
            with open(self.state_path, encoding="utf-8") as f:
                self.state = json.load(f)

    # --- tools -------------------------------------------------------------

    def provision(self):
        out = subprocess.run(["bash", os.path.join(HERE, "provision.sh")], check=True,
                             stdout=subprocess.PIPE, text=True).stdout
        self.bin = out.strip().splitlines()[-1]
        self.cache = os.path.dirname(self.bin)
        return self.bin

    @property
    def env(self):
        """Environment for helm/kubectl/kwokctl: our binaries first on PATH,
        Helm's state kept inside the sandbox, kwok's work dir too."""
        env = dict(os.environ)
        env["PATH"] = self.bin + os.pathsep + env.get("PATH", "")
        env.update(self.helm_env())
        env["KWOK_WORKDIR"] = os.path.join(self.dir, "kwok")
        return env

    def helm_env(self):
        helm_home = os.path.join(self.dir, "helm")
        return {
            "HELM_CONFIG_HOME": os.path.join(helm_home, "config"),
            "HELM_CACHE_HOME": os.path.join(helm_home, "cache"),
            "HELM_DATA_HOME": os.path.join(helm_home, "data"),
            "HELM_PLUGINS": os.path.join(self.cache, "helm-plugins"),
        }

    def run(self, *args, check=True, capture=False, **kw):
        return subprocess.run(list(args), check=check, env=self.env, text=True,
                              stdout=subprocess.PIPE if capture else None,
                              stderr=subprocess.PIPE if capture else None, **kw)

    def kubeconfig(self, cluster):
        return os.path.join(self.kubeconfig_dir, cluster + ".yaml")

    def kubectl(self, cluster, *args, **kw):
        return self.run(os.path.join(self.bin, "kubectl"), "--kubeconfig", self.kubeconfig(cluster), *args, **kw)

    def helm(self, cluster, *args, **kw):
        return self.run(os.path.join(self.bin, "helm"), "--kubeconfig", self.kubeconfig(cluster), *args, **kw)

    def save(self):
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        write_private(self.state_path, json.dumps(self.state, indent=2) + "\n")

    # --- chart repository --------------------------------------------------

    @property
    def repo_root(self):
        return os.path.join(self.dir, "chartrepo")

    @property
    def repo_url(self):
        return "http://127.0.0.1:%d/chartrepo/skoala" % self.state["repo_port"]

    def generate_charts(self):
        out = os.path.join(self.repo_root, "skoala")
        versions = fixture_charts.generate(out, helm=os.path.join(self.bin, "helm"))
        extra = os.path.join(self.dir, "charts-extra")
        os.makedirs(extra, exist_ok=True)
        self.state["insight_chart"] = fixture_charts.insight_agent_chart(extra, helm=os.path.join(self.bin, "helm"))
        log("fixture charts: skoala and skoala-init in %d versions" % len(versions))

    def start_repo(self):
        """nginx serving the Helm repo at /chartrepo/<project>/ with basic auth,
        the same protocol as Harbor's chartrepo."""
        self.state.setdefault("repo_port", free_port())
        self.state.setdefault("repo_password", "Repo-" + secrets.token_urlsafe(12))
        self.save()
        conf_dir = os.path.join(self.dir, "nginx")
        os.makedirs(os.path.join(conf_dir, "logs"), exist_ok=True)
        htpasswd = os.path.join(conf_dir, "htpasswd")
        subprocess.run(["htpasswd", "-bBc", htpasswd, REPO_USER, self.state["repo_password"]],
                       check=True, stderr=subprocess.DEVNULL)
        conf = os.path.join(conf_dir, "nginx.conf")
        write(conf, NGINX_CONF % {
            "prefix": conf_dir, "port": self.state["repo_port"],
            # Workers run as the caller, so they can read the 0700 sandbox.
            "user": "user %s;" % pwd.getpwuid(os.getuid()).pw_name if os.getuid() == 0 else "",
            "root": self.dir, "htpasswd": htpasswd,
        })
        if self.repo_running():
            subprocess.run(["nginx", "-p", conf_dir, "-c", conf, "-s", "reload"], check=True)
        else:
            subprocess.run(["nginx", "-p", conf_dir, "-c", conf], check=True)
        wait_for(lambda: port_open(self.state["repo_port"]), 20, "chart repository on port %d" % self.state["repo_port"])
        log("chart repository: %s (basic auth, user %s)" % (self.repo_url, REPO_USER))

    def repo_pid(self):
        pid_file = os.path.join(self.dir, "nginx", "nginx.pid")
        try:
            with open(pid_file, encoding="utf-8") as f:
                pid = int(f.read().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def repo_running(self):
        return self.repo_pid() is not None

    def stop_repo(self):
        pid = self.repo_pid()
        if pid:
            os.kill(pid, signal.SIGQUIT)
            wait_for(lambda: not self.repo_running(), 20, "chart repository to stop")

    # --- registries, containerd, offline bundles ------------------------------

    def registry_url(self, kind):
        return "127.0.0.1:%d" % self.state["registry_ports"][kind]

    def start_registries(self):
        """Two real registries (Debian's docker-registry, plain HTTP on
        loopback): ``open`` without auth and ``auth`` with htpasswd."""
        self.state.setdefault("registry_ports", {"open": free_port(), "auth": free_port()})
        self.state.setdefault("registry_password", "Reg-" + secrets.token_urlsafe(12))
        self.save()
        for kind in ("open", "auth"):
            self.start_registry(kind)

    def registry_dir(self, kind):
        return os.path.join(self.dir, "registry", kind)

    def start_registry(self, kind):
        base = self.registry_dir(kind)
        os.makedirs(os.path.join(base, "data"), exist_ok=True)
        port = self.state["registry_ports"][kind]
        if port_open(port):
            return
        auth = ""
        if kind == "auth":
            htpasswd = os.path.join(base, "htpasswd")
            subprocess.run(["htpasswd", "-bBc", htpasswd, REGISTRY_USER, self.state["registry_password"]],
                           check=True, stderr=subprocess.DEVNULL)
            auth = "auth:\n  htpasswd: {realm: sandbox, path: %s}\n" % htpasswd
        conf = os.path.join(base, "config.yml")
        write_private(conf, REGISTRY_CONF % {"data": os.path.join(base, "data"), "port": port,
                                             "secret": secrets.token_hex(16)} + auth)
        with open(os.path.join(base, "registry.log"), "ab") as out:
            proc = subprocess.Popen(["docker-registry", "serve", conf], stdout=out, stderr=out,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        write(os.path.join(base, "pid"), str(proc.pid))
        wait_for(lambda: port_open(port), 20, "registry %s on port %d" % (kind, port))

    def stop_registry(self, kind):
        stop_daemon(os.path.join(self.registry_dir(kind), "pid"), "registry " + kind)
        # A Go program's main thread turns zombie before its other threads let
        # go of the listening socket: only a closed port means it is gone.
        port = self.state.get("registry_ports", {}).get(kind)
        if port:
            wait_for(lambda: not port_open(port), 20, "registry %s to close port %d" % (kind, port))

    def reset_registries(self):
        """Empty registries: stopped, storage removed, started (the registry
        caches blob metadata in memory, so removing files under it would lie)."""
        for kind in ("open", "auth"):
            self.stop_registry(kind)
            shutil.rmtree(os.path.join(self.registry_dir(kind), "data"), ignore_errors=True)
            self.start_registry(kind)

    @property
    def containerd_socket(self):
        return os.path.join(self.dir, "containerd", "containerd.sock")

    def start_containerd(self):
        """A real containerd (Debian) for the ``ctr image import`` path; it
        needs root, so without root that path is not exercised."""
        if os.getuid() != 0 or not shutil.which("containerd"):
            self.state["containerd"] = False
            return
        base = os.path.join(self.dir, "containerd")
        if not os.path.exists(self.containerd_socket) or self.run(
                "ctr", "--address", self.containerd_socket, "version", check=False, capture=True).returncode:
            conf = os.path.join(base, "config.toml")
            write(conf, CONTAINERD_CONF % {"base": base, "socket": self.containerd_socket})
            with open(os.path.join(base, "containerd.log"), "ab") as out:
                proc = subprocess.Popen(["containerd", "--config", conf], stdout=out, stderr=out,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
            write(os.path.join(base, "pid"), str(proc.pid))
            wait_for(lambda: os.path.exists(self.containerd_socket), 20, "containerd socket")
        self.state["containerd"] = True

    def stop_containerd(self):
        stop_daemon(os.path.join(self.dir, "containerd", "pid"), "containerd")

    @property
    def offline_dir(self):
        return os.path.join(self.dir, "offline")

    def write_offline_bundles(self):
        for version in OFFLINE_VERSIONS:
            offline_bundles.offline_bundle(os.path.join(self.repo_root, "skoala"), version, self.offline_dir,
                                           helm=os.path.join(self.bin, "helm"))
        log("offline bundles: %s under %s" % (", ".join(OFFLINE_VERSIONS), self.offline_dir))

    # --- clusters ----------------------------------------------------------

    def cluster_names(self, workers):
        return [CONTROL_PLANE] + ["dce-worker-%d" % i for i in range(1, workers + 1)]

    def kwok_clusters(self):
        out = self.run(os.path.join(self.bin, "kwokctl"), "get", "clusters", capture=True, check=False).stdout
        return [line.strip() for line in (out or "").splitlines() if line.strip()]

    def cluster_healthy(self, name):
        if not os.path.exists(self.kubeconfig(name)):
            return False
        # A component can die at start while the API server answers: kwokctl
        # picks free ports per component, and another sandbox starting at the
        # same time may take one first (seen: a scheduler that never ran).
        pid_dir = os.path.join(self.dir, "kwok", "clusters", name, "pids")
        pid_files = os.listdir(pid_dir) if os.path.isdir(pid_dir) else []
        for pid_file in pid_files:
            with open(os.path.join(pid_dir, pid_file), encoding="utf-8") as f:
                pid = f.read().strip()
            if not pid.isdigit() or not pid_alive(int(pid)):
                log("cluster %s: %s is not running" % (name, pid_file[:-len(".pid")]))
                return False
        res = self.kubectl(name, "get", "--raw", "/readyz", "--request-timeout=5s", capture=True, check=False)
        return res.returncode == 0

    def cluster_stays_healthy(self, name):
        """Healthy twice, a second apart: a component that lost its port
        exits within a second of starting."""
        if not self.cluster_healthy(name):
            return False
        time.sleep(1)
        return self.cluster_healthy(name)

    @property
    def ready_delay_ms(self):
        return int(self.state.get("ready_delay_ms") or 0)

    def stages_text(self):
        """The kwok stages for the sandbox's readiness delay, as YAML."""
        docs = kwok_stages.stages(kwok_stages.kwok_module_dir(read_versions()["KWOK_VERSION"]), self.ready_delay_ms)
        return yaml.safe_dump_all(docs, sort_keys=False)

    def stages_file(self):
        path = os.path.join(self.dir, "kwok-stages.yaml")
        write(path, self.stages_text())
        return path

    def cluster_dir(self, name):
        return os.path.join(self.dir, "kwok", "clusters", name)

    @contextlib.contextmanager
    def kwokctl_lock(self):
        """kwokctl picks its ports by probing for free ones, so two sandboxes
        creating clusters at once can pick the same port; one lock per
        machine keeps creations (and restarts of a component, whose port is
        free for a moment) apart."""
        with open(os.path.join(self.cache, "kwokctl-create.lock"), "w", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def create_cluster(self, name, stages):
        # A component that still lost its port shows as a dead pid, which
        # cluster_healthy catches.
        with self.kwokctl_lock():
            for attempt in range(1, 4):
                self._create_cluster(name, stages)
                if self.cluster_stays_healthy(name):
                    shutil.copyfile(stages, os.path.join(self.cluster_dir(name), APPLIED_STAGES))
                    return
                log("cluster %s: attempt %d/3 left a component down, recreating" % (name, attempt))
                self.delete_cluster(name)
            raise RuntimeError("cluster %s: a component keeps failing to start; see %s" % (
                name, os.path.join(self.cluster_dir(name), "logs")))

    def ensure_stages(self, name, text):
        """The cluster's kwok controller runs ``text``'s stages: when they
        differ from the ones it was last given, they replace the Stage
        documents of its config and the controller (only it) restarts. Pods
        already Ready stay so; the new stages apply to pods created from then
        on. Returns whether it restarted."""
        applied = os.path.join(self.cluster_dir(name), APPLIED_STAGES)
        if read_text(applied) == text:
            return False
        config = os.path.join(self.cluster_dir(name), KWOK_CONFIG)
        with open(config, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        docs = replace_stages(docs, list(yaml.safe_load_all(text)))
        with self.kwokctl_lock():
            write(config, yaml.safe_dump_all(docs, sort_keys=False), os.stat(config).st_mode & 0o777)
            self.restart_kwok_controller(name)
        write(applied, text)
        return True

    def restart_kwok_controller(self, name):
        pid_file = os.path.join(self.cluster_dir(name), "pids", "kwok-controller.pid")
        stop_daemon(pid_file, "kwok-controller of %s" % name)
        # kwokctl takes a live pid in the file for a running component.
        with contextlib.suppress(FileNotFoundError):
            os.remove(pid_file)
        # A kwok controller only plays the stages of nodes whose Lease it
        # holds, and a new one has a new identity: with the old holder's
        # Lease (200 s) left, the node's pods would wait minutes for it.
        self.kubectl(name, "delete", "leases", "--all", "-n", "kube-node-lease", "--ignore-not-found", capture=True)
        # Starts what is not running: the kwok controller, with its config.
        self.run(os.path.join(self.bin, "kwokctl"), "start", "cluster", "--name", name, capture=True)
        wait_for(lambda: self.cluster_stays_healthy(name), 60, "cluster %s after restarting kwok-controller" % name)

    def set_ready_delay(self, delay_ms):
        """Pods turn Ready ``delay_ms`` +/- 30 % after they are scheduled (0:
        at once), on every cluster of the running sandbox, from now on."""
        if not getattr(self, "bin", None):
            self.provision()
        self.state["ready_delay_ms"] = int(delay_ms)
        self.save()
        text = self.stages_text()
        names = self.state.get("clusters", [])
        restarted = sum(self.ensure_stages(name, text) for name in names)
        log("pods Ready %s on %d clusters (%d kwok controllers restarted)" % (
            ready_window_text(self.ready_delay_ms), len(names), restarted))

    def _create_cluster(self, name, stages):
        b = self.bin
        self.run(os.path.join(b, "kwokctl"), "create", "cluster", "--name", name,
                 "--runtime", "binary",
                 "--config", stages,
                 "--kubeconfig", self.kubeconfig(name),
                 "--kube-apiserver-binary", os.path.join(b, "kube-apiserver"),
                 "--kube-controller-manager-binary", os.path.join(b, "kube-controller-manager"),
                 "--kube-scheduler-binary", os.path.join(b, "kube-scheduler"),
                 "--kwok-controller-binary", os.path.join(b, "kwok"),
                 "--etcd-binary", os.path.join(b, "etcd"),
                 "--wait", "120s", capture=True)
        self.kubectl(name, "apply", "-f", "-", input=NODE_MANIFEST, capture=True)

    def ensure_clusters(self, names):
        stages = self.stages_file()
        text = read_text(stages)
        os.makedirs(self.kubeconfig_dir, mode=0o700, exist_ok=True)
        known = self.kwok_clusters()
        for extra in sorted(set(known) - set(names)):
            log("cluster %s: not wanted, deleting" % extra)
            self.delete_cluster(extra)
        ensure_inotify_room(len(set(names) - set(known)))
        for i, name in enumerate(names, 1):
            t0 = time.time()
            if name in known and self.cluster_healthy(name):
                # Its node too: a run stopped right after the cluster was created has none.
                self.kubectl(name, "apply", "-f", "-", input=NODE_MANIFEST, capture=True)
                restarted = self.ensure_stages(name, text)
                log("cluster %s (%d/%d): running%s" % (name, i, len(names), ", new kwok stages" if restarted else ""))
                continue
            if name in known:
                log("cluster %s (%d/%d): not answering, restarting" % (name, i, len(names)))
                self.run(os.path.join(self.bin, "kwokctl"), "start", "cluster", "--name", name, check=False, capture=True)
                if wait_for(lambda: self.cluster_stays_healthy(name), 60, None):
                    self.ensure_stages(name, text)
                    continue
                # Its ports are fixed in its config, and the one a component
                # lost may now belong to another process: only a new cluster helps.
                log("cluster %s (%d/%d): still not healthy, recreating" % (name, i, len(names)))
                self.delete_cluster(name)
            log("cluster %s (%d/%d): creating" % (name, i, len(names)))
            self.create_cluster(name, stages)
            log("cluster %s (%d/%d): ready in %.0fs" % (name, i, len(names), time.time() - t0))

    def delete_cluster(self, name):
        self.run(os.path.join(self.bin, "kwokctl"), "delete", "cluster", "--name", name, check=False, capture=True)
        path = self.kubeconfig(name)
        if os.path.exists(path):
            os.remove(path)

    # --- what lives in the clusters ---------------------------------------

    def ensure_dependencies(self, workers):
        self.kubectl(CONTROL_PLANE, "apply", "-f", "-", input=MYSQL_MANIFEST, capture=True)
        self.kubectl(CONTROL_PLANE, "-n", MYSQL_NAMESPACE, "rollout", "status",
                     "statefulset/" + MYSQL_STATEFULSET, "--timeout=120s", capture=True)
        # insight-agent on every worker but the last, so both the normal case
        # and preflight's warning have a real cluster to show them.
        for name in workers[:-1] if len(workers) > 1 else workers:
            if not self.release_in(name, "insight-agent", "insight-system"):
                self.helm(name, "upgrade", "--install", "insight-agent", self.state["insight_chart"],
                          "-n", "insight-system", "--create-namespace", "--wait", "--timeout", "120s", capture=True)
        # The last one had it when the sandbox had more workers.
        if len(workers) > 1 and self.release_in(workers[-1], "insight-agent", "insight-system"):
            self.helm(workers[-1], "uninstall", "insight-agent", "-n", "insight-system", "--wait", capture=True)

    def baseline_values(self):
        return {
            "skoala": {
                "hive": {
                    "replicas": 2,
                    "configMap": {"database": [{"driver": "mysql", "dsn": self.dsn()}]},
                },
                "sandboxCustomKey": "kept-across-upgrades",
            },
            "skoala-init": {
                "skoala-agent": {"replicas": 2},
                "sandboxCustomKey": "kept-across-upgrades",
            },
        }

    def dsn(self):
        return ("skoala:%s@tcp(mcamel-common-mysql-cluster-mysql-master.mcamel-system.svc.cluster.local:3306)"
                "/skoala?charset=utf8&parseTime=true&loc=Local&timeout=10s" % self.state["db_password"])

    def install_baseline(self, cluster, chart, version):
        current = self.release(cluster, chart)
        if current and current["status"] == "deployed" and current["chart"] == "%s-%s" % (chart, version) \
                and current["revision"] == "1":
            return "kept"
        if current:
            self.uninstall(cluster, chart)
        # Leftovers a failed or partial upgrade may leave (hook Jobs, the DB
        # upgrade's objects, CRDs applied by hand) go, so the baseline is the
        # same every time. The namespace itself stays: deleting it waits on
        # the namespace controller, slow right after a cluster restart.
        # Another chart's release in the namespace (a test that put skoala-init
        # on the control plane) would lose its Helm records: it goes first.
        for other in ("skoala", "skoala-init"):
            if other != chart:
                self.uninstall(cluster, other)
        self.kubectl(cluster, "delete", "jobs,deployments,statefulsets,configmaps,secrets", "--all",
                     "-n", NAMESPACE, "--ignore-not-found", "--wait=false", capture=True, check=False)
        for crd_name in FIXTURE_CRDS:
            self.kubectl(cluster, "delete", "crd", crd_name, "--ignore-not-found", capture=True, check=False)
        self.install_release(cluster, chart, version)
        return "installed"

    def install_release(self, cluster, chart, version):
        """``chart`` at ``version`` with the baseline's values, as an operator installed it."""
        values_file = os.path.join(self.dir, "baseline-%s-%s.yaml" % (cluster, chart))
        write_private(values_file, yaml.safe_dump(self.baseline_values()[chart]))
        self.helm(cluster, "upgrade", "--install", chart, "sandbox/" + chart, "--version", version,
                  "-n", NAMESPACE, "--create-namespace", "-f", values_file, "--wait", "--timeout", "180s",
                  capture=True)

    def uninstall(self, cluster, chart):
        if self.release(cluster, chart):
            self.helm(cluster, "uninstall", chart, "-n", NAMESPACE, "--wait", "--timeout", "120s", capture=True)

    def install_baselines(self, names, baseline):
        """The baseline on every cluster, clusters in parallel."""
        def one(name):
            chart = "skoala" if name == CONTROL_PLANE else "skoala-init"
            return name, chart, self.install_baseline(name, chart, baseline)
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(names)) as pool:
            for i, (name, chart, what) in enumerate(pool.map(one, names), 1):
                log("baseline %s %s on %s (%d/%d): %s" % (chart, baseline, name, i, len(names), what))

    def release(self, cluster, name):
        return self.release_in(cluster, name, NAMESPACE)

    def release_in(self, cluster, name, namespace):
        out = self.helm(cluster, "list", "-n", namespace, "-a", "-o", "json", "--filter", "^%s$" % name,
                        capture=True).stdout
        rows = json.loads(out or "[]")
        return rows[0] if rows else None

    def add_repo(self):
        self.run(os.path.join(self.bin, "helm"), "repo", "add", "sandbox", self.repo_url,
                 "--username", REPO_USER, "--password-stdin", "--force-update",
                 input=self.state["repo_password"], capture=True)
        self.run(os.path.join(self.bin, "helm"), "repo", "update", "sandbox", capture=True)

    # --- files for users ---------------------------------------------------

    def write_inventory(self, names, target):
        hosts = {n: {"skoala_kubeconfig": self.kubeconfig(n)} for n in names}
        inventory = {"all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                "skoala_target_version": target,
                "skoala_source": "online",
                "skoala_repo_name": "skoala-sandbox",
                "skoala_repo_url": self.repo_url,
                "skoala_repo_username": REPO_USER,
                "skoala_repo_password": self.state["repo_password"],
                "skoala_backup_dir": os.path.join(self.dir, "backups"),
                "skoala_report_dir": os.path.join(self.dir, "reports"),
            },
            "children": {
                "skoala_control_plane": {"hosts": {CONTROL_PLANE: hosts[CONTROL_PLANE]}},
                "skoala_workers": {"hosts": {n: hosts[n] for n in names[1:]}},
            },
        }}
        write_private(os.path.join(self.dir, "inventory.yml"),
                      "# Written by tests/sandbox/sandbox.py; holds the repo password (mode 0600).\n"
                      + yaml.safe_dump(inventory, sort_keys=False))

    def write_env(self):
        venv = os.environ.get("VIRTUAL_ENV") or os.path.dirname(os.path.dirname(sys.executable))
        lines = [
            "# Source me: . .sandbox/env",
            "export PATH=%s:%s/bin:$PATH" % (shq(self.bin), shq(venv)),
            "export KWOK_WORKDIR=%s" % shq(os.path.join(self.dir, "kwok")),
            "export SANDBOX_DIR=%s" % shq(self.dir),
            "export SANDBOX_INVENTORY=%s" % shq(os.path.join(self.dir, "inventory.yml")),
            "export SANDBOX_REPO_URL=%s" % shq(self.repo_url),
            "export SANDBOX_REPO_USERNAME=%s" % shq(REPO_USER),
            "export SANDBOX_REPO_PASSWORD=%s" % shq(self.state["repo_password"]),
            "export SANDBOX_DB_PASSWORD=%s" % shq(self.state["db_password"]),
            "export SANDBOX_REGISTRY=%s" % shq(self.registry_url("open")),
            "export SANDBOX_REGISTRY_AUTH=%s" % shq(self.registry_url("auth")),
            "export SANDBOX_REGISTRY_USERNAME=%s" % shq(REGISTRY_USER),
            "export SANDBOX_REGISTRY_PASSWORD=%s" % shq(self.state["registry_password"]),
            "export SANDBOX_OFFLINE_DIR=%s" % shq(self.offline_dir),
            "export KUBECONFIG=%s" % shq(os.pathsep.join(self.kubeconfig(n) for n in self.state["clusters"])),
        ]
        lines += ["export %s=%s" % (k, shq(v)) for k, v in sorted(self.helm_env().items())]
        write_private(os.path.join(self.dir, "env"), "\n".join(lines) + "\n")

    # --- commands ------------------------------------------------------------

    def up(self, workers, baseline, target, ready_delay_ms=None):
        """``ready_delay_ms`` None: $READY_DELAY, or none."""
        t0 = time.time()
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        self.provision()
        self.state["ready_delay_ms"] = ready_delay_from_env() if ready_delay_ms is None else int(ready_delay_ms)
        self.state.setdefault("db_password", DB_PASSWORD_SPECIALS + "-" + secrets.token_hex(4))
        self.generate_charts()
        self.start_repo()
        self.start_registries()
        self.start_containerd()
        self.write_offline_bundles()
        names = self.cluster_names(workers)
        self.state.update(clusters=names, workers=workers, baseline=baseline)
        self.save()
        self.ensure_clusters(names)
        self.add_repo()
        self.ensure_dependencies(names[1:])
        self.install_baselines(names, baseline)
        self.write_inventory(names, target)
        self.write_env()
        log("sandbox up in %.0fs: %d clusters, pods Ready %s, inventory %s" % (
            time.time() - t0, len(names), ready_window_text(self.ready_delay_ms), os.path.join(self.dir, "inventory.yml")))

    def reset(self, baseline=None):
        """Every cluster back to the baseline, without re-provisioning: the
        quick path tests take between cases."""
        baseline = baseline or self.state["baseline"]
        names = self.state["clusters"]
        # A cluster a test (or the machine) left down would fail every later
        # test of this sandbox: bring it back first.
        down = [name for name in names if not self.cluster_healthy(name)]
        if down:
            log("reset: %s not healthy, restoring the clusters" % ", ".join(down))
            self.ensure_clusters(names)
        self.ensure_dependencies(names[1:])
        self.install_baselines(names, baseline)

    def down(self):
        if not os.path.isdir(self.dir):
            log("no sandbox at %s" % self.dir)
            return
        self.provision()
        for name in self.kwok_clusters():
            log("cluster %s: deleting" % name)
            self.delete_cluster(name)
        self.stop_repo()
        for kind in ("open", "auth"):
            self.stop_registry(kind)
        self.stop_containerd()
        kwok_dir = os.path.join(self.dir, "kwok")
        shutil.rmtree(kwok_dir, ignore_errors=True)
        log("sandbox down")

    def status(self):
        self.provision()
        for name in self.state.get("clusters", []):
            ok = self.cluster_healthy(name)
            rel = None
            if ok:
                chart = "skoala" if name == CONTROL_PLANE else "skoala-init"
                rel = self.release(name, chart)
            print("%-16s %-8s %s" % (name, "up" if ok else "down",
                                     "%s rev %s %s" % (rel["chart"], rel["revision"], rel["status"]) if rel else "-"))
        print("chart repo        %s" % ("up " + self.repo_url if self.repo_running() else "down"))
        for kind, port in sorted(self.state.get("registry_ports", {}).items()):
            print("registry %-8s %s" % (kind, "up 127.0.0.1:%d" % port if port_open(port) else "down"))
        print("pods Ready        %s" % ready_window_text(self.ready_delay_ms))
        pids = self.pids()
        print("processes         %d, %.0f MiB resident" % (len(pids), sum(rss_kib(p) for p in pids) / 1024.0))

    def pids(self):
        """The sandbox's long-running processes: every cluster component,
        the chart repository (nginx master and worker), the registries and
        containerd."""
        files = [os.path.join(self.dir, "nginx", "nginx.pid"), os.path.join(self.dir, "containerd", "pid")]
        files += [os.path.join(self.registry_dir(kind), "pid") for kind in ("open", "auth")]
        clusters = os.path.join(self.dir, "kwok", "clusters")
        for name in sorted(os.listdir(clusters)) if os.path.isdir(clusters) else []:
            pid_dir = os.path.join(clusters, name, "pids")
            files += [os.path.join(pid_dir, f) for f in sorted(os.listdir(pid_dir))] if os.path.isdir(pid_dir) else []
        pids = []
        for path in files:
            text = (read_text(path) or "").strip()
            if text.isdigit() and pid_alive(int(text)):
                pids.append(int(text))
        master = self.repo_pid()
        if master:
            pids += [p for p in children(master) if p not in pids]
        return pids


FIXTURE_CRDS = [
    "gateways.gateway.networking.k8s.io", "httproutes.gateway.networking.k8s.io",
    "httpproxies.projectcontour.io", "mcpbridges.networking.higress.io",
]

NGINX_CONF = """\
# Written by tests/sandbox/sandbox.py
daemon on;
%(user)s
worker_processes 1;
pid %(prefix)s/nginx.pid;
error_log %(prefix)s/logs/error.log;
events { worker_connections 256; }
http {
  access_log %(prefix)s/logs/access.log;
  client_body_temp_path %(prefix)s/tmp;
  types { application/x-yaml yaml; application/gzip tgz; }
  server {
    listen 127.0.0.1:%(port)d;
    location /chartrepo/ {
      alias %(root)s/chartrepo/;
      auth_basic "chartrepo";
      auth_basic_user_file %(htpasswd)s;
    }
  }
}
"""

REGISTRY_CONF = """\
# Written by tests/sandbox/sandbox.py
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: %(data)s}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:%(port)d
  secret: %(secret)s
"""

CONTAINERD_CONF = """\
# Written by tests/sandbox/sandbox.py: image store only, no CRI.
version = 2
root = "%(base)s/root"
state = "%(base)s/state"
[grpc]
  address = "%(socket)s"
[plugins."io.containerd.grpc.v1.cri"]
  disable = true
"""

NODE_MANIFEST = """\
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: kwok-node-0
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
spec:
  taints:
    - key: kwok.x-k8s.io/node
      value: fake
      effect: NoSchedule
"""

MYSQL_MANIFEST = """\
apiVersion: v1
kind: Namespace
metadata: {name: %(ns)s}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: %(name)s
  namespace: %(ns)s
spec:
  replicas: 2
  serviceName: %(name)s
  selector:
    matchLabels: {app.kubernetes.io/name: mysql}
  template:
    metadata:
      labels: {app.kubernetes.io/name: mysql}
    spec:
      containers:
        - name: mysql
          image: release.daocloud.io/mcamel/mysql:8.0.29
      tolerations:
        - {key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}
""" % {"ns": MYSQL_NAMESPACE, "name": MYSQL_STATEFULSET}


def read_text(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return None


def replace_stages(docs, stages):
    """A kwok config's documents with its Stage documents replaced by ``stages``."""
    return [d for d in docs if d.get("kind") != "Stage"] + list(stages)


def ready_window_text(delay_ms):
    window = kwok_stages.ready_delay_window(delay_ms)
    if not window:
        return "at once"
    return "after %s (%.1f to %.1f s)" % (kwok_stages.format_duration_ms(delay_ms), window[0] / 1000.0,
                                          window[1] / 1000.0)


def rss_kib(pid):
    """A process's resident set in KiB (0 when it is gone)."""
    try:
        with open("/proc/%d/status" % pid, encoding="utf-8") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry, encoding="utf-8") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def inotify_instances(uid):
    """inotify instances the user's processes hold (what
    fs.inotify.max_user_instances limits)."""
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat("/proc/" + entry).st_uid != uid:
                continue
            fd_dir = "/proc/%s/fd" % entry
            for fd in os.listdir(fd_dir):
                if os.readlink(os.path.join(fd_dir, fd)) == "anon_inode:inotify":
                    count += 1
        except OSError:
            continue
    return count


def inotify_room_needed(in_use, limit, new_clusters, margin=32):
    """The limit fs.inotify.max_user_instances needs for ``new_clusters`` more
    clusters, or None when ``limit`` is enough."""
    need = in_use + new_clusters * INOTIFY_PER_CLUSTER + margin
    return None if need <= limit else need


def ensure_inotify_room(new_clusters):
    """Each cluster holds 5 inotify instances and the default limit is 128 per
    user, for every sandbox of the machine together: past it, new clusters'
    certificate watchers, and any other program of the user that wants one,
    fail. As root the limit is raised; otherwise the error says how."""
    path = "/proc/sys/fs/inotify/max_user_instances"
    if not new_clusters or not os.path.exists(path):
        return
    limit = int(read_text(path).strip())
    in_use = inotify_instances(os.getuid())
    need = inotify_room_needed(in_use, limit, new_clusters)
    if need is None:
        return
    if os.getuid() == 0:
        with open(path, "w", encoding="utf-8") as f:
            f.write(str(need))
        log("fs.inotify.max_user_instances %d -> %d (%d in use, %d new clusters x %d)" % (
            limit, need, in_use, new_clusters, INOTIFY_PER_CLUSTER))
        return
    raise RuntimeError("%d more clusters need %d inotify instances, %d of %d are in use: "
                       "sudo sysctl fs.inotify.max_user_instances=%d" % (
                           new_clusters, new_clusters * INOTIFY_PER_CLUSTER, in_use, limit, need))


def read_versions():
    versions = {}
    with open(os.path.join(HERE, "versions.env"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                k, v = line.split("=", 1)
                versions[k] = v
    return versions


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def write_private(path, text):
    write(path, text, 0o600)


def shq(value):
    return "'" + str(value).replace("'", "'\"'\"'") + "'"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A zombie child still answers signal 0; its /proc state says Z.
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def stop_daemon(pid_file, what):
    """SIGTERM the process whose pid the file holds, and wait for it; a
    missing file or a process already gone is fine."""
    try:
        with open(pid_file, encoding="utf-8") as f:
            pid = int(f.read())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return
    wait_for(lambda: not pid_alive(pid), 20, what + " to stop")


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    if what:
        raise RuntimeError("timed out after %ss waiting for %s" % (timeout, what))
    return False


def parse_delay(parser, text):
    try:
        return kwok_stages.parse_duration_ms(text)
    except ValueError as exc:
        return parser.error(str(exc))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start (or reset) the sandbox")
    up.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS") or 2))
    up.add_argument("--baseline", default=os.environ.get("BASELINE") or DEFAULT_BASELINE)
    up.add_argument("--target", default=os.environ.get("TARGET") or "0.28.1")
    up.add_argument("--ready-delay", default=os.environ.get("READY_DELAY") or "0",
                    help="pods turn Ready after this +/- 30%% (e.g. 30s; default $READY_DELAY, else at once)")
    delay = sub.add_parser("ready-delay", help="change the readiness delay of the running sandbox (30s, off)")
    delay.add_argument("delay")
    sub.add_parser("down", help="stop every cluster and the chart repository")
    sub.add_parser("status", help="show clusters, releases and the chart repository")
    args = parser.parse_args(argv)
    box = Sandbox()
    try:
        if args.command == "up":
            if args.workers < 1:
                parser.error("--workers must be at least 1")
            box.up(args.workers, args.baseline, args.target, parse_delay(parser, args.ready_delay))
        elif args.command == "ready-delay":
            if not box.state.get("clusters"):
                parser.error("no sandbox at %s: run up first" % box.dir)
            box.set_ready_delay(parse_delay(parser, args.delay))
        elif args.command == "down":
            box.down()
        else:
            box.status()
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or "").strip()
        cmd = " ".join(str(a) for a in exc.cmd[:4])
        sys.exit("sandbox %s failed: %s ...: %s" % (args.command, cmd, detail[-2000:]))


if __name__ == "__main__":
    main()
