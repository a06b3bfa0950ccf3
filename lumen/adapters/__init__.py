"""Adapters: everything that touches the outside world (files, Prometheus, Rego engine).

The pure decisions in `gates/` never import from here."""
