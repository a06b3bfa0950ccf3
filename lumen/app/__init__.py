"""The use-case layer: one module per capability, typed inputs in, results out (no argparse)."""
