{{/* StatefulSet when the control plane keeps state on a volume, else Deployment (as the real chart). */}}
{{- define "standin.persistent" -}}
{{- $enabled := toString .Values.controlPlane.statefulSet.persistence.volumeClaim.enabled -}}
{{- if or (eq $enabled "true") (eq $enabled "auto") .Values.controlPlane.backingStore.etcd.embedded.enabled -}}true{{- end -}}
{{- end -}}

{{/* The Kubernetes image tag: distro.k8s.version when set, else the image's tag. */}}
{{- define "standin.k8sTag" -}}
{{- $version := .Values.controlPlane.distro.k8s.version -}}
{{- if $version -}}{{ if hasPrefix "v" $version }}{{ $version }}{{ else }}v{{ $version }}{{ end }}{{- else -}}{{ .Values.controlPlane.distro.k8s.image.tag }}{{- end -}}
{{- end -}}

{{- define "standin.labels" -}}
app: vcluster
release: {{ .Release.Name | quote }}
{{- end -}}
