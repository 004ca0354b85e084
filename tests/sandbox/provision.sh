#!/usr/bin/env bash
# Builds (or installs) the sandbox's binaries into a versioned cache outside the
# repository. Idempotent: a tool already in the cache is not rebuilt, so a warm
# run takes seconds. Prints the cache's bin directory on the last line.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

CACHE=${DCE5_SKOALA_CACHE:-$HOME/.cache/dce5-skoala}
TOOLS=$CACHE/tools
BIN=$CACHE/bin
mkdir -p "$TOOLS" "$BIN"
export GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
# The checksum database has no entry for helm-diff's module (404); the module
# still comes through the module proxy, only that lookup is skipped.
export GONOSUMDB=${GONOSUMDB:+$GONOSUMDB,}github.com/databus23/helm-diff
export GOCACHE=${GOCACHE:-$CACHE/go-build}

log() { printf '[provision %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# have NAME VERSION: true when the tool's versioned directory is complete.
have() { [ -f "$TOOLS/$1-$2/.done" ]; }
mark() { touch "$TOOLS/$1-$2/.done"; }
link() { ln -sfn "$TOOLS/$1-$2/$3" "$BIN/$3"; }

# A throwaway module that requires MODULE@VERSION, so `go build` resolves the
# dependency graph exactly as the upstream go.mod pins it.
wrapper() {
  local dir=$1 module=$2 version=$3
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && go mod init dce5-skoala-sandbox-wrapper >/dev/null 2>&1 && go mod edit -require="$module@$version")
}

