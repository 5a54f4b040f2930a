"""Layer 3: the only code that reads settings and picks adapters."""
