package main
import rego.v1

has_field(obj, field) if {
	obj[field]
}

deny contains msg if {
	some name
	some lb in input.resource.aws_alb_listener[name]
	lb.protocol == "HTTP"
	msg = sprintf("ALB `%v` is using HTTP rather than HTTPS", [name])
}

deny contains msg if {
	some name
	some rule in input.resource.aws_security_group_rule[name]
	rule.type == "ingress"
	contains(rule.cidr_blocks[_], "0.0.0.0/0")
	msg = sprintf("ASG `%v` defines a fully open ingress", [name])
}

deny contains msg if {
	some name
	some disk in input.resource.azurerm_managed_disk[name]
	has_field(disk, "encryption_settings")
	some setting in disk.encryption_settings
	setting.enabled != true
	msg = sprintf("Azure disk `%v` is not encrypted", [name])
}
