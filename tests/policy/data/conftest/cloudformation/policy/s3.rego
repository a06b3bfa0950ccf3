package main
import rego.v1

deny contains msg if {
	some name, resource in input.Resources
	resource.Type == "AWS::S3::Bucket"
	resource.Properties.AccessControl == "PublicRead"
	msg := sprintf("bucket %s is public", [name])
}

deny contains msg if {
	some name, resource in input.Resources
	resource.Type == "AWS::S3::BucketPolicy"
	ref := resource.Properties.Bucket.Ref
	msg := sprintf("policy %s is attached to %s (%s)", [name, ref, concat(".", resource.Properties.Arn["Fn::GetAtt"])])
}
