"""News sources: RSS/Atom, Reddit, SEC EDGAR, Alpaca News and JSONL replay."""
