from ansible_collections.dce5.skoala.plugins.module_utils import upgrade_failure as uf

PLAN = {"release": "skoala-init", "namespace": "skoala-system", "current": "0.19.2", "target": "0.28.1",
        "action": "upgrade"}
BEFORE = {"installed": True, "chart": "skoala-init-0.19.2", "revision": 1, "status": "deployed"}
FAILED = {"installed": True, "chart": "skoala-init-0.28.1", "revision": 2, "status": "failed"}
BACK = {"installed": True, "chart": "skoala-init-0.19.2", "revision": 3, "status": "deployed"}


def test_rollback_needed_only_when_the_upgrade_made_a_revision():
    assert uf.needs_rollback(FAILED, True, PLAN, 1)
    assert not uf.needs_rollback(FAILED, False, PLAN, 1)
    assert not uf.needs_rollback(BEFORE, True, PLAN, 1)             # helm failed before writing anything
    assert not uf.needs_rollback(FAILED, True, dict(PLAN, action="install"), None)  # helm's --atomic uninstalls
    assert not uf.needs_rollback({"installed": False}, True, PLAN, 1)


def test_rollback_of_names_the_revision_before():
    assert uf.rollback_of(PLAN, 1) == {"release": "skoala-init", "namespace": "skoala-system", "revision": 1, "to": 1}


def test_message_after_our_rollback():
    msg = uf.message("w1", PLAN, "context deadline exceeded", BACK, None, 1, {"rc": 0, "stderr": ""},
                     "/b/w1/x.values.yaml", [])
    assert msg.startswith("w1: helm upgrade of skoala-init 0.19.2 -> 0.28.1 failed: context deadline exceeded.")
    assert "Rolled back to revision 1: the release is now skoala-init-0.19.2 revision 3 (deployed)." in msg
    assert "Backup: /b/w1/x.values.yaml." in msg and "playbooks/rollback.yml" in msg


def test_message_when_the_rollback_failed_too():
    msg = uf.message("w1", PLAN, "timeout", FAILED, None, 1, {"rc": 1, "stderr": "Error: boom"}, None, [])
    assert "The rollback to revision 1 failed too (Error: boom): the release is now skoala-init-0.28.1 revision 2" in msg
    assert "Backup: none." in msg


def test_message_when_nothing_changed_or_unreadable():
    assert "The release was not changed: still skoala-init-0.19.2 revision 1 (deployed)." in uf.message(
        "w1", PLAN, "render error", BEFORE, None, 1, None, None, [])
    msg = uf.message("w1", PLAN, "timeout", {}, "Kubernetes cluster unreachable", 1, None, None, [])
    assert "could not be read afterwards (Kubernetes cluster unreachable)" in msg
    assert "skoala_recover_pending=true" in msg


def test_message_masks_secrets_and_cuts_long_errors():
    msg = uf.message("cp", dict(PLAN, release="skoala", current=None), "dsn s3cr3t " + "x" * 900, BEFORE, None,
                     None, None, None, ["s3cr3t"])
    assert "s3cr3t" not in msg and "********" in msg and "(new)" in msg
    assert "x" * 700 not in msg


def test_message_of_takes_the_arguments_by_name():
    failure = {"plan": PLAN, "error": "timeout", "after": BACK, "unread_error": "", "before_revision": 1,
               "rollback": {"rc": 0, "stderr": "", "changed": True}, "backup_file": "/b/w1/x.values.yaml",
               "secrets": []}
    assert uf.message_of("w1", failure) == uf.message("w1", PLAN, "timeout", BACK, "", 1, failure["rollback"],
                                                      "/b/w1/x.values.yaml", [])


def test_message_of_a_skipped_rollback_is_no_rollback():
    skipped = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}
    for rollback in (skipped, None):
        msg = uf.message_of("w1", {"plan": PLAN, "error": "render error", "after": BEFORE, "before_revision": 1,
                                   "rollback": rollback, "backup_file": None, "secrets": ["s3cr3t"]})
        assert "The release was not changed: still skoala-init-0.19.2 revision 1 (deployed)." in msg
        assert "Backup: none." in msg
