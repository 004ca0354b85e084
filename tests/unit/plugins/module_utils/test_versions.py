import pytest
from hypothesis import given, strategies as st

from ansible_collections.dce5.skoala.plugins.module_utils import versions as v
from ansible_collections.dce5.skoala.plugins.module_utils.versions import Version, VersionError


# --- parsing ---------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("0.28.1", (0, 28, 1, ())),
    ("v0.28.1", (0, 28, 1, ())),
    ("1.0.0-rc.1", (1, 0, 0, ("rc", 1))),
    ("v0.29.0-never-ready", (0, 29, 0, ("never-ready",))),
    ("10.20.30", (10, 20, 30, ())),
    ("0.0.0", (0, 0, 0, ())),
])
def test_parse_accepts_what_operators_write(text, expected):
    parsed = Version.parse(text)
    assert (parsed.major, parsed.minor, parsed.patch, parsed.prerelease) == expected


@pytest.mark.parametrize("bad", [
    "latest", "0.28", "v0.28.x", "", " ", " 0.28.1", "0.28.1 ", "V0.28.1", "vv0.28.1",
    "0.28.1.2", "01.2.3", "0.28.01", "0.28.1-", "0.28.1-01", "0.28.1+", "x0.28.1", "0.-1.0",
])
def test_parse_refuses_everything_else_naming_value_and_variable(bad):
    with pytest.raises(VersionError) as err:
        Version.parse(bad, "skoala_target_version")
    message = str(err.value)
    assert "skoala_target_version" in message
    assert "'%s'" % bad in message
    assert "X.Y.Z" in message


@pytest.mark.parametrize("bad", [None, 28, 0.28, ["0.28.1"], {"v": 1}, True])
def test_parse_refuses_non_strings_with_their_type(bad):
    with pytest.raises(VersionError, match="skoala_ui_version: .* is not a version .*got %s" % type(bad).__name__):
        Version.parse(bad, "skoala_ui_version")


def test_v_prefix_is_the_same_version_and_tag_adds_it():
    assert Version.parse("v0.28.1") == Version.parse("0.28.1")
    assert hash(Version.parse("v0.28.1")) == hash(Version.parse("0.28.1"))
    assert Version.parse("0.28.1").tag == "v0.28.1"
    assert str(Version.parse("v1.2.3-rc.1+build.5")) == "1.2.3-rc.1+build.5"


def test_chart_field_parsing():
    assert v.chart_version("skoala-init-0.28.1", "skoala-init") == Version.parse("0.28.1")
    assert v.chart_version("skoala-0.19.2", "skoala") == Version.parse("0.19.2")
    with pytest.raises(VersionError):
        v.chart_version("skoala-init-0.28.1", "skoala")
    with pytest.raises(VersionError):
        v.chart_version("", "skoala")


# --- ordering --------------------------------------------------------------

SEMVER_ORDER = [
    "0.9.9", "0.19.0-alpha", "0.19.0-alpha.1", "0.19.0-alpha.beta", "0.19.0-beta",
    "0.19.0-beta.2", "0.19.0-beta.11", "0.19.0-rc.1", "0.19.0", "0.19.1", "0.19.10", "0.28.1", "1.0.0",
]


def test_semver_precedence_examples():
    parsed = [Version.parse(t) for t in SEMVER_ORDER]
    assert parsed == sorted(reversed(parsed))
    for a, b in zip(parsed, parsed[1:]):
        assert a < b and b > a and a != b and a <= b and b >= a


def test_build_metadata_is_ignored_for_ordering():
    assert Version.parse("0.28.1+a") == Version.parse("0.28.1+b")


versions_st = st.builds(
    Version,
    st.integers(0, 3), st.integers(0, 60), st.integers(0, 5),
    st.one_of(st.just(()), st.lists(st.one_of(st.integers(0, 3), st.sampled_from(["rc", "alpha", "beta"])),
                                    min_size=1, max_size=2).map(tuple)),
)


