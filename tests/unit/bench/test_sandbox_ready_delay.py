"""tests/sandbox: the readiness delay (kwok stages) and the scale helpers."""
import os
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "tests", "sandbox"))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import kwok_stages  # noqa: E402
import run as bench_run  # noqa: E402
import sandbox  # noqa: E402


@pytest.mark.parametrize("text, ms", [
    ("30s", 30000), ("1m30s", 90000), ("500ms", 500), ("1.5s", 1500), ("45", 45000), ("2m", 120000),
    ("", 0), ("0", 0), ("off", 0), (None, 0), (" 30S ", 30000),
])
def test_parse_duration(text, ms):
    assert kwok_stages.parse_duration_ms(text) == ms


@pytest.mark.parametrize("text", ["30x", "s", "30s junk", "-5s", "1h-2m"])
def test_parse_duration_rejects(text):
    with pytest.raises(ValueError):
        kwok_stages.parse_duration_ms(text)


@pytest.mark.parametrize("ms, text", [(0, "off"), (30000, "30s"), (90000, "1m30s"), (120000, "2m"), (1500, "1500ms")])
def test_format_duration(ms, text):
    assert kwok_stages.format_duration_ms(ms) == text


def test_ready_delay_window_is_plus_minus_30_percent():
    assert kwok_stages.ready_delay_window(30000) == (21000, 39000)
    assert kwok_stages.ready_delay_window(0) is None


def fake_defaults():
    def stage(name):
        return {"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Stage", "metadata": {"name": name},
                "spec": {"resourceRef": {"apiGroup": "v1", "kind": "Pod"},
                         "selector": {"matchExpressions": []}, "next": {}}}
    complete = stage("pod-complete")
    complete["spec"]["next"]["statusTemplate"] = (
        "{{ $now := Now }}\ncontainerStatuses:\n- name: c\n  ready: false\nphase: Succeeded\n")
    return [stage("node-initialize"), stage("pod-ready"), complete, stage("pod-delete")]


def by_name(stages):
    return {s["metadata"]["name"]: s for s in stages}


def test_no_delay_by_default():
    stages = by_name(kwok_stages.with_sandbox_stages(fake_defaults()))
    assert all("delay" not in s["spec"] for s in stages.values())
    assert {"pod-never-ready", "pod-job-fail"} <= set(stages)


def test_delay_on_pod_ready_only():
    defaults = fake_defaults()
    stages = by_name(kwok_stages.with_sandbox_stages(defaults, 30000))
    assert stages["pod-ready"]["spec"]["delay"] == {"durationMilliseconds": 21000, "jitterDurationMilliseconds": 39000}
    assert [n for n, s in stages.items() if "delay" in s["spec"]] == ["pod-ready"]
    # The fault label keeps its pods out of pod-ready, delay or not.
    assert {"key": kwok_stages.LABEL_EXPR, "operator": "DoesNotExist"} in \
        stages["pod-ready"]["spec"]["selector"]["matchExpressions"]
    # The defaults read from kwok's module are not changed in place.
    assert all("delay" not in s["spec"] and not s["spec"]["selector"]["matchExpressions"] for s in defaults)


def test_completed_pods_are_not_ready_as_a_kubelet_leaves_them():
    defaults = fake_defaults()
    stages = by_name(kwok_stages.with_sandbox_stages(defaults))
    template = stages["pod-complete"]["spec"]["next"]["statusTemplate"]
    status = yaml.safe_load(template.replace("{{ $now := Now }}", "").replace("{{ $now | Quote }}", "'t'"))
    conditions = {c["type"]: (c["status"], c.get("reason")) for c in status["conditions"]}
    assert conditions["Ready"] == conditions["ContainersReady"] == ("False", "PodCompleted")
    assert status["phase"] == "Succeeded" and status["containerStatuses"] == [{"name": "c", "ready": False}]
    assert "conditions" not in defaults[2]["spec"]["next"]["statusTemplate"]


def test_replace_stages_keeps_the_other_documents():
    docs = [{"kind": "KwokctlConfiguration", "options": {"runtime": "binary"}},
            {"kind": "KwokConfiguration"}, {"kind": "Stage", "metadata": {"name": "old"}}]
    new = [{"kind": "Stage", "metadata": {"name": "pod-ready"}}]
    out = sandbox.replace_stages(docs, new)
    assert [d["kind"] for d in out] == ["KwokctlConfiguration", "KwokConfiguration", "Stage"]
    assert out[2]["metadata"]["name"] == "pod-ready"


def test_ready_window_text():
    assert sandbox.ready_window_text(0) == "at once"
    assert sandbox.ready_window_text(30000) == "after 30s (21.0 to 39.0 s)"


def test_ready_delay_from_env(monkeypatch):
    monkeypatch.delenv("READY_DELAY", raising=False)
    assert sandbox.ready_delay_from_env() == 0
    monkeypatch.setenv("READY_DELAY", "30s")
    assert sandbox.ready_delay_from_env() == 30000


def test_inotify_room():
    # 9 clusters of other sandboxes (45) plus 3 others: 17 more clusters do not fit in 128.
    assert sandbox.inotify_room_needed(48, 128, 17) == 48 + 85 + 32
    assert sandbox.inotify_room_needed(10, 128, 2) is None


def test_rss_of_this_process_and_of_none():
    assert sandbox.rss_kib(os.getpid()) > 0
    assert sandbox.rss_kib(2 ** 22 + 1) == 0


def test_bench_modes():
    assert bench_run.parse_modes("instant,realistic", 30000) == {"instant": 0, "realistic": 30000}
    assert list(bench_run.parse_modes("realistic", 30000)) == ["realistic"]
    with pytest.raises(ValueError):
        bench_run.parse_modes("slow", 30000)
    with pytest.raises(ValueError):
        bench_run.parse_modes("", 30000)
