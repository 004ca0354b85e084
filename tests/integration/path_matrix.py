"""The path matrix (test_paths_*.py): upgrades that cross every version boundary alone and
several together, on the real sandbox, each followed by a re-run and a
rollback.

What each path must do is written here from ../shared/skoala-facts.md
("Version boundaries") and the vendor's skoala-init page, not from our
planner:

* crossing 0.19.0 (from below): the DB upgrade Job before the skoala chart;
* every skoala-init upgrade: the Jobs gateway-api-admission and
  gateway-api-admission-patch deleted before the chart;
* reaching 0.35.x, 0.37.x, and 0.52.1 from <= 0.52.0: gateway-api.yaml,
  contour.yaml, higress.gen.yaml of the target chart applied after the chart;
  none of them from 0.53.0 on (the chart does it).

The fleet is the control plane and one worker (a second worker adds time,
not paths); one case puts the control plane in both groups. Cases that start
from the same baseline share one reset: a rollback returns the fleet to it.
"""
import json
import os
import re
import time

from conftest import backup_in
from sandbox import NAMESPACE

GATEWAY, CONTOUR, HIGRESS = "gateway-api.yaml", "contour.yaml", "higress.gen.yaml"
# One CRD of each file the facts name, and the fixture's version annotation.
CRD_OF_FILE = {GATEWAY: "gateways.gateway.networking.k8s.io", CONTOUR: "httpproxies.projectcontour.io",
               HIGRESS: "mcpbridges.networking.higress.io"}
VERSION_ANNOTATION = "sandbox.dce5.io/chart-version"
ADMISSION_JOBS = ("gateway-api-admission", "gateway-api-admission-patch")

# (baseline, target, control plane in both groups) -> what the facts say runs:
# db: the DB upgrade Job; crds: the CRD files applied after skoala-init, in order.
PATHS = [
    ("0.17.1", "0.19.2", False, {"db": True, "crds": []}),
    ("0.18.0", "0.28.1", False, {"db": True, "crds": []}),
    ("0.19.0", "0.19.2", False, {"db": False, "crds": []}),
    ("0.19.2", "0.35.1", False, {"db": False, "crds": [GATEWAY]}),
    ("0.19.2", "0.57.0", False, {"db": False, "crds": []}),
    ("0.28.1", "0.37.0", False, {"db": False, "crds": [GATEWAY, CONTOUR]}),
    ("0.35.1", "0.52.1", True, {"db": False, "crds": [CONTOUR, HIGRESS]}),
    ("0.52.1", "0.53.0", False, {"db": False, "crds": []}),
]


def case_id(case):
    return "%s-to-%s%s" % (case[0], case[1], "-both-groups" if case[2] else "")


def inventory(fleet, tmp_path, target, both):
    inv = fleet.inventory_copy()
    inv["all"]["vars"]["skoala_target_version"] = target
    workers = inv["all"]["children"]["skoala_workers"]["hosts"]
    for extra in fleet.workers[1:]:
        workers.pop(extra)
    if both:
        workers[fleet.control_plane] = {"skoala_kubeconfig": fleet.box.kubeconfig(fleet.control_plane)}
    return fleet.write_inventory(tmp_path, inv)


def releases(fleet, both):
    """(cluster, release) pairs of the fleet under test."""
    out = [(fleet.control_plane, "skoala"), (fleet.workers[0], "skoala-init")]
    if both:
        out.append((fleet.control_plane, "skoala-init"))
    return out


def reset(fleet, baseline, both):
    box = fleet.box
    box.uninstall(fleet.control_plane, "skoala-init")
    box.install_baseline(fleet.control_plane, "skoala", baseline)
    box.install_baseline(fleet.workers[0], "skoala-init", baseline)
    if both:
        box.install_release(fleet.control_plane, "skoala-init", baseline)
    fleet.clear_run_state()


