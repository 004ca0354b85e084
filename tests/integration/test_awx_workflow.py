"""The upgrade as an AWX/AAP workflow (docs/awx.md), run with ansible-runner,
the library AWX runs its jobs with: each step a runner job with its own
private data dir (project, inventory, extra vars, artifacts with job events),
the worker step sliced the way AWX slices (a --limit per slice, at once).

On 4 sandbox workers: every release ends at the target; one lock held and
released; the merged report has every cluster; a slice before the control
plane and a second, unrelated run are refused and say why; no secret in the
runner artifacts at -vvv; a slice killed mid-way, then the workflow re-run,
completes."""
import json
import os
import threading
import time

import ansible_runner
import pytest

from conftest import ROOT, sandbox_mod

TARGET = "0.28.1"
WORKERS = 4
LEASE = "skoala-upgrade-lock"
PASSED = "successful"


@pytest.fixture(scope="module")
def fleet4(sandbox):
    """The sandbox with 4 workers for this module, back to its size after."""
    before = len(sandbox.workers)
    if before != WORKERS:
        sandbox.box.up(WORKERS, sandbox_mod.DEFAULT_BASELINE, TARGET)
    fleet = type(sandbox)(sandbox.box)
    yield fleet
    if before != WORKERS:
        sandbox.box.up(before, sandbox_mod.DEFAULT_BASELINE, TARGET)


def reset(fleet):
    fleet.reset()
    for cm in fleet.objects(fleet.control_plane, "configmap"):
        if "skoala.dce5.io/report-of-run" in (cm["metadata"].get("labels") or {}):
            fleet.kubectl(fleet.control_plane, "delete", "configmap", cm["metadata"]["name"],
                          "-n", sandbox_mod.NAMESPACE)


class Job:
    """One AWX job: a runner private data dir with the project, inventory
    and extra vars; run at once or in a thread."""

    def __init__(self, fleet, tmp_path, name, playbook, run_id, tags=None, limit=None, extra=None):
        self.name = name
        self.dir = str(tmp_path / name)
        os.makedirs(self.dir)
        os.symlink(ROOT, os.path.join(self.dir, "project"))
        cmdline = []
        if tags:
            cmdline += ["--tags", tags]
        self.kwargs = dict(
            private_data_dir=self.dir, playbook="playbooks/" + playbook,
            inventory=os.path.join(fleet.dir, "inventory.yml"), limit=limit,
            extravars=dict({"skoala_workflow": True, "skoala_run_id": run_id, "skoala_report_part": name}, **(extra or {})),
            cmdline=" ".join(cmdline) or None, envvars=fleet.env(), verbosity=3, quiet=True,
            cancel_callback=lambda: self.cancel)
        self.cancel = False
        self.runner = None
        self.thread = None

    def run(self):
        t0 = time.time()
        self.runner = ansible_runner.run(**self.kwargs)
        self.seconds = time.time() - t0
        return self

    def start(self):
        self.thread = threading.Thread(target=self.run)
        self.thread.start()
        return self

    def wait(self, timeout=900):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "%s did not end" % self.name
        return self

    @property
    def stdout(self):
        return self.runner.stdout.read() if self.runner else ""

    def artifacts(self):
        """Every text runner left: stdout and the job events."""
        texts = []
        top = os.path.join(self.dir, "artifacts")
        for base, dummy, names in os.walk(top):
            for n in names:
                with open(os.path.join(base, n), encoding="utf-8", errors="replace") as f:
                    texts.append(f.read())
        return "\n".join(texts)

    def __repr__(self):
        return "%s: status %s rc %s\n%s" % (self.name, self.runner and self.runner.status,
                                            self.runner and self.runner.rc, self.stdout[-5000:])


def lease(fleet):
    out = fleet.kubectl(fleet.control_plane, "get", "lease", LEASE, "-n", sandbox_mod.NAMESPACE, "-o", "json",
                        check=False)
    return json.loads(out.stdout) if out.returncode == 0 else None


def slices(fleet, k):
    """AWX job slicing: host i goes to slice i mod k."""
    return [",".join(fleet.workers[i::k]) for i in range(k)]


def workflow(fleet, tmp_path, run_id, k, prefix, between=None, extra=None):
    """The 4 steps; returns (jobs, seconds, what ``between`` returned).
    ``between`` runs after the control-plane job, before the slices (a
    second run started then would otherwise trip over releases the slices
    have in pending states, in its own preflight)."""
    t0 = time.time()
    jobs = [Job(fleet, tmp_path, prefix + "-preflight", "workflow/preflight.yml", run_id, extra=extra).run()]
    assert jobs[-1].runner.status == PASSED, jobs[-1]
    jobs.append(Job(fleet, tmp_path, prefix + "-control-plane", "workflow/control_plane.yml", run_id,
                    tags="control_plane", extra=extra).run())
    assert jobs[-1].runner.status == PASSED, jobs[-1]
    other = between() if between else None
    sliced = [Job(fleet, tmp_path, "%s-workers-%d" % (prefix, i + 1), "workflow/workers.yml", run_id, tags="workers",
                  limit=part, extra=extra).start() for i, part in enumerate(slices(fleet, k))]
    for job in sliced:
        job.wait()
        assert job.runner.status == PASSED, job
    jobs += sliced
    jobs.append(Job(fleet, tmp_path, prefix + "-report", "workflow/report.yml", run_id, extra=extra).run())
    assert jobs[-1].runner.status == PASSED, jobs[-1]
    return jobs, time.time() - t0, other


def assert_at_target(fleet):
    for cluster in fleet.clusters:
        rel = fleet.release(cluster)
        assert rel["chart"] == "%s-%s" % (fleet.component(cluster), TARGET) and rel["status"] == "deployed", rel