@given(versions_st, versions_st)
def test_ordering_is_total_and_antisymmetric(a, b):
    assert (a < b) + (a == b) + (a > b) == 1
    assert (a <= b) == (not a > b)


@given(versions_st, versions_st, versions_st)
def test_ordering_is_transitive(a, b, c):
    if a <= b and b <= c:
        assert a <= c


@given(versions_st)
def test_round_trip_through_text(a):
    assert Version.parse(str(a)) == a
    assert Version.parse(a.tag) == a


# --- the upgrade path table ------------------------------------------------
#
# Expected steps are written from ../shared/skoala-facts.md ("Version
# boundaries") and the vendor's skoala-init page, not read back from the table.

GATEWAY = "charts/contour-provisioner-prereq/crds/gateway-api.yaml"
CONTOUR = "charts/contour-provisioner/crds/contour.yaml"
HIGRESS = "charts/contour-provisioner/crds/higress.gen.yaml"
JOBS = ["gateway-api-admission", "gateway-api-admission-patch"]


def names(steps):
    return [(s["name"], s["boundary"]) for s in steps]


def vendor_order(steps):
    """(phase, step, files) as the vendor's pages name them."""
    return [(s["phase"], s["name"], tuple(f.rsplit("/", 1)[-1] for f in s["params"].get("files", ())))
            for s in steps]


@pytest.mark.parametrize("current, target, expected", [
    ("0.18.0", "0.19.0", [("db_upgrade", "0.19.0")]),       # just across
    ("0.18.9", "0.28.1", [("db_upgrade", "0.19.0")]),
    ("0.17.1", "0.57.0", [("db_upgrade", "0.19.0")]),
    ("0.19.0", "0.28.1", []),                                # already on the far side
    ("0.18.0", "0.18.9", []),                                # not reaching it
    ("0.19.0-rc.1", "0.19.0", [("db_upgrade", "0.19.0")]),   # a pre-release is below its release
])
def test_db_upgrade_boundary_both_sides(current, target, expected):
    assert names(v.steps_between("skoala", current, target)) == expected
    # skoala-init never runs the DB step
    assert "db_upgrade" not in [s["name"] for s in v.steps_between("skoala-init", current, target)]


@pytest.mark.parametrize("current, target", [
    ("0.24.2", "0.26.2"), ("0.19.2", "0.28.1"), ("0.26.2", "0.28.1"), ("0.24.2", "0.26.1"),
    ("0.52.1", "0.53.0"), ("0.53.0", "0.57.0"), ("0.19.0", "0.19.2"), ("0.17.1", "0.19.2"),
    (None, "0.28.1"),                                       # an install: leftovers of an old release go too
    ("0.28.1", "0.28.1"), ("0.37.0", "0.19.2"),             # in place, and a downgrade
])
def test_admission_jobs_go_before_every_skoala_init_chart(current, target):
    steps = v.steps_between("skoala-init", current, target)
    assert steps[0]["name"] == "delete_jobs" and steps[0]["phase"] == "pre"
    assert steps[0]["params"] == {"namespace": "skoala-system", "jobs": JOBS}
    assert not [s for s in v.steps_between("skoala", current, target) if s["name"] == "delete_jobs"]


@pytest.mark.parametrize("current, target, expected", [
    ("0.28.1", "0.35.1", [GATEWAY]),
    ("0.28.1", "0.35.2", [GATEWAY]),
    ("0.34.9", "0.35.0", [GATEWAY]),
    ("0.35.1", "0.35.2", []),                                # already in the 0.35 line
    ("0.35.2", "0.37.0", [CONTOUR]),
    ("0.37.0", "0.37.5", []),
    ("0.37.0", "0.52.1", [HIGRESS]),
    ("0.52.0", "0.52.1", [HIGRESS]),
    ("0.35.1", "0.52.1", [CONTOUR, HIGRESS]),
    ("0.28.1", "0.37.0", [GATEWAY, CONTOUR]),
    ("0.28.1", "0.52.1", [GATEWAY, CONTOUR, HIGRESS]),
    ("0.52.1", "0.53.0", []),
    ("0.53.0", "0.57.0", []),
    # from 0.53.0 on the chart applies its own CRDs: no CRD step at all
    ("0.28.1", "0.53.0", []),
    ("0.19.2", "0.57.0", []),
])
def test_crd_files_come_after_the_chart_in_boundary_order(current, target, expected):
    steps = v.steps_between("skoala-init", current, target)
    crd_steps = [s for s in steps if s["name"] == "apply_crds"]
    assert [f for s in crd_steps for f in s["params"]["files"]] == expected
    assert all(s["phase"] == "post" for s in crd_steps)
    assert v.chart_files(steps) == expected


