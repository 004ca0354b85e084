"""Preflight's one pass over the fleet: inputs, reads, plans, helm.

Expected actions and steps come from the vendor's pages (skoala-facts.md):
leaving skoala-init 0.24.2 or older deletes the two old admission Jobs first;
skoala 0.19.2 to 0.28.1 needs no step."""
import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import preflight, versions


def request(cluster, components, **plan):
    settings = {"target_version": "0.28.1", "ui_version": "", "allow_downgrade": False, "recover_pending": False,
                "namespace": "skoala-system", "upgrade_path_extra": [], "steps_skip": [], "preflight_skip": []}
    settings.update(plan)
    return {
        "cluster": cluster,
        "components": components,
        "inputs": {"skoala_target_version": settings["target_version"], "skoala_source": "online",
                   "skoala_repo_url": "https://charts.example/chartrepo/skoala",
                   "skoala_kubeconfig": "/k/%s.yaml" % cluster, "skoala_preflight_skip": [],
                   "skoala_upgrade_path_extra": [], "skoala_upgrade_steps_skip": [],
                   "skoala_allow_downgrade": False, "skoala_recover_pending": False,
                   "skoala_run_id": "20261205T010000Z-abcd"},
        "plan": settings,
        "names": {"namespace": "skoala-system", "mysql_namespace": "mcamel-system",
                  "mysql_statefulset": "mcamel-common-mysql-cluster-mysql",
                  "insight_namespace": "insight-system", "insight_release": "insight-agent"},
        "image_registry": {"source": "online", "given": "", "registry": "", "repository": "skoala"},
        "read": {"cluster": cluster, "kubeconfig": "/k/%s.yaml" % cluster, "context": "ctx-%s" % cluster},
    }


def release(component, version, status="deployed"):
    return {"installed": True, "chart": "%s-%s" % (component, version), "version": version, "status": status,
            "revision": 3, "app_version": version, "last_deployed": None,
            # the chart's own tags, as a release installed by the vendor's command runs them
            "image_tags": {k: str(v) for k, v in versions.image_tag_values(component, version, None).items()}}


def read(cluster, releases, **extra):
    result = {"cluster": cluster, "problem": None, "mysql": {}, "unready_pods": [], "insight_found": None,
              "unfinished": {}, "releases": releases, "kubernetes_version": None, "ghippo": None, "lock": None}
    result.update(extra)
    return result


def fleet_of_three():
    requests = [request("dce-global", ["skoala"]), request("w1", ["skoala-init"]), request("w2", ["skoala-init"])]
    reads = {
        "dce-global": read("dce-global", {"skoala": release("skoala", "0.19.2")},
                           mysql={"found": True, "ready": 1, "replicas": 1}),
        "w1": read("w1", {"skoala-init": release("skoala-init", "0.19.2")}, insight_found=False),
        "w2": read("w2", {"skoala-init": release("skoala-init", "0.28.1")}),
    }
    return requests, reads


def test_fleet_plans_each_cluster_as_the_vendor_says():
    requests, reads = fleet_of_three()
    out = preflight.fleet(requests, reads, {"skoala": ["0.19.2", "0.28.1"], "skoala-init": ["0.19.2", "0.28.1"]})
    assert out["problems"] == []
    assert list(out["plans"]) == ["dce-global", "w1", "w2"]
    (cp,), (w1,), (w2,) = out["plans"]["dce-global"], out["plans"]["w1"], out["plans"]["w2"]
    assert (cp["component"], cp["action"], [s["name"] for s in cp["steps"]]) == ("skoala", "upgrade", [])
    assert (w1["action"], [s["name"] for s in w1["steps"]]) == ("upgrade", ["delete_jobs"])
    assert w2["action"] == "none"
    # the missing insight-agent is a warning on w1's plan, not a refusal
    assert any("insight-agent not found (insight-system/insight-agent)" in w for w in w1["warnings"])
    assert not any("insight-agent" in w for w in w2["warnings"])
    assert out["releases"]["w1"]["skoala-init"]["version"] == "0.19.2"
    assert out["image_registries"] == {"dce-global": "", "w1": "", "w2": ""}


