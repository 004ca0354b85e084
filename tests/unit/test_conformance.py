"""Conformance checks fast enough for the unit tests: role argument specs
cover every default, and the generated reference docs are up to date."""
import glob
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))

import gen_docs  # noqa: E402

ROLES = gen_docs.roles()


@pytest.mark.parametrize("role", ROLES)
def test_role_has_an_argument_spec(role):
    assert "main" in gen_docs.role_specs(role), "roles/%s/meta/argument_specs.yml has no main entry point" % role


@pytest.mark.parametrize("role", ROLES)
def test_argument_spec_covers_every_default(role):
    defaults = gen_docs.role_defaults(role)
    options = gen_docs.role_options(role)
    assert sorted(set(defaults) - set(options)) == [], "in roles/%s/defaults/main.yml, not in its argument spec" % role
    assert sorted(set(options) - set(defaults)) == [], "in roles/%s argument spec, not in defaults/main.yml" % role


@pytest.mark.parametrize("role", ROLES)
def test_argument_spec_defaults_match(role):
    defaults = gen_docs.role_defaults(role)
    for name, (entry, opt) in gen_docs.role_options(role).items():
        assert "default" in opt, "%s: %s has no default in its spec (%s)" % (role, name, entry)
        assert opt["default"] == defaults[name], "%s: %s spec default differs from defaults/main.yml" % (role, name)
        assert opt.get("description"), "%s: %s has no description" % (role, name)


def test_generated_docs_are_up_to_date():
    assert gen_docs.stale() == [], "run `make docs` and commit docs/variables.md and docs/modules.md"


def test_every_changelog_fragment_is_released():
    with open(os.path.join(ROOT, "changelogs", "changelog.yaml"), encoding="utf-8") as f:
        releases = yaml.safe_load(f).get("releases") or {}
    released = {frag for rel in releases.values() for frag in rel.get("fragments") or []}
    fragments = {os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "changelogs", "fragments", "*.y*ml"))}
    assert sorted(fragments - released) == [], "run `make changelog` (adds them to the galaxy.yml version)"


def test_make_test_runs_every_suite():
    """`make test` is what CI runs: it must run the unit tests, lint and the integration tests
    (a merge once dropped the target, and make then did nothing and exited 0)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run(["make", "-n", "-p", "test"], cwd=root, text=True, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, check=False).stdout
    rule = [line for line in out.splitlines() if line.startswith("test:")]
    assert rule, "Makefile has no test target"
    assert set(rule[0].split(":", 1)[1].split()) >= {"test-unit", "lint", "test-integration"}
