#!/usr/bin/env bash
# ansible-test sanity on this checkout.
#
# ansible-test needs the collection at .../ansible_collections/dce5/skoala, so
# the files git knows about (committed, staged, or new and not ignored) are
# copied into such a tree under the cache, fresh on every run. The sanity
# tests' own virtualenvs (pylint, yamllint, ...) are cached by ansible-test in
# ~/.ansible/test/venv, so only the first run installs them (from PyPI).
#
# Only Python 3.11 exists here; no container engine, so tests run locally.
# Extra arguments go to ansible-test (e.g. --test pylint).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${DCE5_SKOALA_CACHE:-$HOME/.cache/dce5-skoala}
PYVER=${SANITY_PYTHON:-3.11}
TREE=$CACHE/sanity/$(echo "$ROOT" | sha256sum | cut -c1-12)/ansible_collections/dce5/skoala

rm -rf "$TREE"
mkdir -p "$TREE"
cd "$ROOT"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf - | tar -xf - -C "$TREE"

# ansible-test bootstraps pip in each sanity virtualenv with a get-pip.py it
# downloads from ci-files.testing.ansible.com, which this network does not
# reach. The stand-in below does the same job from what is reachable: the pip
# wheel bundled with Python (ensurepip), then the requested pip version from
# the package index. ansible-test uses a cached script when one exists.
PIP_VERSION=$(python - <<'PY'
import inspect, re
from ansible_test._internal import python_requirements as pr
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(pr.get_venv_packages)).group(1))
PY
)
GET_PIP=$HOME/.ansible/test/cache/get_pip_${PIP_VERSION//./_}.py
if [ ! -e "$GET_PIP" ]; then
  mkdir -p "$(dirname "$GET_PIP")"
  cp "$ROOT/tests/conformance/get_pip_standin.py" "$GET_PIP"
fi

cd "$TREE"
exec ansible-test sanity --python "$PYVER" --color no "$@"
