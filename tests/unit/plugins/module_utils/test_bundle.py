import hashlib
import io
import json
import os
import tarfile

import pytest
import yaml

from ansible_collections.dce5.skoala.plugins.module_utils import bundle

DIGEST = "ab" * 64


# --- checksums -----------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "%s  skoala_v0.28.1_amd64.tar\n" % DIGEST,
    "%s *skoala_v0.28.1_amd64.tar\n" % DIGEST,
    "%s  ./dir/skoala_v0.28.1_amd64.tar\n" % DIGEST,
    "%s\n" % DIGEST,
    "# vendor checksum\n\n%s  skoala_v0.28.1_amd64.tar\n" % DIGEST.upper(),
    "%s  other.tar\n%s  skoala_v0.28.1_amd64.tar\n" % ("cd" * 64, DIGEST),
])
def test_expected_sha512_accepts_sha512sum_forms(text):
    assert bundle.expected_sha512(text, "skoala_v0.28.1_amd64.tar") == DIGEST


@pytest.mark.parametrize("text,fragment", [
    ("", "has no sha512 digest"),
    ("# only a comment\n", "has no sha512 digest"),
    ("abc  skoala.tar\n", "line 1 is not"),
    ("%s  other.tar\n" % DIGEST, "no line for skoala.tar"),
    ("%s  skoala.tar\n" % ("ab" * 32), "line 1 is not"),  # a sha256, not a sha512
])
def test_expected_sha512_refuses_bad_files(text, fragment):
    with pytest.raises(bundle.BundleError, match=fragment):
        bundle.expected_sha512(text, "skoala.tar", "sums.txt")


def test_checksum_candidates_vendor_name_first():
    assert bundle.checksum_candidates("/d/skoala_v0.28.1_amd64.tar") == [
        "/d/skoala_v0.28.1_amd64_checksum.sha512sum",
        "/d/skoala_v0.28.1_amd64.tar.sha512sum",
        "/d/skoala_v0.28.1_amd64.sha512sum",
    ]


def test_sha512_of_matches_hashlib(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * (3 << 20))
    assert bundle.sha512_of(str(path)) == hashlib.sha512(b"x" * (3 << 20)).hexdigest()


# --- unpacking ---------------------------------------------------------------

def make_tar(path, entries):
    with tarfile.open(path, "w") as tar:
        for name, data, kind, link in entries:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.linkname = link or ""
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


@pytest.mark.parametrize("name,kind,link,fragment", [
    ("/etc/passwd", tarfile.REGTYPE, None, "unsafe path"),
    ("../escape", tarfile.REGTYPE, None, "unsafe path"),
    ("a/../../escape", tarfile.REGTYPE, None, "unsafe path"),
    ("link", tarfile.SYMTYPE, "/etc/passwd", "link leaving"),
    ("a/link", tarfile.SYMTYPE, "../../x", "link leaving"),
    ("dev", tarfile.CHRTYPE, None, "device"),
])
def test_extract_refuses_entries_leaving_the_tree(tmp_path, name, kind, link, fragment):
    tar = str(tmp_path / "b.tar")
    make_tar(tar, [("ok", b"1", tarfile.REGTYPE, None), (name, b"" if kind != tarfile.REGTYPE else b"x", kind, link)])
    with pytest.raises(bundle.BundleError, match=fragment):
        bundle.extract(tar, str(tmp_path / "out"))
    assert not (tmp_path / "out" / "ok").exists()  # checked before anything is written


def test_extract_keeps_links_inside(tmp_path):
    tar = str(tmp_path / "b.tar")
    make_tar(tar, [("a/f", b"1", tarfile.REGTYPE, None), ("a/l", b"", tarfile.SYMTYPE, "f")])
    bundle.extract(tar, str(tmp_path / "out"))
    assert (tmp_path / "out" / "a" / "l").read_bytes() == b"1"


@pytest.mark.parametrize("content", [b"", b"not a tar at all" * 100, b"\0" * 10])
def test_extract_corrupt_archive_names_the_file(tmp_path, content):
    tar = tmp_path / "broken.tar"
    tar.write_bytes(content)
    with pytest.raises(bundle.BundleError, match="broken.tar cannot be unpacked"):
        bundle.extract(str(tar), str(tmp_path / "out"))


