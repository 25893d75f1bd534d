"""pods/proxy and services/proxy: the request forwarded to the target the test
registered (:meth:`~.runtime.PodRuntime.forward_port`), the answer streamed back.

The name may carry a scheme and a port, as the apiserver reads it:
``[scheme:]name[:port]`` (``web:8080``, ``https:web:443``, ``web:http`` for a
service port name). No target: 503 as the real server answers with no endpoints.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote, urlencode

from ...protocol.status import ApiError, bad_request, method_not_allowed
from ...protocol.wire import ServerResponse
from .runtime import Address, PodRuntime

#: request headers not forwarded (hop by hop, or the API server's credentials)
_DROPPED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "authorization",
        "host",
        "content-length",
    }
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def split_name(name: str) -> tuple[str, str, str]:
    """scheme, name, port of ``[scheme:]name[:port]``."""
    parts = name.split(":")
    if len(parts) == 1:
        return "", parts[0], ""
    if len(parts) == 2:
        return "", parts[0], parts[1]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    raise bad_request(f"invalid proxy name {name!r}")


def no_endpoints(kind: str, name: str) -> ApiError:
    return ApiError(
        503, "ServiceUnavailable", f'no endpoints available for {kind} "{name}"'
    )


def pod_target(runtime: PodRuntime, pod: dict[str, Any], port: str) -> Address | None:
    meta = pod["metadata"]
    number = _port_number(pod, port)
    if number is None:
        return None
    return runtime.port_target(meta.get("namespace", ""), meta["name"], number)


def _port_number(pod: dict[str, Any], port: str) -> int | None:
    if port.isdigit():
        return int(port)
    for container in (pod.get("spec") or {}).get("containers") or ():
        for declared in container.get("ports") or ():
            if port == "" or declared.get("name") == port:
                value = declared.get("containerPort")
                return value if isinstance(value, int) else None
    return None


def service_target(
    runtime: PodRuntime,
    service: dict[str, Any],
    port: str,
    pods: list[dict[str, Any]],
) -> Address | None:
    """The registered target of the service port, or of a selected pod's target port."""
    meta = service["metadata"]
    namespace = meta.get("namespace", "")
    direct = runtime.service_target(namespace, meta["name"], port)
    if direct is not None:
        return direct
    ports = (service.get("spec") or {}).get("ports") or []
    chosen = next(
        (p for p in ports if port in ("", str(p.get("port")), p.get("name") or "")),
        None,
    )
    if chosen is None:
        return None
    direct = runtime.service_target(namespace, meta["name"], str(chosen.get("port")))
    if direct is not None:
        return direct
    target_port = chosen.get("targetPort", chosen.get("port"))
    selector = (service.get("spec") or {}).get("selector") or {}
    if not selector:
        return None
    for pod in pods:
        labels = pod["metadata"].get("labels") or {}
        if all(labels.get(k) == v for k, v in selector.items()):
            found = pod_target(runtime, pod, str(target_port))
            if found is not None:
                return found
    return None


def forward(
    method: str,
    address: Address,
    path: str,
    query: dict[str, list[str]],
    headers: dict[str, str],
    body: bytes,
) -> ServerResponse:
    """Send the request to ``address``; its answer, streamed."""
    if method not in _METHODS:
        raise method_not_allowed()
    target = "/" + quote(unquote(path).lstrip("/"), safe="/:@!$&'()*+,;=-._~")
    if query:
        target += "?" + urlencode(query, doseq=True)
    sent = {k: v for k, v in headers.items() if k not in _DROPPED}
    connection = http.client.HTTPConnection(*address, timeout=30)
    try:
        connection.request(method, target, body=body or None, headers=sent)
        answer = connection.getresponse()
    except OSError as error:
        connection.close()
        raise ApiError(
            503,
            "ServiceUnavailable",
            f"error trying to reach the target {address[0]}:{address[1]}: {error}",
        ) from None
    out: dict[str, str] = {}
    for name, value in answer.getheaders():
        lowered = name.lower()
        if lowered in ("connection", "keep-alive", "transfer-encoding"):
            continue
        out[lowered] = value
    if method == "HEAD" or answer.status in (204, 304):
        body_bytes = answer.read()
        connection.close()
        return ServerResponse(answer.status, out, body_bytes)

    def chunks() -> Iterator[bytes]:
        try:
            while True:
                data = answer.read1(1 << 17)
                if not data:
                    return
                yield data
        finally:
            connection.close()

    return ServerResponse(answer.status, out, stream=chunks())
