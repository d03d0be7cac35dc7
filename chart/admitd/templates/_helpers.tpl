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

{{/*
The image-signatures policy's files (values `signatures`), mounted at fixed
paths in the webhook's pods and the audit's. Read with defaults: after
`helm upgrade --reuse-values` from a chart without these values, they are
absent, not empty.
*/}}
{{- define "admitd.signatures" -}}
{{- $sig := .Values.signatures | default dict -}}
{{- $keys := $sig.keys | default dict -}}
{{- $ca := $sig.registryCA | default dict -}}
{{- toJson (dict
  "inline" ($keys.inline | default dict)
  "keysConfigMap" ($keys.configMap | default "")
  "keysSecret" ($keys.secret | default "")
  "caConfigMap" ($ca.configMap | default "")
  "caSecret" ($ca.secret | default "")
  "caKey" ($ca.key | default "ca.crt")
  "pullSecret" ($sig.pullSecret | default "")) -}}
{{- end -}}

{{/* The container's volumeMounts for them (a list, or nothing). */}}
{{- define "admitd.signatureMounts" -}}
{{- $s := include "admitd.signatures" . | fromJson -}}
{{- if or $s.inline $s.keysConfigMap $s.keysSecret }}
- name: signature-keys
  mountPath: /etc/admitd/keys
  readOnly: true
{{- end }}
{{- if or $s.caConfigMap $s.caSecret }}
- name: registry-ca
  mountPath: /etc/admitd/registry-ca
  readOnly: true
{{- end }}
{{- if $s.pullSecret }}
- name: registry-pull
  mountPath: /etc/admitd/pull
  readOnly: true
{{- end }}
{{- end -}}

{{/* The pod's volumes for them (a list, or nothing). */}}
{{- define "admitd.signatureVolumes" -}}
{{- $s := include "admitd.signatures" . | fromJson -}}
{{- if $s.inline }}
- name: signature-keys
  configMap:
    name: {{ include "admitd.fullname" . }}-signature-keys
{{- else if $s.keysConfigMap }}
- name: signature-keys
  configMap:
    name: {{ $s.keysConfigMap }}
{{- else if $s.keysSecret }}
- name: signature-keys
  secret:
    secretName: {{ $s.keysSecret }}
    defaultMode: 0440
{{- end }}
{{- if $s.caConfigMap }}
- name: registry-ca
  configMap:
    name: {{ $s.caConfigMap }}
    items:
      - key: {{ $s.caKey | quote }}
        path: ca.crt
{{- else if $s.caSecret }}
- name: registry-ca
  secret:
    secretName: {{ $s.caSecret }}
    defaultMode: 0440
    items:
      - key: {{ $s.caKey | quote }}
        path: ca.crt
{{- end }}
{{- if $s.pullSecret }}
- name: registry-pull
  secret:
    secretName: {{ $s.pullSecret }}
    defaultMode: 0440
    items:
      - key: .dockerconfigjson
        path: .dockerconfigjson
{{- end }}
{{- end -}}

{{/*
Drift in the audit CronJob (values audit.drift), read with defaults as the
signatures are: absent after `helm upgrade --reuse-values` from a chart
without them.
*/}}
{{- define "admitd.drift" -}}
{{- $audit := .Values.audit | default dict -}}
{{- $d := $audit.drift | default dict -}}
{{- $b := $d.baseline | default dict -}}
{{- toJson (dict
  "enabled" ($d.enabled | default false)
  "configMaps" ($b.configMaps | default list)
  "secrets" ($b.secrets | default list)
  "failOn" ($d.failOn | default "")) -}}
{{- end -}}

{{/* The mounts of every container of the audit CronJob (a list). */}}
{{- define "admitd.auditMounts" -}}
- name: config
  mountPath: /etc/admitd/config
  readOnly: true
# the root filesystem is read-only, and audit keeps each
# result in a file under /tmp (memory does not grow with the cluster)
- name: tmp
  mountPath: /tmp
{{- with include "admitd.signatureMounts" . | trim }}
# the audit verifies signatures as the webhook does: the same
# files at the same paths
{{ . }}
{{- end }}
{{- end -}}

