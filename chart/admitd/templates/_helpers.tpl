{{/* The name of every object: the release name when it contains the chart's name. */}}
{{- define "admitd.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "admitd.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The webhook's pods. */}}
{{- define "admitd.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: webhook
{{- end -}}

{{- define "admitd.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The Secret holding the serving certificate. */}}
{{- define "admitd.tlsSecret" -}}
{{- .Values.tls.existingSecret | default (printf "%s-tls" (include "admitd.fullname" .)) -}}
{{- end -}}

{{/* The configuration, with dryRun applied. */}}
{{- define "admitd.config" -}}
{{- $cfg := deepCopy .Values.config -}}
{{- if .Values.dryRun -}}
{{- $_ := set $cfg "mode" "dry-run" -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* Pod and container security contexts: admitd's own restricted profile. */}}
{{- define "admitd.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "admitd.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Every check that must hold before anything is rendered. */}}
{{- define "admitd.validate" -}}
{{- if and .Values.certManager.enabled .Values.tls.existingSecret -}}
{{- fail "certManager.enabled and tls.existingSecret are exclusive: choose one source for the serving certificate" -}}
{{- end -}}
{{- if and .Values.tls.existingSecret (not .Values.tls.caBundle) -}}
{{- fail "tls.existingSecret needs tls.caBundle (base64 of the CA that signed it; manifests/gen-certs.sh writes both to manifests/certs/helm-values.yaml): without it the API server cannot reach admitd and, with failurePolicy Fail, refuses every pod" -}}
{{- end -}}
{{- if and .Values.tls.caBundle (not .Values.tls.existingSecret) -}}
{{- fail "tls.caBundle is only used with tls.existingSecret" -}}
{{- end -}}
{{- end -}}
