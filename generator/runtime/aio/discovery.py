"""AsyncDiscoveryClient: what the server serves, discovered with await.

Every decision and every parse is the sync :class:`~..discovery.DiscoveryClient`'s
(aggregated discovery or the legacy documents, stale group-versions, the memory
and disk caches, preferred versions): it runs on an instance of it (``sync``)
whose fetches are answered from documents this client awaited first. The
group-versions that must be asked for one by one are fetched concurrently.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from ..discovery import (
    _SERVER_GROUPS,
    ACCEPT_DISCOVERY,
    DEFAULT_TTL,
    APIGroup,
    APIResourceList,
    DiscoveryClient,
    RESTMapper,
    VersionInfo,
    _resources_file,
)
from ..rest import RESTClient
from .rest import AsyncRESTClient

__all__ = ["AsyncDiscoveryClient"]


class _Awaited(DiscoveryClient):
    """The sync client, answered from documents fetched beforehand."""

    def __init__(self, rest: RESTClient, **kwargs: Any) -> None:
        super().__init__(rest, **kwargs)
        #: path -> (content type, body), or the error fetching it raised
        self.answers: dict[str, tuple[str, Any] | BaseException] = {}

    def _answer(self, path: str) -> tuple[str, Any]:
        found = self.answers.pop(path, None)
        if found is None:
            raise AssertionError(f"discovery: {path} was not fetched first")
        if isinstance(found, BaseException):
            raise found
        return found

    def _get_json(self, path: str) -> Any:
        return self._answer(path)[1]

    def _get(self, path: str) -> tuple[str, dict[str, Any]]:
        content_type, body = self._answer(path)
        return content_type, body if isinstance(body, dict) else {}


class AsyncDiscoveryClient:
    """As :class:`~..discovery.DiscoveryClient`, every method awaited."""

    def __init__(
        self,
        rest: AsyncRESTClient,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        ttl: float = DEFAULT_TTL,
        aggregated: bool = True,
    ) -> None:
        self.rest = rest
        self.sync = _Awaited(
            rest.builder, cache_dir=cache_dir, ttl=ttl, aggregated=aggregated
        )

    def __repr__(self) -> str:
        return f"<AsyncDiscoveryClient {self.rest!r}>"

    def invalidate(self) -> None:
        self.sync.invalidate()

    async def server_version(self) -> VersionInfo:
        await self._fetch(["/version"], plain=True)
        return self.sync.server_version()

    async def server_groups(self) -> list[APIGroup]:
        sync = self.sync
        if sync._groups is None and not await self._on_disk(_SERVER_GROUPS):
            await self._fetch(["/api", "/apis"], plain=False)
        return sync.server_groups()

    async def server_resources_for_group_version(
        self, group_version: str
    ) -> APIResourceList:
        await self._fetch_resources([group_version])
        return self.sync.server_resources_for_group_version(group_version)

    async def server_groups_and_resources(
        self,
    ) -> tuple[list[APIGroup], list[APIResourceList]]:
        await self._prefetch_all()
        return self.sync.server_groups_and_resources()

    async def server_preferred_resources(self) -> list[APIResourceList]:
        await self._prefetch_all()
        return self.sync.server_preferred_resources()

    async def mapper(self) -> RESTMapper:
        """A RESTMapper over everything discovered (fetched now if need be)."""
        await self._prefetch_all()
        return RESTMapper(self.sync)

    # -- fetching

    async def _prefetch_all(self) -> None:
        groups = await self.server_groups()
        await self._fetch_resources([gv for g in groups for gv in g.versions])

    async def _fetch_resources(self, group_versions: list[str]) -> None:
        sync = self.sync
        missing = [
            gv
            for gv in group_versions
            if gv not in sync._resources
            and not await self._on_disk(_resources_file(gv))
        ]
        paths = [f"/apis/{gv}" if "/" in gv else f"/api/{gv}" for gv in missing]
        await self._fetch(paths, plain=True)

    async def _on_disk(self, key: str) -> bool:
        disk = self.sync._disk
        if disk is None:
            return False
        return await asyncio.to_thread(disk.read, key) is not None

    async def _fetch(self, paths: list[str], *, plain: bool) -> None:
        accept = (
            "application/json"
            if plain or not self.sync.aggregated
            else ACCEPT_DISCOVERY
        )

        async def one(path: str) -> None:
            try:
                result = await self.rest.do(
                    self.rest.get().abs_path(path).accept(accept)
                )
                answer: tuple[str, Any] | BaseException = (
                    result.headers.get("Content-Type", ""),
                    result.json(),
                )
            except Exception as error:  # raised where the sync client would
                answer = error
            self.sync.answers[path] = answer

        await asyncio.gather(*(one(path) for path in paths))
