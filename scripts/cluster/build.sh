#!/usr/bin/env bash
# Build the local control plane's binaries from the Go module proxy, pinned by
# scripts/cluster/versions.env, into a per-version cache outside git:
#
#   ${GANTRY_CACHE:-$HOME/.cache/gantry}/<component>-<version>/bin/<binary>
#
# Usage: build.sh [component...]   components: kubernetes etcd kwok gateway-api
#        kube-state-metrics helm compose-check (default: kubernetes etcd kwok gateway-api,
#        what `make cluster` needs; "all" adds the others). Components already cached are
#        skipped. gateway-api is no binary: the module's CRDs, copied into <dir>/crd/.
#
# Each component is built in a temporary directory next to the cache and renamed
# into place in one step, so a killed build never leaves a half-filled cache.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$HERE/versions.env"

CACHE="${GANTRY_CACHE:-$HOME/.cache/gantry}"
export GOTOOLCHAIN=local      # a Go older than a module's go directive fails loudly
export CGO_ENABLED=0
export GOFLAGS=-buildvcs=false

START=$(date +%s)
CHILD=   # the go command running now, stopped with us
trap '[[ -n "$CHILD" ]] && kill "$CHILD" 2>/dev/null; exit 130' INT
trap '[[ -n "$CHILD" ]] && kill "$CHILD" 2>/dev/null; exit 143' TERM
log() { printf '[build %4ds] %s\n' "$(( $(date +%s) - START ))" "$*"; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go is not installed (need go >= 1.26)"

# cache_dir COMPONENT -> the directory holding that component's pinned version
cache_dir() {
    case "$1" in
        kubernetes) echo "$CACHE/kubernetes-$KUBERNETES_VERSION" ;;
        etcd) echo "$CACHE/etcd-$ETCD_VERSION" ;;
        kwok) echo "$CACHE/kwok-$KWOK_VERSION" ;;
        gateway-api) echo "$CACHE/gateway-api-$GATEWAY_API_VERSION" ;;
        kube-state-metrics) echo "$CACHE/kube-state-metrics-$KUBE_STATE_METRICS_VERSION" ;;
        helm) echo "$CACHE/helm-$HELM_VERSION" ;;
        compose-check) echo "$CACHE/compose-check-$COMPOSE_GO_VERSION-$(compose_check_digest)" ;;
        *) die "unknown component: $1" ;;
    esac
}

binaries() {
    case "$1" in
        kubernetes) echo "kube-apiserver kube-controller-manager kube-scheduler kubectl" ;;
        etcd) echo "etcd" ;;
        kwok) echo "kwok" ;;
        kube-state-metrics) echo "kube-state-metrics" ;;
        helm) echo "helm" ;;
        compose-check) echo "compose-check" ;;
    esac
}

is_cached() {
    local dir bin
    dir="$(cache_dir "$1")"
    if [[ "$1" == gateway-api ]]; then
        [[ -f "$dir/crd/gateway.networking.k8s.io_httproutes.yaml" ]]
        return
    fi
    for bin in $(binaries "$1"); do
        [[ -x "$dir/bin/$bin" ]] || return 1
    done
}

# run_logged LOGFILE LABEL CMD... : run a long go command, printing a heartbeat
# with the number of packages compiled so far (go build -v lists them).
run_logged() {
    local logfile="$1" label="$2"; shift 2
    "$@" >"$logfile" 2>&1 &
    local pid=$! rc=0 ticks=0
    CHILD=$pid
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        ticks=$((ticks + 1))
        if (( ticks % 30 == 0 )); then
            log "  ... $label: $(wc -l <"$logfile") lines of output so far"
        fi
    done
    wait "$pid" || rc=$?
    CHILD=
    if (( rc != 0 )); then
        tail -n 40 "$logfile" >&2
        die "$label failed (exit $rc); full log: $logfile"
    fi
}

