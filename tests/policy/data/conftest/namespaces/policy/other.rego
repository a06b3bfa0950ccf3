package other
import rego.v1

deny contains "other denies" if input.kind == "Bad"
