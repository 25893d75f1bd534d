"""Async typed clients, one module per API group-version."""