build_kubernetes() {
  local v=$KUBE_VERSION name=kubernetes out=$TOOLS/kubernetes-$KUBE_VERSION
  if have $name "$v"; then log "kubernetes $v: cached"; else
    log "kubernetes $v: building kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (first time: tens of minutes on 2 cores)"
    local w=$CACHE/src/kubernetes-$v
    wrapper "$w" k8s.io/kubernetes "$v"
    (
      cd "$w"
      go mod download k8s.io/kubernetes
      local gomod staging
      gomod=$(go mod download -json k8s.io/kubernetes | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
      # k8s.io/kubernetes replaces its staging repos with local paths; a
      # consumer must point them at the published module of the same release.
      staging="v0.${v#v1.}"
      local godebug
      godebug=$(grep -E '^godebug ' "$gomod" || true)
      [ -n "$godebug" ] && printf '%s\n' "$godebug" >> go.mod
      go mod edit -go="$(awk '/^go /{print $2}' "$gomod")"
      awk '/=> \.\/staging\/src\//{print $1}' "$gomod" | while read -r m; do
        go mod edit -replace="$m=$m@$staging"
      done
      local cmds="kube-apiserver kube-controller-manager kube-scheduler kubectl" pkgs=()
      for cmd in $cmds; do pkgs+=("k8s.io/kubernetes/cmd/$cmd@$v"); done
      go get "${pkgs[@]}" >/dev/null 2>&1 || go get "${pkgs[@]}"
      local ver_pkg=k8s.io/component-base/version
      local ldflags
      ldflags="-s -w -X $ver_pkg.gitVersion=$v -X $ver_pkg.gitMajor=1 -X $ver_pkg.gitMinor=$(echo "$v" | cut -d. -f2) -X $ver_pkg.gitTreeState=clean -X $ver_pkg.buildDate=1970-01-01T00:00:00Z"
      ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=$v"
      mkdir -p "$out"
      for cmd in $cmds; do
        if [ -x "$out/$cmd" ]; then continue; fi
        log "kubernetes $v: go build $cmd"
        go build -trimpath -ldflags "$ldflags" -o "$out/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
        mv "$out/$cmd.tmp" "$out/$cmd"
      done
    )
    mark $name "$v"
  fi
  for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do link $name "$v" $cmd; done
}

build_go_tool() { # name version module cmd-package binary ldflags
  local name=$1 v=$2 module=$3 pkg=$4 binary=$5 ldflags=${6:-}
  if have "$name" "$v"; then log "$name $v: cached"; else
    log "$name $v: building $pkg"
    local w=$CACHE/src/$name-$v out=$TOOLS/$name-$v
    wrapper "$w" "$module" "$v"
    (
      cd "$w"
      # Keep the upstream replace directives (a dependency's replace lines are
      # ignored by Go, so copy them into the wrapper).
      go mod download "$module@$v"
      local gomod
      gomod=$(go mod download -json "$module@$v" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
      python3 "$here/copy_replaces.py" "$gomod" go.mod
      go mod edit -go="$(awk '/^go /{print $2}' "$gomod")"
      go get "$pkg@$v" >/dev/null 2>&1 || go get "$pkg@$v"
      mkdir -p "$out"
      go build -trimpath -ldflags "-s -w $ldflags" -o "$out/$binary" "$pkg"
    )
    mark "$name" "$v"
  fi
  link "$name" "$v" "$binary"
}

install_debs() {
  local missing=()
  command -v nginx >/dev/null || missing+=(nginx)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v skopeo >/dev/null || missing+=(skopeo)
  command -v containerd >/dev/null || missing+=(containerd)
  command -v shellcheck >/dev/null || missing+=(shellcheck)  # for ansible-test sanity
  if [ ${#missing[@]} -gt 0 ]; then
    log "debian: installing ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then echo "need root to apt-get install ${missing[*]}" >&2; exit 1; fi
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # The packages start system services we do not want; the sandbox runs its own.
    for svc in nginx docker-registry containerd; do
      systemctl disable --now "$svc" >/dev/null 2>&1 || service "$svc" stop >/dev/null 2>&1 || true
    done
  else
    log "debian: nginx, htpasswd, docker-registry, skopeo, containerd, shellcheck present"
  fi
}

install_helm_diff() {
  local v=$HELM_DIFF_VERSION plugins=$CACHE/helm-plugins
  build_go_tool helm-diff "$v" github.com/databus23/helm-diff/v3 github.com/databus23/helm-diff/v3 diff \
    "-X github.com/databus23/helm-diff/v3/cmd.Version=${v#v}"
  rm -f "$BIN/diff"  # it is a helm plugin, not the diff(1) on PATH
  local dir=$plugins/diff
  if [ ! -f "$dir/plugin.yaml" ] || ! grep -q "version: \"${v#v}\"" "$dir/plugin.yaml"; then
    mkdir -p "$dir/bin"
    ln -sfn "$TOOLS/helm-diff-$v/diff" "$dir/bin/diff"
    cat > "$dir/plugin.yaml" <<YAML
name: "diff"
version: "${v#v}"
usage: "Preview helm upgrade changes as a diff"
description: "Preview helm upgrade changes as a diff (built locally by dce5.skoala's sandbox)"
useTunnel: true
command: "\$HELM_PLUGIN_DIR/bin/diff"
YAML
  fi
}

main() {
  local t0=$SECONDS
  install_debs
  build_go_tool etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 go.etcd.io/etcd/server/v3 etcd \
    "-X go.etcd.io/etcd/api/v3/version.GitSHA=${ETCD_VERSION}"
  build_go_tool kwok "$KWOK_VERSION" sigs.k8s.io/kwok sigs.k8s.io/kwok/cmd/kwokctl kwokctl \
    "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$KUBE_VERSION"
  build_go_tool kwok-controller "$KWOK_VERSION" sigs.k8s.io/kwok sigs.k8s.io/kwok/cmd/kwok kwok \
    "-X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$KUBE_VERSION"
  build_go_tool helm "$HELM_VERSION" helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm helm \
    "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  install_helm_diff
  build_kubernetes
  log "all tools ready in $BIN ($((SECONDS - t0))s)"
  echo "$BIN"
}
main "$@"
