"""Subresources: status-like views (status, ephemeralcontainers, resize, finalize,
approval), scale, pods/log, pods/eviction, pods/binding, serviceaccounts/token,
the streaming ones (exec, attach, portforward, proxy), and the create-only
review resources (SelfSubjectReview, SubjectAccessReview ...)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..._model import deepcopy_json, format_time, parse_time
from ..protocol.status import (
    Cause,
    bad_request,
    conflict,
    invalid,
    method_not_allowed,
)
from ..protocol.wire import TEXT, ServerResponse, decode_body
from ..semantics.basics import (
    DeleteOptions,
    now,
    success_status,
)
from ..semantics.merging import apply_patch
from ..semantics.selectors import label_selector_string
from . import handlers
from .calls import Call
from .logs import LogQuery
from .reviews import REVIEWS as AUTHORIZATION_REVIEWS

Handler = Callable[[Call], ServerResponse]


def _pod(call: Call) -> dict[str, Any]:
    assert call.name is not None
    return call.core.objects.read(call.resource, call.object_namespace, call.name)


# --------------------------------------------------------------------------- status-like


def object_view(call: Call) -> ServerResponse:
    """GET/PUT/PATCH of a subresource that shows the whole object."""
    if call.method == "GET":
        return handlers.get(call)
    if call.method == "PUT":
        return handlers.update(call)
    if call.method == "PATCH":
        return handlers.patch(call)
    raise method_not_allowed()


# --------------------------------------------------------------------------- scale


def _path(text: str) -> list[str]:
    """``.spec.replicas`` -> ["spec", "replicas"] (a CRD's simple JSON path)."""
    return [part for part in text.split(".") if part]


def _nested(obj: dict[str, Any], path: list[str]) -> Any:
    value: Any = obj
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _scale(call: Call, obj: dict[str, Any]) -> dict[str, Any]:
    """The Scale view of a workload, or of a custom resource through its CRD's
    specReplicasPath / statusReplicasPath / labelSelectorPath."""
    meta = obj["metadata"]
    paths = call.resource.scale
    if paths is not None:
        replicas = _nested(obj, _path(paths.spec_replicas))
        current = _nested(obj, _path(paths.status_replicas))
        selector = (
            _nested(obj, _path(paths.label_selector)) if paths.label_selector else None
        )
    else:
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        replicas, current = spec.get("replicas"), status.get("replicas")
        selector = label_selector_string(spec.get("selector"))
    scale_meta = {
        k: meta[k]
        for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
        if k in meta
    }
    scale: dict[str, Any] = {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": scale_meta,
        "spec": {},
        "status": {"replicas": _count(current)},
    }
    if replicas:
        scale["spec"]["replicas"] = replicas
    if selector and isinstance(selector, str):
        scale["status"]["selector"] = selector
    return scale


def _count(value: Any) -> int:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    return int(value) if ok else 0


def _set_replicas(call: Call, obj: dict[str, Any], replicas: int) -> None:
    paths = call.resource.scale
    keys = _path(paths.spec_replicas) if paths is not None else ["spec", "replicas"]
    target = obj
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = replicas


def scale(call: Call) -> ServerResponse:
    objects = call.core.objects
    assert call.name is not None
    if call.method == "GET":
        return handlers.respond(call, 200, _scale(call, _pod(call)))
    if call.method not in ("PUT", "PATCH"):
        raise method_not_allowed()
    with objects.lock:
        old = _pod(call)
        current = _scale(call, old)
        if call.method == "PUT":
            wanted = decode_body(call.request)
        else:
            kind = handlers.patch_type(call)
            body = handlers.decode_patch(call, kind)
            from ...models import model_class

            wanted = apply_patch(
                model_class("autoscaling/v1", "Scale"),
                "merge" if kind == "apply" else kind,
                current,
                body,
            )
        if not isinstance(wanted, dict):
            raise bad_request("the body must be a Scale object")
        objects.check_body(
            "autoscaling/v1", "Scale", wanted, patched=call.method == "PATCH"
        )
        meta = wanted.get("metadata") or {}
        if meta.get("name", call.name) != call.name:
            raise bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name "
                f"on the URL ({call.name})"
            )
        objects.check_version(call.resource, old, meta.get("resourceVersion"), "scale")
        replicas = (wanted.get("spec") or {}).get("replicas", 0)
        if not isinstance(replicas, int) or replicas < 0:
            raise invalid(
                "Scale",
                "autoscaling",
                call.name,
                [
                    Cause(
                        "spec.replicas",
                        f"Invalid value: {replicas}: must be greater "
                        "than or equal to 0",
                    )
                ],
            )
        new = deepcopy_json(old)
        _set_replicas(call, new, replicas)
        write = call.write(
            apply=call.method == "PATCH"
            and "apply" in call.request.headers.get("content-type", "")
        )
        stored = objects.commit_update(call.resource, old, new, write, "scale")
    return handlers.respond(call, 200, _scale(call, stored))


