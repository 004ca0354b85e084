"""Path matrix, part 2: the CRD boundaries, a fleet whose control plane is in
both groups, and a run stopped between a chart and its CRD files (see
path_matrix.py for what each path must do)."""
import time

import pytest

from path_matrix import (CONTOUR, CRD_OF_FILE, GATEWAY, PATHS, case_id, crd_versions, inventory, reset, run_path)
from sandbox import NAMESPACE


@pytest.mark.parametrize("case", PATHS[5:], ids=[case_id(c) for c in PATHS[5:]])
def test_path(matrix_fleet, tmp_path, case):
    run_path(matrix_fleet, tmp_path, case)


DENY_CONTOUR_CRD = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: sandbox-freeze-contour-crd}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
      - apiGroups: [apiextensions.k8s.io]
        apiVersions: ["*"]
        operations: [UPDATE]
        resources: [customresourcedefinitions]
  validations:
    - expression: "object.metadata.name != 'httpproxies.projectcontour.io'"
      message: sandbox freezes the Contour CRD
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: sandbox-freeze-contour-crd}
spec:
  policyName: sandbox-freeze-contour-crd
  validationActions: [Deny]
"""


def test_a_run_stopped_after_the_chart_is_finished_by_the_next(matrix_fleet, tmp_path):
    """The API server refuses the Contour CRD (a real admission policy), so
    the run stops after skoala-init's chart and its first CRD file. The next
    run owes contour.yaml and applies it, without a new Helm revision."""
    fleet = matrix_fleet
    worker = fleet.workers[0]
    reset(fleet, "0.28.1", False)
    matrix_fleet._matrix_at = None
    inv = inventory(fleet, tmp_path, "0.37.0", False)
    fleet.kubectl(worker, "apply", "-f", "-", input=DENY_CONTOUR_CRD)
    try:
        deadline = time.time() + 30
        while fleet.kubectl(worker, "label", "crd", CRD_OF_FILE[CONTOUR], "sandbox-probe=1", "--overwrite",
                            "--dry-run=server", check=False).returncode == 0:
            assert time.time() < deadline, "the admission policy never took effect"
            time.sleep(0.5)
        stopped = fleet.playbook("upgrade.yml", inventory=inv)
        assert stopped.rc != 0
        assert "sandbox freezes the Contour CRD" in stopped.out
    finally:
        fleet.kubectl(worker, "delete", "-f", "-", "--ignore-not-found", input=DENY_CONTOUR_CRD)
    assert fleet.release(worker, "skoala-init")["chart"] == "skoala-init-0.37.0"
    assert crd_versions(fleet, worker)[GATEWAY] == "0.37.0"
    assert crd_versions(fleet, worker)[CONTOUR] == "0.28.1"
    history = fleet.history(worker, "skoala-init")

    deadline = time.time() + 30
    while fleet.kubectl(worker, "label", "crd", CRD_OF_FILE[CONTOUR], "sandbox-probe=1", "--overwrite",
                        "--dry-run=server", check=False).returncode != 0:
        assert time.time() < deadline, "the admission policy never went away"
        time.sleep(0.5)
    finished = fleet.playbook("upgrade.yml", inventory=inv)
    assert finished.rc == 0, finished
    assert "finish" in finished.out and "stopped before its steps after the chart" in finished.out
    assert crd_versions(fleet, worker)[CONTOUR] == "0.37.0"
    assert fleet.history(worker, "skoala-init") == history
    assert fleet.kubectl(worker, "get", "configmap", "dce5-skoala-unfinished-skoala-init", "-n", NAMESPACE,
                         check=False).returncode != 0
    again = fleet.playbook("upgrade.yml", inventory=inv)
    assert again.rc == 0 and set(again.changed().values()) == {0}, again
