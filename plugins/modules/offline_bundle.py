#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: offline_bundle
short_description: Verify and unpack a skoala offline bundle, and list its charts and images
version_added: 0.1.0
description:
  - Takes a DCE 5.0 offline package C(skoala_vX.Y.Z_<arch>.tar) with its
    C(sha512sum) file, or a directory that already holds unpacked chart
    bundles (C(hints.yaml), C(images.tar), C(original-chart/)) or
    C(*.bundle.tar) files.
  - Verifies the checksum, unpacks into O(work_dir) (once; a marker file
    records the checksum, so a second run changes nothing), and returns each
    chart bundle with its chart directory and the images of its
    C(images.tar).
  - Refuses archives with absolute paths, C(..) or links leaving the tree.
  - In check mode the checksum is still verified; of a package not unpacked
    yet, only the charts go to a temporary directory (reported as
    RV(scratch)) and the image lists are read inside the archives; nothing
    is written to O(work_dir).
author:
  - dce5.skoala contributors (@dce5-skoala)
options:
  path:
    description: The offline package (C(.tar)) or a directory of unpacked bundles.
    type: path
    required: true
  checksum_file:
    description:
      - The C(sha512sum) file of O(path). When omitted, C(<name>_checksum.sha512sum),
        C(<name>.tar.sha512sum) and C(<name>.sha512sum) next to O(path) are tried.
      - Not used when O(path) is a directory.
    type: path
  verify_checksum:
    description: Refuse a package whose checksum file is missing or does not match.
    type: bool
    default: true
  work_dir:
    description: Where packages are unpacked, one sub-directory per package.
    type: path
    required: true
notes:
  - Supports check mode.
seealso:
  - module: dce5.skoala.registry_images
"""

EXAMPLES = r"""
- name: Unpack the offline package
  dce5.skoala.offline_bundle:
    path: /data/offline/skoala_v0.28.1_amd64.tar
    work_dir: /data/offline/work
  register: bundle

- name: Upgrade from the unpacked chart
  kubernetes.core.helm:
    release_name: skoala
    release_namespace: skoala-system
    chart_ref: "{{ bundle.charts['skoala'] }}"
    set_values:
      - value: global.imageRegistry=registry.local:5000
"""

RETURN = r"""
root:
  description: The directory the bundles were found in.
  returned: always
  type: str
  sample: /data/offline/work/skoala_v0.28.1_amd64
sha512:
  description: The package's sha512 (empty for a directory).
  returned: always
  type: str
scratch:
  description: True when check mode unpacked the charts into a temporary directory.
  returned: always
  type: bool
charts:
  description: Chart name to its unpacked chart directory.
  returned: always
  type: dict
  sample: {skoala: /data/offline/work/skoala_v0.28.1_amd64/skoala-offline/skoala-0.28.1/original-chart}
versions:
  description: Chart name to the list of versions the bundle holds.
  returned: always
  type: dict
  sample: {skoala: [0.28.1], skoala-init: [0.28.1]}
bundles:
  description: One entry per chart bundle.
  returned: always
  type: list
  elements: dict
  contains:
    chart:
      description: The chart's name.
      type: str
    version:
      description: The chart's version.
      type: str
    dir:
      description: The unpacked bundle directory.
      type: str
    chart_dir:
      description: Its C(original-chart) directory.
      type: str
    images_tar:
      description: Its docker-archive.
      type: str
    bundle_tar:
      description: The C(.bundle.tar) it came from (what charts-syncer reads), or null.
      type: str
    images:
      description: Images in the archive, each with C(ref), C(config_digest) and C(archive).
      type: list
      elements: dict
"""

import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dce5.skoala.plugins.module_utils import bundle as bundles


def package_root(module, path, work_dir):
    """Verify and unpack a package; return (root, sha512, changed, scanned).
    ``scanned`` is set in check mode only: bundle directory -> its images,
    read inside the archive (images.tar is not unpacked)."""
    params = module.params
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
    if module.check_mode:
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


def directory_root(module, path, work_dir):
    """A directory given by the user: nested bundle tars are unpacked into work_dir."""
    dummy, tars = bundles.find(path)
    if not tars:
        return [path], False, False
    dest = os.path.join(work_dir, os.path.basename(os.path.normpath(path)) + "-bundles")
    key = ",".join("%s:%d" % (t, os.path.getsize(t)) for t in tars)
    if _marker(dest) == key:
        return [path, dest], False, False
    if module.check_mode:
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


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            checksum_file=dict(type="path"),
            verify_checksum=dict(type="bool", default=True),
            work_dir=dict(type="path", required=True),
        ),
        supports_check_mode=True,
    )
    path = os.path.abspath(module.params["path"])
    work_dir = os.path.abspath(module.params["work_dir"])
    try:
        if not os.path.exists(path):
            raise bundles.BundleError("skoala_offline_bundle %s does not exist; point it at the offline package "
                                      "(skoala_vX.Y.Z_<arch>.tar) or an unpacked bundle directory" % path)
        if not module.check_mode:
            os.makedirs(work_dir, mode=0o700, exist_ok=True)
        scanned = None
        if os.path.isdir(path):
            roots, changed, scratch = directory_root(module, path, work_dir)
            digest = ""
        else:
            root, digest, changed, scanned = package_root(module, path, work_dir)
            roots, scratch = [root], scanned is not None
        found, charts, versions = describe(roots, scanned)
    except (bundles.BundleError, OSError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=changed, root=roots[-1], sha512=digest, scratch=scratch,
                     bundles=found, charts=charts, versions=versions)


if __name__ == "__main__":
    main()
