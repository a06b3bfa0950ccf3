"""The use-case layer: one module per capability, typed inputs in (resolved settings, scope,
`now`, sources and connections), results out. Commands translate flags into these inputs; the
sampler and the actions call them too. Nothing here takes an `argparse.Namespace` (no argparse).
"""
