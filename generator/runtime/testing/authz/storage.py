"""What the authorization room needs of the engine, as protocols: the engine
imports this room, never the other way round."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from ..semantics.basics import Write
from ..semantics.resource import Resource

__all__ = ["Admission", "ObjectStore", "Objects", "ServerParts"]

StorageKey = tuple[str, str]
User = tuple[str, tuple[str, ...]]
Listener = Callable[[Resource, dict[str, Any]], None]
#: (resource, old or None, new) before a write is stored; raises to refuse it
Admission = Callable[[Resource, "dict[str, Any] | None", dict[str, Any]], None]


class ObjectStore(Protocol):
    """The engine's Store, read-only."""

    @property
    def lock(self) -> threading.RLock: ...

    def get(
        self, key: StorageKey, namespace: str, name: str
    ) -> dict[str, Any] | None: ...

    def objects(
        self, key: StorageKey, namespace: str | None = None
    ) -> list[dict[str, Any]]: ...


class Objects(Protocol):
    """The engine's object machinery: writes and their listeners."""

    @property
    def store(self) -> ObjectStore: ...

    @property
    def on_write(self) -> list[Listener]: ...

    @property
    def on_delete(self) -> list[Listener]: ...

    @property
    def admission(self) -> list[Admission]: ...

    def commit_update(
        self,
        resource: Resource,
        old: dict[str, Any],
        new: dict[str, Any],
        write: Write,
        subresource: str = "",
        *,
        managed: bool = True,
    ) -> dict[str, Any]: ...


class Authentication(Protocol):
    @property
    def token_verifiers(self) -> list[Callable[[str], User | None]]: ...

    def identify(self, request: Any) -> User | None: ...


class ServerParts(Protocol):
    """The server state, as far as authorization uses it."""

    @property
    def store(self) -> ObjectStore: ...

    @property
    def objects(self) -> Objects: ...

    @property
    def auth(self) -> Authentication: ...

    def seed(self, obj: dict[str, Any]) -> dict[str, Any]: ...
