"""Brokers: the paper broker (simulated fills) and Alpaca."""
