"""Layer 2b: implementations of core.ports. Families never import each other."""
