"""What a reflector reads: pages of a list and watch streams of one resource.

``ListWatch`` runs on a :class:`~..resource.ResourceClient` (typed, dynamic or
metadata-only), so an informer makes exactly the requests the clients make:
same paths, credentials, retries and errors. Items stay wire dicts here; the
informer decodes them once, when they enter the cache.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..watch import WatchEvent, iter_watch_events

if TYPE_CHECKING:
    from ..context import Context
    from ..resource import ResourceClient
    from ..rest import ParamValue

__all__ = ["ListWatch"]

T = TypeVar("T")

#: client-go's reflector watches for a random 5 to 10 minutes per request.
MIN_WATCH_TIMEOUT = 300


def _raw(data: dict[str, Any]) -> dict[str, Any]:
    return data


class ListWatch(Generic[T]):
    """List pages and watches of one resource with fixed options (selectors,
    shard): ``params`` are query parameters in wire names."""

    def __init__(
        self,
        client: ResourceClient[T, Any],
        params: Mapping[str, ParamValue] | None = None,
    ) -> None:
        self.client = client
        self.params = {k: v for k, v in (params or {}).items() if v is not None}

    @property
    def description(self) -> str:
        info = self.client.resource
        where = self.client.namespace
        scope = f" in {where}" if where else ""
        return f"{info.api_version} {info.plural}{scope}"

    def decode(self, raw: dict[str, Any]) -> T:
        return self.client._decode(raw)

    def list(
        self, resource_version: str, ctx: Context, page_size: int
    ) -> tuple[list[dict[str, Any]], str]:
        """The whole collection in pages (one full list should a continue token
        expire on the way), and the list's resourceVersion."""
        params = {**self.params, "resourceVersion": resource_version or None}
        return self.client._relist(params, None, ctx, page_size=page_size)

    def watch_params(
        self, resource_version: str, timeout_seconds: int, send_initial_events: bool
    ) -> dict[str, ParamValue]:
        """The query of a watch (the async reflector's too)."""
        params: dict[str, ParamValue] = {
            **self.params,
            "watch": True,
            "allowWatchBookmarks": True,
            "resourceVersion": resource_version or None,
            "timeoutSeconds": timeout_seconds,
        }
        if send_initial_events:
            params["sendInitialEvents"] = True
            params["resourceVersionMatch"] = "NotOlderThan"
        return params

    def watch(
        self,
        resource_version: str,
        ctx: Context,
        *,
        timeout_seconds: int,
        send_initial_events: bool = False,
    ) -> Iterator[WatchEvent[dict[str, Any]]]:
        """Raw watch events from ``resource_version``; with ``send_initial_events``
        the streaming list: every object first, then a BOOKMARK annotated
        ``k8s.io/initial-events-end``."""
        params = self.watch_params(
            resource_version, timeout_seconds, send_initial_events
        )
        client = self.client
        request = client._request("GET", client.namespace, ctx=ctx)
        request.params(params).timeout(client._stream_timeout(None))
        return iter_watch_events(request.stream(), _raw)
