{{- define "seer.labels" -}}
app.kubernetes.io/name: seer-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "seer.selector" -}}
app.kubernetes.io/name: seer-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "seer.image" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{ printf "%s/%s:%s" $root.Values.image.registry $name (default $root.Chart.AppVersion $root.Values.image.tag) }}
{{- end }}

{{- define "seer.fullname" -}}
{{ printf "%s-operator" .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
