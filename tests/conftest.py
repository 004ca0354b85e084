"""Make this checkout importable as ansible_collections.dce5.skoala.

The Makefile points ANSIBLE_COLLECTIONS_PATH at a root in which
ansible_collections/dce5/skoala links to the checkout; pytest run by hand gets
the same through a root created here.
"""
import hashlib
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _collections_root():
    configured = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)[0]
    if configured and os.path.realpath(os.path.join(configured, "ansible_collections", "dce5", "skoala")) == ROOT:
        return configured
    cache = os.environ.get("DCE5_SKOALA_CACHE") or os.path.expanduser("~/.cache/dce5-skoala")
    root = os.path.join(cache, "collections", hashlib.sha256((ROOT + "\n").encode()).hexdigest()[:12])
    link = os.path.join(root, "ansible_collections", "dce5", "skoala")
    if os.path.realpath(link) != ROOT:
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.islink(link):
            os.remove(link)
        os.symlink(ROOT, link)
    return root


COLLECTIONS_ROOT = _collections_root()
os.environ["ANSIBLE_COLLECTIONS_PATH"] = COLLECTIONS_ROOT
if COLLECTIONS_ROOT not in sys.path:
    sys.path.insert(0, COLLECTIONS_ROOT)
