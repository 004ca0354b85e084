"""The progress thread of fleet_helm_upgrade's action plugin: what it prints
while the module's helm processes wait, read from the module's progress file."""

from ansible_collections.dce5.skoala.plugins.action import fleet_helm_upgrade as action
from ansible_collections.dce5.skoala.plugins.module_utils import helm_upgrade


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def progress(tmp_path, clusters=("w1", "w2")):
    clock, said = Clock(), []
    path = str(tmp_path / "progress.json")
    return action.Progress(list(clusters), "skoala-init", path, clock=clock, say=said.append), clock, said, path


def test_prints_each_cluster_once_as_it_ends(tmp_path):
    watch, clock, said, path = progress(tmp_path)
    last = watch.look(clock())
    assert said == []
    clock.now += 12
    helm_upgrade.write_progress(path, {"w2": {"failed": False, "seconds": 11.5}})
    last = watch.look(last)
    assert said == ["[w2] skoala-init: helm upgrade done (11.5s)",
                    "1/2 clusters' helm upgrades done; helm waits for w1 (12s)"]
    clock.now += 1
    watch.look(last)
    assert len(said) == 2


def test_says_how_long_it_waited_when_nothing_changed(tmp_path):
    watch, clock, said = progress(tmp_path)[:3]
    clock.now += action.QUIET - 1
    last = watch.look(watch.started_at)
    assert said == []
    clock.now += 1
    watch.look(last)
    assert said == ["0/2 clusters' helm upgrades done; helm waits for w1, w2 (30s)"]


def test_without_a_progress_file_it_still_says_how_long(tmp_path):
    watch, clock, said = progress(tmp_path)[:3]
    watch.path = None
    clock.now += action.QUIET
    watch.look(watch.started_at)
    assert said == ["0/2 clusters' helm upgrades done; helm waits for w1, w2 (30s)"]
