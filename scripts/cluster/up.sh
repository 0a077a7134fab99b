#!/usr/bin/env bash
# Start the local Kubernetes control plane (or reuse the one already running):
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler and KWOK as local
# processes on 127.0.0.1, with simulated CPU and GPU nodes (nodes.yaml) whose pods
# KWOK runs through the Stages in kwok-stages.yaml; pod_logs.py ("pod-logs") gives
# each pod the container logs of the failure its image tag asks for.
#
# Usage: scripts/cluster/up.sh            (make cluster)
#   Progress goes to stderr; stdout gets one line, the admin kubeconfig's path, so
#   other scripts can do:  export KUBECONFIG="$(scripts/cluster/up.sh)"
#
# Binaries come from scripts/cluster/build.sh (run here when missing). State lives
# in .gantry/cluster/ (see lib.sh); certificates and ports are kept across restarts,
# etcd starts empty each time the cluster starts.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T0=$(date +%s%N)
exec 3>&2   # progress goes to fd 3, which stays the terminal inside quiet polls
say() {
    local ms=$(( ($(date +%s%N) - T0) / 1000000 ))
    printf 'cluster [%3d.%01ds] %s\n' $((ms / 1000)) $((ms % 1000 / 100)) "$*" >&3
}
fail() {
    say "FAILED: $*"
    say "logs are in $STATE/logs/"
    exit 1
}

need() {  # need CMD DEBIAN_PACKAGE
    command -v "$1" >/dev/null && return
    say "installing $2 (for $1)"
    if [[ $(id -u) -eq 0 ]]; then
        (apt-get update -qq && apt-get install -y -qq "$2") >&2
    else
        (sudo apt-get update -qq && sudo apt-get install -y -qq "$2") >&2
    fi
}

mkdir -p "$STATE"
exec {LOCK}>"$STATE/.lock"
flock "$LOCK"   # one up/down at a time (parallel test runs share the cluster)

# wait_for WHAT SECONDS COMMAND... : poll COMMAND every 0.2 s
wait_for() {
    local what="$1" secs="$2" deadline
    shift 2
    deadline=$(( $(date +%s) + secs ))
    until "$@" >/dev/null 2>&1; do
        if (( $(date +%s) >= deadline )); then return 1; fi
        sleep 0.2
    done
    say "$what"
}
check_alive() {  # fail early, with the log, when a component exits
    local c
    for c in "$@"; do
        if ! is_running "$c"; then
            tail -n 25 "$STATE/logs/$c.log" >&3 || true
            fail "$c exited during start-up; see $STATE/logs/$c.log"
        fi
    done
}
http_ok() { [[ "$(curl -sk --max-time 2 "$1")" == "$2" ]]; }
etcd_ok() { check_alive etcd; curl -s --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }
apiserver_ok() { check_alive kube-apiserver; apiserver_ready; }
components_ok() {
    check_alive kube-controller-manager kube-scheduler kwok
    http_ok "https://127.0.0.1:$KCM_PORT/healthz" ok && http_ok "https://127.0.0.1:$SCHEDULER_PORT/healthz" ok
}
KUBECTL="$K8S_BIN/kubectl"
nodes_ready() {  # every node Ready, and the node lifecycle controller has lifted not-ready
    local want got
    want=$(grep -c '^  kind: Node$' "$CLUSTER_DIR/nodes.yaml")
    got=$("$KUBECTL" --kubeconfig "$STATE/kubeconfig" get nodes -l type=kwok -o \
        jsonpath='{range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status} {.spec.taints[*].key}{"\n"}{end}' \
        2>/dev/null | awk '$2 == "True" && !/node.kubernetes.io\//' | wc -l)
    (( got == want ))
}
logs_crd_served() { api_curl /apis/kwok.x-k8s.io/v1alpha1/logs | grep -q '"kind": *"LogsList"'; }
# Gantry's PriorityClasses (priorityclasses.yaml), on every start, even of a running cluster:
# the model pods it renders name them, and the Priority admission plugin refuses the pods
# until they exist. Their values are immutable: a changed one fails here, saying so.
priority_classes() {
    "$KUBECTL" --kubeconfig "$STATE/kubeconfig" apply --server-side --field-manager=gantry-cluster \
        -f "$CLUSTER_DIR/priorityclasses.yaml" >/dev/null \
        || fail "could not apply $CLUSTER_DIR/priorityclasses.yaml (a changed value? delete the classes first)"
}
default_sa() { "$KUBECTL" --kubeconfig "$STATE/kubeconfig" -n default get serviceaccount default; }

