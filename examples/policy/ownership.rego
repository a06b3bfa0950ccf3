# A team's own rule next to the shipped Kubernetes pack: every workload names its owning team.
package main

import rego.v1

workloads := {"Deployment", "StatefulSet", "DaemonSet", "CronJob", "Job"}

deny contains msg if {
	input.kind in workloads
	not input.metadata.labels["app.kubernetes.io/part-of"]
	msg := sprintf("%s/%s: label app.kubernetes.io/part-of (the owning team) is required", [input.kind, input.metadata.name])
}
