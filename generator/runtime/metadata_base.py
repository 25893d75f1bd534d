"""The runtime half of the metadata-only client (client-go's ``k8s.io/client-go/metadata``).

Requests ask for ``PartialObjectMetadata`` (``Accept:
application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json``, and
``...;as=PartialObjectMetadataList;...`` for lists: client-go's headers without
protobuf), so the server sends apiVersion, kind and metadata only. A server that
does not transform (it answers the full object, the fallback of the Accept header)
still gives PartialObjectMetadata here: apiVersion, kind and metadata are kept, the
rest dropped, as client-go decodes the raw answer into PartialObjectMetadata.

Where the types come from: the runtime is copied into every generated package, or
used from a base package, and cannot import the generated models statically; the
typed ``PartialObjectMetadata`` (whose ``.metadata`` is the package's
``meta_v1.ObjectMeta``) is therefore declared by the generated module
``<package>.metadata`` (templates/package/metadata.py.jinja), which binds these
generic classes to it. This module holds everything else: the media types, the
conversion of a full object, and the verbs, all on :class:`~.resource.ResourceClient`
(same paths, pagination, watch resume and errors as the typed and dynamic clients;
its ``accept``/``list_accept`` hook makes pages and watch streams read through the
ResourceClient metadata-only too).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._model import Model, wrap
from .resource import Body, PatchBody, ResourceClient, query
from .resources import GroupVersionResource, ResourceInfo
from .rest import RESTClient, Timeout

if TYPE_CHECKING:
    from .config import Config
    from .context import Context
    from .transport import Transport
    from .watch import WatchStream

__all__ = [
    "LIST_ACCEPT",
    "OBJECT_ACCEPT",
    "MetadataClientBase",
    "MetadataResource",
    "MetadataResourceClient",
    "as_partial_object_metadata",
    "as_partial_object_metadata_list",
]

P = TypeVar("P", bound=Model)
PL = TypeVar("PL", bound=Model)

META_GROUP_VERSION = "meta.k8s.io/v1"
PARTIAL = "PartialObjectMetadata"
PARTIAL_LIST = "PartialObjectMetadataList"
#: Accept of get, watch, patch and delete: one object's metadata, else plain JSON
OBJECT_ACCEPT = f"application/json;as={PARTIAL};g=meta.k8s.io;v=v1,application/json"
#: Accept of list and deletecollection
LIST_ACCEPT = f"application/json;as={PARTIAL_LIST};g=meta.k8s.io;v=v1,application/json"

_KEPT = ("apiVersion", "kind", "metadata")
_KEPT_KEYS = frozenset(_KEPT)


def as_partial_object_metadata(data: Mapping[str, Any]) -> dict[str, Any]:
    """The PartialObjectMetadata wire form of an object: its apiVersion, kind and
    metadata (a PartialObjectMetadata as sent, a full object stripped)."""
    return {key: data[key] for key in _KEPT if key in data}


def as_partial_object_metadata_list(data: Mapping[str, Any]) -> dict[str, Any]:
    """The PartialObjectMetadataList wire form of a list: apiVersion, kind, list
    metadata and each item as PartialObjectMetadata."""
    out = as_partial_object_metadata(data)
    items = data.get("items")
    if isinstance(items, list):
        out["items"] = [
            as_partial_object_metadata(item) if isinstance(item, dict) else item
            for item in items
        ]
    elif "items" in data:
        out["items"] = items  # null (an empty list) or malformed: shown as is
    return out


def _likely_object_metadata(data: Mapping[str, Any]) -> bool:
    """client-go's isLikelyObjectMetadata: something that names an object."""
    meta = data.get("metadata")
    if not isinstance(meta, Mapping):
        return False
    return any(
        meta.get(k) for k in ("uid", "creationTimestamp", "name", "generateName")
    )