crds_established() {
    "$KUBECTL" --kubeconfig "$STATE/kubeconfig" wait --for=condition=Established --timeout=1s \
        crd/httproutes.gateway.networking.k8s.io crd/gateways.gateway.networking.k8s.io >/dev/null 2>&1
}
# The Gateway API's standard CRDs (HTTPRoute, Gateway, ...), from the pinned Go module;
# applying them again is a no-op, so every start (fresh or resumed) makes sure of them.
install_gateway_api() {
    if [[ ! -f "$GATEWAY_API_CRDS/gateway.networking.k8s.io_httproutes.yaml" ]]; then
        bash "$CLUSTER_DIR/build.sh" gateway-api >&2 || fail "build.sh gateway-api failed"
    fi
    "$KUBECTL" --kubeconfig "$STATE/kubeconfig" apply --server-side --field-manager=gantry-cluster \
        -f "$GATEWAY_API_CRDS" >/dev/null || fail "could not install the Gateway API CRDs"
    wait_for "Gateway API CRDs established" 30 crds_established \
        || fail "the Gateway API CRDs were not established after 30 s"
}

wait_ready() {  # everything up.sh promises, after the processes are started
    apiserver_ready || wait_for "kube-apiserver ready (/readyz)" 90 apiserver_ok \
        || fail "kube-apiserver not ready after 90 s"
    wait_for "kube-controller-manager and kube-scheduler healthy" 60 components_ok \
        || fail "kube-controller-manager or kube-scheduler not healthy after 60 s"
    wait_for "nodes Ready" 60 nodes_ready || fail "nodes not Ready after 60 s"
    wait_for "default service account present" 60 default_sa || fail "no default service account after 60 s"
    priority_classes
    install_gateway_api
}

all_running() {
    local c
    for c in "${COMPONENTS[@]}"; do is_running "$c" || return 1; done
}

if all_running && apiserver_ready; then
    crds_established || install_gateway_api
    say "already running (kube-apiserver on 127.0.0.1:$APISERVER_PORT)"
    priority_classes
    echo "$STATE/kubeconfig"
    exit 0
fi

# etcd still up (say kwok crashed, or a test stopped kube-apiserver): start what is
# missing with the same launchers and ports, keeping the cluster's data.
if is_running etcd && [[ -s "$STATE/kubeconfig" ]]; then
    resumable=1
    for c in "${COMPONENTS[@]}"; do
        [[ -x "$STATE/run/$c.sh" && -x "$(binary_of "$c")" ]] || resumable=0
    done
    if (( resumable )); then
        load_ports
        for c in "${COMPONENTS[@]}"; do
            if ! is_running "$c"; then
                say "restarting $c"
                start_component "$c" || fail "$c did not start"
            fi
        done
        wait_ready
        say "ready: kubectl --kubeconfig $STATE/kubeconfig get nodes"
        echo "$STATE/kubeconfig"
        exit 0
    fi
fi

# Otherwise (etcd gone, or the machine restarted and left stale pid files) stop
# whatever is left and start afresh.
for c in $(printf '%s\n' "${COMPONENTS[@]}" | tac); do
    if is_running "$c"; then
        say "stopping leftover $c (the cluster was only partly running)"
        stop_component "$c"
    fi
    rm -f "$STATE/pids/$c.pid"
done

need openssl openssl
need curl curl
need python3 python3
# pod_logs.py needs Python 3.11; its interpreter is whatever python3 resolves to here
# (kept from the last start: asking a pyenv shim costs most of a second)
PYTHON="$(cat "$STATE/run/pod-logs.python" 2>/dev/null || true)"
if [[ ! -x "$PYTHON" ]]; then
    PYTHON="$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable) if sys.version_info >= (3, 11) else "")')"
