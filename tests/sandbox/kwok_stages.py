"""Write the kwok Stage set the sandbox clusters run with.

kwok's default stages (read from the kwok module of the pinned version, so
they never drift) make every pod Ready and every Job pod complete. Giving
kwokctl any stage replaces all defaults, so this writes the defaults plus two
fault stages keyed on the pod label ``dce5-sandbox-fault``:

* ``never-ready``: the pod runs but never becomes Ready (helm --wait times
  out), and a Job's pod never completes;
* ``job-fail``: the pod fails at once (its Job fails).

Pods without the label behave exactly as with kwok's defaults.
"""
import argparse
import copy
import json
import os
import subprocess

import yaml

FAULT_LABEL = "dce5-sandbox-fault"
LABEL_EXPR = '.metadata.labels["%s"]' % FAULT_LABEL

DEFAULTS = [
    "kustomize/stage/node/fast/node-initialize.yaml",
    "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "kustomize/stage/pod/fast/pod-ready.yaml",
    "kustomize/stage/pod/fast/pod-complete.yaml",
    "kustomize/stage/pod/fast/pod-delete.yaml",
]

# A pod status: conditions, one container state for every container, the
# pod's addresses, and its phase.
STATUS = """\
{{ $now := Now }}
%(conditions)s
containerStatuses:
{{ range .spec.containers }}
- image: {{ .image | Quote }}
  name: {{ .name | Quote }}
  ready: false
  restartCount: 0
  state:
%(state)s
{{ end }}
hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}
phase: %(phase)s
startTime: {{ $now | Quote }}
"""

NEVER_READY_STATUS = STATUS % {
    "conditions": """\
conditions:
- {lastTransitionTime: {{ $now | Quote }}, status: "True", type: Initialized}
- {lastTransitionTime: {{ $now | Quote }}, status: "False", reason: SandboxFault, type: Ready}
- {lastTransitionTime: {{ $now | Quote }}, status: "False", type: ContainersReady}""",
    "state": """\
    running:
      startedAt: {{ $now | Quote }}""",
    "phase": "Running",
}

JOB_FAIL_STATUS = STATUS % {
    "conditions": "",
    "state": """\
    terminated:
      exitCode: 1
      finishedAt: {{ $now | Quote }}
      reason: Error
      message: "sandbox fault: job-fail"
      startedAt: {{ $now | Quote }}""",
    "phase": "Failed",
}


def kwok_module_dir(version):
    out = subprocess.run(
        ["go", "mod", "download", "-json", "sigs.k8s.io/kwok@" + version],
        check=True, capture_output=True, text=True,
        env=dict(os.environ, GOFLAGS="-mod=mod"),
    ).stdout
    return json.loads(out)["Dir"]


def fault_stage(name, value, status):
    return {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "Stage",
        "metadata": {"name": name},
        "spec": {
            "resourceRef": {"apiGroup": "v1", "kind": "Pod"},
            "selector": {"matchExpressions": [
                {"key": ".metadata.deletionTimestamp", "operator": "DoesNotExist"},
                {"key": ".status.podIP", "operator": "DoesNotExist"},
                {"key": LABEL_EXPR, "operator": "In", "values": [value]},
            ]},
            "next": {"statusTemplate": status},
        },
    }


def stages(module_dir):
    result = []
    for rel in DEFAULTS:
        with open(os.path.join(module_dir, rel), encoding="utf-8") as f:
            stage = yaml.safe_load(f)
        # Pods carrying a fault label follow only the fault stages.
        if stage["metadata"]["name"] in ("pod-ready", "pod-complete"):
            stage = copy.deepcopy(stage)
            stage["spec"]["selector"]["matchExpressions"].append(
                {"key": LABEL_EXPR, "operator": "DoesNotExist"})
        result.append(stage)
    result.append(fault_stage("pod-never-ready", "never-ready", NEVER_READY_STATUS))
    result.append(fault_stage("pod-job-fail", "job-fail", JOB_FAIL_STATUS))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kwok-version", required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    docs = stages(kwok_module_dir(args.kwok_version))
    with open(args.output, "w", encoding="utf-8") as f:
        yaml.safe_dump_all(docs, f, sort_keys=False)


if __name__ == "__main__":
    main()