def test_fleet_refuses_a_target_the_repository_lacks():
    requests, reads = fleet_of_three()
    out = preflight.fleet(requests, reads, {"skoala": ["0.19.2"], "skoala-init": ["0.19.2", "0.28.1"]})
    assert out["plans"]["dce-global"][0]["action"] == "refuse"
    assert out["plans"]["w1"][0]["action"] == "upgrade"


def test_fleet_skips_clusters_with_a_read_problem_and_names_a_bad_chart():
    requests, reads = fleet_of_three()
    reads["w2"] = read("w2", {}, problem="w2: cannot reach the API server https://127.0.0.1:1 ...")
    reads["w1"]["releases"]["skoala-init"]["chart"] = "skoala-init-latest"
    out = preflight.fleet(requests, reads)
    assert "w2" not in out["plans"] and "w2" not in out["releases"]
    assert len(out["problems"]) == 1 and out["problems"][0].startswith("w1: "), out["problems"]


def test_fleet_strings_from_extra_vars_are_parsed_not_truthy():
    # -e skoala_allow_downgrade=false arrives as the string "false"
    requests = [request("w1", ["skoala-init"], allow_downgrade="false", target_version="0.19.2")]
    reads = {"w1": read("w1", {"skoala-init": release("skoala-init", "0.28.1")})}
    (plan,) = preflight.fleet(requests, reads)["plans"]["w1"]
    assert plan["action"] == "refuse"
    requests[0]["plan"]["allow_downgrade"] = "true"
    (plan,) = preflight.fleet(requests, reads)["plans"]["w1"]
    assert plan["action"] == "upgrade"


def test_kubernetes_version_check_can_be_skipped():
    requests = [request("w1", ["skoala-init"])]
    reads = {"w1": read("w1", {"skoala-init": release("skoala-init", "0.19.2")}, kubernetes_version="v1.34.4")}
    (plan,) = preflight.fleet(requests, reads)["plans"]["w1"]
    assert any("Kubernetes v1.34.4" in w for w in plan["warnings"])
    requests[0]["plan"]["preflight_skip"] = ["kubernetes_version"]
    (plan,) = preflight.fleet(requests, reads)["plans"]["w1"]
    assert not any("Kubernetes" in w for w in plan["warnings"])


def test_offline_image_registry_from_the_bundle_check_or_the_operator():
    req = request("w1", ["skoala-init"])
    req["image_registry"] = {"source": "offline", "given": "", "registry": "reg.local:5000",
                             "repository": "mirror/skoala"}
    assert preflight.image_registry(req, {"image_registry": "reg.local:5000/mirror"}) == "reg.local:5000/mirror"
    # no bundle: the registry and repository give it for the charts' own namespace
    assert preflight.image_registry(req, None) == "reg.local:5000/mirror"
    req["image_registry"]["given"] = "other.local/x"
    assert preflight.image_registry(req, None) == "other.local/x"
    req["image_registry"]["source"] = "online"
    req["image_registry"]["given"] = ""
    assert preflight.image_registry(req, {"image_registry": "ignored"}) == ""


def test_input_problems_name_the_cluster_the_variable_and_cover_every_cluster():
    ok = request("w1", ["skoala-init"])
    bad = request("w2", ["skoala-init"])
    bad["inputs"]["skoala_target_version"] = "0.28"
    none = request("w3", [])
    problems = preflight.input_problems([ok, bad, none])
    assert len(problems) == 2, problems
    assert problems[0].startswith("w2: ") and "skoala_target_version" in problems[0]
    assert problems[1].startswith("w3: no skoala release to plan.") and "skoala_components" in problems[1]


def test_components_problem():
    assert preflight.components_problem("x", ["skoala"]) is None
    assert "no skoala release to roll back" in preflight.components_problem("x", [], "roll back")


@pytest.mark.parametrize("mysql, expected", [
    ({}, None),
    (None, None),
    ({"found": True, "ready": 1, "replicas": 1}, None),
    ({"found": False, "ready": 0, "replicas": 0}, "not found"),
    ({"found": True, "ready": 0, "replicas": 1}, "ready 0/1"),
])
def test_cluster_problems_mysql(mysql, expected):
    requests, reads = fleet_of_three()
    reads["dce-global"]["mysql"] = mysql
    problems = preflight.cluster_problems(requests, reads)
    if expected is None:
        assert problems == []
    else:
        assert len(problems) == 1
        assert problems[0].startswith("dce-global: StatefulSet mcamel-system/mcamel-common-mysql-cluster-mysql " + expected)
        assert "skoala_preflight_skip: [mysql]" in problems[0]


