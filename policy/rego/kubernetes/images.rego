# Image references and exposure for Kubernetes manifests (Lumen's shipped pack,
# docs/reference.md#rego).
package main

import data.lib.kubernetes as k8s
import rego.v1

deny contains {"msg": msg, "field": array.concat(k8s.container_path(c), ["image"])} if {
	some c in k8s.containers
	latest(c.image)
	msg := sprintf("%s: container '%s' uses image '%s'; pin a version tag or digest, not :latest", [k8s.name, c.name, c.image])
}

# A digest pins the image whatever the tag says.
latest(image) if {
	not contains(image, "@")
	endswith(image, ":latest")
}

# No tag at all means :latest. The last path segment holds the tag; a registry port
# (registry:5000/app) is not one.
latest(image) if {
	not contains(image, "@")
	segments := split(image, "/")
	not contains(segments[count(segments) - 1], ":")
}

deny contains {"msg": msg, "field": ["spec", "type"]} if {
	input.kind == "Service"
	input.spec.type == "LoadBalancer"
	msg := sprintf("%s: type LoadBalancer exposes the service outside the cluster; use ClusterIP behind an Ingress or Gateway", [k8s.name])
}
