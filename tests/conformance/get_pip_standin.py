"""Stand-in for pip's get-pip.py, used by tests/conformance/sanity.sh.

ansible-test runs get-pip.py in an empty virtualenv with the packages it wants
(pip==X, setuptools==Y, wheel==Z, and --no-setuptools / --no-wheel). This
installs the pip wheel bundled with Python (ensurepip), then those packages
from the package index, as get-pip.py would.
"""
import ensurepip
import importlib
import os
import sys

ARGS = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
ENVIRON = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
# ensurepip points PIP_CONFIG_FILE at /dev/null; pip's configuration (a
# proxy's CA bundle, an index) must apply to the install below.
os.environ.clear()
os.environ.update(ENVIRON)
importlib.invalidate_caches()

from pip._internal.cli.main import main  # noqa: E402  pylint: disable=wrong-import-position

sys.exit(main(["install", "--upgrade", "--force-reinstall"] + ARGS))
