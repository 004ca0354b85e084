# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""The DB upgrade Job's run: what to create, when a run is already done
(the result ConfigMap), waiting, and what a failure reports (masked).
The module dce5.skoala.db_upgrade_job is its argument spec and this call."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.dce5.skoala.plugins.module_utils import jobs, secrets


class DbUpgrade(object):
    """Create, watch and record the DB upgrade Job. ``params`` are the
    module's (jobs.ARGUMENT_SPEC); ``kube`` a kube.Kube or anything with its
    methods; ``sleep`` and ``now`` are time.sleep and time.time unless a
    test passes others. Bad input raises ValueError (or DsnError)."""

    def __init__(self, params, kube=None, check_mode=False, sleep=time.sleep, now=time.time):
        self.p = params
        self.check_mode = check_mode
        self.sleep = sleep
        self.now = now
        self.sweet = jobs.sweet_settings(self.p["sweet"])
        self.key = jobs.sweet_key(self.sweet)
        self.ns = self.p["namespace"]
        self.kube = kube
        self.secrets = []
        if self.p.get("database"):
            dsn = self.p["database"]["dsn"]
            password = secrets.parse_dsn(dsn)["password"]
            self.secrets = [s for s in (dsn, password) if s]
        self.objects = self.desired_objects()
        self.job_name = next(o for o in self.objects if o["kind"] == "Job")["metadata"]["name"]
        self.record_name = self.job_name + "-result"

    def desired_objects(self):
        if self.p.get("job_manifest"):
            with open(self.p["job_manifest"], encoding="utf-8") as f:
                docs = jobs.patch_user_manifest(f.read(), self.sweet)
            for doc in docs:
                doc.setdefault("metadata", {}).setdefault("namespace", self.ns)
            return docs
        if not self.p.get("database"):
            raise ValueError("database (driver and dsn from the skoala values) is required "
                             "unless job_manifest is given")
        tag = self.p.get("image_tag") or self.sweet["tag"]
        image = jobs.image_ref(self.p["image_repository"], tag, self.p.get("image_registry"))
        ttl = self.p["ttl_seconds"] if self.p["cleanup"] == "ttl" else None
        built = jobs.build_objects(self.p["name"], self.ns, self.sweet, self.p["database"], image,
                                   backoff_limit=self.p["backoff_limit"], ttl_seconds=ttl,
                                   pod_labels=self.p["pod_labels"])
        return [built["configmap"], built["secret"], built["job"]]

    def redact(self, text):
        return secrets.redact(text, self.secrets) or ""

    def recorded_complete(self):
        record = self.kube.read("ConfigMap", self.record_name, self.ns)
        return bool(record) and (record.get("data") or {}).get("sweet") == self.key and \
            (record.get("data") or {}).get("state") == "complete"

    def record(self):
        body = {"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": self.record_name, "namespace": self.ns, "labels": jobs.labels(self.sweet)},
                "data": {"sweet": self.key, "state": "complete", "job": self.job_name,
                         "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                         "settings": jobs.json_dumps(self.sweet)}}
        self.kube.replace_or_create(body)

    def job(self):
        return self.kube.read("Job", self.job_name, self.ns)

    def create(self):
        self.kube.ensure_namespace(self.ns)
        owned = []
        created_job = None
        for obj in self.objects:
            if obj["kind"] == "Job":
                created_job = self.kube.create(obj)
            else:
                self.kube.replace_or_create(obj)
                if obj["kind"] in ("Secret", "ConfigMap"):
                    owned.append(obj)
        if created_job:
            # The Secret and ConfigMap go away with the Job (ttl or delete).
            for obj in owned:
                self.kube.set_owner(obj["kind"], obj["metadata"]["name"], self.ns, created_job)

    def finish(self, job):
        """Bookkeeping once the Job is done; returns the result fields."""
        state = jobs.job_state(job)
        result = {"state": state}
        if state == "complete":
            self.record()
            if self.p["cleanup"] == "delete_on_success":
                self.kube.delete("Job", self.job_name, self.ns)
        elif state == "failed":
            pods = self.kube.job_pods(self.job_name, self.ns)
            result["details"] = [self.redact(line) for line in jobs.describe(job, pods)]
            result["logs"] = {p["metadata"]["name"]: self.redact(self.kube.pod_log_tail(p["metadata"]["name"], self.ns))
                              for p in pods}
        return result

    def wait(self, deadline):
        while True:
            job = self.job()
            state = jobs.job_state(job)
            if state in ("complete", "failed"):
                return job
            if self.now() >= deadline:
                return job
            self.sleep(self.p["poll_interval"])

    def run(self):
        base = {"job": {"name": self.job_name, "namespace": self.ns}, "sweet": self.sweet, "changed": False}
        if self.p["state"] == "status":
            job = self.job()
            if job is None:
                state = "complete" if self.recorded_complete() else "absent"
                return dict(base, state=state)
            state = jobs.job_state(job)
            if state == "running":
                pods = self.kube.job_pods(self.job_name, self.ns)
                return dict(base, state=state, details=jobs.describe(job, pods))
            return dict(base, **self.finish(job))

        if self.recorded_complete():
            return dict(base, state="complete")
        job = self.job()
        state = jobs.job_state(job)
        if state == "complete":
            return dict(base, **self.finish(job))
        would_create = state in ("absent", "failed")
        masked = jobs.masked(self.objects)
        if self.check_mode:
            return dict(base, changed=would_create, state=state if not would_create else "absent",
                        objects=masked if would_create else [],
                        diff={"before": {}, "after": {"objects": masked}} if would_create else {})
        if state == "failed":
            self.kube.delete("Job", self.job_name, self.ns)
            self.wait_gone()
        if would_create:
            self.create()
            base.update(changed=True, objects=masked, diff={"before": {}, "after": {"objects": masked}})
        if not self.p["wait"]:
            return dict(base, state="running")
        job = self.wait(self.now() + self.p["wait_timeout"])
        state = jobs.job_state(job)
        if state == "running":
            pods = self.kube.job_pods(self.job_name, self.ns)
            return dict(base, state="running", timed_out=True, details=jobs.describe(job, pods))
        return dict(base, **self.finish(job))

    def wait_gone(self, timeout=60):
        deadline = self.now() + timeout
        while self.job() is not None and self.now() < deadline:
            self.sleep(0.5)