fi
[[ -x "$PYTHON" ]] || fail "python3 is older than 3.11 (pod_logs.py needs 3.11)"

# ---- binaries -------------------------------------------------------------
missing=0
for c in etcd kube-apiserver kube-controller-manager kube-scheduler kwok kubectl; do
    [[ -x "$(binary_of "$c")" ]] || missing=1
done
if (( missing )); then
    say "binaries missing from $CACHE: building them (the first build takes many minutes)"
    bash "$CLUSTER_DIR/build.sh" kubernetes etcd kwok >&2 || fail "build.sh failed"
fi

mkdir -p "$STATE"/{pki,kubeconfigs,run,pids,logs}

# KWOK's Logs CRD comes with the pinned module (its kustomize/crd/bases); the module is
# in Go's cache once build.sh has built kwok, so this is a copy, done once per version.
if [[ ! -s "$KWOK_LOGS_CRD" ]]; then
    say "copying KWOK's Logs CRD from sigs.k8s.io/kwok@$KWOK_VERSION"
    kwok_src="$(cd / && GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')" || fail "could not download sigs.k8s.io/kwok@$KWOK_VERSION"
    mkdir -p "$(dirname "$KWOK_LOGS_CRD")"
    cp "$kwok_src/kustomize/crd/bases/kwok.x-k8s.io_logs.yaml" "$KWOK_LOGS_CRD.$$"
    mv "$KWOK_LOGS_CRD.$$" "$KWOK_LOGS_CRD"
fi

# ---- ports: keep the previous ones while they are free --------------------
load_ports
PORT_NAMES=(ETCD_PORT ETCD_PEER_PORT APISERVER_PORT KCM_PORT SCHEDULER_PORT KWOK_PORT)
prev=""
for p in "${PORT_NAMES[@]}"; do prev+="$p=${!p:-0} "; done
# shellcheck disable=SC2086
python3 - $prev >"$STATE/ports.env.new" <<'EOF'
import socket
import sys

held = []

def bind(port: int) -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # as the servers do: a port whose old connections linger in TIME_WAIT is free
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        return 0
    held.append(s)  # keep it bound so that no two names get the same port
    return s.getsockname()[1]

for arg in sys.argv[1:]:
    name, _, value = arg.partition("=")
    port = bind(int(value)) if int(value) > 0 else 0
    print(f"{name}={port or bind(0)}")
EOF
mv "$STATE/ports.env.new" "$STATE/ports.env"
load_ports
say "ports: apiserver $APISERVER_PORT, etcd $ETCD_PORT, controller-manager $KCM_PORT, scheduler $SCHEDULER_PORT, kwok $KWOK_PORT"

