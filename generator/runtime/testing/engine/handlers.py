"""The verbs on a resource: get, list, watch, create, update, patch, delete and
deletecollection, from request options to response."""

from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_left
from typing import Any

from ..protocol.negotiation import PARTIAL, TABLE, Negotiated, Target, negotiate
from ..protocol.status import bad_request, expired, too_large_rv, unsupported_media_type
from ..protocol.wire import (
    JSON,
    PATCH_TYPES,
    ServerResponse,
    content_type,
    decode_body,
    decode_json,
    decode_yaml,
    encode,
)
from ..semantics import partial
from ..semantics.basics import present, success_status
from ..semantics.selectors import Selection, parse_fields, selection
from ..semantics.tables import table
from .calls import Call, check_list_options, parse_rv
from .store import Compacted, metadata, object_key
from .watching import WatchSpec, expired_line, stream

#: How long a list at a future resourceVersion waits for it (the cacher's 3 s).
_FUTURE_RV_WAIT = 3.0
_DEFAULT_WATCH_TIMEOUT = 1800

CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. "
    "You can start a new list without the continue parameter, or use the continue "
    "token in this response to retrieve the remainder of the results. Continuing with "
    "the provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may "
    "show up in the list."
)


# --------------------------------------------------------------------------- output


def negotiated(call: Call, *, tables: bool) -> Negotiated:
    """The media type and conversion (Table, PartialObjectMetadata[List]) the
    client's Accept header asks for (406 if it accepts nothing served)."""
    return negotiate(call.request.headers.get("accept"), tables=tables)


def respond(
    call: Call,
    status: int,
    obj: Any,
    *,
    tabular: bool = False,
    listing: bool = False,
    headers: dict[str, str] | None = None,
) -> ServerResponse:
    """The object (or a Table of it, or its metadata only), in the format the
    client accepts. ``tabular``: Tables are served here (get, list); ``listing``:
    ``obj`` is a list (list, deletecollection)."""
    choice = negotiated(call, tables=tabular)
    target = choice.target
    fmt = choice.media_type
    if target is not None and target.kind == TABLE:
        objs = obj.get("items", []) if listing else [obj]
        meta = (
            obj.get("metadata")
            if listing
            else {"resourceVersion": metadata(obj).get("resourceVersion")}
        )
        obj = table(
            call.resource.storage_key,
            objs,
            list_meta=meta,
            version=target.version,
            include=call.q("includeObject") or "Metadata",
            layout=call.resource.printer,
        )
    elif target is not None:
        obj = partial.transform(
            obj, target, listing=listing, custom=call.resource.custom
        )
    out = {"content-type": fmt, **(headers or {})}
    return ServerResponse(status, out, encode(obj, fmt))


def _warning_headers(call: Call, texts: list[str]) -> dict[str, str]:
    if not texts:
        return {}
    return {
        "warning": ", ".join('299 - "' + t.replace('"', '\\"') + '"' for t in texts)
    }


# --------------------------------------------------------------------------- reads


def get(call: Call) -> ServerResponse:
    assert call.name is not None
    obj = call.core.objects.read(call.resource, call.object_namespace, call.name)
    return respond(call, 200, present(call.resource, obj), tabular=True)


def list_or_watch(call: Call) -> ServerResponse:
    watch = call.watch_path or call.flag("watch")
    verb = "watch" if watch else "list"
    if verb not in call.resource.info.verbs:
        from ..protocol.status import method_not_allowed

        raise method_not_allowed()
    check_list_options(call, watch)
    sel = selection(
        call.q("labelSelector"),
        call.q("fieldSelector"),
        call.resource.storage_key,
        call.q("shardSelector"),
    )
    if call.name is not None:  # /watch/.../pods/x
        sel.fields.terms.extend(
            parse_fields(f"metadata.name={call.name}", call.resource.storage_key).terms
        )
    if watch:
        return watch_response(call, sel)
    return respond(call, 200, list_body(call, sel), tabular=True, listing=True)


def _encode_continue(rv: int, start: str) -> str:
    token = json.dumps(
        {"v": "meta.k8s.io/v1", "rv": rv, "start": start}, separators=(",", ":")
    )
    return base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[int, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded))
        rv, start = int(data["rv"]), str(data["start"])
        if data.get("v") != "meta.k8s.io/v1" or rv <= 0:
            raise ValueError
        return rv, start
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion "
            "(version meta.k8s.io/v1)"
        ) from None


