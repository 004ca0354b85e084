"""Generate the fixture charts `skoala` and `skoala-init` and a Helm repo index.

The charts look like DaoCloud's to the collection: same release names and
namespace, the same value keys (``hive.image.tag``,
``hive.configMap.database[0].dsn``, ``global.imageRegistry``, the
``skoala-agent`` / ``nacos-operator`` / ``sentinel-operator`` /
``seata-operator`` subcharts, CRDs under the subcharts' ``crds/``), and the
version-dependent traits the upgrade path cares about:

* skoala-init has plain chart Jobs ``gateway-api-admission`` and
  ``gateway-api-admission-patch`` whose pod template names the chart
  version. A Job's template is immutable, so any ``helm upgrade`` (or
  ``helm rollback``) to another version fails until they are deleted: the
  vendor's skoala-init page deletes them before every upgrade.
* seata-operator exists from 0.28.0 on.
* every CRD carries the chart version in an annotation, so a test can see
  whether the CRD was updated (Helm never upgrades ``crds/``).

Usage: fixture_charts.py --out DIR  (writes DIR/*.tgz and DIR/index.yaml)
"""
import argparse
import os
import subprocess
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
FAULT_LABEL = "dce5-sandbox-fault"
VERSION_ANNOTATION = "sandbox.dce5.io/chart-version"


def vtuple(version):
    core = version.split("-", 1)[0]
    return tuple(int(p) for p in core.split("."))


# --- templates shared by every workload -----------------------------------

DEPLOYMENT = """\
{{- $root := . }}
{{- range $name, $c := dict %(components)s }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  labels:
    app.kubernetes.io/name: {{ $name }}
    app.kubernetes.io/instance: {{ $root.Release.Name }}
    app.kubernetes.io/version: {{ $c.image.tag | quote }}
spec:
  replicas: {{ $c.replicas | default 1 }}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ $name }}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {{ $name }}
        app.kubernetes.io/instance: {{ $root.Release.Name }}
        {{- with $root.Values.global.sandboxFault }}
        %(label)s: {{ . }}
        {{- end }}
    spec:
      containers:
        - name: {{ $name }}
          image: "{{ $root.Values.global.imageRegistry }}/{{ $c.image.repository }}:{{ $c.image.tag }}"
          imagePullPolicy: {{ $root.Values.global.imagePullPolicy }}
      tolerations:
        - {key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}
{{- end }}
"""

SUBCHART_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Chart.Name }}
  labels:
    app.kubernetes.io/name: {{ .Chart.Name }}
    app.kubernetes.io/instance: {{ .Release.Name }}
    app.kubernetes.io/version: {{ .Values.image.tag | quote }}
spec:
  replicas: {{ .Values.replicas | default 1 }}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ .Chart.Name }}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {{ .Chart.Name }}
        app.kubernetes.io/instance: {{ .Release.Name }}
        {{- with .Values.global.sandboxFault }}
        %(label)s: {{ . }}
        {{- end }}
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.global.imageRegistry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          imagePullPolicy: {{ .Values.global.imagePullPolicy }}
      tolerations:
        - {key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}
""" % {"label": FAULT_LABEL}

HOOK_JOB_FAULT = """\
{{- if eq (toString .Values.global.sandboxFault) "job-fail" }}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .Release.Name }}-post-upgrade
  annotations:
    helm.sh/hook: post-install,post-upgrade
    helm.sh/hook-delete-policy: before-hook-creation
spec:
  backoffLimit: 0
  template:
    metadata:
      labels:
        %(label)s: job-fail
    spec:
      restartPolicy: Never
      containers:
        - name: post-upgrade
          image: "{{ .Values.global.imageRegistry }}/skoala/post-upgrade:v{{ .Chart.Version }}"
      tolerations:
        - {key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}
{{- end }}
""" % {"label": FAULT_LABEL}

ADMISSION_JOB = """\
{{- range $name := list "gateway-api-admission" "gateway-api-admission-patch" }}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ $name }}
  labels:
    app.kubernetes.io/version: "v{{ $.Chart.Version }}"
