{{/* Labels every object carries. */}}
{{- define "platform-edge.labels" -}}
{{- with .Values.labels }}{{ toYaml . }}
{{ end -}}
app.kubernetes.io/component: edge
{{- end }}
