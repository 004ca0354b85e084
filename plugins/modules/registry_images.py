#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: registry_images
short_description: Put the images of offline bundles into a registry, or check they are there
version_added: 0.1.0
description:
  - With O(state=query), asks the registry (HTTP API v2) for each image and
    reports which are present, missing, or present with other content.
    It also checks the registry answers and accepts the credentials.
  - With O(state=present), copies every image that is missing or different
    from its docker-archive into the registry with C(skopeo copy), one
    C(docker-archive:<images.tar>:<reference>) per image. Images already
    there with the same config digest are not copied again (C(changed=false)).
  - An image C(<any registry>/<namespace>/<name>:<tag>) goes to
    C(<registry>/<repository>/<name>:<tag>), as charts-syncer places them.
author:
  - dce5.skoala contributors (@dce5-skoala)
options:
  registry:
    description: The registry, C(host[:port]).
    type: str
    required: true
  repository:
    description: The repository prefix images go under (charts-syncer's C(containerRepository)).
    type: str
    default: skoala
  username:
    description: Registry user; omit for an open registry.
    type: str
  password:
    description: Registry password.
    type: str
  tls_verify:
    description:
      - Verify the registry's TLS certificate. When false, plain HTTP is
        tried after HTTPS (loopback or lab registries).
    type: bool
    default: true
  state:
    description: C(present) copies what is missing; C(query) only looks.
    type: str
    choices: [present, query]
    default: query
  images:
    description:
      - Source images, as the O(dce5.skoala.offline_bundle#module:bundles) entries return them.
    type: list
    elements: dict
    default: []
    suboptions:
      ref:
        description: The reference inside the archive (C(RepoTags)).
        type: str
        required: true
      config_digest:
        description: The image's config digest; compared with the registry's copy.
        type: str
      archive:
        description: The docker-archive holding it; needed for O(state=present).
        type: path
  refs:
    description:
      - Full references (C(<registry>/<path>:<tag>)) that must exist, for
        example every image a rendered chart asks for. Only looked up.
    type: list
    elements: str
    default: []
  skopeo_binary:
    description: The skopeo executable.
    type: str
    default: skopeo
  timeout:
    description: Seconds per registry request.
    type: int
    default: 30
notes:
  - Supports check mode; O(state=present) then reports what it would copy.
  - Credentials reach skopeo through a temporary auth file of mode 0600,
    never on its command line.
seealso:
  - module: dce5.skoala.offline_bundle
"""

EXAMPLES = r"""
- name: Push the bundle's images
  dce5.skoala.registry_images:
    registry: registry.local:5000
    repository: skoala
    username: admin
    password: "{{ vault_registry_password }}"
    state: present
    images: "{{ bundle.bundles | map(attribute='images') | flatten }}"
  no_log: true
"""

RETURN = r"""
images:
  description: One entry per source image.
  returned: always
  type: list
  elements: dict
  contains:
    source:
      description: The reference in the archive.
      type: str
      sample: release.daocloud.io/skoala/hive:v0.28.1
    target:
      description: The reference in the registry.
      type: str
      sample: registry.local:5000/skoala/hive:v0.28.1
    status:
      description: C(present), C(missing), C(different), C(pushed) or C(would push).
      type: str
missing:
  description: Targets not (or not identically) in the registry after the run, and missing O(refs).
  returned: always
  type: list
  elements: str
missing_refs:
  description: The O(refs) the registry does not have.
  returned: always
  type: list
  elements: str
pushed:
  description: How many images were copied.
  returned: always
  type: int
"""

import base64
import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dce5.skoala.plugins.module_utils import bundle as bundles
from ansible_collections.dce5.skoala.plugins.module_utils.registry import Registry, RegistryError


def lookup(reg, ref):
    dummy, path, tag = bundles.split_ref(ref)
    return reg.config_digest(path, tag)


def auth_file(directory, registry, username, password):
    path = os.path.join(directory, "auth.json")
    token = base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"auths": {registry: {"auth": token}}}, f)
    return path


def copy(module, image, target, authfile):
    p = module.params
    argv = [p["skopeo_binary"], "copy", "--quiet", "--dest-tls-verify=%s" % str(p["tls_verify"]).lower()]
    if authfile:
        argv += ["--dest-authfile", authfile]
    argv += ["docker-archive:%s:%s" % (image["archive"], image["ref"]), "docker://" + target]
    rc, dummy, err = module.run_command(argv)
    if rc != 0:
        module.fail_json(msg="skopeo could not copy %s to %s: %s" % (image["ref"], target, err.strip()[-600:]))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            registry=dict(type="str", required=True),
            repository=dict(type="str", default="skoala"),
            username=dict(type="str"),
            password=dict(type="str", no_log=True),
            tls_verify=dict(type="bool", default=True),
            state=dict(type="str", choices=["present", "query"], default="query"),
            images=dict(type="list", elements="dict", default=[], options=dict(
                ref=dict(type="str", required=True),
                config_digest=dict(type="str"),
                archive=dict(type="path"),
            )),
            refs=dict(type="list", elements="str", default=[]),
            skopeo_binary=dict(type="str", default="skopeo"),
            timeout=dict(type="int", default=30),
        ),
        required_together=[("username", "password")],
        supports_check_mode=True,
    )
    p = module.params
    reg = Registry(p["registry"], p["username"], p["password"], p["tls_verify"], p["timeout"])
    results, missing = [], []
    try:
        reg.ping()
        for image in p["images"]:
            target = bundles.target_ref(image["ref"], p["registry"], p["repository"])
            found = lookup(reg, target)
            if found is None:
                status = "missing"
            elif image.get("config_digest") and found != image["config_digest"]:
                status = "different"
            else:
                status = "present"
            results.append({"source": image["ref"], "target": target, "status": status})
        missing_refs = [ref for ref in p["refs"] if lookup(reg, ref) is None]
    except RegistryError as exc:
        module.fail_json(msg=str(exc))

    todo = [(img, r) for img, r in zip(p["images"], results) if r["status"] != "present"]
    pushed = 0
    if p["state"] == "present" and todo:
        if module.check_mode:
            for dummy, r in todo:
                r["status"] = "would push"
        else:
            if not module.get_bin_path(p["skopeo_binary"]):
                module.fail_json(msg="skopeo not found (%s); install it, point skoala_skopeo_binary at it, or use "
                                     "skoala_image_sync_method: charts-syncer" % p["skopeo_binary"])
            workdir = tempfile.mkdtemp(prefix="dce5-skoala-skopeo-")
            try:
                authfile = auth_file(workdir, p["registry"], p["username"], p["password"]) if p["username"] else None
                for image, r in todo:
                    if not image.get("archive"):
                        module.fail_json(msg="image %s has no archive to copy it from" % image["ref"])
                    copy(module, image, r["target"], authfile)
                    r["status"] = "pushed"
                    pushed += 1
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
    missing = [r["target"] for r in results if r["status"] in ("missing", "different")] + missing_refs
    module.exit_json(changed=bool(pushed) or (module.check_mode and p["state"] == "present" and bool(todo)),
                     images=results, missing=missing, missing_refs=missing_refs, pushed=pushed)


if __name__ == "__main__":
    main()
