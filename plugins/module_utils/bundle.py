# -*- coding: utf-8 -*-
# Copyright: dce5.skoala contributors
# Apache License 2.0 (see LICENSE)
"""Offline bundles: checksums, safe unpacking, the relok8s intermediate-bundle
layout (``hints.yaml``, ``images.tar``, ``original-chart/``), docker-archive
contents, and where each image goes in the local registry.

A DCE 5.0 offline package ``skoala_vX.Y.Z_<arch>.tar`` (with
``..._checksum.sha512sum``) holds one ``<chart>-<version>.bundle.tar`` per
chart; each of those unpacks to the three entries above.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import posixpath
import re
import tarfile

BUNDLE_ENTRIES = ("hints.yaml", "images.tar", "original-chart")
MARKER = ".dce5-skoala-unpacked.json"
_SHA512 = re.compile(r"^[0-9a-fA-F]{128}$")


class BundleError(Exception):
    """Bad bundle input. Messages name the file and never echo file contents."""


# --- checksums ---------------------------------------------------------------

def checksum_candidates(tar_path):
    """Where the vendor (``_checksum.sha512sum``) or sha512sum (``.sha512sum``) put the checksum."""
    base = tar_path[:-4] if tar_path.endswith(".tar") else tar_path
    return [base + "_checksum.sha512sum", tar_path + ".sha512sum", base + ".sha512sum"]


def expected_sha512(text, tar_name, source="checksum file"):
    """The digest ``sha512sum`` recorded for ``tar_name`` (a bare digest is accepted too)."""
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        if not _SHA512.match(parts[0]):
            raise BundleError("%s line %d is not '<sha512>  <file>'" % (source, number))
        name = parts[1].strip().lstrip("*") if len(parts) > 1 else None
        entries.append((parts[0].lower(), name))
    if not entries:
        raise BundleError("%s has no sha512 digest" % source)
    for digest, name in entries:
        if name is None or posixpath.basename(name) == tar_name:
            return digest
    raise BundleError("%s has no line for %s" % (source, tar_name))


def sha512_of(path):
    digest = hashlib.sha512()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- unpacking ---------------------------------------------------------------

def _checked_members(tar, label):
    """Refuse absolute paths, '..', device files and links that leave the tree."""
    members = []
    for member in tar.getmembers():
        name = posixpath.normpath(member.name)
        if name.startswith("/") or name == ".." or name.startswith("../"):
            raise BundleError("%s holds an unsafe path %r" % (label, member.name))
        if member.isdev() or member.isfifo():
            raise BundleError("%s holds a device or fifo %r" % (label, member.name))
        if member.issym() or member.islnk():
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname))
            if member.linkname.startswith("/") or target == ".." or target.startswith("../"):
                raise BundleError("%s holds a link leaving the bundle %r" % (label, member.name))
        members.append(member)
    return members


def extract(tar_path, dest, label=None):
    """Unpack ``tar_path`` into ``dest`` (created). Corrupt archives raise BundleError."""
    label = label or tar_path
    try:
        with tarfile.open(tar_path) as tar:
            members = _checked_members(tar, label)
            os.makedirs(dest, exist_ok=True)
            for member in members:
                tar.extract(member, dest, set_attrs=False)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BundleError("%s cannot be unpacked: %s" % (label, _short(exc)))


def _short(exc):
    text = str(exc) or exc.__class__.__name__
    return text[:200]


def extract_charts_only(tar_path, dest):
    """Check mode: unpack only the charts and hints of a package's bundles
    (small), and read each images.tar's manifest where it lies (large).
    Returns {bundle directory: [images]}."""
    images = {}
    try:
        with tarfile.open(tar_path) as outer:
            for member in _checked_members(outer, tar_path):
                if not (member.isfile() and member.name.endswith(".bundle.tar")):
                    continue
                label = "%s:%s" % (tar_path, member.name)
                bundle_dir = os.path.join(dest, posixpath.normpath(member.name)[:-len(".bundle.tar")])
                with tarfile.open(fileobj=outer.extractfile(member)) as inner:
                    for entry in _checked_members(inner, label):
                        if entry.name == "hints.yaml" or entry.name.startswith("original-chart/"):
                            inner.extract(entry, bundle_dir, set_attrs=False)
                    images[bundle_dir] = docker_archive_images(inner.extractfile("images.tar"), label + ":images.tar")
    except KeyError as exc:
        raise BundleError("%s: a bundle lacks %s" % (tar_path, _short(exc)))
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BundleError("%s cannot be unpacked: %s" % (tar_path, _short(exc)))
    return images


# --- what a directory holds -------------------------------------------------

def is_chart_bundle_dir(path):
    return all(os.path.exists(os.path.join(path, entry)) for entry in BUNDLE_ENTRIES)


def find(root):
    """Unpacked chart bundles and ``*.bundle.tar`` files under ``root``."""
    dirs, tars = [], []
    for here, subdirs, files in os.walk(root):
        subdirs.sort()
        if is_chart_bundle_dir(here):
            dirs.append(here)
            subdirs[:] = []
            continue
        tars.extend(os.path.join(here, f) for f in sorted(files) if f.endswith(".bundle.tar"))
    return dirs, tars


def chart_meta(chart_dir):
    """(name, version) from original-chart/Chart.yaml, read without a YAML library."""
    path = os.path.join(chart_dir, "Chart.yaml")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as exc:
        raise BundleError("%s cannot be read: %s" % (path, _short(exc)))
    meta = {}
    for key in ("name", "version"):
        match = re.search(r"^%s:\s*['\"]?([^'\"\s#]+)" % key, text, re.M)
        if not match:
            raise BundleError("%s has no %s" % (path, key))
        meta[key] = match.group(1)
    return meta["name"], meta["version"]


# --- docker-archive ------------------------------------------------------------

def docker_archive_images(path, label=None):
    """Each image in a docker-archive: its reference and config digest.

    The config digest is what a registry keeps as the manifest's config
    (skopeo and charts-syncer recompress layers, so layer digests change, the
    config does not): equal config digests mean the same image.
    """
    label = label or path
    try:
        with (tarfile.open(path) if isinstance(path, str) else tarfile.open(fileobj=path)) as tar:
            manifest = json.loads(tar.extractfile("manifest.json").read().decode("utf-8"))
            images = []
            for entry in manifest:
                config = tar.extractfile(entry["Config"]).read()
                digest = "sha256:" + hashlib.sha256(config).hexdigest()
                for ref in entry.get("RepoTags") or []:
                    images.append({"ref": ref, "config_digest": digest})
    except KeyError as exc:
        raise BundleError("%s is not a docker-archive (missing %s)" % (label, _short(exc)))
    except (tarfile.TarError, EOFError, OSError, ValueError, TypeError, AttributeError) as exc:
        raise BundleError("%s is not a readable docker-archive: %s" % (label, _short(exc)))
    if not images:
        raise BundleError("%s holds no tagged image" % label)
    return images


# --- references ----------------------------------------------------------------

def split_ref(ref):
    """``registry/path:tag`` -> (registry, path, tag); registry is '' for Docker Hub style names."""
    name, tag = ref, "latest"
    if "@" in name:
        name, tag = name.split("@", 1)
    else:
        slash = name.rfind("/")
        colon = name.rfind(":")
        if colon > slash:
            name, tag = name[:colon], name[colon + 1:]
    first, dummy, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first, rest, tag
    return "", name, tag


def target_ref(ref, registry, repository):
    """Where charts-syncer puts an image: ``<registry>/<repository>/<name>:<tag>``."""
    dummy, path, tag = split_ref(ref)
    name = path.rsplit("/", 1)[-1]
    parts = [registry.rstrip("/")] + ([repository.strip("/")] if repository.strip("/") else []) + [name]
    return "/".join(parts) + ":" + tag


def image_registry_value(registry, repository, source_refs):
    """The ``global.imageRegistry`` under which the charts' images resolve to
    the synced copies, or a problem saying why none does.

    Charts spell images ``{{ global.imageRegistry }}/<namespace>/<name>``; synced
    images live at ``<registry>/<repository>/<name>``. So ``<repository>`` has
    to end with ``<namespace>`` and the value is what comes before it.
    """
    # Without images to look at (no bundle), the charts' own namespace.
    namespaces = sorted({posixpath.dirname(split_ref(r)[1]) for r in source_refs}) or ["skoala"]
    prefix = "/".join(p for p in (registry.rstrip("/"), repository.strip("/")) if p)
    if len(namespaces) != 1:
        return None, "images come from several namespaces (%s); one repository cannot hold them" % ", ".join(namespaces)
    namespace = namespaces[0]
    if not namespace:
        return prefix, None
    if prefix == namespace or not prefix.endswith("/" + namespace):
        return None, ("the charts reference %s/<image>, so skoala_offline_repository must end with %r "
                      "(it is %r)" % (namespace, namespace, repository))
    return prefix[:-len(namespace) - 1], None


def image_registry(given, offline, registry, repository):
    """The ``global.imageRegistry`` of an offline upgrade: the operator's
    ``skoala_image_registry``, else the one the bundle's check found
    (``offline``: what it kept, None without a bundle), else the one the
    registry and repository give for the charts' own namespace."""
    if given:
        return given
    if offline is not None:
        return offline.get("image_registry")
    return image_registry_value(registry, repository, [])[0]


