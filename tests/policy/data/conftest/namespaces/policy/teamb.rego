package team.b
import rego.v1

warn contains "team b warns" if input.kind == "Bad"
