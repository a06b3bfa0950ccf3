# Container hardening for Kubernetes workloads (Lumen's shipped pack, docs/reference.md#rego).
package main

import data.lib.kubernetes as k8s
import rego.v1

deny contains {"msg": msg, "field": array.concat(k8s.container_path(c), ["securityContext", "readOnlyRootFilesystem"])} if {
	some c in k8s.containers
	not k8s.container_security(c).readOnlyRootFilesystem == true
	msg := sprintf("%s: container '%s' must set securityContext.readOnlyRootFilesystem: true", [k8s.name, c.name])
}

deny contains {"msg": msg, "field": array.concat(k8s.container_path(c), ["securityContext", "allowPrivilegeEscalation"])} if {
	some c in k8s.containers
	not k8s.container_security(c).allowPrivilegeEscalation == false
	msg := sprintf("%s: container '%s' must set securityContext.allowPrivilegeEscalation: false", [k8s.name, c.name])
}

# runAsNonRoot may be set for the whole pod or per container; a container setting it to
# false overrides the pod.
deny contains {"msg": msg, "field": array.concat(k8s.container_path(c), ["securityContext", "runAsNonRoot"])} if {
	some c in k8s.containers
	not runs_as_non_root(c)
	msg := sprintf("%s: container '%s' must run as non-root (securityContext.runAsNonRoot: true)", [k8s.name, c.name])
}

runs_as_non_root(c) if k8s.container_security(c).runAsNonRoot == true

runs_as_non_root(c) if {
	k8s.pod_security.runAsNonRoot == true
	not k8s.container_security(c).runAsNonRoot == false
}