def crd_versions(fleet, cluster):
    out = {}
    for name, crd in CRD_OF_FILE.items():
        got = fleet.kubectl(cluster, "get", "crd", crd, "-o", "json", check=False)
        if got.returncode:
            out[name] = None
            continue
        obj = json.loads(got.stdout)
        props = obj["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
        version = obj["metadata"]["annotations"][VERSION_ANNOTATION]
        # the schema field of that version is there: the file was applied, not only re-annotated
        assert "sandboxV" + version.replace(".", "_") in props, (cluster, crd, props)
        out[name] = version
    return out


def db_record(fleet):
    got = fleet.kubectl(fleet.control_plane, "get", "configmap", "skoala-db-upgrade-result", "-n", NAMESPACE,
                        "-o", "json", check=False)
    return json.loads(got.stdout)["data"] if got.returncode == 0 else None


def admission_job_versions(fleet, cluster):
    jobs = {j["metadata"]["name"]: j for j in fleet.objects(cluster, "jobs")}
    return {name: jobs[name]["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/version")
            if name in jobs else None for name in ADMISSION_JOBS}


CONTROL_PLANE_PLAY = "PLAY [Upgrade skoala on the control plane"
WORKERS_PLAY = "PLAY [Upgrade skoala-init on the workers"


def task_order(out, host, play=WORKERS_PLAY):
    """The step tasks and the helm upgrade that ran on ``host`` in ``play``,
    in the order the run printed them."""
    order = []
    current = None
    out = out[out.index(play):]
    if play == CONTROL_PLANE_PLAY:
        out = out[:out.index(WORKERS_PLAY)]
    for line in out.splitlines():
        m = re.match(r"^TASK \[(?:[^:\]]+ : )?(.*?)\] \*+", line)
        if m:
            current = m.group(1)
            continue
        if current and re.match(r"^(changed|ok): \[%s\]" % re.escape(host), line):
            if current.startswith("Delete stale Jobs"):
                what = "delete_jobs"
            elif current.startswith("Helm upgrade, values hidden"):
                what = "helm_upgrade"
            elif current.startswith("Apply "):
                what = "apply:" + current.rsplit("/", 1)[-1]
            elif current.startswith("Run the DB upgrade Job"):
                what = "db_upgrade"
            else:
                continue
            if not order or order[-1] != what:
                order.append(what)
    return order


def run_path(matrix_fleet, tmp_path, case):
    """Upgrade, re-run and roll back one path, checking each step's effect."""
    fleet = matrix_fleet
    baseline, target, both, expected = case
    worker = fleet.workers[0]
    # a case whose baseline is the one the previous case rolled back to needs no reset
    if getattr(matrix_fleet, "_matrix_at", None) != (baseline, both):
        reset(fleet, baseline, both)
    matrix_fleet._matrix_at = None
    fleet.clear_run_state()
    inv = inventory(fleet, tmp_path, target, both)
    init_clusters = [c for c, r in releases(fleet, both) if r == "skoala-init"]
    crds_before = {c: crd_versions(fleet, c) for c in init_clusters}
    db_before = db_record(fleet)
    before = {(c, r): fleet.history(c, r) for c, r in releases(fleet, both)}
    assert all(h and h[-1][2].endswith(baseline) for h in before.values()), before

    started = time.time()
    run = fleet.playbook("upgrade.yml", inventory=inv, args=["-v"])
    seconds = time.time() - started
    assert run.rc == 0, run

    for cluster, release in releases(fleet, both):
        now = fleet.release(cluster, release)
        assert (now["chart"], now["status"]) == ("%s-%s" % (release, target), "deployed"), (cluster, now)
    # the DB upgrade ran exactly when the path crosses 0.19.0
    record = db_record(fleet)
    if expected["db"]:
        assert record and record["state"] == "complete" and record != db_before
        assert json.loads(record["settings"]) == {"type": "UPGRADE", "target": "0.17.0", "tag": "v0.19.0"}
    else:
        assert record == db_before
    # the DB upgrade before the skoala chart
    assert task_order(run.out, fleet.control_plane, CONTROL_PLANE_PLAY) == \
        (["db_upgrade"] if expected["db"] else []) + ["helm_upgrade"]
    for cluster in init_clusters:
        # the admission Jobs are the target chart's: the old ones were deleted first
        assert admission_job_versions(fleet, cluster) == {j: "v" + target for j in ADMISSION_JOBS}
        # each CRD file named by the facts is the target's; the others are as they were
        after = crd_versions(fleet, cluster)
        for name in CRD_OF_FILE:
            want = target if name in expected["crds"] else crds_before[cluster][name]
            assert after[name] == want, (cluster, name, crds_before[cluster], after)
        # the vendor's order: Jobs, chart, CRD files in boundary order
        assert task_order(run.out, cluster) == \
            ["delete_jobs", "helm_upgrade"] + ["apply:" + f for f in expected["crds"]], run.out[-8000:]
    assert fleet.box.state["db_password"] not in run.out

    upgraded = {(c, r): fleet.history(c, r) for c, r in releases(fleet, both)}
    again = fleet.playbook("upgrade.yml", inventory=inv)
    assert again.rc == 0, again
    assert set(again.changed().values()) == {0}, again.recap
    assert {(c, r): fleet.history(c, r) for c, r in releases(fleet, both)} == upgraded

    back = fleet.playbook("rollback.yml", inventory=inv)
    assert back.rc == 0, back
    for cluster, release in releases(fleet, both):
        meta, values = backup_in(os.path.join(fleet.dir, "backups"), cluster, release)[:2]
        assert meta["chart"] == "%s-%s" % (release, baseline) and meta["revision"] == before[(cluster, release)][-1][0]
        now = fleet.release(cluster, release)
        assert (now["chart"], now["status"]) == (meta["chart"], "deployed"), (cluster, release, now)
        # the values are the backed-up ones, the DSN included
        assert fleet.values(cluster, release) == values
    assert fleet.box.state["db_password"] in fleet.values(fleet.control_plane, "skoala")["hive"]["configMap"][
        "database"][0]["dsn"]
    assert fleet.box.state["db_password"] not in back.out
    matrix_fleet._matrix_at = (baseline, both)
    report = os.environ.get("PATH_MATRIX_REPORT")
    if report:
        with open(report, "a") as f:
            f.write(json.dumps({"path": case_id(case),
                                "steps": {"skoala": task_order(run.out, fleet.control_plane, CONTROL_PLANE_PLAY),
                                          "skoala-init": task_order(run.out, worker)},
                                "db_upgrade": expected["db"], "upgrade_seconds": round(seconds, 1),
                                "rerun_changed": sum(again.changed().values()),
                                "rollback": "ok"}) + "\n")
