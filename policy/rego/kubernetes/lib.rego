# Helpers shared by the Kubernetes rules: where a manifest keeps its pod spec and containers.
package lib.kubernetes

import rego.v1

# Kinds whose pods run for a long time and so need probes (a Job's pod finishes by design).
long_running_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Pod"}

pod_spec := input.spec if input.kind == "Pod"

pod_spec := input.spec.template.spec if {
	input.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}
}

pod_spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

# Where the pod spec sits in the manifest, as a path (findings point at their field).
pod_spec_path := ["spec"] if input.kind == "Pod"

pod_spec_path := ["spec", "template", "spec"] if {
	input.kind in {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}
}

pod_spec_path := ["spec", "jobTemplate", "spec", "template", "spec"] if input.kind == "CronJob"

# The path of a container (or init container) of the pod spec.
container_path(c) := array.concat(pod_spec_path, ["containers", i]) if pod_spec.containers[i] == c

container_path(c) := array.concat(pod_spec_path, ["initContainers", i]) if {
	not c in pod_spec.containers
	pod_spec.initContainers[i] == c
}

name := sprintf("%s/%s", [input.kind, object.get(input, ["metadata", "name"], "(unnamed)")])

# Every container, init containers included: they run with the same privileges.
containers contains c if some c in pod_spec.containers

containers contains c if some c in pod_spec.initContainers

# Only the main containers serve traffic and are probed.
app_containers contains c if {
	input.kind in long_running_kinds
	some c in pod_spec.containers
}

pod_security := object.get(pod_spec, "securityContext", {})

container_security(c) := object.get(c, "securityContext", {})