spec:
  backoffLimit: 0
  # A Job's pod template is immutable, and this one changes with every chart
  # version: Kubernetes refuses Helm's patch of an existing Job of an older
  # version, which is why the vendor deletes the Jobs before each upgrade.
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {{ $name }}
        app.kubernetes.io/version: "v{{ $.Chart.Version }}"
    spec:
      restartPolicy: Never
      containers:
        - name: create
          image: "{{ $.Values.global.imageRegistry }}/skoala/kube-webhook-certgen:v1.1.1"
          env:
            - {name: SKOALA_INIT_VERSION, value: "{{ $.Chart.Version }}"}
      tolerations:
        - {key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}
{{- end }}
"""

DB_SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: hive-database
type: Opaque
stringData:
  database.yaml: |
    database:
    {{- range .Values.hive.configMap.database }}
      - driver: {{ .driver | quote }}
        dsn: {{ .dsn | quote }}
    {{- end }}
"""


def crd(group, kind, plural, version):
    """A minimal CRD whose schema grows with the chart version."""
    properties = {"spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    # A field that exists only from this chart version on: a test can check
    # the CRD was really updated, not just re-annotated.
    properties["sandboxV%s" % version.replace(".", "_").replace("-", "_")] = {"type": "string"}
    annotations = {VERSION_ANNOTATION: version}
    if group.endswith(".k8s.io") or group.endswith(".kubernetes.io"):
        # Protected API groups need this, as the real Gateway API CRDs carry.
        annotations["api-approved.kubernetes.io"] = "https://github.com/kubernetes-sigs/gateway-api/pull/1538"
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": "%s.%s" % (plural, group),
            "annotations": annotations,
        },
        "spec": {
            "group": group,
            "names": {"kind": kind, "plural": plural, "singular": kind.lower(), "listKind": kind + "List"},
            "scope": "Namespaced",
            "versions": [{
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": properties}},
            }],
        },
    }


# The CRD files the facts name, by the subchart they live in.
CRD_FILES = {
    ("contour-provisioner-prereq", "gateway-api.yaml"): [
        ("gateway.networking.k8s.io", "Gateway", "gateways"),
        ("gateway.networking.k8s.io", "HTTPRoute", "httproutes"),
    ],
    ("contour-provisioner", "contour.yaml"): [
        ("projectcontour.io", "HTTPProxy", "httpproxies"),
    ],
    ("contour-provisioner", "higress.gen.yaml"): [
        ("networking.higress.io", "McpBridge", "mcpbridges"),
    ],
}


