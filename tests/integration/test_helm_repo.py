"""Role helm_repo on the sandbox's real helm and chart repository: added
once, refreshed after that (its index really downloaded again), and a
repository of that name at another URL refused with the command that
removes it, as the vendor's `helm repo add` would leave the operator."""
import os
import re

import yaml

PLAY = """\
- name: The chart repository, as upgrade.yml sets it up
  hosts: skoala_control_plane
  gather_facts: false
  roles:
    - role: dce5.skoala.helm_repo
"""


def repositories_file(box):
    return os.path.join(box.helm_env()["HELM_CONFIG_HOME"], "repositories.yaml")


def repositories(box):
    with open(repositories_file(box), encoding="utf-8") as f:
        return {r["name"]: r for r in yaml.safe_load(f).get("repositories") or []}


def test_added_once_then_refreshed_and_another_url_refused(sandbox, tmp_path):
    box, cp = sandbox.box, sandbox.control_plane
    name = sandbox.inventory_copy()["all"]["vars"]["skoala_repo_name"]
    play = tmp_path / "helm_repo.yml"
    play.write_text(PLAY)
    index = os.path.join(box.helm_env()["HELM_CACHE_HOME"], "repository", "%s-index.yaml" % name)
    original = open(repositories_file(box), encoding="utf-8").read()
    try:
        sandbox.helm(cp, "repo", "remove", name, check=False)
        assert name not in repositories(box)

        added = sandbox.playbook(str(play))
        assert added.rc == 0, added
        assert added.changed() == {cp: 1}, added.recap
        assert repositories(box)[name]["url"] == box.repo_url
        assert box.state["repo_password"] not in added.out

        # known at that URL: only its index is downloaded again
        os.remove(index)
        refreshed = sandbox.playbook(str(play))
        assert refreshed.rc == 0, refreshed
        assert refreshed.changed() == {cp: 0}, refreshed.recap
        assert os.path.exists(index)
        assert re.search(r"Add the chart repository %s\] \*+\nskipping" % re.escape(name), refreshed.out), refreshed.out

        # the same name at another URL: refused, left as it was
        with open(repositories_file(box), encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for repo in doc["repositories"]:
            if repo["name"] == name:
                repo["url"] = box.repo_url.replace("/chartrepo/", "/elsewhere/")
        with open(repositories_file(box), "w", encoding="utf-8") as f:
            yaml.safe_dump(doc, f)
        refused = sandbox.playbook(str(play))
        assert refused.rc != 0, refused
        assert "If helm already knows %s under another URL" % name in refused.out
        assert "repo remove %s" % name in refused.out
        assert "/elsewhere/" in repositories(box)[name]["url"]
        assert box.state["repo_password"] not in refused.out
    finally:
        with open(repositories_file(box), "w", encoding="utf-8") as f:
            f.write(original)