def assert_report(fleet, run_id):
    with open(os.path.join(fleet.dir, "reports", "skoala-upgrade-%s.json" % run_id), encoding="utf-8") as f:
        doc = json.load(f)
    assert doc["run_id"] == run_id and doc["result"] == "success", doc
    assert sorted(r["cluster"] for r in doc["releases"]) == sorted(fleet.clusters)
    assert all(r["to"] == TARGET for r in doc["releases"])
    return doc


def assert_no_secret(fleet, jobs):
    secrets = [fleet.box.state["db_password"], fleet.box.state["repo_password"]]
    for job in jobs:
        text = job.artifacts()
        assert any(os.path.basename(base) == "job_events" and names
                   for base, dummy, names in os.walk(os.path.join(job.dir, "artifacts"))), job.name
        for secret in secrets:
            assert secret not in text, "%s: a secret in runner's artifacts" % job.name


def test_sliced_workflow_one_lock_one_report_and_refusals(fleet4, tmp_path):
    fleet = fleet4
    reset(fleet)
    run_id = "wf-%d" % int(time.time())

    # A slice started before the control-plane phase of its run refuses, saying why.
    pre = Job(fleet, tmp_path, "early-preflight", "workflow/preflight.yml", run_id).run()
    assert pre.runner.status == PASSED, pre
    held = lease(fleet)
    assert held["metadata"]["annotations"]["skoala.dce5.io/run-id"] == run_id
    early = Job(fleet, tmp_path, "early-slice", "workflow/workers.yml", run_id, tags="workers",
                limit=slices(fleet, 2)[0]).run()
    assert early.runner.status == "failed", early
    assert "the control-plane phase has not completed for this run" in early.stdout, early
    assert all(fleet.release(w)["chart"] == "skoala-init-" + sandbox_mod.DEFAULT_BASELINE for w in fleet.workers)
    print("\nrefused slice: %s" % next(line for line in early.stdout.splitlines() if "cannot start" in line).strip())

    # The whole workflow, workers in 2 slices at once; an unrelated run meanwhile is refused.
    jobs, seconds, refused = workflow(fleet, tmp_path, run_id, 2, "wf", between=lambda: fleet.playbook("upgrade.yml"))
    assert refused.rc != 0, refused
    assert "Another run holds the fleet lock" in refused.out, refused
    # one lock for the whole workflow: the one the first job of the run took
    assert held["spec"]["holderIdentity"] in refused.out, refused
    line = next(text for text in refused.out.splitlines() if "Another run holds the fleet lock" in text)
    print("refused second run: %s" % line.strip())
    print("workflow, workers sliced 2 ways: %.1f s (%s)" % (seconds, ", ".join(
        "%s %.1f s" % (j.name, j.seconds) for j in jobs)))

    assert_at_target(fleet)
    assert lease(fleet) is None, "the report job released the one lock"
    # the YAML callback folds long messages: compare with the whitespace made single
    joined = {j.name for j in jobs if "held by this workflow run %s" % run_id in " ".join(j.stdout.split())}
    assert joined == {"wf-preflight", "wf-control-plane"}, joined
    doc = assert_report(fleet, run_id)
    assert sorted(r["result"] for r in doc["releases"]) == ["upgraded"] * (WORKERS + 1)
    assert_no_secret(fleet, jobs + [pre, early])


def test_a_slice_killed_mid_way_then_the_workflow_rerun_completes(fleet4, tmp_path):
    fleet = fleet4
    reset(fleet)
    run_id = "wf-kill-%d" % int(time.time())
    for name, playbook, tags in (("preflight", "workflow/preflight.yml", None),
                                 ("control-plane", "workflow/control_plane.yml", "control_plane")):
        job = Job(fleet, tmp_path, name, playbook, run_id, tags=tags).run()
        assert job.runner.status == PASSED, job
    victim = Job(fleet, tmp_path, "slice-killed", "workflow/workers.yml", run_id, tags="workers",
                 limit=slices(fleet, 2)[0]).start()
    deadline = time.time() + 300
    while not any(fleet.history(w)[-1][2] != "skoala-init-" + sandbox_mod.DEFAULT_BASELINE
                  or fleet.history(w)[-1][1] != "deployed" for w in slices(fleet, 2)[0].split(",")):
        assert time.time() < deadline and victim.thread.is_alive(), victim
        time.sleep(0.2)
    victim.cancel = True
    victim.wait()
    assert victim.runner.status in ("canceled", "failed"), victim

    # The workflow re-run with the same run id (docs/awx.md, resume): it joins its lock.
    jobs, seconds, dummy = workflow(fleet, tmp_path, run_id, 2, "rerun", extra={"skoala_recover_pending": True})
    assert_at_target(fleet)
    assert lease(fleet) is None
    assert_report(fleet, run_id)
    assert_no_secret(fleet, jobs + [victim])


@pytest.mark.skipif(not os.environ.get("AWX_WORKFLOW_TIMING"), reason="timing only: AWX_WORKFLOW_TIMING=1")
def test_timing_unsliced_and_sliced(fleet4, tmp_path):
    """The measured times for docs/awx.md (not part of make test)."""
    for k in (1, 2):
        reset(fleet4)
        run_id = "wf-time-%d-%d" % (k, int(time.time()))
        jobs, seconds, dummy = workflow(fleet4, tmp_path, run_id, k, "k%d" % k)
        assert_at_target(fleet4)
        print("\n%d slice(s): %.1f s (%s)" % (k, seconds, ", ".join("%s %.1f s" % (j.name, j.seconds) for j in jobs)))
