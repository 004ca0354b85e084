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

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dce5.skoala.plugins.module_utils import bundle, bundle_unpack


def main():
    module = AnsibleModule(argument_spec=bundle_unpack.ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = bundle_unpack.run(module.params, module.check_mode)
    except (bundle.BundleError, OSError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
