"""The identity of the request the current thread serves (set by
:meth:`~.authorization.Authorization.serving`, read by the escalation check and
the reviews that run inside the same request)."""

from __future__ import annotations

import threading

from .attributes import Identity

__all__ = ["ANONYMOUS", "current_identity", "set_identity"]

ANONYMOUS = Identity("system:anonymous", ("system:unauthenticated",))

_local = threading.local()


def current_identity() -> Identity | None:
    """None outside a request (fixtures seeded by a test)."""
    identity: Identity | None = getattr(_local, "identity", None)
    return identity


def set_identity(identity: Identity | None) -> Identity | None:
    """Set it; returns the previous one, to restore."""
    previous = current_identity()
    _local.identity = identity
    return previous
