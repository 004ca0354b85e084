#!/usr/bin/env bash
# The vendor's manual online upgrade, followed literally with the helm CLI,
# cluster after cluster, as an operator reading the pages would do it:
# back up the values, add and update the repository, upgrade with -f and the
# image tags, and wait for the pods (--wait). The control plane comes first;
# the one step the version notes add for 0.19 -> 0.28 (old admission Jobs) is done too.
#
#   manual_upgrade.sh TARGET CONTROL_PLANE_KUBECONFIG [WORKER_KUBECONFIG ...]
# Environment: REPO_URL, REPO_USERNAME, REPO_PASSWORD, WORK_DIR (backups).
set -euo pipefail
target=$1; shift
control_plane=$1; shift
: "${REPO_URL:?}" "${REPO_USERNAME:?}" "${REPO_PASSWORD:?}" "${WORK_DIR:?}"
mkdir -p "$WORK_DIR" && chmod 700 "$WORK_DIR"
tag=v$target

add_and_update_repo() {
  printf '%s' "$REPO_PASSWORD" | helm repo add skoala "$REPO_URL" --username "$REPO_USERNAME" --password-stdin >/dev/null
  helm repo update >/dev/null
}

# Control-plane cluster: skoala.
helm --kubeconfig "$control_plane" -n skoala-system get values skoala > "$WORK_DIR/skoala.yaml"
add_and_update_repo
helm --kubeconfig "$control_plane" upgrade --install --create-namespace -n skoala-system skoala skoala/skoala \
  --version="$target" --set hive.image.tag="$tag" --set sesame.image.tag="$tag" \
  -f "$WORK_DIR/skoala.yaml" --wait >/dev/null

# Each worker cluster: skoala-init (seata-operator's tag too, since 0.28).
i=0
for worker in "$@"; do
  i=$((i + 1))
  helm --kubeconfig "$worker" -n skoala-system get values skoala-init > "$WORK_DIR/skoala-init-$i.yaml"
  add_and_update_repo
  # The version notes' step for leaving <= 0.24.2: the old admission Jobs go first.
  kubectl --kubeconfig "$worker" -n skoala-system delete job gateway-api-admission gateway-api-admission-patch \
    --ignore-not-found >/dev/null
  helm --kubeconfig "$worker" upgrade --install --create-namespace -n skoala-system skoala-init skoala/skoala-init \
    --version="$target" --set nacos-operator.image.tag="$tag" --set skoala-agent.image.tag="$tag" \
    --set sentinel-operator.image.tag="$tag" --set seata-operator.image.tag="$tag" \
    -f "$WORK_DIR/skoala-init-$i.yaml" --wait >/dev/null
done
