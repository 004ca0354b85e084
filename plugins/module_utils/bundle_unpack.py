# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""The offline package on disk: verify its checksum, unpack it (and the
chart bundles in it) once into a work directory, and describe the charts
and images it holds. The module dce5.skoala.offline_bundle is its argument
spec and run()."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import tempfile

from ansible_collections.dce5.skoala.plugins.module_utils import bundle as bundles

ARGUMENT_SPEC = dict(
    path=dict(type="path", required=True),
    checksum_file=dict(type="path"),
    verify_checksum=dict(type="bool", default=True),
    work_dir=dict(type="path", required=True),
)


def package_root(params, path, work_dir, check_mode=False):
    """Verify and unpack a package; return (root, sha512, changed, scanned).
    ``scanned`` is set in check mode only: bundle directory -> its images,
    read inside the archive (images.tar is not unpacked)."""
    name = os.path.basename(path)
    digest = bundles.sha512_of(path)
    if params["verify_checksum"]:
        candidates = [params["checksum_file"]] if params["checksum_file"] else bundles.checksum_candidates(path)
        found = [c for c in candidates if os.path.isfile(c)]
        if not found:
            raise bundles.BundleError(
                "no checksum file for %s (looked for %s); give it in skoala_offline_checksum_file, "
                "or set skoala_offline_verify_checksum: false" % (path, ", ".join(candidates)))
        with open(found[0], encoding="utf-8", errors="replace") as f:
            expected = bundles.expected_sha512(f.read(), name, found[0])
        if expected != digest:
            raise bundles.BundleError(
                "checksum mismatch for %s: sha512 is %s..., %s says %s...; the file is damaged or not the one "
                "the checksum belongs to: download it again" % (path, digest[:16], found[0], expected[:16]))

    stem = name[:-4] if name.endswith(".tar") else name
    dest = os.path.join(work_dir, stem)
    if _marker(dest) == digest:
        return dest, digest, False, None
    if check_mode:
        scratch = tempfile.mkdtemp(prefix="dce5-skoala-check-")
        return scratch, digest, False, bundles.extract_charts_only(path, scratch)
    staging = dest + ".partial"
    shutil.rmtree(staging, ignore_errors=True)
    bundles.extract(path, staging)
    _unpack_nested(staging)
    with open(os.path.join(staging, bundles.MARKER), "w", encoding="utf-8") as f:
        json.dump({"sha512": digest, "package": path}, f)
    # An interrupted unpack leaves only *.partial: the marker moves in with the tree.
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(staging, dest)
    return dest, digest, True, None


def _marker(dest):
    try:
        with open(os.path.join(dest, bundles.MARKER), encoding="utf-8") as f:
            return json.load(f).get("sha512")
    except (OSError, ValueError, AttributeError):
        return None


def _unpack_nested(root):
    """Each <chart>-<version>.bundle.tar also becomes a directory of the same
    stem; the tar stays, charts-syncer reads bundles in that form."""
    dummy, tars = bundles.find(root)
    for tar_path in tars:
        bundles.extract(tar_path, tar_path[:-len(".bundle.tar")], label=os.path.basename(tar_path))


def directory_root(path, work_dir, check_mode=False):
    """A directory given by the user: nested bundle tars are unpacked into work_dir."""
    dummy, tars = bundles.find(path)
    if not tars:
        return [path], False, False
    dest = os.path.join(work_dir, os.path.basename(os.path.normpath(path)) + "-bundles")
    key = ",".join("%s:%d" % (t, os.path.getsize(t)) for t in tars)
    if _marker(dest) == key:
        return [path, dest], False, False
    if check_mode:
        dest = tempfile.mkdtemp(prefix="dce5-skoala-check-")
        scratch, changed = True, False
    else:
        shutil.rmtree(dest, ignore_errors=True)
        scratch, changed = False, True
    for tar_path in tars:
        rel = os.path.relpath(tar_path, path)[:-len(".bundle.tar")]
        bundles.extract(tar_path, os.path.join(dest, rel), label=tar_path)
    if not scratch:
        with open(os.path.join(dest, bundles.MARKER), "w", encoding="utf-8") as f:
            json.dump({"sha512": key, "package": path}, f)
    return [path, dest], changed, scratch


def bundle_tar(bundle_dir, roots):
    """The .bundle.tar a directory was unpacked from, if it is still there."""
    candidates = [bundle_dir + ".bundle.tar"]
    if len(roots) > 1 and bundle_dir.startswith(roots[-1] + os.sep):
        candidates.append(os.path.join(roots[0], os.path.relpath(bundle_dir, roots[-1])) + ".bundle.tar")
    return next((c for c in candidates if os.path.isfile(c)), None)


def describe(roots, scanned=None):
    dirs = sorted(scanned) if scanned is not None else [d for root in roots for d in bundles.find(root)[0]]
    if not dirs:
        raise bundles.BundleError("%s holds no chart bundle (a directory with %s)"
                                  % (roots[0], ", ".join(bundles.BUNDLE_ENTRIES)))
    found, charts, versions = [], {}, {}
    for bundle_dir in dirs:
        chart_dir = os.path.join(bundle_dir, "original-chart")
        name, version = bundles.chart_meta(chart_dir)
        if name in charts:
            raise bundles.BundleError("%s holds chart %s twice (%s and %s)" % (roots[0], name, charts[name], chart_dir))
        images_tar = None if scanned is not None else os.path.join(bundle_dir, "images.tar")
        listed = scanned[bundle_dir] if scanned is not None else bundles.docker_archive_images(images_tar)
        images = [dict(image, archive=images_tar) for image in listed]
        found.append({"chart": name, "version": version, "dir": bundle_dir, "chart_dir": chart_dir,
                      "images_tar": images_tar, "images": images, "bundle_tar": bundle_tar(bundle_dir, roots)})
        charts[name] = chart_dir
        versions.setdefault(name, []).append(version)
    return found, charts, versions


def run(params, check_mode=False):
    """The module's result for ``params`` (ARGUMENT_SPEC); BundleError or
    OSError with the operator's message otherwise."""
    path = os.path.abspath(params["path"])
    work_dir = os.path.abspath(params["work_dir"])
    if not os.path.exists(path):
        raise bundles.BundleError("skoala_offline_bundle %s does not exist; point it at the offline package "
                                  "(skoala_vX.Y.Z_<arch>.tar) or an unpacked bundle directory" % path)
    if not check_mode:
        os.makedirs(work_dir, mode=0o700, exist_ok=True)
    scanned = None
    if os.path.isdir(path):
        roots, changed, scratch = directory_root(path, work_dir, check_mode)
        digest = ""
    else:
        root, digest, changed, scanned = package_root(params, path, work_dir, check_mode)
        roots, scratch = [root], scanned is not None
    found, charts, versions = describe(roots, scanned)
    return dict(changed=changed, root=roots[-1], sha512=digest, scratch=scratch,
                bundles=found, charts=charts, versions=versions)
