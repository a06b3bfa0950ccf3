"""One module per `lumen` subcommand: `add_arguments(parser)` and `run(args) -> int`.

Modules import only the standard library and lightweight Lumen modules at the top; whatever is
heavy (sigstore, cyclonedx, PyGithub, regorus) is imported inside `run`.
"""
