"""The last touch kube-apiserver's JSON serializer gives a response body.

* Objects, lists and Status are written by ``json.Encoder.Encode``: compact,
  with a trailing newline (the official Python client's tests compare error
  bodies exactly, newline included). Watch streams are unaffected: every event
  is its own line already.
* ``?pretty=true``, or a user agent starting with ``curl``, ``Wget`` or
  ``Mozilla/5.0`` (and no ``pretty=false``), gets ``json.MarshalIndent``'s
  two-space indentation, without the newline (``isPrettyPrint`` in
  apiserver's responsewriters).
* ``/version`` and ``/`` are written by ``WriteRawJSON``: always indented,
  no newline. The OpenAPI documents are served as they are.
"""

from __future__ import annotations

import json

from ..._model import loads
from .wire import ServerRequest, ServerResponse

_PRETTY_AGENTS = ("curl", "Wget", "Mozilla/5.0")
_RAW_JSON_PATHS = frozenset({"/version", "/version/", "/"})


def pretty_requested(request: ServerRequest) -> bool:
    values = request.query.get("pretty")
    if values and values[0]:
        return values[0].lower() in ("1", "t", "true")  # strconv.ParseBool
    agent = request.headers.get("user-agent") or ""
    return agent.startswith(_PRETTY_AGENTS)


def _indented(body: bytes) -> bytes:
    text = json.dumps(loads(body), indent=2, ensure_ascii=False)
    # Go's encoder escapes these for HTML safety
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.encode()


def finish_json(request: ServerRequest, response: ServerResponse) -> ServerResponse:
    """``response`` with its JSON body as the real server writes it (in place)."""
    body = response.body
    if response.stream is not None or not body or body[-1:] == b"\n":
        return response
    ctype = response.headers.get("content-type") or ""
    if not ctype.startswith("application/json"):
        return response
    path = request.path
    if path.startswith("/openapi/"):
        return response
    try:
        if path in _RAW_JSON_PATHS or pretty_requested(request):
            response.body = _indented(body)
        else:
            response.body = body + b"\n"
    except ValueError:  # not JSON after all: leave it be
        pass
    return response
