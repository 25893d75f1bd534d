"""The resources the server serves: the generated ``RESOURCES`` plus whatever is
registered at run time (custom resources, once a CRD is established).

The versions of one group/plural share one storage, as they share one etcd key
prefix on a real server (objects are not converted between versions: only their
``apiVersion`` is rewritten on the way out).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

from ...resources import ResourceInfo, version_priority
from ..semantics.resource import Resource, ScalePaths


class Registry:
    """Thread-safe lookup of served resources; grows and shrinks at run time.

    Built-in group-versions keep the order they were given in (preferred first);
    group-versions added at run time follow, groups by name and versions by
    kube-aware priority, as the aggregator orders CRD groups (priority 1000).
    """

    def __init__(self, resources: Iterable[ResourceInfo] = ()) -> None:
        self._lock = threading.RLock()
        self._by_gvr: dict[tuple[str, str, str], Resource] = {}
        self._order: list[tuple[str, str]] = []  # group-versions, preferred first
        #: bumped on every change: discovery documents and hashes depend on it
        self.generation = 0
        for info in resources:
            self._by_gvr[(info.group, info.version, info.plural)] = Resource(info)
            if (info.group, info.version) not in self._order:
                self._order.append((info.group, info.version))
        self._builtin = tuple(self._order)

    def _reorder(self) -> None:
        served = {(g, v) for g, v, _ in self._by_gvr}
        order = [gv for gv in self._builtin if gv in served]
        extra = sorted(
            served - set(order), key=lambda gv: (gv[0], version_priority(gv[1]))
        )
        self._order = order + extra
        self.generation += 1

    def _add(self, resource: Resource) -> None:
        info = resource.info
        self._by_gvr[(info.group, info.version, info.plural)] = resource

    def register(
        self,
        info: ResourceInfo,
        schema: dict[str, Any] | None = None,
        *,
        scale: ScalePaths | None = None,
    ) -> None:
        """Serve a new resource (a CRD version): discovery, CRUD, watch. Custom
        resources have no typed model: strategic merge patch on them is 415."""
        with self._lock:
            self._add(Resource(info, schema=schema, custom=True, scale=scale))
            self._reorder()

    def unregister(
        self, group: str, version: str, plural: str, removed_at: int = 0
    ) -> None:
        with self._lock:
            gone = self._by_gvr.pop((group, version, plural), None)
            if gone is None:
                return
            gone.removed_at = removed_at
            self._reorder()

    def sync_owned(
        self, owner: str, resources: Sequence[Resource], removed_at: int
    ) -> None:
        """Serve exactly ``resources`` for ``owner`` (a CRD): resources it no longer
        serves are removed, kept ones are updated in place (open watches keep
        their Resource), new ones are added."""
        with self._lock:
            wanted = {r.info.gvr: r for r in resources}
            for key, served in list(self._by_gvr.items()):
                if served.owner == owner and key not in wanted:
                    del self._by_gvr[key]
                    served.removed_at = removed_at
            for gvr, resource in wanted.items():
                current = self._by_gvr.get(gvr)
                if current is not None and current.owner == owner:
                    current.info = resource.info
                    current.schema = resource.schema
                    current.scale = resource.scale
                    current.terminating = resource.terminating
                    current.printer = resource.printer
                else:
                    resource.owner = owner
                    self._by_gvr[gvr] = resource
            self._reorder()

    def serves(self, group: str, version: str) -> bool:
        return (group, version) in self._order

    def get(self, group: str, version: str, plural: str) -> Resource | None:
        return self._by_gvr.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> Resource | None:
        group, _, version = api_version.rpartition("/")
        for (g, v, _), res in list(self._by_gvr.items()):
            if g == group and v == version and res.info.kind == kind:
                return res
        return None

    def group_versions(self) -> list[tuple[str, str]]:
        return list(self._order)

    def groups(self) -> list[tuple[str, list[str]]]:
        """(group, versions preferred first), in discovery order."""
        out: dict[str, list[str]] = {}
        for group, version in self.group_versions():
            out.setdefault(group, []).append(version)
        return list(out.items())

    def versions(self, group: str) -> list[str]:
        return [v for g, v in self.group_versions() if g == group]

    def resources(self, group: str, version: str) -> list[Resource]:
        return [
            r
            for (g, v, _), r in list(self._by_gvr.items())
            if g == group and v == version
        ]

    def all(self) -> list[Resource]:
        return list(self._by_gvr.values())

    def storage_versions(self, storage_key: tuple[str, str]) -> list[Resource]:
        """Every served version of one stored resource (for garbage collection)."""
        return [r for r in self.all() if r.storage_key == storage_key]

    def owned(self, owner: str) -> list[Resource]:
        return [r for r in self.all() if r.owner == owner]