# --------------------------------------------------------------------------- logs


def _container(call: Call, pod: dict[str, Any]) -> str:
    spec = pod.get("spec") or {}
    names = [c.get("name") for c in spec.get("containers") or []]
    init = [c.get("name") for c in spec.get("initContainers") or []]
    ephemeral = [c.get("name") for c in spec.get("ephemeralContainers") or []]
    name = call.q("container")
    pod_name = pod["metadata"]["name"]
    if not name:
        if len(names) == 1:
            return str(names[0])
        message = (
            f"a container name must be specified for pod {pod_name}, choose one of: "
            f"[{' '.join(map(str, names))}]"
        )
        if init:
            message += f" or one of the init containers: [{' '.join(map(str, init))}]"
        raise bad_request(message)
    if name not in (*names, *init, *ephemeral):
        raise bad_request(f"container {name} is not valid for pod {pod_name}")
    return name


def _log_query(call: Call) -> LogQuery:
    since: float | None = None
    seconds = call.int_param("sinceSeconds")
    if seconds is not None:
        if seconds < 1:
            raise invalid(
                "PodLogOptions",
                "",
                "",
                [
                    Cause(
                        "sinceSeconds",
                        f"Invalid value: {seconds}: must be greater than 0",
                    )
                ],
            )
        since = time.time() - seconds
    if call.q("sinceTime"):
        if seconds is not None:
            raise invalid(
                "PodLogOptions",
                "",
                "",
                [
                    Cause(
                        "",
                        "at most one of `sinceTime` or `sinceSeconds` may be specified",
                        "FieldValueForbidden",
                    )
                ],
            )
        since = parse_time(call.q("sinceTime")).timestamp()
    for name in ("tailLines", "limitBytes"):
        value = call.int_param(name)
        if value is not None and (value < 0 or (name == "limitBytes" and value == 0)):
            raise invalid(
                "PodLogOptions",
                "",
                "",
                [Cause(name, f"Invalid value: {value}: must be greater than 0")],
            )
    return LogQuery(
        tail_lines=call.int_param("tailLines"),
        limit_bytes=call.int_param("limitBytes"),
        timestamps=call.flag("timestamps"),
        since=since,
    )


def log(call: Call) -> ServerResponse:
    if call.method != "GET":
        raise method_not_allowed()
    pod = _pod(call)
    container = _container(call, pod)
    query = _log_query(call)
    previous = call.flag("previous")
    key = (call.object_namespace, pod["metadata"]["name"], container, previous)
    logs = call.core.logs
    if previous and not logs.has(key):
        raise bad_request(
            f'previous terminated container "{container}" in pod '
            f'"{pod["metadata"]["name"]}" not found'
        )
    headers = {"content-type": TEXT}
    if call.flag("follow") and not previous:
        return ServerResponse(200, headers, stream=logs.follow(key, query))
    return ServerResponse(200, headers, logs.read(key, query))


# --------------------------------------------------------------------------- pods


def eviction(call: Call) -> ServerResponse:
    if call.method != "POST":
        raise method_not_allowed()
    body = decode_body(call.request)
    if not isinstance(body, dict) or body.get("kind") not in (None, "Eviction"):
        raise bad_request("the body must be an Eviction")
    call.core.objects.check_body("policy/v1", "Eviction", body)
    name = (body.get("metadata") or {}).get("name")
    if name and name != call.name:
        raise bad_request("name in URL does not match name in Eviction object")
    _pod(call)  # 404 first
    options = body.get("deleteOptions") or {}
    write = call.write()
    write.dry_run = write.dry_run or bool(options.get("dryRun"))
    assert call.name is not None
    pre = options.get("preconditions") or {}
    call.core.objects.delete(
        call.resource,
        call.object_namespace,
        call.name,
        DeleteOptions(
            propagation=options.get("propagationPolicy"),
            grace_period=options.get("gracePeriodSeconds"),
            uid=pre.get("uid"),
            resource_version=pre.get("resourceVersion"),
        ),
        write,
    )
    return handlers.respond(call, 201, success_status(201))