# ---- certificates (made once, kept across restarts) ------------------------
PKI="$STATE/pki"
if [[ ! -s "$PKI/ca.crt" || ! -s "$PKI/ca.key" ]]; then
    say "creating a CA and service-account keys in $PKI"
    rm -f "$PKI"/*
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
        -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -subj "/CN=gantry-local-ca" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
fi

# cert NAME SUBJECT EXTENDED_KEY_USAGE [SUBJECT_ALT_NAMES]
cert() {
    local name="$1" subj="$2" eku="$3" san="${4:-}" ext
    [[ -s "$PKI/$name.crt" && -s "$PKI/$name.key" ]] && return
    ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=$eku"
    [[ -n "$san" ]] && ext+=$'\n'"subjectAltName=$san"
    openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -out "$PKI/$name.csr" \
        -subj "$subj" 2>/dev/null
    openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
        -CAcreateserial -days 3650 -sha256 -extfile <(echo "$ext") -out "$PKI/$name.crt" 2>/dev/null
    rm -f "$PKI/$name.csr"
}
LOCAL_SANS="IP:127.0.0.1,DNS:localhost"
cert apiserver "/CN=kube-apiserver" serverAuth \
    "$LOCAL_SANS,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
cert apiserver-kubelet-client "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client" clientAuth
cert admin "/O=system:masters/CN=gantry-admin" clientAuth
cert controller-manager "/CN=system:kube-controller-manager" clientAuth
cert scheduler "/CN=system:kube-scheduler" clientAuth
cert front-proxy-client "/CN=front-proxy-client" clientAuth
cert kwok "/O=system:masters/CN=kwok" clientAuth,serverAuth "$LOCAL_SANS"

# ---- kubeconfigs -----------------------------------------------------------
kubeconfig() {  # kubeconfig FILE USER EMBED(yes|no)
    local file="$1" user="$2" embed="$3" server="https://127.0.0.1:$APISERVER_PORT"
    if [[ "$embed" == yes ]]; then
        cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: gantry-local
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 "$PKI/$user.crt")
    client-key-data: $(base64 -w0 "$PKI/$user.key")
contexts:
- name: gantry-local
  context: {cluster: gantry-local, user: $user, namespace: default}
current-context: gantry-local
EOF
    else
        cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: gantry-local
  cluster: {server: "$server", certificate-authority: "$PKI/ca.crt"}
users:
- name: $user
  user: {client-certificate: "$PKI/$user.crt", client-key: "$PKI/$user.key"}
contexts:
- name: gantry-local
  context: {cluster: gantry-local, user: $user}
current-context: gantry-local
EOF
    fi
    chmod 600 "$file"
}
KC="$STATE/kubeconfigs"
kubeconfig "$KC/controller-manager.kubeconfig" controller-manager no
kubeconfig "$KC/scheduler.kubeconfig" scheduler no
kubeconfig "$KC/kwok.kubeconfig" kwok no
kubeconfig "$STATE/kubeconfig.new" admin yes
mv "$STATE/kubeconfig.new" "$STATE/kubeconfig"

# ---- launchers -------------------------------------------------------------
launcher() {  # launcher NAME ARGS... : run/NAME.sh writes its pid and execs the binary
    local name="$1" f="$STATE/run/$1.sh" bin
    shift
    bin="$(binary_of "$name")"
    {
        echo '#!/usr/bin/env bash'
        echo "# written by scripts/cluster/up.sh; start with scripts/cluster/component.sh start $name"
        # close descriptors inherited from whoever started us (a lock, a pipe)
        # shellcheck disable=SC2016
        echo 'for fd in $(ls /proc/$$/fd); do case $fd in 0|1|2|255) ;; *) eval "exec $fd>&-" ;; esac; done'
        echo "echo \$\$ > $(printf %q "$STATE/pids/$name.pid")"
        printf 'exec %q' "$bin"
        printf ' \\\n    %q' "$@"
        echo
    } >"$f"
    chmod +x "$f"
}

launcher etcd \
    --name=gantry --data-dir="$STATE/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="gantry=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync --log-level=warn

launcher kube-apiserver \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --service-account-key-file="$PKI/sa.pub" \
    --service-account-signing-key-file="$PKI/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range=10.0.0.0/16 \
    --endpoint-reconciler-type=none \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultStorageClass,DefaultTolerationSeconds,NodeRestriction,Priority,PodSecurity,TaintNodesByCondition,RuntimeClass,StorageObjectInUseProtection,MutatingAdmissionWebhook,ValidatingAdmissionPolicy,ValidatingAdmissionWebhook,ResourceQuota \
    --requestheader-client-ca-file="$PKI/ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User \
    --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$PKI/front-proxy-client.crt" \
    --proxy-client-key-file="$PKI/front-proxy-client.key" \
    --allow-privileged=true \
    --profiling=false

launcher kube-controller-manager \
    --kubeconfig="$KC/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$KC/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$KC/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
    --controllers=deployment-controller,replicaset-controller,statefulset-controller,job-controller,horizontal-pod-autoscaler-controller,resourcequota-controller,disruption-controller,namespace-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller,endpointslice-controller,root-ca-certificate-publisher-controller,pod-garbage-collector-controller,ttl-after-finished-controller,clusterrole-aggregation-controller,node-lifecycle-controller,taint-eviction-controller,persistentvolume-binder-controller \
    --use-service-account-credentials=true \
    --service-account-private-key-file="$PKI/sa.key" \
    --root-ca-file="$PKI/ca.crt" \
    --leader-elect=false \
    --kube-api-qps=100 --kube-api-burst=200 \
    --horizontal-pod-autoscaler-sync-period=5s \
    --profiling=false

launcher kube-scheduler \
    --kubeconfig="$KC/scheduler.kubeconfig" \
    --authentication-kubeconfig="$KC/scheduler.kubeconfig" \
    --authorization-kubeconfig="$KC/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" \
    --leader-elect=false \
    --profiling=false

# Node addresses are 127.0.0.1 with KWOK's server as their "kubelet" port, so
# whatever the API server sends to a kubelet (logs, exec) stays on loopback: it calls
# KWOK's server over TLS with apiserver-kubelet-client, and KWOK answers pods/log from
# the pod's own Logs object (--enable-crds=Logs; pod-logs writes them) or, until there
# is one, from kwok-logs.yaml (rendered into $STATE with the log files' absolute paths).
# Pod IPs come from --cidr: they are data only, nothing listens there.
sed "s|@LOGS_DIR@|$CLUSTER_DIR/logs|g" "$CLUSTER_DIR/kwok-logs.yaml" >"$STATE/kwok-logs.yaml"
launcher kwok \
    --kubeconfig="$KC/kwok.kubeconfig" \
    --config="$CLUSTER_DIR/kwok-stages.yaml" \
    --config="$STATE/kwok-logs.yaml" \
    --enable-crds=Logs \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-ip=127.0.0.1 --node-port="$KWOK_PORT" \
    --server-address="127.0.0.1:$KWOK_PORT" \
    --tls-cert-file="$PKI/kwok.crt" --tls-private-key-file="$PKI/kwok.key" \
    --cidr=10.244.0.0/16 \
    --node-lease-duration-seconds=40 \
    --v=WARN

echo "$PYTHON" >"$STATE/run/pod-logs.python"
launcher pod-logs \
    -I -u "$CLUSTER_DIR/pod_logs.py" \
    --server="https://127.0.0.1:$APISERVER_PORT" \
    --ca="$PKI/ca.crt" --cert="$PKI/kwok.crt" --key="$PKI/kwok.key" \
    --templates="$CLUSTER_DIR/logs" --out="$STATE/pod-logs"

# ---- start -----------------------------------------------------------------
for c in "${COMPONENTS[@]}"; do
    if [[ -f "$STATE/logs/$c.log" ]]; then mv "$STATE/logs/$c.log" "$STATE/logs/$c.previous.log"; fi
done
rm -rf "$STATE/etcd" "$STATE/pod-logs"

start_component etcd || fail "etcd did not start"
wait_for "etcd healthy" 30 etcd_ok || fail "etcd not healthy after 30 s"
start_component kube-apiserver || fail "kube-apiserver did not start"
wait_for "kube-apiserver ready (/readyz)" 90 apiserver_ok || fail "kube-apiserver not ready after 90 s"
# The Logs CRD before KWOK, whose informer on it would otherwise wait out a back-off
"$KUBECTL" --kubeconfig "$STATE/kubeconfig" apply --server-side --field-manager=gantry-cluster \
    -f "$KWOK_LOGS_CRD" -f "$CLUSTER_DIR/nodes.yaml" >/dev/null || fail "could not create the Logs CRD and the nodes"
for c in kube-controller-manager kube-scheduler kwok; do
    start_component "$c" || fail "$c did not start"
done
"$KUBECTL" --kubeconfig "$STATE/kubeconfig" apply --server-side --field-manager=gantry-cluster \
    --subresource=status -f "$CLUSTER_DIR/nodes.yaml" >/dev/null || fail "could not set the nodes' status"
wait_ready
# By now the CRD is long established; no pod can have started before the default
# service account existed, and the watcher lists what is there anyway.
if [[ " ${COMPONENTS[*]} " == *" pod-logs "* ]]; then
    logs_crd_served || wait_for "Logs CRD served" 30 logs_crd_served || fail "the Logs CRD is not served after 30 s"
    start_component pod-logs || fail "pod-logs did not start"
fi

say "ready: kubectl --kubeconfig $STATE/kubeconfig get nodes"
echo "$STATE/kubeconfig"