def test_cluster_problems_unreachable_and_unread():
    requests, reads = fleet_of_three()
    reads["w1"]["problem"] = "w1: cannot reach the API server https://127.0.0.1:1"
    del reads["w2"]
    problems = preflight.cluster_problems(requests, reads)
    assert problems == ["w1: cannot reach the API server https://127.0.0.1:1",
                        "w2: the cluster was not read (its machine's read failed, see above)."]


def machine_read(host, rc=0, version="v3.19.0", msg="", binary="/opt/helm", directories=None, skipped=False):
    """One looped result of fleet_state, as the preflight role registers it."""
    if skipped:
        return {"item": host, "skipped": True}
    helm = {"binary": binary, "rc": rc, "version": version, "msg": msg}
    return {"item": host, "clusters": {}, "helm": helm, "directories": directories or {}}


def test_machine_problems_helm():
    assert preflight.machine_problems([machine_read("a"), machine_read("b", version="v3.10.0")], "3.10.0") == []
    assert preflight.machine_problems([machine_read("a", skipped=True)], "3.10.0") == []
    old, missing, failing = preflight.machine_problems(
        [machine_read("a", version="v3.9.4"), machine_read("b", rc=None, version="", msg="not found", binary="helm"),
         machine_read("c", rc=1, version="", msg="exec format error")], "3.10.0")
    assert old == "a: helm v3.9.4 (/opt/helm); install helm >= 3.10.0 or point skoala_helm_binary at it."
    assert missing == "b: helm not found (helm); install helm >= 3.10.0 or point skoala_helm_binary at it."
    assert failing.startswith("c: helm not found (/opt/helm: exec format error)")
    # a version with a suffix is still compared by its numbers
    assert preflight.machine_problems([machine_read("a", version="v3.19.0+g3d8990f")], "3.10.0") == []
    assert preflight.machine_problems([machine_read("a", version="garbage")], "3.10.0")
    # helm_version in skoala_preflight_skip: the module read no helm
    assert preflight.machine_problems([{"item": "a", "helm": None, "directories": {}}], "3.10.0") == []


def directory(path, exists=True, isdir=True, writeable=True):
    return {"path": path, "exists": exists, "isdir": isdir, "writeable": writeable}


def test_machine_problems_directories():
    not_yet = directory("/r", exists=False, isdir=False, writeable=False)
    fine = {"skoala_backup_dir": directory("./backups"), "skoala_report_dir": not_yet}
    assert preflight.machine_problems([machine_read("a", directories=fine)], "3.10.0") == []
    bad = {"skoala_backup_dir": directory("/ro", writeable=False),
           "skoala_report_dir": directory("/etc/hostname", isdir=False, writeable=False)}
    problems = preflight.machine_problems([machine_read("a", directories=bad)], "3.10.0")
    assert problems == [
        "/ro (skoala_backup_dir) is not writable (read from a); point it at a directory the backups and reports "
        "can be written to.",
        "/etc/hostname (skoala_report_dir) is not a directory (read from a); point it at a directory the backups "
        "and reports can be written to."]


def test_a_stuck_release_is_refused_with_the_rollback_for_its_own_cluster():
    requests = [request("w1", ["skoala-init"]), request("w2", ["skoala-init"])]
    reads = {"w1": read("w1", {"skoala-init": release("skoala-init", "0.28.1", status="pending-upgrade")}),
             "w2": read("w2", {"skoala-init": release("skoala-init", "0.19.2")})}
    plans = preflight.fleet(requests, reads)["plans"]
    (stuck,) = plans["w1"]
    assert stuck["action"] == "refuse" and "pending-upgrade" in stuck["reason"]
    assert "helm rollback skoala-init -n skoala-system --kubeconfig /k/w1.yaml --kube-context ctx-w1" \
        in stuck["reason"]
    assert plans["w2"][0]["action"] == "upgrade"
