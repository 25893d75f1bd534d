"""Typed clients, one module per API group-version."""
