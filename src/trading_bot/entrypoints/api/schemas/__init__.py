"""Pydantic request and response models of every route (the OpenAPI the dashboard is typed by)."""
