"""Operator notifications over plain HTTP: a signed generic webhook, Discord, Telegram."""