def _key(obj: dict[str, Any]) -> str:
    namespace, name = object_key(obj)
    return f"{namespace}/{name}" if namespace else name


def _list_state(call: Call) -> tuple[list[dict[str, Any]], int, str]:
    """(objects, the list's resourceVersion, continue start key)."""
    store = call.core.store
    key, namespace = call.resource.storage_key, call.namespace
    rv_text, match = call.q("resourceVersion"), call.q("resourceVersionMatch")
    limit = call.int_param("limit") or 0
    token = call.q("continue")
    if token:
        if rv_text and rv_text != "0":
            raise bad_request(
                "specifying resource version is not allowed when using continue"
            )
        rv, start = _decode_continue(token)
        try:
            return store.snapshot(key, rv, namespace), rv, start
        except Compacted:
            raise expired(CONTINUE_EXPIRED) from None
    with store.lock:
        if rv_text in ("", "0"):
            return store.objects(key, namespace), store.rv, ""
        rv = parse_rv(rv_text)
        if match == "Exact" or (not match and limit > 0):
            try:
                return store.snapshot(key, rv, namespace), rv, ""
            except Compacted:
                raise expired(
                    "The resourceVersion for the provided list is too old."
                ) from None
    if rv > store.rv and not store.wait_for_rv(rv, _FUTURE_RV_WAIT):
        raise too_large_rv(rv, store.rv)
    with store.lock:
        return store.objects(key, namespace), store.rv, ""


def list_body(call: Call, sel: Selection) -> dict[str, Any]:
    objs, rv, start = _list_state(call)
    limit = max(call.int_param("limit") or 0, 0)
    if start:  # objs come in etcd order, the order of _key: no need to scan
        objs = objs[bisect_left(objs, start, key=_key) :]
    matched = [o for o in objs if sel.matches(o)] if not sel.empty else objs
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if limit and len(matched) > limit:
        page = matched[:limit]
        meta["continue"] = _encode_continue(rv, _key(page[-1]) + "\x00")
        if sel.empty:
            meta["remainingItemCount"] = len(matched) - limit
        matched = page
    if sel.shards is not None:  # a filtered subset: the selector echoed back
        meta["shardInfo"] = {"selector": call.q("shardSelector")}
    info = call.resource.info
    return {
        "kind": info.list_kind or f"{info.kind}List",
        "apiVersion": info.api_version,
        "metadata": meta,
        "items": [present(call.resource, o) for o in matched],
    }


def watch_response(call: Call, sel: Selection) -> ServerResponse:
    core, store = call.core, call.core.store
    rv_text = call.q("resourceVersion")
    send_initial = call.has("sendInitialEvents") and call.flag("sendInitialEvents")
    timeout = call.int_param("timeoutSeconds") or _DEFAULT_WATCH_TIMEOUT
    spec = WatchSpec(
        call.resource,
        call.namespace,
        sel,
        start_rv=0,
        bookmarks=call.flag("allowWatchBookmarks"),
        timeout=float(timeout),
        bookmark_interval=core.bookmark_interval,
    )
    target = negotiated(call, tables=True).target
    if target is not None and target.kind == TABLE:
        spec.render = _table_render(call, target.version)
    elif target is not None and target.kind == PARTIAL:
        spec.render = _partial_render(call, target)
        spec.render_bookmarks = True
    # PartialObjectMetadataList of watch events: the real server's transformation
    # fails on each object, which it then sends unchanged (watchEmbeddedEncoder)
    too_old: Compacted | None = None
    with store.lock:
        if send_initial or rv_text in ("", "0"):
            spec.initial = store.objects(call.resource.storage_key, call.namespace)
            spec.start_rv = store.rv
            spec.initial_end_bookmark = send_initial
        else:
            spec.start_rv = parse_rv(rv_text)
            try:
                store.history.since(spec.start_rv, 0)
            except Compacted as error:
                too_old = error
    headers = {"content-type": JSON}
    if too_old is not None:
        return ServerResponse(200, headers, stream=iter([expired_line(too_old)]))
    return ServerResponse(200, headers, stream=stream(store, spec))