def test_many_boundaries_at_once_for_skoala_init():
    assert vendor_order(v.steps_between("skoala-init", "0.18.0", "0.52.1")) == [
        ("pre", "delete_jobs", ()),
        ("post", "apply_crds", ("gateway-api.yaml",)),
        ("post", "apply_crds", ("contour.yaml",)),
        ("post", "apply_crds", ("higress.gen.yaml",)),
    ]


def test_equal_or_lower_versions_cross_no_boundary():
    assert v.steps_between("skoala", "0.28.1", "0.28.1") == []
    assert names(v.steps_between("skoala-init", "0.37.0", "0.19.2")) == [("delete_jobs", None)]


def test_new_boundary_is_one_row():
    table = tuple(v.builtin_steps()) + ({
        "boundary": "0.60.0", "component": "skoala", "phase": "pre", "step": "custom",
        "description": "x", "params": {},
    },)
    assert names(v.steps_between("skoala", "0.57.0", "0.60.0", table)) == [("custom", "0.60.0")]
    assert v.steps_between("skoala", "0.57.0", "0.60.0") == []


def test_table_rows_are_well_formed():
    for row in v.builtin_steps():
        assert row["component"] in v.COMPONENTS
        assert row["phase"] in v.PHASES
        assert row["source"]
        if row["boundary"] is not None:
            Version.parse(row["boundary"])
        if row.get("until"):
            assert Version.parse(row["until"]) > Version.parse(row["boundary"])


# The versions the fixture charts exist in (tests/sandbox/fixtures.yml) and
# the DCE 5.0 releases named in the facts.
FIXTURE_VERSIONS = ["0.17.1", "0.18.0", "0.19.0", "0.19.2", "0.24.2", "0.26.2", "0.28.1", "0.35.1", "0.37.0",
                    "0.52.1", "0.53.0", "0.57.0", "0.31.1", "0.39.2", "0.43.4", "0.46.1", "0.51.0"]
PAIRS = [(a, b) for a in FIXTURE_VERSIONS for b in FIXTURE_VERSIONS]


@pytest.mark.parametrize("component", v.COMPONENTS)
def test_no_two_steps_of_a_plan_write_the_same_thing(component):
    for a, b in PAIRS:
        for status in ("deployed", "failed", "pending-upgrade"):
            p = v.plan(component, a, b, allow_downgrade=True, status=status, recover_pending=True)
            written = [w for s in p["steps"] for w in s.get("writes", [])]
            assert len(written) == len(set(written)), (a, b, status, written)


@pytest.mark.parametrize("component", v.COMPONENTS)
def test_every_chart_file_a_step_reads_is_unpacked_once(component):
    for a, b in PAIRS:
        p = v.plan(component, a, b, allow_downgrade=True)
        read = [r[len("chart:"):] for s in p["steps"] for r in s.get("reads", [])]
        assert sorted(p["chart_files"]) == sorted(set(read))
        assert len(p["chart_files"]) == len(set(p["chart_files"]))


@pytest.mark.parametrize("component", v.COMPONENTS)
def test_pre_steps_before_post_steps(component):
    for a, b in PAIRS:
        phases = [s["phase"] for s in v.plan(component, a, b, allow_downgrade=True)["steps"]]
        assert phases == sorted(phases, key=v.PHASES.index), (a, b)