_LIST = (
    ("labelSelector", "label_selector"),
    ("fieldSelector", "field_selector"),
    ("limit", "limit"),
    ("continue", "continue_"),
    ("resourceVersion", "resource_version"),
    ("resourceVersionMatch", "resource_version_match"),
    ("timeoutSeconds", "timeout_seconds"),
)
_WATCH = (
    ("labelSelector", "label_selector"),
    ("fieldSelector", "field_selector"),
    ("resourceVersion", "resource_version"),
    ("resourceVersionMatch", "resource_version_match"),
    ("allowWatchBookmarks", "allow_watch_bookmarks"),
    ("sendInitialEvents", "send_initial_events"),
    ("timeoutSeconds", "timeout_seconds"),
)
_PATCH = (
    ("dryRun", "dry_run"),
    ("fieldManager", "field_manager"),
    ("fieldValidation", "field_validation"),
    ("force", "force"),
)
_DELETE = (
    ("dryRun", "dry_run"),
    ("gracePeriodSeconds", "grace_period_seconds"),
    ("propagationPolicy", "propagation_policy"),
)
_DELETE_COLLECTION = (
    ("labelSelector", "label_selector"),
    ("fieldSelector", "field_selector"),
    ("dryRun", "dry_run"),
    ("propagationPolicy", "propagation_policy"),
)