{{/*
A configuration path under /etc/admitd/ must be one the chart mounts.
Takes (list WHAT PATH WANT MOUNTED VALUE): WANT is the one file (or, ending
in /, the directory) the chart mounts for it, from VALUE when MOUNTED.
*/}}
{{- define "admitd.checkPath" -}}
{{- $what := index . 0 -}}{{- $path := toString (index . 1) -}}{{- $want := index . 2 -}}
{{- $mounted := index . 3 -}}{{- $value := index . 4 -}}
{{- if hasPrefix "/etc/admitd/" $path -}}
{{- $inDir := and (hasSuffix "/" $want) (hasPrefix $want $path) (not (contains "/" (trimPrefix $want $path))) (ne $path $want) -}}
{{- if not (or (eq $path $want) $inDir) -}}
{{- fail (printf "%s is %s, under /etc/admitd/, where the chart mounts only its own files: write %s%s (from %s)" $what $path $want (ternary "FILE" "" (hasSuffix "/" $want)) $value) -}}
{{- end -}}
{{- if not $mounted -}}
{{- fail (printf "%s is %s, but %s is not set: nothing is mounted there, and admitd would refuse the configuration (docs/signing.md, \"With the Helm chart\")" $what $path $value) -}}
{{- end -}}
{{- end -}}
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
{{- $s := include "admitd.signatures" . | fromJson -}}
{{- if gt (len (compact (list (ternary "x" "" (not (empty $s.inline))) $s.keysConfigMap $s.keysSecret))) 1 -}}
{{- fail "signatures.keys: give one of inline, configMap and secret (all of them would be mounted at /etc/admitd/keys/)" -}}
{{- end -}}
{{- if and $s.caConfigMap $s.caSecret -}}
{{- fail "signatures.registryCA: give configMap or secret, not both" -}}
{{- end -}}
{{- $cfg := .Values.config | default dict -}}
{{- $keysMounted := or $s.inline $s.keysConfigMap $s.keysSecret -}}
{{- range $i, $p := ($cfg.policies | default list) -}}
{{- if and (kindIs "map" $p) (has (toString $p.id) (list "image-signatures" "image-vulnerabilities")) -}}
{{- /* keys, and each imageKeys entry's keys: [name, list]; a scanner's key is mounted beside the release keys */ -}}
{{- $lists := list (list (printf "config.policies[%d] (%s) keys" $i $p.id) ($p.keys | default list)) -}}
{{- range $e, $entry := ($p.imageKeys | default list) -}}
{{- if kindIs "map" $entry -}}
{{- $lists = append $lists (list (printf "config.policies[%d] (%s) imageKeys[%d].keys" $i $p.id $e) ($entry.keys | default list)) -}}
{{- end -}}
{{- end -}}
{{- range $l := $lists -}}
{{- range $j, $k := (index $l 1) -}}
{{- $what := printf "%s[%d]" (index $l 0) $j -}}
{{- include "admitd.checkPath" (list $what $k "/etc/admitd/keys/" $keysMounted "signatures.keys") -}}
{{- if and $s.inline (hasPrefix "/etc/admitd/keys/" (toString $k)) (not (hasKey $s.inline (base (toString $k)))) -}}
{{- fail (printf "%s is %s, but signatures.keys.inline has no %s (it has %s)" $what $k (base (toString $k)) (keys $s.inline | sortAlpha | join ", ")) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $registries := $cfg.registries | default list -}}
{{- range $i, $r := $registries -}}
{{- if kindIs "map" $r -}}
{{- with $r.caFile -}}
{{- include "admitd.checkPath" (list (printf "config.registries[%d].caFile" $i) . "/etc/admitd/registry-ca/ca.crt" (or $s.caConfigMap $s.caSecret) "signatures.registryCA") -}}
{{- end -}}
{{- with $r.credentialsFile -}}
{{- include "admitd.checkPath" (list (printf "config.registries[%d].credentialsFile" $i) . "/etc/admitd/pull/.dockerconfigjson" $s.pullSecret "signatures.pullSecret") -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $drift := include "admitd.drift" . | fromJson -}}
{{- if $drift.enabled -}}
{{- if not (.Values.audit | default dict).enabled -}}
{{- fail "audit.drift.enabled needs audit.enabled: drift runs in the audit CronJob" -}}
{{- end -}}
{{- $parts := concat $drift.configMaps $drift.secrets -}}
{{- if not $parts -}}
{{- fail "audit.drift.enabled needs the baseline: audit.drift.baseline.configMaps or .secrets, objects in the release's namespace whose keys are *.json inventories (docs/inventory.md, \"Where a baseline belongs\")" -}}
{{- end -}}
{{- if ne (len $drift.configMaps) (len (uniq $drift.configMaps)) -}}
{{- fail "audit.drift.baseline.configMaps names a ConfigMap twice: its workloads would be in the baseline twice" -}}
{{- end -}}
{{- if ne (len $drift.secrets) (len (uniq $drift.secrets)) -}}
{{- fail "audit.drift.baseline.secrets names a Secret twice: its workloads would be in the baseline twice" -}}
{{- end -}}
{{- end -}}
{{- $np := .Values.networkPolicy | default dict -}}
{{- $egress := $np.egress | default dict -}}
{{- if and $np.enabled $registries (not $egress.registryCIDRs) -}}
{{- fail "config.registries lists registries, but the NetworkPolicy lets admitd's pods reach nothing: set networkPolicy.egress.registryCIDRs to the addresses of the registries and of their allowedHosts (0.0.0.0/0 for anywhere), or networkPolicy.enabled=false" -}}
{{- end -}}
{{- end -}}