# steps for a->c equal steps for a->b plus b->c (re-sorted by phase, the
# every-upgrade rows once), for every row that does not stop at an `until`
# version, and for all rows when the path stays below it.
known = st.sampled_from(["0.12.2", "0.17.1", "0.18.0", "0.19.0", "0.19.2", "0.24.2", "0.26.1", "0.26.2",
                         "0.28.1", "0.31.1", "0.35.1", "0.35.2", "0.37.0", "0.39.2", "0.43.4", "0.46.1",
                         "0.51.0", "0.52.1", "0.53.0", "0.57.0"])


@given(st.one_of(known, versions_st.map(str)), st.one_of(known, versions_st.map(str)),
       st.one_of(known, versions_st.map(str)), st.sampled_from(v.COMPONENTS))
def test_steps_compose(a, b, c, component):
    a, b, c = sorted([Version.parse(a), Version.parse(b), Version.parse(c)])
    whole = v.steps_between(component, a, c)
    parts = []
    for s in v.steps_between(component, a, b) + v.steps_between(component, b, c):
        if s not in parts:
            parts.append(s)

    def key(s):
        return (v.PHASES.index(s["phase"]), s["boundary"] is not None, Version.parse(s["boundary"] or "0.0.0"))

    if c < Version.parse("0.53.0"):
        assert whole == sorted(parts, key=key)
    else:
        no_until = [s for s in parts
                    if not any(r.get("until") and r["boundary"] == s["boundary"] for r in v.builtin_steps())]
        assert list(whole) == sorted(no_until, key=key)


# --- image tags -------------------------------------------------------------

def test_image_tags_skoala_with_and_without_ui():
    assert v.image_tag_values("skoala", "0.28.1") == {"hive.image.tag": "v0.28.1", "sesame.image.tag": "v0.28.1"}
    assert v.image_tag_values("skoala", "v0.28.1", "0.19.0")["ui.image.tag"] == "v0.19.0"


def test_image_tags_skoala_init_seata_from_0_28():
    before = v.image_tag_values("skoala-init", "0.26.2")
    after = v.image_tag_values("skoala-init", "0.28.1")
    assert "seata-operator.image.tag" not in before
    assert after["seata-operator.image.tag"] == "v0.28.1"
    assert set(after) == {"skoala-agent.image.tag", "nacos-operator.image.tag",
                          "sentinel-operator.image.tag", "seata-operator.image.tag"}


def test_image_tags_bad_ui_version_names_variable():
    with pytest.raises(VersionError, match="skoala_ui_version: 'latest'"):
        v.image_tag_values("skoala", "0.28.1", "latest")


def test_image_tags_unknown_component():
    with pytest.raises(ValueError, match="unknown component 'skoala-ui'"):
        v.image_tag_values("skoala-ui", "0.28.1")


def test_image_drift():
    values = {"hive": {"image": {"tag": "v0.28.1"}}, "sesame": {"image": {"tag": "v0.19.2"}}}
    drift = v.image_drift({"hive.image.tag": "v0.28.1", "sesame.image.tag": "v0.28.1"}, values)
    assert drift == {"sesame.image.tag": ("v0.19.2", "v0.28.1")}
    assert v.image_drift({"ui.image.tag": "v1.0.0"}, {}) == {"ui.image.tag": (None, "v1.0.0")}


# --- the plan ----------------------------------------------------------------

AVAILABLE = ["0.17.1", "0.18.0", "0.19.0", "0.19.2", "0.24.2", "0.26.2", "0.28.1", "0.35.1"]


def test_plan_upgrade_with_steps():
    p = v.plan("skoala", "0.18.0", "0.28.1", AVAILABLE)
    assert p["action"] == "upgrade"
    assert p["current"] == "0.18.0" and p["target"] == "0.28.1"
    assert names(p["steps"]) == [("db_upgrade", "0.19.0")]
    assert p["steps"][0]["params"]["sweet"] == {"type": "UPGRADE", "target": "0.17.0", "tag": "v0.19.0"}


