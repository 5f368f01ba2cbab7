{{/* Labels every object carries. */}}
{{- define "platform-certificates.labels" -}}
{{- with .Values.labels }}{{ toYaml . }}
{{ end -}}
app.kubernetes.io/component: certificates
{{- end }}
