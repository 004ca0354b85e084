#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: private_files
short_description: Write files that may hold secrets, 0600 in a 0700 directory, atomically
version_added: 0.1.0
description:
  - Writes each of O(files) into O(directory), which is created (and kept)
    with mode 0700. Each file is written with mode 0600 through a temporary
    file, C(fsync) and a rename, so a reader or a killed run never sees half
    a file; a file that already holds the content with that mode is left alone.
  - Used for the values backups (which hold database DSNs and other
    values) and the reports. Each file's C(content) is a C(no_log) option,
    so it is masked in every output at any verbosity, while a failure to
    write still says which directory and why.
  - One call for all files, instead of a M(ansible.builtin.copy) per file.
author:
  - dce5.skoala contributors (@dce5-skoala)
options:
  directory:
    description: The directory of the files.
    type: path
    required: true
  files:
    description: The files, each a C(name) (a plain file name, no directory part) and its C(content).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: File name inside O(directory).
        type: str
        required: true
      content:
        description: The text of the file.
        type: str
        required: true
"""

EXAMPLES = r"""
- name: Write the values backup
  dce5.skoala.private_files:
    directory: /var/backups/skoala/dce-global
    files:
      - name: skoala-20260101T000000Z-rev3.values.yaml
        content: "{{ values | to_nice_yaml }}"
"""

RETURN = r"""
paths:
  description: The path of every file.
  returned: always
  type: list
  elements: str
changed_paths:
  description: The files that were (or in check mode would be) written.
  returned: always
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dce5.skoala.plugins.module_utils import private_files


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directory=dict(type="path", required=True),
            files=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                content=dict(type="str", required=True, no_log=True),
            )),
        ),
        supports_check_mode=True,
    )
    directory = module.params["directory"]
    files = {}  # in the order given: the caller decides what is written first
    for item in module.params["files"]:
        name = item["name"]
        if not name or os.path.basename(name) != name or name in (".", ".."):
            module.fail_json(msg="private_files: %r is not a plain file name" % name)
        files[name] = item["content"]
    try:
        changed, paths = private_files.write_all(directory, files, module.check_mode)
    except (OSError, IOError) as exc:
        module.fail_json(msg="writing into %s failed: %s; check the directory (skoala_backup_dir or "
                             "skoala_report_dir) is writable." % (directory, exc))
    module.exit_json(changed=bool(changed), paths=paths, changed_paths=changed)


if __name__ == "__main__":
    main()
