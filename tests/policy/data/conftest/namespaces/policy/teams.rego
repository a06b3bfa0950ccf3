package team.a
import rego.v1

deny contains "team a denies" if input.kind == "Bad"