def write(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        if isinstance(content, str):
            f.write(content)
        else:
            yaml.safe_dump(content, f, sort_keys=False)


def chart_yaml(name, version, description, dependencies=None):
    doc = {
        "apiVersion": "v2",
        "name": name,
        "description": description,
        "type": "application",
        "version": version,
        "appVersion": version,
    }
    if dependencies:
        doc["dependencies"] = dependencies
    return doc


def global_values(fault):
    return {
        "imageRegistry": "release.daocloud.io",
        "imagePullPolicy": "IfNotPresent",
        "sandboxFault": fault or "",
    }


def image(repository, tag):
    return {"repository": repository, "tag": tag}


def skoala_chart(root, version, fault, ui_tag):
    write(os.path.join(root, "Chart.yaml"),
          chart_yaml("skoala", version, "Sandbox fixture of DaoCloud's skoala chart (hive, sesame, skoala-ui)"))
    write(os.path.join(root, "values.yaml"), {
        "global": global_values(fault),
        "hive": {
            "replicas": 1,
            "image": image("skoala/hive", "v" + version),
            "configMap": {"database": [{"driver": "mysql", "dsn": ""}]},
        },
        "sesame": {"replicas": 1, "image": image("skoala/sesame", "v" + version)},
        "ui": {"replicas": 1, "image": image("skoala/skoala-ui", ui_tag)},
    })
    components = '"hive" .Values.hive "sesame" .Values.sesame "skoala-ui" .Values.ui'
    write(os.path.join(root, "templates", "deployments.yaml"),
          DEPLOYMENT % {"components": components, "label": FAULT_LABEL})
    write(os.path.join(root, "templates", "hive-database-secret.yaml"), DB_SECRET)
    write(os.path.join(root, "templates", "fault-job.yaml"), HOOK_JOB_FAULT)


def subchart(root, name, version, repository, fault, crds=()):
    write(os.path.join(root, "Chart.yaml"),
          chart_yaml(name, version, "Sandbox fixture of the %s subchart" % name))
    write(os.path.join(root, "values.yaml"), {
        "global": global_values(fault),
        "replicas": 1,
        "image": image(repository, "v" + version) if repository else {},
    })
    if repository:
        write(os.path.join(root, "templates", "deployment.yaml"), SUBCHART_DEPLOYMENT)
    for filename, kinds in crds:
        docs = [crd(group, kind, plural, version) for group, kind, plural in kinds]
        write(os.path.join(root, "crds", filename), yaml.safe_dump_all(docs, sort_keys=False))


def skoala_init_chart(root, version, fault):
    v = vtuple(version)
    operators = ["skoala-agent", "nacos-operator", "sentinel-operator"]
    if v >= (0, 28, 0):
        operators.append("seata-operator")
    deps = [{"name": n, "version": version} for n in operators]
    deps += [{"name": "contour-provisioner-prereq", "version": version},
             {"name": "contour-provisioner", "version": version}]
    write(os.path.join(root, "Chart.yaml"),
          chart_yaml("skoala-init", version, "Sandbox fixture of DaoCloud's skoala-init chart", deps))
    values = {"global": global_values(fault)}
    for n in operators:
        values[n] = {"image": image("skoala/" + n, "v" + version)}
    write(os.path.join(root, "values.yaml"), values)
    for n in operators:
        subchart(os.path.join(root, "charts", n), n, version, "skoala/" + n, fault)
    for sub in ("contour-provisioner-prereq", "contour-provisioner"):
        files = [(f, kinds) for (s, f), kinds in CRD_FILES.items() if s == sub]
        subchart(os.path.join(root, "charts", sub), sub, version, None, fault, files)
    write(os.path.join(root, "templates", "gateway-admission-jobs.yaml"), ADMISSION_JOB)
    write(os.path.join(root, "templates", "fault-job.yaml"), HOOK_JOB_FAULT)


def stand_in_chart(out, name, version, description, image_repository, helm="helm"):
    """A small chart with one Deployment, for a DCE 5.0 component the
    collection reads but does not manage (its release, in its namespace)."""
    with tempfile.TemporaryDirectory() as work:
        root = os.path.join(work, name)
        write(os.path.join(root, "Chart.yaml"), chart_yaml(name, version, description))
        write(os.path.join(root, "values.yaml"), {
            "global": global_values(None), "replicas": 1, "image": image(image_repository, "v" + version)})
        write(os.path.join(root, "templates", "deployment.yaml"), SUBCHART_DEPLOYMENT)
        subprocess.run([helm, "package", root, "-d", out], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(out, "%s-%s.tgz" % (name, version))


def insight_agent_chart(out, helm="helm", version="0.20.0"):
    """A stand-in for insight-agent (its own release in insight-system), so
    preflight's check for it reads a real Helm release."""
    return stand_in_chart(out, "insight-agent", version, "Sandbox fixture of DCE 5.0's insight-agent",
                          "insight/insight-agent", helm)


def ghippo_chart(out, version, helm="helm"):
    """A stand-in for global management: DCE 5.0 installs it as release
    ``ghippo`` of chart ``ghippo`` in ``ghippo-system`` on the global cluster
    (an assumption, docs/upgrade-path.md); preflight reads its version."""
    return stand_in_chart(out, "ghippo", version, "Sandbox fixture of DCE 5.0's global management (ghippo)",
                          "ghippo/ghippo-apiserver", helm)


def generate(out, helm="helm", spec_path=os.path.join(HERE, "fixtures.yml")):
    with open(spec_path, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    entries = [(str(v), None) for v in spec["versions"]]
    entries += [(str(v), fault) for v, fault in (spec.get("faults") or {}).items()]
    ui_tags = {str(k): v for k, v in (spec.get("ui_tags") or {}).items()}
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        if name.endswith(".tgz") or name == "index.yaml":
            os.remove(os.path.join(out, name))
    with tempfile.TemporaryDirectory() as work:
        for version, fault in entries:
            for chart in ("skoala", "skoala-init"):
                root = os.path.join(work, version, chart)
                if chart == "skoala":
                    skoala_chart(root, version, fault, ui_tags.get(version, "v" + version))
                else:
                    skoala_init_chart(root, version, fault)
                subprocess.run([helm, "package", root, "-d", out], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([helm, "repo", "index", out], check=True)
    return [v for v, dummy in entries]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--helm", default="helm")
    args = parser.parse_args()
    versions = generate(args.out, args.helm)
    print("generated skoala and skoala-init in %d versions under %s" % (len(versions), args.out))


if __name__ == "__main__":
    main()