def rendered_images(manifests_text):
    """Image references in rendered manifests (``helm template`` output)."""
    found = re.findall(r"^\s*(?:-\s+)?image:\s*['\"]?([^'\"\s]+)['\"]?\s*$", manifests_text or "", re.M)
    return sorted(set(found))


# --- charts-syncer -------------------------------------------------------------

def charts_syncer_config(bundles_path, registry, repository, registry_auth, repo=None):
    """The load-image.yaml of the vendor's offline page, from variables.

    ``repo`` is ``{"kind": "HARBOR", "url": ..., "auth": {...}}`` or
    ``{"kind": "LOCAL", "path": ...}``.
    """
    target = {
        "containerRegistry": registry,
        "containerRepository": repository,
        "containers": {"auth": dict(registry_auth)},
    }
    if repo:
        kind = repo.get("kind", "LOCAL").upper()
        if kind == "HARBOR":
            target["repo"] = {"kind": "HARBOR", "url": repo["url"], "auth": dict(repo.get("auth") or {})}
        elif kind == "LOCAL":
            target["repo"] = {"kind": "LOCAL", "path": repo["path"]}
        else:
            raise BundleError("charts-syncer repo kind %r is not HARBOR or LOCAL" % kind)
    return {"source": {"intermediateBundlesPath": bundles_path}, "target": target}


