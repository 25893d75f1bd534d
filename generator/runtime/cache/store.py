"""The thread-safe indexed store (client-go's thread_safe_store.go + index.go).

``Indexer[T]`` maps keys to objects and keeps named indices: an index function
turns an object into the values it is filed under (its namespace, its node ...),
and ``by_index(name, value)`` answers the objects filed under a value.

Objects handed out are the cached objects themselves, shared with every caller
and handler: never mutate them. Take ``deep_copy(obj)`` to change one.
"""

from __future__ import annotations

import builtins
import copy
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Generic, TypeVar

from .keys import NAMESPACE_INDEX

__all__ = ["IndexFunc", "Indexer", "IndexerError", "deep_copy"]

T = TypeVar("T")
ObjT = TypeVar("ObjT")

IndexFunc = Callable[[T], list[str]]


class IndexerError(KeyError):
    """An index that does not exist, or one added twice."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "index error"


def deep_copy(obj: ObjT) -> ObjT:
    """A copy of a cached object that is safe to change."""
    return copy.deepcopy(obj)


class Indexer(Generic[T]):
    """Objects by key plus their indices; every method is thread-safe."""

    def __init__(self, indexers: Mapping[str, IndexFunc[T]] | None = None) -> None:
        self._lock = threading.RLock()
        self._items: dict[str, T] = {}
        self._indexers: dict[str, IndexFunc[T]] = dict(indexers or {})
        # index name -> indexed value -> keys
        self._indices: dict[str, dict[str, set[str]]] = {
            name: {} for name in self._indexers
        }

    # -- reading

    def get_by_key(self, key: str) -> T | None:
        with self._lock:
            return self._items.get(key)

    def get(self, namespace: str, name: str) -> T | None:
        return self.get_by_key(f"{namespace}/{name}" if namespace else name)

    def list(self) -> list[T]:
        with self._lock:
            return list(self._items.values())

    def list_keys(self) -> builtins.list[str]:
        with self._lock:
            return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def by_index(self, index_name: str, value: str) -> builtins.list[T]:
        """The objects whose index function returned ``value``."""
        with self._lock:
            keys = self._index(index_name).get(value, ())
            items = self._items
            return [items[key] for key in keys]

    def index_keys(self, index_name: str, value: str) -> builtins.list[str]:
        with self._lock:
            return sorted(self._index(index_name).get(value, ()))

    def list_index_values(self, index_name: str) -> builtins.list[str]:
        with self._lock:
            return sorted(self._index(index_name))

    def index(self, index_name: str, obj: T) -> builtins.list[T]:
        """The objects sharing any of ``obj``'s values in the index."""
        with self._lock:
            index = self._index(index_name)
            keys: set[str] = set()
            for value in self._indexers[index_name](obj):
                keys.update(index.get(value, ()))
            return [self._items[key] for key in keys]

    def indexers(self) -> dict[str, IndexFunc[T]]:
        with self._lock:
            return dict(self._indexers)

    def _index(self, name: str) -> dict[str, set[str]]:
        index = self._indices.get(name)
        if index is None:
            raise IndexerError(f"index {name!r} does not exist")
        return index

    # -- writing

    def add_indexers(self, indexers: Mapping[str, IndexFunc[T]]) -> None:
        """More indices, built over what the store already holds."""
        with self._lock:
            taken = sorted(set(indexers) & set(self._indexers))
            if taken:
                raise IndexerError(f"indexer conflict: {', '.join(taken)}")
            built = {
                name: self._build(name, func, self._items)
                for name, func in indexers.items()
            }
            self._indexers.update(indexers)
            self._indices.update(built)

    def put(self, key: str, obj: T) -> T | None:
        """Add or replace; the previous object, if any. An index function that
        fails raises IndexerError and leaves the store as it was."""
        with self._lock:
            after = self._values(obj)
            old = self._items.get(key)
            before = self._values(old) if old is not None else None
            self._items[key] = obj
            self._reindex(key, before, after)
            return old

    def pop(self, key: str) -> T | None:
        """Remove; the object removed, if any."""
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None and self._indexers:
                self._reindex(key, self._values(old, strict=False), None)
            return old

    def replace(self, items: Iterable[tuple[str, T]]) -> dict[str, T]:
        """Hold exactly ``items`` from now on; returns what it held before."""
        with self._lock:
            contents = dict(items)
            indices: dict[str, dict[str, set[str]]] = {}
            for name, func in self._indexers.items():
                indices[name] = self._build(name, func, contents)
            old = self._items
            self._items, self._indices = contents, indices
            return old

    def _build(
        self, name: str, func: IndexFunc[T], contents: Mapping[str, T]
    ) -> dict[str, set[str]]:
        index: dict[str, set[str]] = {}
        for key, obj in contents.items():
            for value in _call(name, func, obj):
                index.setdefault(value, set()).add(key)
        return index

    def _values(
        self, obj: T, *, strict: bool = True
    ) -> builtins.list[builtins.list[str]]:
        """Each index's values for ``obj`` (in the order of ``_indexers``)."""
        values = []
        for name, func in self._indexers.items():
            try:
                values.append(_call(name, func, obj))
            except IndexerError:
                if strict:
                    raise
                values.append([])
        return values

    def _reindex(
        self,
        key: str,
        before: builtins.list[builtins.list[str]] | None,
        after: builtins.list[builtins.list[str]] | None,
    ) -> None:
        for position, name in enumerate(self._indexers):
            index = self._indices[name]
            old: Sequence[str] = before[position] if before is not None else ()
            new: Sequence[str] = after[position] if after is not None else ()
            if old == new:
                continue
            for value in old:
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]
            for value in new:
                index.setdefault(value, set()).add(key)

    def namespaced(self, namespace: str) -> builtins.list[T]:
        """Every object in one namespace: the namespace index if there is one,
        else a scan of the keys."""
        with self._lock:
            index = self._indices.get(NAMESPACE_INDEX)
            if index is not None:
                return [self._items[key] for key in index.get(namespace, ())]
            prefix = namespace + "/"
            return [obj for key, obj in self._items.items() if key.startswith(prefix)]


def _call(name: str, func: IndexFunc[T], obj: T) -> list[str]:
    try:
        values = func(obj)
    except Exception as error:
        raise IndexerError(f"index {name!r} failed on an object: {error!r}") from error
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise IndexerError(f"index {name!r} must return a list of strings")
    return values
