{{/* Names, labels and the pieces every Gantry pod shares. */}}

{{- define "gantry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "gantry.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "gantry.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "gantry.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "gantry.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "gantry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: include "gantry.selectorLabels" (list . "web") */}}
{{- define "gantry.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "gantry.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* The Host header of the kubelet's probes: one of ALLOWED_HOSTS, not the pod's IP. */}}
{{- define "gantry.probeHost" -}}
{{- printf "%s.%s.svc" (include "gantry.fullname" .) .Release.Namespace -}}
{{- end -}}

{{- define "gantry.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Refuse values that cannot work, before anything reaches the cluster. */}}
{{- define "gantry.preflight" -}}
{{- if not .Values.existingSecret -}}
{{- fail "existingSecret is required: create a Secret with the keys SECRET_KEY, DATABASE_URL and REDIS_URL first (see the README, \"Deploy to a cluster\"), then --set existingSecret=<its name>." -}}
{{- end -}}
{{- if and .Values.rbac.create (eq .Values.rbac.scope "namespaces") (empty .Values.rbac.namespaces) -}}
{{- fail "rbac.scope=namespaces needs rbac.namespaces: the namespaces Gantry may work in, e.g. --set 'rbac.namespaces={dev-nlp,prod-nlp}'." -}}
{{- end -}}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) -}}
{{- fail "ingress.enabled needs ingress.host, e.g. --set ingress.host=gantry.example.com." -}}
{{- end -}}
{{- if and .Values.web.podDisruptionBudget.enabled (not (kindIs "string" .Values.web.podDisruptionBudget.minAvailable)) (ge (int .Values.web.podDisruptionBudget.minAvailable) (int .Values.web.replicas)) -}}
{{- fail "web.podDisruptionBudget.minAvailable must be below web.replicas, or no node could ever be drained." -}}
{{- end -}}
{{- end -}}

{{/* The restricted Pod Security Standard, for every pod and container. */}}
{{- define "gantry.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "gantry.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Environment of every Gantry container: the secrets as files, the rest as plain values.
     Rendered inline (not from the ConfigMap) where a hook runs before the ConfigMap exists. */}}
{{- define "gantry.secretFileEnv" -}}
- name: SECRET_KEY_FILE
  value: /var/run/secrets/gantry/app/{{ .Values.secretKeys.secretKey }}
- name: DATABASE_URL_FILE
  value: /var/run/secrets/gantry/app/{{ .Values.secretKeys.databaseUrl }}
- name: REDIS_URL_FILE
  value: /var/run/secrets/gantry/app/{{ .Values.secretKeys.redisUrl }}
{{- end -}}

{{- define "gantry.config" -}}
{{- $hosts := .Values.config.allowedHosts -}}
{{- $origins := .Values.config.csrfTrustedOrigins -}}
{{- if .Values.ingress.enabled -}}
{{- $hosts = append $hosts .Values.ingress.host -}}
{{- $origins = append $origins (printf "https://%s" .Values.ingress.host) -}}
{{- end -}}
DEBUG: "false"
ALLOWED_HOSTS: {{ join "," (append $hosts (include "gantry.probeHost" .)) | quote }}
CSRF_TRUSTED_ORIGINS: {{ join "," $origins | quote }}
PROMETHEUS_URL: {{ .Values.config.prometheusUrl | quote }}
GANTRY_INSTALLATION: {{ .Values.config.installation | quote }}
GANTRY_RESYNC_INTERVAL_S: {{ int64 .Values.config.resyncIntervalSeconds | quote }}
GANTRY_WATCH_LEASE_S: {{ int64 .Values.config.watchLeaseSeconds | quote }}
GANTRY_WATCH_LEASE_NAMESPACE: {{ .Release.Namespace | quote }}
GANTRY_KUBECONFIG_DIRS: "/var/run/secrets/gantry/kubeconfigs"
GANTRY_NAMESPACES: {{ ternary (join "," .Values.rbac.namespaces) "" (eq .Values.rbac.scope "namespaces") | quote }}
GANTRY_PRIORITY_CLASSES: {{ .Values.priorityClasses.enabled | quote }}
GANTRY_LOG_FILE: ""
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
LOG_FORMAT: {{ .Values.config.logFormat | quote }}
SECURE_COOKIES: {{ .Values.https.enabled | quote }}
SECURE_SSL_REDIRECT: {{ .Values.https.enabled | quote }}
SECURE_HSTS_SECONDS: {{ ternary (int64 .Values.https.hstsSeconds) 0 .Values.https.enabled | quote }}
GANTRY_TRUST_X_FORWARDED_PROTO: {{ and .Values.https.enabled .Values.https.trustForwardedProto | quote }}
{{- range $name, $value := .Values.config.extraEnv }}
{{ $name }}: {{ $value | quote }}
{{- end }}
{{- end -}}

{{- define "gantry.volumes" -}}
- name: app-secret
  secret:
    secretName: {{ .Values.existingSecret }}
    defaultMode: 0440
- name: tmp
  emptyDir:
    sizeLimit: 256Mi
{{- if .Values.kubeconfigs.existingSecret }}
- name: kubeconfigs
  secret:
    secretName: {{ .Values.kubeconfigs.existingSecret }}
    defaultMode: 0440
{{- end }}
{{- end -}}

{{- define "gantry.volumeMounts" -}}
- name: app-secret
  mountPath: /var/run/secrets/gantry/app
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- if .Values.kubeconfigs.existingSecret }}
- name: kubeconfigs
  mountPath: /var/run/secrets/gantry/kubeconfigs
  readOnly: true
{{- end }}
{{- end -}}

{{/* The pod template's common head: include "gantry.podMeta" (list . "web") */}}
{{- define "gantry.podMeta" -}}
{{- $root := index . 0 -}}
labels:
  {{- include "gantry.selectorLabels" . | nindent 2 }}
  {{- with $root.Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
annotations:
  checksum/config: {{ include "gantry.config" $root | sha256sum }}
  {{- with $root.Values.podAnnotations }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* What Gantry does in the namespaces it deploys into: server-side apply (create,
     patch), reads (get, list for the resync's one LIST per kind, watch for the
     watcher) and delete of exactly the kinds it writes, and reads of the pods, their
     logs and events that explain a rollout. No update (apply is a patch), no secrets,
     no wildcard. */}}
{{- define "gantry.namespacedRules" -}}
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: [""]
  resources: ["services", "resourcequotas", "limitranges", "serviceaccounts"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["autoscaling"]
  resources: ["horizontalpodautoscalers"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies", "ingresses"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# HTTPRoutes where the cluster serves the Gateway API (harmless where it does not), and
# a look at the Gateway they attach to, so a missing one is reported in words.
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["httproutes"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["gateways"]
  verbs: ["get"]
- apiGroups: [""]
  resources: ["pods", "events"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["pods/log"]
  verbs: ["get"]
{{- end -}}