def chartrepo_upload_url(repo_url):
    """Harbor's ChartMuseum upload API for a ``.../chartrepo/<project>`` URL."""
    match = re.match(r"^(https?://[^/]+)(/.*)?/chartrepo/([^/]+)/?$", repo_url or "")
    if not match:
        raise BundleError("skoala_repo_url %r is not a Harbor chartrepo URL (http[s]://<harbor>/chartrepo/<project>)"
                          % (repo_url,))
    return "%s%s/api/chartrepo/%s/charts" % (match.group(1), match.group(2) or "", match.group(3))


# --- the plan of an offline upgrade ---------------------------------------------

def offline_images(bundle_entries, registry, repository, rendered_by_chart=None):
    """What an offline upgrade needs from the registry.

    ``rendered_by_chart`` maps a chart name to the images its ``helm template``
    output references when rendered with ``image_registry``. Returns
    ``image_registry`` (the global.imageRegistry value), ``targets`` (where the
    bundle's images go), ``not_in_bundle`` (rendered images the bundle lacks,
    as ``{chart: [ref]}``) and ``problems``.
    """
    sources = [image["ref"] for entry in bundle_entries for image in entry.get("images", [])]
    value, problem = image_registry_value(registry, repository, sources)
    targets = sorted({target_ref(ref, registry, repository) for ref in sources})
    not_in_bundle = {}
    for chart, refs in sorted((rendered_by_chart or {}).items()):
        lacking = sorted(set(refs) - set(targets))
        if lacking:
            not_in_bundle[chart] = lacking
    return {"image_registry": value, "targets": targets, "not_in_bundle": not_in_bundle,
            "problems": [problem] if problem else []}


def chart_ref(component, offline_charts=None, offline_chart_dir="", repo_name="skoala"):
    """Where helm takes ``component`` from: an unpacked bundle's chart, a
    directory of unpacked charts, or the repository."""
    if offline_charts and component in offline_charts:
        return offline_charts[component]
    if offline_chart_dir:
        return os.path.join(os.path.abspath(offline_chart_dir), component)
    return repo_name + "/" + component
