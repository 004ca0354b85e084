from ansible_collections.dce5.skoala.plugins.module_utils import unfinished


def test_record_round_trips_through_what_the_api_returns():
    cm = unfinished.configmap("skoala-init", "skoala-system", "0.28.1", "0.37.0")
    assert cm["metadata"]["name"] == unfinished.configmap_name("skoala-init") == "dce5-skoala-unfinished-skoala-init"
    assert cm["metadata"]["labels"][unfinished.LABEL] == "true"
    assert unfinished.read_records([cm]) == {"skoala-init": {"from": "0.28.1", "target": "0.37.0"}}


def test_records_of_both_releases_on_one_cluster_stay_apart():
    records = unfinished.read_records([unfinished.configmap("skoala", "ns", "0.18.0", "0.28.1"),
                                       unfinished.configmap("skoala-init", "ns", None, "0.28.1")])
    assert records == {"skoala": {"from": "0.18.0", "target": "0.28.1"},
                       "skoala-init": {"from": None, "target": "0.28.1"}}


def test_partial_records_are_ignored():
    assert unfinished.read_records([{"data": {"release": "skoala"}}, {"data": None}, {}, None]) == {}