def test_plan_none_when_at_target():
    p = v.plan("skoala-init", "0.28.1", "v0.28.1", AVAILABLE, status="deployed")
    assert p["action"] == "none" and p["steps"] == []
    assert "already at 0.28.1" in p["reason"]


def test_plan_install_when_absent():
    p = v.plan("skoala-init", None, "0.28.1", AVAILABLE)
    assert p["action"] == "install" and names(p["steps"]) == [("delete_jobs", None)]
    assert v.plan("skoala", None, "0.28.1", AVAILABLE)["steps"] == []


def test_plan_refuses_install_below_0_17_1():
    p = v.plan("skoala", None, "0.12.2", ["0.12.2"])
    assert p["action"] == "refuse" and "0.17.1" in p["reason"]


def test_plan_refuses_target_missing_from_source():
    p = v.plan("skoala", "0.19.2", "0.29.9", AVAILABLE)
    assert p["action"] == "refuse"
    assert "version 0.29.9 of chart skoala is not in the chart source" in p["reason"]
    assert "0.35.1" in p["reason"]


def test_plan_ignores_unreadable_repo_versions():
    p = v.plan("skoala", "0.19.2", "0.28.1", ["latest", "0.28.1", "junk"])
    assert p["action"] == "upgrade"


def test_plan_refuses_downgrade_unless_allowed():
    p = v.plan("skoala", "0.28.1", "0.19.2", AVAILABLE)
    assert p["action"] == "refuse" and "downgrade" in p["reason"] and "skoala_allow_downgrade" in p["reason"]
    p = v.plan("skoala", "0.28.1", "0.19.2", AVAILABLE, allow_downgrade=True)
    assert p["action"] == "upgrade" and p["steps"] == [] and p["warnings"]


def test_plan_pending_release_refused_with_command():
    p = v.plan("skoala-init", "0.19.2", "0.28.1", AVAILABLE, status="pending-upgrade",
               kubeconfig="/k/w1.yaml", context="w1")
    assert p["action"] == "refuse"
    assert "helm rollback skoala-init -n skoala-system --kubeconfig /k/w1.yaml --kube-context w1" in p["reason"]
    assert "skoala_recover_pending" in p["reason"]


@pytest.mark.parametrize("status", v.PENDING)
def test_plan_pending_release_recovered_when_allowed(status):
    p = v.plan("skoala-init", "0.19.2", "0.28.1", AVAILABLE, status=status, recover_pending=True)
    assert p["action"] == "upgrade"
    assert p["steps"][0]["name"] == "recover_pending"
    assert p["steps"][1]["name"] == "delete_jobs"


def test_plan_pending_at_target_still_recovers():
    p = v.plan("skoala", "0.28.1", "0.28.1", AVAILABLE, status="pending-upgrade", recover_pending=True)
    assert p["action"] == "upgrade" and p["steps"][0]["name"] == "recover_pending"


def test_plan_failed_release_at_target_is_redone():
    p = v.plan("skoala", "0.28.1", "0.28.1", AVAILABLE, status="failed")
    assert p["action"] == "upgrade" and "failed" in p["reason"]


def test_plan_image_tag_drift_at_same_chart_is_an_upgrade():
    tags = v.image_tag_values("skoala", "0.28.1", "0.19.0")
    values = {"hive": {"image": {"tag": "v0.28.1"}}, "sesame": {"image": {"tag": "v0.28.1"}},
              "ui": {"image": {"tag": "v0.18.0"}}}
    p = v.plan("skoala", "0.28.1", "0.28.1", AVAILABLE, status="deployed", desired_tags=tags, current_values=values)
    assert p["action"] == "upgrade" and "ui.image.tag v0.18.0 -> v0.19.0" in p["reason"]
    values["ui"]["image"]["tag"] = "v0.19.0"
    p = v.plan("skoala", "0.28.1", "0.28.1", AVAILABLE, status="deployed", desired_tags=tags, current_values=values)
    assert p["action"] == "none"


