"""role_variable_problems checks a host's variables against the argument
specs of several roles at once: preflight's check of every variable of
upgrade.yml's roles before anything changes. The roles' own files stay the
one place each variable is declared."""
import os

import pytest
import yaml
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.dce5.skoala.plugins.lookup.role_variable_problems import ROLES_DIR, LookupModule
from ansible_collections.dce5.skoala.plugins.plugin_utils.role_options import (
    RoleOptionsError, declared_options, role_options, variable_problems)

# What preflight checks (roles/preflight/tasks/checks.yml): upgrade.yml's roles.
UPGRADE_ROLES = ["fleet_lock", "recover_pending", "backup_values", "image_sync", "image_sync:node_load",
                 "helm_repo", "upgrade_release", "verify", "report"]
COLLECTION_DIR = os.path.dirname(ROLES_DIR)


def write_spec(roles_dir, role, specs):
    path = roles_dir / role / "meta"
    path.mkdir(parents=True)
    (path / "argument_specs.yml").write_text(yaml.safe_dump({"argument_specs": specs}))


def problems_of(variables, *terms, **kwargs):
    loader = DataLoader()
    lookup = LookupModule(loader=loader, templar=Templar(loader=loader, variables=variables))
    return lookup.run(list(terms or UPGRADE_ROLES), variables=variables, **kwargs)


def test_defaults_and_requirements_are_left_to_the_role():
    options = declared_options([("a:main", {"x": {"type": "int", "default": 5, "required": True,
                                                  "description": "seconds"}})])
    assert options == {"x": ("a:main", {"type": "int", "description": "seconds"})}
    # a host without it has nothing wrong: the role sets its default itself
    assert variable_problems(options, {}) == []


def test_a_variable_declared_twice_alike_is_checked_once():
    options = declared_options([("a:main", {"t": {"type": "int", "description": "one"}}),
                                ("b:main", {"t": {"type": "int", "default": 3, "description": "other words"}})])
    assert list(options) == ["t"]
    assert len(variable_problems(options, {"t": "x"})) == 1


@pytest.mark.parametrize("first, second, what", [
    ({"type": "int"}, {"type": "str"}, "type"),
    ({"type": "str"}, {}, None),  # str is the type of an option without one: the same
    ({"type": "list", "elements": "str"}, {"type": "list", "elements": "int"}, "elements"),
    ({"choices": ["a", "b"]}, {"choices": ["a"]}, "choices"),
    ({"type": "dict", "options": {"k": {"type": "int"}}}, {"type": "dict", "options": {"k": {"type": "str"}}},
     "options"),
    ({"type": "dict", "options": {"k": {"type": "int", "required": True}}},
     {"type": "dict", "options": {"k": {"type": "int"}}}, "options"),
])
def test_a_variable_declared_differently_names_both_roles(first, second, what):
    named = [("a:main", {"v": first}), ("b:extra", {"v": second})]
    if what is None:
        assert list(declared_options(named)) == ["v"]
        return
    with pytest.raises(RoleOptionsError) as raised:
        declared_options(named)
    assert str(raised.value) == "variable v is declared differently in a:main and b:extra (%s): make them the same" % what


def test_entry_points_and_missing_ones(tmp_path):
    write_spec(tmp_path, "r", {"main": {"options": {"m": {"type": "bool"}}},
                               "other": {"options": {"o": {"type": "int"}}}})
    assert sorted(role_options(str(tmp_path), ["r", "r:other"])) == ["m", "o"]
    assert role_options(str(tmp_path), ["r:other"])["o"][0] == "r:other"
    with pytest.raises(RoleOptionsError, match=r"role r has no entry point 'nope' in .* \(it has: main, other\)"):
        role_options(str(tmp_path), ["r:nope"])
    with pytest.raises(RoleOptionsError, match=r"cannot read the argument spec of role absent \(FileNotFoundError"):
        role_options(str(tmp_path), ["absent"])


def test_entry_point_without_options(tmp_path):
    write_spec(tmp_path, "r", {"main": {"short_description": "no options"}})
    assert role_options(str(tmp_path), ["r"]) == {}


def test_problems_name_the_variable_and_the_role_that_declares_it():
    atomic, runtime, timeout = problems_of({"skoala_verify_timeout": "soon", "skoala_node_runtime": "podman",
                                            "skoala_helm_atomic": "maybe"})
    # (ansible-core lists the valid booleans from a set: in no fixed order)
    assert atomic.startswith("argument 'skoala_helm_atomic' is of type str and we were unable to convert to bool: "
                             "The value 'maybe' is not a valid boolean.")
    assert atomic.endswith("; set it as role upgrade_release declares it "
                           "(ansible-doc -t role dce5.skoala.upgrade_release -e main)")
    assert [runtime, timeout] == [
        "value of skoala_node_runtime must be one of: containerd, docker, got: podman; set it as role "
        "image_sync declares it (ansible-doc -t role dce5.skoala.image_sync -e node_load)",
        "argument 'skoala_verify_timeout' is of type str and we were unable to convert to int: \"'soon'\" cannot "
        "be converted to an int; set it as role upgrade_release declares it "
        "(ansible-doc -t role dce5.skoala.upgrade_release -e main)",
    ]