def binding(call: Call) -> ServerResponse:
    """POST pods/x/binding, or POST namespaces/ns/bindings naming the pod."""
    if call.method != "POST":
        raise method_not_allowed()
    body = decode_body(call.request)
    if not isinstance(body, dict):
        raise bad_request("the body must be a Binding")
    call.core.objects.check_body("v1", "Binding", body)
    core = call.core
    pods = core.registry.get("", "v1", "pods")
    assert pods is not None
    name = call.name or (body.get("metadata") or {}).get("name") or ""
    target = (body.get("target") or {}).get("name")
    if not target:
        raise invalid(
            "Binding",
            "",
            name,
            [Cause("target.name", "Required value", "FieldValueRequired")],
        )
    write = call.write()
    with core.objects.lock:
        old = core.objects.read(pods, call.object_namespace, name)
        node = (old.get("spec") or {}).get("nodeName")
        if old["metadata"].get("deletionTimestamp"):
            raise conflict(
                pods.info,
                name,
                f"pod {name} is being deleted, cannot be assigned to a host",
                "binding",
            )
        if node:
            raise conflict(
                pods.info,
                name,
                f'pod {name} is already assigned to node "{node}"',
                "binding",
            )
        new = deepcopy_json(old)
        new.setdefault("spec", {})["nodeName"] = target
        annotations = (body.get("metadata") or {}).get("annotations") or {}
        if annotations:
            new["metadata"].setdefault("annotations", {}).update(annotations)
        conditions = new.setdefault("status", {}).setdefault("conditions", [])
        conditions[:] = [c for c in conditions if c.get("type") != "PodScheduled"]
        conditions.append(
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": now()}
        )
        core.objects.commit_update(pods, old, new, write, "binding")
    return handlers.respond(call, 201, success_status(201))


def token(call: Call) -> ServerResponse:
    """serviceaccounts/x/token: a TokenRequest answered with a signed token the
    server accepts while it is valid (``..authz.tokens``)."""
    if call.method != "POST":
        raise method_not_allowed()
    sa = _pod(call)
    body = decode_body(call.request)
    if not isinstance(body, dict):
        raise bad_request("the body must be a TokenRequest")
    spec = body.get("spec") or {}
    if not isinstance(spec, dict):
        raise bad_request("spec: the body must be a TokenRequest")
    tokens = call.core.authorization.tokens
    value, expires, spec = tokens.issue(call.object_namespace, sa, dict(spec))
    result = {
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {
            "name": sa["metadata"]["name"],
            "namespace": call.object_namespace,
            "creationTimestamp": now(),
        },
        "spec": spec,
        "status": {"token": value, "expirationTimestamp": format_time(expires)},
    }
    return handlers.respond(call, 201, result)


def upgrade_required(call: Call) -> ServerResponse:
    """exec, attach, portforward: WebSocket upgrades (engine/streaming)."""
    from .streaming import serve_upgrade

    return serve_upgrade(call, _container)


def proxy(call: Call) -> ServerResponse:
    """pods/proxy, services/proxy: to the targets of the pod runtime."""
    from .streaming import serve_proxy

    return serve_proxy(call)


SUBRESOURCES: dict[str, Handler] = {
    "status": object_view,
    "ephemeralcontainers": object_view,
    "resize": object_view,
    "finalize": object_view,
    "approval": object_view,
    "scale": scale,
    "log": log,
    "eviction": eviction,
    "binding": binding,
    "token": token,
    "exec": upgrade_required,
    "attach": upgrade_required,
    "portforward": upgrade_required,
    "proxy": proxy,
}


# --------------------------------------------------------------------------- reviews


#: Create-only resources computed on the spot, never stored (storage key -> handler).
REVIEWS: dict[tuple[str, str], Handler] = {
    **AUTHORIZATION_REVIEWS,
    ("", "bindings"): binding,
}