def test_extract_truncated_archive(tmp_path):
    tar = str(tmp_path / "b.tar")
    make_tar(tar, [("big", os.urandom(1 << 16), tarfile.REGTYPE, None)])
    with open(tar, "r+b") as f:
        f.truncate(4096)
    with pytest.raises(bundle.BundleError, match="cannot be unpacked"):
        bundle.extract(tar, str(tmp_path / "out"))


# --- docker-archive ----------------------------------------------------------------

def docker_archive(path, images):
    manifest = []
    with tarfile.open(path, "w") as tar:
        for i, (ref, config) in enumerate(images):
            data = json.dumps(config).encode()
            info = tarfile.TarInfo("c%d.json" % i)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            manifest.append({"Config": "c%d.json" % i, "RepoTags": [ref] if ref else None, "Layers": []})
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def test_docker_archive_images_reports_config_digests(tmp_path):
    path = str(tmp_path / "images.tar")
    docker_archive(path, [("r.io/skoala/hive:v1", {"a": 1}), ("r.io/skoala/sesame:v1", {"b": 2})])
    images = bundle.docker_archive_images(path)
    assert images == [
        {"ref": "r.io/skoala/hive:v1", "config_digest": "sha256:" + hashlib.sha256(b'{"a": 1}').hexdigest()},
        {"ref": "r.io/skoala/sesame:v1", "config_digest": "sha256:" + hashlib.sha256(b'{"b": 2}').hexdigest()},
    ]


def test_docker_archive_without_manifest(tmp_path):
    path = str(tmp_path / "images.tar")
    make_tar(path, [("x", b"1", tarfile.REGTYPE, None)])
    with pytest.raises(bundle.BundleError, match="not a docker-archive"):
        bundle.docker_archive_images(path)


def test_docker_archive_untagged_only(tmp_path):
    path = str(tmp_path / "images.tar")
    docker_archive(path, [(None, {"a": 1})])
    with pytest.raises(bundle.BundleError, match="no tagged image"):
        bundle.docker_archive_images(path)


def test_docker_archive_not_a_tar(tmp_path):
    path = tmp_path / "images.tar"
    path.write_bytes(b"garbage" * 50)
    with pytest.raises(bundle.BundleError, match="not a readable docker-archive"):
        bundle.docker_archive_images(str(path))


# --- finding bundles and charts -----------------------------------------------------

def test_find_bundle_dirs_and_tars(tmp_path):
    for d in ("a/skoala-0.28.1", "b/nested/skoala-init-0.28.1"):
        os.makedirs(str(tmp_path / d / "original-chart"))
        (tmp_path / d / "hints.yaml").write_text("[]")
        (tmp_path / d / "images.tar").write_bytes(b"")
    (tmp_path / "a" / "skoala-0.28.1.bundle.tar").write_bytes(b"")
    (tmp_path / "a" / "notes.tar").write_bytes(b"")
    dirs, tars = bundle.find(str(tmp_path))
    assert [os.path.relpath(d, str(tmp_path)) for d in dirs] == ["a/skoala-0.28.1", "b/nested/skoala-init-0.28.1"]
    assert [os.path.relpath(t, str(tmp_path)) for t in tars] == ["a/skoala-0.28.1.bundle.tar"]


@pytest.mark.parametrize("text,expected", [
    ("apiVersion: v2\nname: skoala\nversion: 0.28.1\n", ("skoala", "0.28.1")),
    ("name: 'skoala-init'\nversion: \"0.28.1\"  # comment\n", ("skoala-init", "0.28.1")),
])
def test_chart_meta(tmp_path, text, expected):
    (tmp_path / "Chart.yaml").write_text(text)
    assert bundle.chart_meta(str(tmp_path)) == expected


def test_chart_meta_missing_version(tmp_path):
    (tmp_path / "Chart.yaml").write_text("name: skoala\n")
    with pytest.raises(bundle.BundleError, match="has no version"):
        bundle.chart_meta(str(tmp_path))


def test_chart_meta_missing_file(tmp_path):
    with pytest.raises(bundle.BundleError, match="cannot be read"):
        bundle.chart_meta(str(tmp_path))


# --- references -------------------------------------------------------------------

