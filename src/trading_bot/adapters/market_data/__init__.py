"""Market data feeds: replay files, a seeded synthetic market, Alpaca real-time bars."""
