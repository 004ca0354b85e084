"""The offline package on disk: checksum, unpack once, check mode, describe."""
import hashlib
import io
import json
import os
import tarfile

import pytest

from ansible_collections.dce5.skoala.plugins.module_utils import bundle, bundle_unpack


def add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def images_tar(refs):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        manifest = []
        for i, ref in enumerate(refs):
            add(tar, "c%d.json" % i, json.dumps({"i": i, "ref": ref}).encode())
            manifest.append({"Config": "c%d.json" % i, "RepoTags": [ref], "Layers": []})
        add(tar, "manifest.json", json.dumps(manifest).encode())
    return buf.getvalue()


def bundle_tar(chart, version, refs):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        add(tar, "hints.yaml", b"{}\n")
        add(tar, "images.tar", images_tar(refs))
        add(tar, "original-chart/Chart.yaml", ("name: %s\nversion: %s\n" % (chart, version)).encode())
    return buf.getvalue()


def package(tmp_path, checksum=True):
    path = str(tmp_path / "skoala_v0.28.1_amd64.tar")
    with tarfile.open(path, "w") as tar:
        add(tar, "offline/skoala-0.28.1.bundle.tar", bundle_tar("skoala", "0.28.1", ["r.io/skoala/hive:v0.28.1"]))
        add(tar, "offline/skoala-init-0.28.1.bundle.tar",
            bundle_tar("skoala-init", "0.28.1", ["r.io/skoala/skoala-agent:v0.28.1"]))
    if checksum:
        with open(path, "rb") as f:
            digest = hashlib.sha512(f.read()).hexdigest()
        (tmp_path / "skoala_v0.28.1_amd64_checksum.sha512sum").write_text("%s  skoala_v0.28.1_amd64.tar\n" % digest)
    return path


def params(path, work_dir, **kw):
    p = {"path": path, "work_dir": work_dir, "checksum_file": None, "verify_checksum": True}
    p.update(kw)
    return p


def test_package_is_unpacked_once_and_described(tmp_path):
    path = package(tmp_path)
    work = str(tmp_path / "work")
    first = bundle_unpack.run(params(path, work))
    assert first["changed"] is True and first["scratch"] is False and len(first["sha512"]) == 128
    assert first["root"] == os.path.join(work, "skoala_v0.28.1_amd64")
    assert first["versions"] == {"skoala": ["0.28.1"], "skoala-init": ["0.28.1"]}
    hive = next(b for b in first["bundles"] if b["chart"] == "skoala")
    assert [i["ref"] for i in hive["images"]] == ["r.io/skoala/hive:v0.28.1"]
    assert hive["bundle_tar"].endswith("skoala-0.28.1.bundle.tar") and os.path.isfile(hive["images_tar"])
    assert oct(os.stat(work).st_mode & 0o777) == "0o700"
    again = bundle_unpack.run(params(path, work))
    assert again["changed"] is False and again["bundles"] == first["bundles"]


def test_check_mode_unpacks_nothing_into_work_dir_and_reads_the_same(tmp_path):
    path = package(tmp_path)
    work = str(tmp_path / "work")
    result = bundle_unpack.run(params(path, work), check_mode=True)
    assert result["changed"] is False and result["scratch"] is True
    assert not os.path.exists(work)
    assert result["charts"].keys() == {"skoala", "skoala-init"}
    assert all(b["images_tar"] is None and b["images"] for b in result["bundles"])


def test_missing_checksum_says_where_it_looked_and_how_to_skip(tmp_path):
    path = package(tmp_path, checksum=False)
    with pytest.raises(bundle.BundleError, match="no checksum file .*skoala_offline_verify_checksum: false"):
        bundle_unpack.run(params(path, str(tmp_path / "w")))
    assert bundle_unpack.run(params(path, str(tmp_path / "w"), verify_checksum=False))["changed"] is True


def test_checksum_mismatch_names_both_digests(tmp_path):
    path = package(tmp_path, checksum=False)
    other = tmp_path / "sum"
    other.write_text("%s  skoala_v0.28.1_amd64.tar\n" % ("ab" * 64))
    with pytest.raises(bundle.BundleError, match="checksum mismatch .*abababababababab.*download it again"):
        bundle_unpack.run(params(path, str(tmp_path / "w"), checksum_file=str(other)))


def test_missing_path_says_what_to_point_at(tmp_path):
    with pytest.raises(bundle.BundleError, match="does not exist; point it at the offline package"):
        bundle_unpack.run(params(str(tmp_path / "nope.tar"), str(tmp_path / "w")))


def test_directory_with_bundle_tars_is_unpacked_beside_it(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "skoala-0.28.1.bundle.tar").write_bytes(bundle_tar("skoala", "0.28.1", ["r.io/skoala/hive:v0.28.1"]))
    work = str(tmp_path / "work")
    first = bundle_unpack.run(params(str(src), work))
    assert first["changed"] is True and first["sha512"] == "" and first["root"] == os.path.join(work, "src-bundles")
    assert first["bundles"][0]["bundle_tar"] == str(src / "skoala-0.28.1.bundle.tar")
    assert bundle_unpack.run(params(str(src), work))["changed"] is False
    checked = bundle_unpack.run(params(str(src), str(tmp_path / "w2")), check_mode=True)
    assert checked["changed"] is False and checked["scratch"] is True


def test_directory_without_bundles_is_refused(tmp_path):
    with pytest.raises(bundle.BundleError, match="holds no chart bundle"):
        bundle_unpack.run(params(str(tmp_path), str(tmp_path / "w"), verify_checksum=False))


def test_same_chart_twice_is_refused(tmp_path):
    for d in ("a", "b"):
        (tmp_path / "src" / d).mkdir(parents=True)
        (tmp_path / "src" / d / "skoala-0.28.1.bundle.tar").write_bytes(bundle_tar("skoala", "0.28.1", ["r/x:1"]))
    with pytest.raises(bundle.BundleError, match="holds chart skoala twice"):
        bundle_unpack.run(params(str(tmp_path / "src"), str(tmp_path / "w")))