def test_plan_bad_versions_name_their_variable():
    with pytest.raises(VersionError, match="skoala_target_version: 'latest'"):
        v.plan("skoala", "0.19.2", "latest", AVAILABLE)


def test_plan_unknown_component():
    with pytest.raises(ValueError, match="unknown component"):
        v.plan("hive", "0.19.2", "0.28.1")


def test_fleet_problems_all_targets_equal():
    plans = {"g": [v.plan("skoala", "0.19.2", "0.28.1")], "w1": [v.plan("skoala-init", "0.19.2", "0.28.1")]}
    assert v.fleet_problems(plans) == []


def test_fleet_problems_different_targets():
    plans = {"g": [v.plan("skoala", "0.19.2", "0.28.1")], "w1": [v.plan("skoala-init", "0.19.2", "0.26.2")]}
    problems = v.fleet_problems(plans)
    assert len(problems) == 1
    assert "0.26.2: w1/skoala-init; 0.28.1: g/skoala" in problems[0]


def test_recover_command_minimal():
    assert v.recover_command("skoala", "skoala-system") == "helm rollback skoala -n skoala-system"


# --- a run that stopped between the chart and its steps after it -------------

def test_release_at_target_with_owed_crd_files_is_finished():
    p = v.plan("skoala-init", "0.37.0", "0.37.0", status="deployed",
               unfinished={"from": "0.28.1", "target": "0.37.0"})
    assert p["action"] == "finish" and "stopped before its steps after the chart" in p["reason"]
    assert vendor_order(p["steps"]) == [("post", "apply_crds", (GATEWAY.rsplit("/", 1)[-1],)),
                                        ("post", "apply_crds", (CONTOUR.rsplit("/", 1)[-1],))]
    assert p["chart_files"] == [GATEWAY, CONTOUR]


def test_finish_with_nothing_owed_still_clears_the_record():
    p = v.plan("skoala-init", "0.28.1", "0.28.1", status="deployed", unfinished={"from": "0.19.2", "target": "0.28.1"})
    assert p["action"] == "finish" and p["steps"] == []


def test_a_record_for_another_version_is_not_about_this_release_state():
    p = v.plan("skoala-init", "0.37.0", "0.37.0", status="deployed", unfinished={"from": "0.28.1", "target": "0.52.1"})
    assert p["action"] == "none"


def test_owed_steps_join_a_further_upgrade_in_boundary_order():
    # stopped at 0.37.0 before its CRD files; the operator now aims at 0.52.1
    p = v.plan("skoala-init", "0.37.0", "0.52.1", unfinished={"from": "0.28.1", "target": "0.37.0"})
    assert p["action"] == "upgrade"
    assert vendor_order(p["steps"]) == [("pre", "delete_jobs", ()),
                                        ("post", "apply_crds", ("gateway-api.yaml",)),
                                        ("post", "apply_crds", ("contour.yaml",)),
                                        ("post", "apply_crds", ("higress.gen.yaml",))]


def test_owed_steps_with_a_failed_release_at_target_redo_the_chart_too():
    p = v.plan("skoala-init", "0.37.0", "0.37.0", status="failed", unfinished={"from": "0.28.1", "target": "0.37.0"})
    assert p["action"] == "upgrade"
    assert [s["name"] for s in p["steps"]] == ["delete_jobs", "apply_crds", "apply_crds"]


def test_pending_plans_are_the_pending_releases_to_upgrade():
    stuck = [v.plan("skoala-init", "0.19.2", "0.28.1", AVAILABLE, status=s, recover_pending=True) for s in v.PENDING]
    refused = v.plan("skoala", "0.19.2", "0.28.1", AVAILABLE, status="pending-upgrade")
    deployed = v.plan("skoala", "0.19.2", "0.28.1", AVAILABLE, status="deployed")
    assert v.pending_plans(stuck + [refused, deployed]) == stuck
    assert v.pending_plans(None) == []
