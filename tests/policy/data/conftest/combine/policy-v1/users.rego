package main
import rego.v1

# The users a team names must exist among the combined files (conftest's combine example,
# written without the shadowed `some i` the engine refuses).
deny contains msg if {
	some team in input
	team.contents.kind == "team"
	existing := {u.contents.metadata.email | some u in input; u.contents.kind == "user"}
	configured := {user | some user in array.concat(team.contents.spec.owner, team.contents.spec.member)}
	missing := configured - existing
	count(missing) > 0
	msg := sprintf("Existing users %s | Configured users %s | Missing users %s", [sort(existing), sort(configured), sort(missing)])
}

deny contains msg if {
	some a in input
	count([b | some b in input; b.contents.metadata.name == a.contents.metadata.name]) > 1
	msg := sprintf("Error duplicate name : %s", [a.contents.metadata.name])
}