@pytest.mark.parametrize("ref,expected", [
    ("release.daocloud.io/skoala/hive:v0.28.1", ("release.daocloud.io", "skoala/hive", "v0.28.1")),
    ("127.0.0.1:5000/skoala/hive:v1", ("127.0.0.1:5000", "skoala/hive", "v1")),
    ("localhost/skoala/hive", ("localhost", "skoala/hive", "latest")),
    ("skoala/hive:v1", ("", "skoala/hive", "v1")),
    ("hive", ("", "hive", "latest")),
    ("r.io:5000/skoala/hive", ("r.io:5000", "skoala/hive", "latest")),
    ("r.io/skoala/hive@sha256:abc", ("r.io", "skoala/hive", "sha256:abc")),
])
def test_split_ref(ref, expected):
    assert bundle.split_ref(ref) == expected


@pytest.mark.parametrize("registry,repository,expected", [
    ("10.16.23.145", "skoala", "10.16.23.145/skoala/hive:v0.28.1"),
    ("10.16.23.145", "release.daocloud.io/skoala", "10.16.23.145/release.daocloud.io/skoala/hive:v0.28.1"),
    ("reg:5000/", "/skoala/", "reg:5000/skoala/hive:v0.28.1"),
    ("reg", "", "reg/hive:v0.28.1"),
])
def test_target_ref_places_images_like_charts_syncer(registry, repository, expected):
    assert bundle.target_ref("release.daocloud.io/skoala/hive:v0.28.1", registry, repository) == expected


REFS = ["release.daocloud.io/skoala/hive:v0.28.1", "release.daocloud.io/skoala/sesame:v0.28.1"]


@pytest.mark.parametrize("registry,repository,expected", [
    ("10.16.23.145", "skoala", "10.16.23.145"),
    ("10.16.23.145", "release.daocloud.io/skoala", "10.16.23.145/release.daocloud.io"),
    ("reg:5000", "mirror/skoala", "reg:5000/mirror"),
])
def test_image_registry_value_resolves_the_synced_images(registry, repository, expected):
    value, problem = bundle.image_registry_value(registry, repository, REFS)
    assert problem is None
    assert value == expected
    # the chart's spelling under that value is where the image was pushed
    for ref in REFS:
        dummy, path, tag = bundle.split_ref(ref)
        assert "%s/%s:%s" % (value, path, tag) == bundle.target_ref(ref, registry, repository)


@pytest.mark.parametrize("repository", ["library", "skoala-mirror", "skoala/extra", ""])
def test_image_registry_value_refuses_unreachable_repository(repository):
    value, problem = bundle.image_registry_value("reg", repository, REFS)
    assert value is None
    assert "skoala_offline_repository must end with 'skoala'" in problem


def test_image_registry_value_several_namespaces():
    value, problem = bundle.image_registry_value("reg", "skoala", REFS + ["r.io/insight/agent:v1"])
    assert value is None and "several namespaces" in problem


def test_image_registry_value_without_images_assumes_skoala():
    assert bundle.image_registry_value("reg", "skoala", []) == ("reg", None)


def test_image_registry_given_then_bundle_then_registry():
    assert bundle.image_registry("mirror.example", {"image_registry": "reg"}, "reg", "skoala") == "mirror.example"
    assert bundle.image_registry("", {"image_registry": "127.0.0.1:5000/dce"}, "x", "y") == "127.0.0.1:5000/dce"
    assert bundle.image_registry(None, None, "127.0.0.1:5000", "dce/skoala") == "127.0.0.1:5000/dce"
    assert bundle.image_registry("", None, "reg", "elsewhere") is None  # preflight's image check says why


def test_rendered_images_from_helm_template_output():
    text = """
---
spec:
  template:
    spec:
      containers:
        - name: hive
          image: "reg/skoala/hive:v1"
        - image: reg/skoala/sidecar:v2
      initContainers:
        - name: init
          image: 'reg/skoala/init:v3'
---
# image: commented/out:v0
metadata:
  annotations:
    note: "image: not/this:one"
"""
    assert bundle.rendered_images(text) == ["reg/skoala/hive:v1", "reg/skoala/init:v3", "reg/skoala/sidecar:v2"]
    assert bundle.rendered_images("") == []


