"""Layer 2a: one module per service (XConfig + XService), using the core and ports only."""
