"""Push providers: one module per vendor protocol, each a `Provider` (see `base`)."""