def test_good_values_and_what_the_roles_do_not_declare_pass():
    # -e gives strings: the roles' own check converts them, and so does this one
    assert problems_of({"skoala_helm_atomic": "true", "skoala_verify_timeout": "30",
                        "skoala_extra_values": {"a": 1}, "skoala_lock_takeover": False,
                        "skoala_anything_else": object(), "inventory_hostname": "x"}) == []


def test_values_are_templated_as_the_roles_would_see_them():
    # (the inventory's strings are trusted templates; a plain string is not)
    assert problems_of({"skoala_verify_timeout": trust_as_template("{{ t }}"), "t": 30}) == []
    [problem] = problems_of({"skoala_verify_timeout": trust_as_template("{{ t }}"), "t": "later"})
    assert problem.startswith("argument 'skoala_verify_timeout' is of type str and we were unable to convert to int")
    [problem] = problems_of({"skoala_verify_timeout": trust_as_template("{{ no_such_variable }}")})
    assert problem.startswith("argument 'skoala_verify_timeout' could not be templated: ")
    assert "no_such_variable" in problem


def test_hosts_each_with_its_own_variables_named_in_its_problems():
    hostvars = {"cp": {"skoala_verify_timeout": 30}, "w1": {"skoala_verify_timeout": "soon"},
                "w2": {"skoala_node_runtime": "podman", "skoala_helm_atomic": True}, "w3": {}}
    problems = problems_of({"hostvars": hostvars, "skoala_verify_timeout": "ignored: not one of the hosts"},
                           hosts=["cp", "w1", "w2", "w3"])
    assert [p.split(":")[0] for p in problems] == ["w1", "w2"]
    assert problems[0].startswith("w1: argument 'skoala_verify_timeout' is of type str and we were unable to convert to int")
    assert problems[1].startswith("w2: value of skoala_node_runtime must be one of: containerd, docker, got: podman")
    assert problems_of({"hostvars": hostvars}, hosts=[]) == []


def test_hosts_not_in_the_inventory_is_named():
    with pytest.raises(AnsibleLookupError, match="host w9 is not in the inventory"):
        problems_of({"hostvars": {"w1": {}}}, hosts=["w1", "w9"])


def test_lookup_errors():
    with pytest.raises(AnsibleLookupError, match="needs at least one role name"):
        LookupModule(loader=DataLoader()).run([], variables={})
    with pytest.raises(AnsibleLookupError, match="unknown option.s. host$"):
        problems_of({}, host=["x"])
    with pytest.raises(AnsibleLookupError,
                       match="dce5.skoala.role_variable_problems: role upgrade_release has no entry point"):
        problems_of({}, "upgrade_release:nope")


def test_every_role_declares_a_shared_variable_alike():
    """One check can serve every role: a variable two roles declare (e.g.
    skoala_helm_timeout in upgrade_release and recover_pending) has one type."""
    roles = sorted(r for r in os.listdir(ROLES_DIR) if os.path.exists(os.path.join(ROLES_DIR, r, "meta", "argument_specs.yml")))
    terms = []
    for role in roles:
        with open(os.path.join(ROLES_DIR, role, "meta", "argument_specs.yml"), encoding="utf-8") as f:
            terms += ["%s:%s" % (role, entry) for entry in yaml.safe_load(f)["argument_specs"]]
    assert len(terms) > len(roles)
    assert len(role_options(ROLES_DIR, terms)) > 50


def test_preflight_checks_every_role_upgrade_yml_imports_unchecked():
    with open(os.path.join(COLLECTION_DIR, "playbooks", "upgrade.yml"), encoding="utf-8") as f:
        plays = yaml.safe_load(f)
    unchecked = set()
    for play in plays:
        for task in play.get("tasks") or []:
            for key in ("ansible.builtin.import_role", "ansible.builtin.include_role"):
                role = task.get(key)
                if role and role.get("rolespec_validate") is False:
                    name = role["name"].split(".")[-1]
                    # a tasks file that is no entry point of the role's spec runs under main's
                    with open(os.path.join(ROLES_DIR, name, "meta", "argument_specs.yml"), encoding="utf-8") as f:
                        entries = yaml.safe_load(f)["argument_specs"]
                    entry = role.get("tasks_from", "main")
                    unchecked.add("%s:%s" % (name, entry if entry in entries else "main"))
    assert len(unchecked) >= 6
    checked = {t if ":" in t else t + ":main" for t in UPGRADE_ROLES}
    assert unchecked <= checked, unchecked - checked
    with open(os.path.join(ROLES_DIR, "preflight", "tasks", "checks.yml"), encoding="utf-8") as f:
        preflight = " ".join(f.read().split())
    assert ("query('dce5.skoala.role_variable_problems', %s, hosts=skoala_preflight_hosts)"
            % ", ".join("'%s'" % t for t in UPGRADE_ROLES)) in preflight