class MetadataResourceClient(ResourceClient[P, PL]):
    """One resource in one namespace (or cluster-wide), objects as ``P`` (the
    package's PartialObjectMetadata) and lists as ``PL``."""

    def __init__(
        self,
        rest: RESTClient,
        info: ResourceInfo,
        namespace: str | None,
        *,
        model: type[P],
        list_model: type[PL],
    ) -> None:
        self._model = model
        self._list_model = list_model
        super().__init__(
            rest,
            info,
            namespace,
            decode=self._partial,
            decode_list=self._partial_list,
            decode_any=self._partial,
            accept=OBJECT_ACCEPT,
            list_accept=LIST_ACCEPT,
        )

    def _partial(self, data: dict[str, Any]) -> P:
        if data.get("kind") == PARTIAL and data.keys() <= _KEPT_KEYS:
            return wrap(self._model, data)  # as the server sent it: no copy
        return wrap(self._model, as_partial_object_metadata(data))

    def _partial_list(self, data: dict[str, Any]) -> PL:
        return wrap(self._list_model, as_partial_object_metadata_list(data))

    # -- decoding: any kind the server answers becomes metadata (no kind check)

    def _list_kind(self) -> str:
        return ""  # a PartialObjectMetadataList, or the full list of a plain server

    def _decode_response(
        self, data: Any, what: str, subresource: str | None = None
    ) -> P:
        if not isinstance(data, dict) or not _likely_object_metadata(data):
            raise self._unexpected(data, "an object with metadata", what)
        return self._partial(data)

    def _decode_list_response(self, data: Any, what: str) -> PL:
        if not isinstance(data, dict) or not (
            data.get("items") is None or isinstance(data.get("items"), list)
        ):
            raise self._unexpected(data, "a list", what)
        return self._partial_list(data)

    def _decode_object(self, data: Any, what: str, *expected: str) -> Any:
        """Delete answers: the object (still terminating, or a kind that returns
        the deleted object), its list, or a success Status (None here)."""
        if not isinstance(data, dict):
            raise self._unexpected(data, "a JSON object", what)
        if data.get("kind") == "Status":
            return None
        if "items" in data:
            return self._decode_list_response(data, what)
        return self._decode_response(data, what)

    # -- verbs

    def get(
        self,
        name: str,
        *,
        resource_version: str | None = None,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> P:
        params = {"resourceVersion": resource_version}
        return self._get(name, params, request_timeout, ctx=ctx)

    def list(
        self,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_: str | None = None,
        resource_version: str | None = None,
        resource_version_match: str | None = None,
        timeout_seconds: int | None = None,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> PL:
        return self._list(query(locals(), _LIST), request_timeout, ctx=ctx)

    def list_all(
        self,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        page_size: int = 500,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> Iterator[P]:
        """Every object, page by page (continue tokens), as the typed clients'."""
        params = {"labelSelector": label_selector, "fieldSelector": field_selector}
        return self._list_all(params, request_timeout, page_size=page_size, ctx=ctx)

    def watch(
        self,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resource_version: str | None = None,
        resource_version_match: str | None = None,
        allow_watch_bookmarks: bool | None = None,
        send_initial_events: bool | None = None,
        timeout_seconds: int | None = None,
        resume: bool = False,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> WatchStream[P]:
        """Watch events whose objects are metadata only; ``resume`` reconnects and
        relists (metadata lists) as the Reflector does. ``send_initial_events``
        (watch-list: the current objects as ADDED, then a BOOKMARK annotated
        ``k8s.io/initial-events-end``) needs ``resource_version_match="NotOlderThan"``
        and is for a watch that is not resumed (a resumed one relists itself)."""
        if resume and send_initial_events:
            raise ValueError(
                "send_initial_events and resume do not go together: a resumed watch "
                "lists first, and would get the initial events again on each reconnect"
            )
        params = query(locals(), _WATCH)
        return self._watch(params, request_timeout, resume=resume, ctx=ctx)

    def patch(
        self,
        name: str,
        body: PatchBody,
        patch_type: str = "merge",
        *,
        dry_run: str | None = None,
        field_manager: str | None = None,
        field_validation: str | None = None,
        force: bool | None = None,
        subresource: str | None = None,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> P:
        """A patch (merge by default, as the dynamic client); the answer's metadata."""
        return self._patch(
            name,
            body,
            patch_type,
            query(locals(), _PATCH),
            request_timeout,
            subresource=subresource,
            ctx=ctx,
        )

    def delete(
        self,
        name: str,
        *,
        dry_run: str | None = None,
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
        preconditions: Body | None = None,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> P | None:
        """The object's metadata when the server still shows it (finalizers, a
        grace period, a kind that answers the deleted object), None when it
        answers a success Status."""
        params = query(locals(), _DELETE)
        deleted: P | None = self._delete(
            name, params, request_timeout, preconditions=preconditions, ctx=ctx
        )
        return deleted

    def delete_collection(
        self,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        dry_run: str | None = None,
        propagation_policy: str | None = None,
        ctx: Context | None = None,
        request_timeout: Timeout | None = None,
    ) -> PL | None:
        """The deleted objects' metadata (None if the server answers a Status)."""
        params = query(locals(), _DELETE_COLLECTION)
        deleted: PL | None = self._delete_collection(params, request_timeout, ctx=ctx)
        return deleted


class MetadataResource(MetadataResourceClient[P, PL]):
    """A resource, cluster-wide; ``.namespace(ns)`` for one namespace (client-go's
    ``metadata.Getter``), as :class:`~.dynamic.DynamicResource`."""

    def __init__(
        self,
        rest: RESTClient,
        info: ResourceInfo,
        *,
        model: type[P],
        list_model: type[PL],
    ) -> None:
        super().__init__(rest, info, None, model=model, list_model=list_model)

    def namespace(  # type: ignore[override]
        self, namespace: str
    ) -> MetadataResourceClient[P, PL]:
        info = (
            self._info
            if self._info.namespaced
            else replace(self._info, namespaced=True)
        )
        return MetadataResourceClient(
            self._rest, info, namespace, model=self._model, list_model=self._list_model
        )


class MetadataClientBase(Generic[P, PL]):
    """Any resource by GroupVersionResource, metadata only; the generated
    ``MetadataClient`` binds ``P``/``PL`` to its PartialObjectMetadata models."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        transport: Transport | None = None,
        rest_client: RESTClient | None = None,
        model: type[P],
        list_model: type[PL],
    ) -> None:
        self.rest_client = rest_client or RESTClient(config, transport=transport)
        self._model = model
        self._list_model = list_model

    def resource(
        self, gvr: GroupVersionResource | tuple[str, str, str]
    ) -> MetadataResource[P, PL]:
        """A resource by group, version and plural (client-go's ``Resource(gvr)``);
        ``.namespace(ns)`` or not is up to the caller, as with the dynamic client."""
        group, version, plural = gvr
        info = _builtin(group, version, plural) or ResourceInfo(
            group=group,
            version=version,
            plural=plural,
            kind="",
            namespaced=False,
            verbs=(),
        )
        return MetadataResource(
            self.rest_client, info, model=self._model, list_model=self._list_model
        )

    def close(self) -> None:
        self.rest_client.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.rest_client!r}>"


def _builtin(group: str, version: str, plural: str) -> ResourceInfo | None:
    """The generated package's ResourceInfo of a GVR (not there for the bare runtime)."""
    try:
        api = importlib.import_module("._api", __package__)
    except ImportError:
        return None
    found: ResourceInfo | None = next(
        (r for r in api.RESOURCES if r.gvr == (group, version, plural)), None
    )
    return found