def _table_render(call: Call, version: str) -> Any:
    from ..._model import dumps

    include = call.q("includeObject") or "Metadata"
    key = call.resource.storage_key
    layout = call.resource.printer

    def render(obj: dict[str, Any], first: bool) -> bytes:
        meta = {"resourceVersion": metadata(obj).get("resourceVersion")}
        return dumps(
            table(
                key,
                [obj],
                list_meta=meta,
                version=version,
                include=include,
                columns=first,
                layout=layout,
            )
        )

    return render


def _partial_render(call: Call, target: Target) -> Any:
    from ..._model import dumps

    custom = call.resource.custom

    def render(obj: dict[str, Any], first: bool) -> bytes:
        return dumps(partial.transform(obj, target, listing=False, custom=custom))

    return render


# --------------------------------------------------------------------------- writes


def create(call: Call) -> ServerResponse:
    body = decode_body(call.request)
    write = call.write()
    obj = call.core.objects.create(call.resource, call.object_namespace, body, write)
    return respond(
        call,
        201,
        present(call.resource, obj),
        headers=_warning_headers(call, write.warnings.texts),
    )


def update(call: Call) -> ServerResponse:
    assert call.name is not None
    body = decode_body(call.request)
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object")
    write = call.write()
    obj = call.core.objects.update(
        call.resource, call.object_namespace, call.name, body, write, call.subresource
    )
    return respond(
        call,
        200,
        present(call.resource, obj),
        headers=_warning_headers(call, write.warnings.texts),
    )


def patch_type(call: Call) -> str:
    ctype = content_type(call.request)
    kind = PATCH_TYPES.get(ctype)
    accepted = [t for t, k in PATCH_TYPES.items() if k != "apply-cbor"]
    if call.resource.custom or call.resource.model is None:
        accepted.remove("application/strategic-merge-patch+json")
    if kind is None or kind == "apply-cbor" or ctype not in accepted:
        raise unsupported_media_type(ctype, accepted)
    return kind


def decode_patch(call: Call, kind: str) -> Any:
    if kind == "apply":
        return decode_yaml(call.request.body)
    return decode_json(call.request.body)


def patch(call: Call) -> ServerResponse:
    assert call.name is not None
    kind = patch_type(call)
    body = decode_patch(call, kind)
    if call.has("force") and kind != "apply":
        raise bad_request("force is only allowed with apply patches")
    write = call.write(apply=kind == "apply")
    obj, created = call.core.objects.patch(
        call.resource,
        call.object_namespace,
        call.name,
        kind,
        body,
        write,
        call.subresource,
    )
    return respond(
        call,
        201 if created else 200,
        present(call.resource, obj),
        headers=_warning_headers(call, write.warnings.texts),
    )


def delete(call: Call) -> ServerResponse:
    assert call.name is not None
    options, write = call.delete_options()
    obj, deleted = call.core.objects.delete(
        call.resource, call.object_namespace, call.name, options, write
    )
    if not deleted:
        code = 202 if options.orphan_dependents is False else 200
        return respond(call, code, present(call.resource, obj))
    if call.resource.returns_deleted_object:
        return respond(call, 200, present(call.resource, obj))
    info = call.resource.info
    details: dict[str, Any] = {"name": call.name}
    if info.group:
        details["group"] = info.group
    details["kind"] = info.plural
    details["uid"] = metadata(obj).get("uid")
    body = success_status(200, details)
    del body["code"]  # finalizeDelete's Status carries no code
    return respond(call, 200, body)


def delete_collection(call: Call) -> ServerResponse:
    check_list_options(call, False)
    sel = selection(
        call.q("labelSelector"),
        call.q("fieldSelector"),
        call.resource.storage_key,
        call.q("shardSelector"),
    )
    options, write = call.delete_options()
    gone = call.core.objects.delete_collection(
        call.resource, call.namespace, sel.matches, options, write
    )
    info = call.resource.info
    body = {
        "kind": info.list_kind or f"{info.kind}List",
        "apiVersion": info.api_version,
        "metadata": {"resourceVersion": str(call.core.store.rv)},
        "items": [present(call.resource, o) for o in gone],
    }
    return respond(call, 200, body, listing=True)
