"""Generate fixture offline bundles shaped like DaoCloud's.

    skoala_v0.28.1_amd64.tar                 outer tar, with
    skoala_v0.28.1_amd64_checksum.sha512sum  "<sha512>  skoala_v0.28.1_amd64.tar"
      skoala-offline/skoala-0.28.1.bundle.tar        one intermediate bundle per chart:
      skoala-offline/skoala-init-0.28.1.bundle.tar     hints.yaml, original-chart/, images.tar

``images.tar`` is a real docker-archive (``docker save`` layout: manifest.json,
one config and one layer per image), so skopeo, charts-syncer, ``docker
load`` and ``ctr image import`` read it. Each image is tiny: one layer holding
a file that names the image. The image references are the ones the fixture
chart renders with its default values (``helm template``), so they match what
the pods ask for.

Usage: offline_bundles.py --charts DIR --version X.Y.Z --out DIR [--drop skoala/sesame]
"""
import argparse
import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
import tempfile

ARCH = "amd64"
HINTS = """\
# relok8s image hints: how the chart spells its image references
- "{{ .global.imageRegistry }}/{{ .image.repository }}:{{ .image.tag }}"
"""


def _tar_add_bytes(tar, name, data, mode=0o644):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = 0
    tar.addfile(info, io.BytesIO(data))


def layer_tar(ref):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        _tar_add_bytes(tar, "etc/dce5-sandbox-image", (ref + "\n").encode())
    return buf.getvalue()


def docker_archive(path, refs):
    """Write a docker-archive holding one single-layer image per reference."""
    manifest = []
    with tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as tar:
        for ref in sorted(refs):
            layer = layer_tar(ref)
            diff_id = hashlib.sha256(layer).hexdigest()
            config = json.dumps({
                "architecture": ARCH, "os": "linux",
                "config": {"Labels": {"io.dce5.sandbox.image": ref}},
                "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]},
                "history": [{"created_by": "tests/sandbox/offline_bundles.py"}],
            }, sort_keys=True).encode()
            config_id = hashlib.sha256(config).hexdigest()
            _tar_add_bytes(tar, diff_id + "/layer.tar", layer)
            _tar_add_bytes(tar, config_id + ".json", config)
            manifest.append({"Config": config_id + ".json", "RepoTags": [ref],
                             "Layers": [diff_id + "/layer.tar"]})
        _tar_add_bytes(tar, "manifest.json", json.dumps(manifest).encode())


def chart_images(helm, chart_tgz):
    """Every image reference the chart renders with its defaults, hooks included."""
    out = subprocess.run([helm, "template", "fixture", chart_tgz, "--include-crds"], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return sorted(set(re.findall(r'^\s+image:\s*"?([^"\s]+)"?\s*$', out, re.M)))


def chart_bundle(path, chart_tgz, refs):
    """An intermediate bundle (relok8s layout) for one chart."""
    with tempfile.TemporaryDirectory() as work:
        images = os.path.join(work, "images.tar")
        docker_archive(images, refs)
        with tarfile.open(chart_tgz) as src, tarfile.open(path, "w", format=tarfile.USTAR_FORMAT) as out:
            _tar_add_bytes(out, "hints.yaml", HINTS.encode())
            for member in src.getmembers():
                if not member.isfile():
                    continue
                # packaged charts hold <chart>/...; the bundle holds original-chart/...
                inner = member.name.split("/", 1)[1]
                _tar_add_bytes(out, "original-chart/" + inner, src.extractfile(member).read())
            with open(images, "rb") as f:
                _tar_add_bytes(out, "images.tar", f.read())


def offline_bundle(charts_dir, version, out_dir, helm="helm", drop=(), arch=ARCH):
    """Write the outer tar and its checksum file; return both paths and the images."""
    os.makedirs(out_dir, exist_ok=True)
    stem = "skoala_v%s_%s" % (version, arch)
    outer = os.path.join(out_dir, stem + ".tar")
    images = {}
    with tempfile.TemporaryDirectory() as work, \
            tarfile.open(outer + ".tmp", "w", format=tarfile.USTAR_FORMAT) as tar:
        for chart in ("skoala", "skoala-init"):
            tgz = os.path.join(charts_dir, "%s-%s.tgz" % (chart, version))
            refs = [r for r in chart_images(helm, tgz) if not any(r.split(":")[0].endswith("/" + d) for d in drop)]
            images[chart] = refs
            name = "%s-%s.bundle.tar" % (chart, version)
            chart_bundle(os.path.join(work, name), tgz, refs)
            with open(os.path.join(work, name), "rb") as f:
                _tar_add_bytes(tar, "skoala-offline/" + name, f.read())
    os.replace(outer + ".tmp", outer)
    digest = hashlib.sha512()
    with open(outer, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    checksum = os.path.join(out_dir, stem + "_checksum.sha512sum")
    with open(checksum, "w", encoding="utf-8") as f:
        f.write("%s  %s\n" % (digest.hexdigest(), os.path.basename(outer)))
    return {"tar": outer, "checksum": checksum, "images": images}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--charts", required=True, help="directory with skoala-X.tgz and skoala-init-X.tgz")
    parser.add_argument("--version", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--helm", default="helm")
    parser.add_argument("--drop", action="append", default=[], help="leave this image (e.g. skoala/sesame) out")
    args = parser.parse_args()
    result = offline_bundle(args.charts, args.version, args.out, args.helm, args.drop)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
