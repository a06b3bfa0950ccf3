# Resource limits and probes for Kubernetes workloads (Lumen's shipped pack,
# docs/reference.md#rego).
package main

import data.lib.kubernetes as k8s
import rego.v1

deny contains {"msg": msg, "field": array.concat(k8s.container_path(c), ["resources", "limits", resource])} if {
	some c in k8s.containers
	some resource in ["cpu", "memory"]
	not c.resources.limits[resource]
	msg := sprintf("%s: container '%s' must set resources.limits.%s", [k8s.name, c.name, resource])
}

deny contains {"msg": msg, "field": array.concat(k8s.container_path(c), [probe])} if {
	some c in k8s.app_containers
	some probe in ["livenessProbe", "readinessProbe"]
	not c[probe]
	msg := sprintf("%s: container '%s' must define a %s", [k8s.name, c.name, probe])
}