def test_offline_images_lists_what_the_bundle_lacks():
    entries = [{"images": [{"ref": r} for r in REFS]}]
    rendered = {"skoala": ["reg/skoala/hive:v0.28.1", "reg/skoala/sesame:v0.28.1", "reg/skoala/ui:v0.19.0"],
                "skoala-init": ["reg/skoala/hive:v0.28.1"]}
    plan = bundle.offline_images(entries, "reg", "skoala", rendered)
    assert plan == {
        "image_registry": "reg",
        "targets": ["reg/skoala/hive:v0.28.1", "reg/skoala/sesame:v0.28.1"],
        "not_in_bundle": {"skoala": ["reg/skoala/ui:v0.19.0"]},
        "problems": [],
    }


def test_offline_images_with_bad_repository_reports_problem():
    plan = bundle.offline_images([{"images": [{"ref": REFS[0]}]}], "reg", "other")
    assert plan["image_registry"] is None and len(plan["problems"]) == 1


@pytest.mark.parametrize("args,expected", [
    (("skoala", {"skoala": "/w/skoala/original-chart"}, "", "repo"), "/w/skoala/original-chart"),
    (("skoala-init", {"skoala": "/w/x"}, "/charts", "repo"), "/charts/skoala-init"),
    (("skoala", None, "", "skoala-release"), "skoala-release/skoala"),
])
def test_chart_ref(args, expected):
    assert bundle.chart_ref(*args) == expected


def test_chart_ref_relative_dir_becomes_absolute():
    assert bundle.chart_ref("skoala", {}, "charts", "r") == os.path.join(os.getcwd(), "charts", "skoala")


# --- charts-syncer and Harbor ---------------------------------------------------

def test_charts_syncer_config_matches_the_vendor_page_harbor():
    config = bundle.charts_syncer_config(
        "skoala-offline", "10.16.23.145", "release.daocloud.io/skoala",
        {"username": "admin", "password": "Harbor12345"},
        {"kind": "harbor", "url": "http://10.16.23.145/chartrepo/release.daocloud.io",
         "auth": {"username": "admin", "password": "Harbor12345"}})
    # same keys, same nesting as the seeds' load-image.yaml (without its indentation mistake)
    assert yaml.safe_load(yaml.safe_dump(config)) == {
        "source": {"intermediateBundlesPath": "skoala-offline"},
        "target": {
            "containerRegistry": "10.16.23.145",
            "containerRepository": "release.daocloud.io/skoala",
            "repo": {"kind": "HARBOR", "url": "http://10.16.23.145/chartrepo/release.daocloud.io",
                     "auth": {"username": "admin", "password": "Harbor12345"}},
            "containers": {"auth": {"username": "admin", "password": "Harbor12345"}},
        },
    }


def test_charts_syncer_config_local_repo():
    config = bundle.charts_syncer_config("b", "r", "skoala", {"username": "", "password": ""},
                                         {"kind": "LOCAL", "path": "./local-repo", "url": "ignored"})
    assert config["target"]["repo"] == {"kind": "LOCAL", "path": "./local-repo"}


def test_charts_syncer_config_refuses_unknown_kind():
    with pytest.raises(bundle.BundleError, match="not HARBOR or LOCAL"):
        bundle.charts_syncer_config("b", "r", "skoala", {}, {"kind": "S3"})


@pytest.mark.parametrize("url,expected", [
    ("http://10.16.23.145/chartrepo/skoala", "http://10.16.23.145/api/chartrepo/skoala/charts"),
    ("https://harbor.local:8443/chartrepo/release.daocloud.io/",
     "https://harbor.local:8443/api/chartrepo/release.daocloud.io/charts"),
    ("https://h.local/harbor/chartrepo/p", "https://h.local/harbor/api/chartrepo/p/charts"),
])
def test_chartrepo_upload_url(url, expected):
    assert bundle.chartrepo_upload_url(url) == expected


@pytest.mark.parametrize("url", ["", "ftp://h/chartrepo/p", "https://h/charts", "https://h/chartrepo/"])
def test_chartrepo_upload_url_refuses_non_harbor(url):
    with pytest.raises(bundle.BundleError, match="not a Harbor chartrepo URL"):
        bundle.chartrepo_upload_url(url)
