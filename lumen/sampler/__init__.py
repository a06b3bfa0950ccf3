"""The loop sampler (docs/reference.md#sampler): exposition text, Pushgateway delivery, spool and
run history.

`lumen.commands.sample` wires these together; `exposition` is pure text building, the rest are
the thin adapters around it.
"""
