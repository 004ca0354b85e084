"""Write the kwok Stage set the sandbox clusters run with.

kwok's default stages (read from the kwok module of the pinned version, so
they never drift) make every pod Ready and every Job pod complete. Giving
kwokctl any stage replaces all defaults, so this writes the defaults plus two
fault stages keyed on the pod label ``dce5-sandbox-fault``:

* ``never-ready``: the pod runs but never becomes Ready (helm --wait times
  out), and a Job's pod never completes;
* ``job-fail``: the pod fails at once (its Job fails).

Pods without the label behave exactly as with kwok's defaults.

A readiness delay (``READY_DELAY``, off by default) gives kwok's ``pod-ready``
stage a ``delay``: each pod turns Ready after a time drawn uniformly from the
delay -30 % to +30 % (kwok's ``durationMilliseconds`` and
``jitterDurationMilliseconds``), as image pulls and readiness probes would.
Job pods go through ``pod-ready`` before ``pod-complete``, so Jobs wait too.
"""
import argparse
import copy
import json
import os
import re
import subprocess

import yaml

FAULT_LABEL = "dce5-sandbox-fault"
LABEL_EXPR = '.metadata.labels["%s"]' % FAULT_LABEL

# A readiness delay of D makes each pod Ready after D*(1-j) to D*(1+j).
READY_JITTER = 0.3
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000}

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


# kwok's pod-complete stage leaves the pod's Ready condition True; a kubelet
# turns Ready and ContainersReady False (reason PodCompleted) when a pod
# finishes, and code that reads pods sees that on a real cluster.
COMPLETED_CONDITIONS = """\
conditions:
- {lastTransitionTime: {{ $now | Quote }}, status: "True", type: Initialized}
- {lastTransitionTime: {{ $now | Quote }}, status: "False", reason: PodCompleted, type: Ready}
- {lastTransitionTime: {{ $now | Quote }}, status: "False", reason: PodCompleted, type: ContainersReady}
- {lastTransitionTime: {{ $now | Quote }}, status: "True", type: PodScheduled}
"""


def parse_duration_ms(text):
    """Milliseconds from a Go-style duration (``30s``, ``1m30s``, ``500ms``),
    a bare number of seconds (``45``), or off (``""``, ``0``, ``off``)."""
    text = (text or "").strip().lower()
    if text in ("", "0", "off", "none", "no", "false"):
        return 0
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return int(round(float(text) * 1000))
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_MS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError("not a duration: %r (examples: 30s, 1m30s, 500ms, 0)" % text)
    return int(round(total))


def format_duration_ms(ms):
    """``30s``, ``1m30s``, ``500ms``; ``off`` for 0."""
    if not ms:
        return "off"
    if ms % 1000:
        return "%dms" % ms
    minutes, seconds = divmod(ms // 1000, 60)
    return ("%dm" % minutes if minutes else "") + ("%ds" % seconds if seconds or not minutes else "")


def ready_delay_window(delay_ms, jitter=READY_JITTER):
    """(durationMilliseconds, jitterDurationMilliseconds) for a delay of
    ``delay_ms`` +/- ``jitter``: kwok waits a time drawn uniformly between
    the two (pkg/utils/lifecycle Stage.Delay)."""
    if delay_ms <= 0:
        return None
    return int(round(delay_ms * (1 - jitter))), int(round(delay_ms * (1 + jitter)))


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


def stages(module_dir, ready_delay_ms=0):
    result = []
    for rel in DEFAULTS:
        with open(os.path.join(module_dir, rel), encoding="utf-8") as f:
            result.append(yaml.safe_load(f))
    return with_sandbox_stages(result, ready_delay_ms)


def with_sandbox_stages(defaults, ready_delay_ms=0):
    """kwok's default stages plus the fault stages, and the readiness delay
    (milliseconds, 0 for none) on ``pod-ready``."""
    result = []
    window = ready_delay_window(ready_delay_ms)
    for stage in defaults:
        stage = copy.deepcopy(stage)
        # Pods carrying a fault label follow only the fault stages.
        if stage["metadata"]["name"] in ("pod-ready", "pod-complete"):
            stage["spec"]["selector"]["matchExpressions"].append(
                {"key": LABEL_EXPR, "operator": "DoesNotExist"})
        if stage["metadata"]["name"] == "pod-complete":
            template = stage["spec"]["next"]["statusTemplate"]
            if "\ncontainerStatuses:" not in template:
                raise RuntimeError("kwok's pod-complete stage changed: no containerStatuses line to put conditions before")
            stage["spec"]["next"]["statusTemplate"] = template.replace(
                "\ncontainerStatuses:", "\n" + COMPLETED_CONDITIONS + "containerStatuses:", 1)
        if window and stage["metadata"]["name"] == "pod-ready":
            stage["spec"]["delay"] = {"durationMilliseconds": window[0], "jitterDurationMilliseconds": window[1]}
        result.append(stage)
    result.append(fault_stage("pod-never-ready", "never-ready", NEVER_READY_STATUS))
    result.append(fault_stage("pod-job-fail", "job-fail", JOB_FAIL_STATUS))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kwok-version", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--ready-delay", default=os.environ.get("READY_DELAY") or "0",
                        help="pods turn Ready after this +/- 30%% (30s, 500ms; default: at once)")
    args = parser.parse_args()
    docs = stages(kwok_module_dir(args.kwok_version), parse_duration_ms(args.ready_delay))
    with open(args.output, "w", encoding="utf-8") as f:
        yaml.safe_dump_all(docs, f, sort_keys=False)


if __name__ == "__main__":
    main()