# new_wrapper DIR MODULE VERSION : a throwaway main module requiring MODULE@VERSION
new_wrapper() {
    local dir="$1"
    mkdir -p "$dir"
    cat >"$dir/go.mod" <<EOF
module gantry.local/clusterbuild

go $(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/').0
EOF
}

build_kubernetes() {
    local tmp="$1" out="$1/out/bin" wrap="$1/wrap"
    local v="$KUBERNETES_VERSION" minor major
    major="$(echo "${v#v}" | cut -d. -f1)"
    minor="$(echo "${v#v}" | cut -d. -f2)"
    local staging
    staging="v0.${minor}.$(echo "${v#v}" | cut -d. -f3)"
    new_wrapper "$wrap"
    log "kubernetes $v: resolving k8s.io/kubernetes and its staging modules"
    # k8s.io/kubernetes replaces its staging modules (k8s.io/api, ...) with
    # ./staging/src/... paths, which only work inside its own repository; so
    # `go install` refuses it. Read the list from its go.mod and replace each
    # one that it requires with the published module at v0.Y.Z.
    local gomod
    gomod="$(cd "$wrap" && go mod download -json "k8s.io/kubernetes@$v" \
        | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
    [[ -f "$gomod" ]] || die "could not download go.mod of k8s.io/kubernetes@$v"
    local mods=() m
    while read -r m; do
        # only modules k8s.io/kubernetes requires (some staging modules, such as
        # sample-cli-plugin, are not published for every release)
        if grep -Eq "^[[:space:]]*${m//./\\.} v" "$gomod"; then mods+=("$m"); fi
    done < <(sed -n 's/^[[:space:]]*\([^[:space:]]*\) => \.\/staging\/.*/\1/p' "$gomod")
    (( ${#mods[@]} > 10 )) || die "found only ${#mods[@]} staging modules in $gomod"
    {
        echo "require k8s.io/kubernetes $v"
        echo "replace ("
        for m in "${mods[@]}"; do echo "	$m => $m $staging"; done
        echo ")"
    } >>"$wrap/go.mod"
    log "kubernetes $v: ${#mods[@]} staging modules pinned at $staging; downloading"
    local pkgs=(k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
        k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
    (cd "$wrap" && run_logged "$tmp/get.log" "go get" go get "${pkgs[@]/%/@$v}")
    local date pkg ldflags=(-s -w)
    date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags+=("-X $pkg.gitVersion=$v" "-X $pkg.gitMajor=$major" "-X $pkg.gitMinor=$minor"
            "-X $pkg.gitTreeState=clean" "-X $pkg.buildDate=$date")
    done
    log "kubernetes $v: compiling ${pkgs[*]##*/} (this takes many minutes)"
    mkdir -p "$out"
    (cd "$wrap" && run_logged "$tmp/build.log" "go build kubernetes" \
        go build -v -trimpath -ldflags "${ldflags[*]}" -o "$out/" "${pkgs[@]}")
}

build_etcd() {
    local tmp="$1" out="$1/out/bin" wrap="$1/wrap" v="$ETCD_VERSION"
    new_wrapper "$wrap"
    # etcd's server module replaces its sibling modules with ../ paths, so
    # `go install` refuses it too; as a dependency of a wrapper module its
    # replaces are ignored and the published siblings at the same version are used.
    echo "require go.etcd.io/etcd/server/v3 $v" >>"$wrap/go.mod"
    log "etcd $v: downloading"
    (cd "$wrap" && run_logged "$tmp/get.log" "go get" go get "go.etcd.io/etcd/server/v3@$v")
    log "etcd $v: compiling"
    mkdir -p "$out"
    (cd "$wrap" && run_logged "$tmp/build.log" "go build etcd" \
        go build -v -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3)
}

build_kwok() {
    local tmp="$1" v="$KWOK_VERSION"
    mkdir -p "$tmp/out/bin"
    log "kwok $v: go install sigs.k8s.io/kwok/cmd/kwok@$v"
    (cd "$tmp" && GOBIN="$tmp/out/bin" run_logged "$tmp/build.log" "go install kwok" \
        go install -v -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$v")
}

build_gateway-api() {
    local tmp="$1" wrap="$1/wrap" v="$GATEWAY_API_VERSION" src
    new_wrapper "$wrap"
    log "gateway-api $v: downloading sigs.k8s.io/gateway-api for its CRDs"
    src="$(cd "$wrap" && GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/gateway-api@$v" \
        | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')"
    [[ -d "$src/config/crd/standard" ]] || die "no config/crd/standard in sigs.k8s.io/gateway-api@$v"
    mkdir -p "$tmp/out/crd"
    cp "$src"/config/crd/standard/*.yaml "$tmp/out/crd/"
    chmod -R u+w "$tmp/out"   # the module cache's files are read-only
}

build_kube-state-metrics() {
    local tmp="$1" out="$1/out/bin" wrap="$1/wrap" v="$KUBE_STATE_METRICS_VERSION"
    local p=github.com/prometheus/common/version
    # `go install ...@version` would also read the module's version list (to check
    # for deprecations), which the proxy does not serve for this module; a wrapper
    # module that requires the exact version needs only that version.
    new_wrapper "$wrap"
    echo "require k8s.io/kube-state-metrics/v2 $v" >>"$wrap/go.mod"
    log "kube-state-metrics $v: compiling"
    mkdir -p "$out"
    (cd "$wrap" && run_logged "$tmp/build.log" "go build kube-state-metrics" \
        go build -mod=mod -v -trimpath \
        -ldflags "-s -w -X $p.Version=${v#v} -X $p.Branch=release -X $p.BuildUser=gantry -X $p.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)" \
        -o "$out/kube-state-metrics" k8s.io/kube-state-metrics/v2)
}

build_helm() {
    local tmp="$1" out="$1/out/bin" wrap="$1/wrap" v="$HELM_VERSION"
    local p=helm.sh/helm/v3/internal/version
    new_wrapper "$wrap"
    echo "require helm.sh/helm/v3 $v" >>"$wrap/go.mod"
    log "helm $v: compiling"
    mkdir -p "$out"
    (cd "$wrap" && run_logged "$tmp/build.log" "go build helm" \
        go build -mod=mod -v -trimpath \
        -ldflags "-s -w -X $p.version=$v -X $p.gitTreeState=clean" \
        -o "$out/helm" helm.sh/helm/v3/cmd/helm)
}

# compose-check is our own few lines around compose-spec/compose-go's loader (the
# library `docker compose config` uses); its sources are keyed into the cache name.
COMPOSE_CHECK_SRC="$HERE/../tools/compose-check"
compose_check_digest() {
    cat "$COMPOSE_CHECK_SRC/go.mod" "$COMPOSE_CHECK_SRC/go.sum" "$COMPOSE_CHECK_SRC/main.go" \
        | sha256sum | cut -c1-12
}

build_compose-check() {
    local tmp="$1" out="$1/out/bin"
    mkdir -p "$out" "$tmp/src"
    cp "$COMPOSE_CHECK_SRC/go.mod" "$COMPOSE_CHECK_SRC/go.sum" "$COMPOSE_CHECK_SRC/main.go" "$tmp/src/"
    log "compose-check (compose-go $COMPOSE_GO_VERSION): compiling"
    (cd "$tmp/src" && run_logged "$tmp/build.log" "go build compose-check" \
        go build -v -trimpath -ldflags "-s -w" -o "$out/compose-check" .)
}

build_component() {
    local c="$1" dir tmp t0
    dir="$(cache_dir "$c")"
    if is_cached "$c"; then
        log "$c: cached in $dir"
        return
    fi
    mkdir -p "$CACHE"
    # one builder per component at a time (parallel `make test` runs share the cache)
    exec {lock}>"$CACHE/.$(basename "$dir").lock"
    flock "$lock"
    if is_cached "$c"; then
        log "$c: built meanwhile by another process, cached in $dir"
        exec {lock}>&-
        return
    fi
    # we hold the lock, so any temporary build directory of this component is a
    # leftover of a build that was killed
    rm -rf "$CACHE/.tmp-$(basename "$dir")-"*
    t0=$(date +%s)
    tmp="$(mktemp -d "$CACHE/.tmp-$(basename "$dir")-XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    "build_$c" "$tmp"
    local bin
    for bin in $(binaries "$c"); do
        [[ -x "$tmp/out/bin/$bin" ]] || die "$c: $bin was not produced"
    done
    if [[ "$c" == gateway-api ]]; then ls "$tmp/out/crd/"*.yaml >/dev/null || die "$c: no CRDs"; fi
    rm -rf "$dir"   # a leftover without all binaries (is_cached said no)
    mv -T "$tmp/out" "$dir"
    rm -rf "$tmp"
    trap - EXIT
    exec {lock}>&-
    log "$c: built in $(( $(date +%s) - t0 ))s -> $dir ($(du -sh "$dir" | cut -f1))"
}

components=("$@")
if (( ${#components[@]} == 0 )); then components=(kubernetes etcd kwok gateway-api); fi
if [[ "${components[*]}" == "all" ]]; then components=(kubernetes etcd kwok gateway-api kube-state-metrics helm compose-check); fi

log "go $(go env GOVERSION), cache $CACHE, components: ${components[*]}"
for c in "${components[@]}"; do
    build_component "$c"
done
log "done in $(( $(date +%s) - START ))s"
