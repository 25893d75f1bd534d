"""RESTClient: the verb / path / params / body building blocks under every client.

As client-go's ``rest.Interface``::

    rest = RESTClient(config)
    pods = rest.get().group_version("", "v1").namespace("default").resource("pods").do().json()
    log = rest.get().abs_path("/api/v1/namespaces/default/pods/web/log").param("tailLines", 10).do().text()

Building gives a plain :class:`~.request.Request` value (``.build()``); sending
goes through the :class:`~.pipeline.Pipeline` (retries, credentials, errors) and
then a :class:`~.transport.Transport`. Typed clients, the dynamic client and the
fake clientset all go through here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ._model import Model, dumps, wrap
from .errors import UnexpectedKind
from .paths import api_prefix, segment
from .pipeline import Pipeline
from .request import Request, Timeout, encode_params

if TYPE_CHECKING:
    from .config import Config
    from .context import Context
    from .response import Response
    from .transport import Transport

__all__ = ["RESTClient", "RequestBuilder", "Result", "Timeout"]

M = TypeVar("M", bound=Model)
ParamValue = str | int | bool | list[str] | tuple[str, ...] | None

JSON = "application/json"
PATCH_CONTENT_TYPES = {
    "json": "application/json-patch+json",
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
    "apply": "application/apply-patch+yaml",
}


def encode_body(body: Model | Mapping[str, Any] | list[Any] | bytes | str) -> bytes:
    """Request body bytes: models and JSON values as compact JSON."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, Model):
        return dumps(body.to_dict(copy=False))
    return dumps(body if isinstance(body, (dict, list)) else dict(body))


class Result:
    """A finished response: the body, decoded as the caller wants it."""

    def __init__(self, response: Response) -> None:
        self.response = response
        self.status = response.status
        self.headers = response.headers

    def raw(self) -> bytes:
        return self.response.content()

    def text(self) -> str:
        return self.response.content().decode("utf-8", errors="replace")

    def json(self) -> Any:
        return self.response.json()

    def into(self, cls: type[M]) -> M:
        """Decode into a model class (no copy: the model adopts the decoded dict)."""
        data = self.response.json()
        if not isinstance(data, dict):
            raise UnexpectedKind(
                f"{self.response.url}: expected a JSON object, got {type(data).__name__}"
            )
        return wrap(cls, data)


class RequestBuilder:
    """A request being built; chainable. Path parts are escaped as they are added."""

    def __init__(self, client: RESTClient, method: str) -> None:
        self._client = client
        self._method = method
        self._prefix = ""
        self._namespace: str | None = None
        self._resource: str | None = None
        self._name: str | None = None
        self._subresource: str | None = None
        self._suffix = ""
        self._params: dict[str, ParamValue] = {}
        self._body: bytes | None = None
        self._content_type: str | None = None
        self._accept = JSON
        self._timeout: Timeout | None = None
        self._context: Context | None = None

    # -- where

    def abs_path(self, path: str) -> RequestBuilder:
        """An absolute path, used as given (already escaped by the caller)."""
        if not path.startswith("/"):
            raise ValueError(f"path must be absolute: {path!r}")
        self._prefix = path.rstrip("/") or "/"
        return self

    def group_version(self, group: str, version: str) -> RequestBuilder:
        self._prefix = api_prefix(group, version)
        return self

    def namespace(self, namespace: str | None) -> RequestBuilder:
        self._namespace = namespace or None
        return self

    def resource(self, plural: str) -> RequestBuilder:
        self._resource = plural
        return self

    def name(self, name: str) -> RequestBuilder:
        self._name = name
        return self

    def subresource(self, *parts: str) -> RequestBuilder:
        self._subresource = "/".join(segment(p, "subresource") for p in parts)
        return self

    def suffix(self, *parts: str) -> RequestBuilder:
        """Path segments after the subresource (e.g. a proxy path)."""
        self._suffix = "".join("/" + segment(p, "path segment") for p in parts)
        return self

    # -- what

    def param(self, key: str, value: ParamValue) -> RequestBuilder:
        if value is not None:
            self._params[key] = value
        return self

    def params(self, params: Mapping[str, ParamValue]) -> RequestBuilder:
        for key, value in params.items():
            self.param(key, value)
        return self

    def body(
        self,
        body: Model | Mapping[str, Any] | list[Any] | bytes | str,
        content_type: str = JSON,
    ) -> RequestBuilder:
        self._body = encode_body(body)
        self._content_type = content_type
        return self

    def accept(self, accept: str) -> RequestBuilder:
        self._accept = accept
        return self

    def timeout(self, timeout: Timeout | None) -> RequestBuilder:
        self._timeout = timeout
        return self

    def context(self, ctx: Context | None) -> RequestBuilder:
        """Cancel the request (and a streamed body) when ``ctx`` is done."""
        self._context = ctx
        return self

    def path(self) -> str:
        parts = [self._prefix]
        if self._namespace:
            parts.append(f"/namespaces/{segment(self._namespace, 'namespace')}")
        if self._resource is not None:
            parts.append(f"/{segment(self._resource, 'resource')}")
        if self._name is not None:
            if self._resource is None:
                raise ValueError("a name needs a resource")
            parts.append(f"/{segment(self._name)}")
        if self._subresource is not None:
            parts.append(f"/{self._subresource}")
        return "".join(parts) + self._suffix

    # -- send

    def build(self, *, stream: bool = False) -> Request:
        """The request as a plain value."""
        headers = [("accept", self._accept)]
        if self._content_type is not None:
            headers.append(("content-type", self._content_type))
        return Request(
            self._method,
            self.path(),
            encode_params(self._params),
            tuple(headers),
            self._body,
            self._timeout,
            stream,
            self._context,
        )

    def send(self, *, stream: bool = False) -> Response:
        return self._client.pipeline.send(self.build(stream=stream))

    def do(self) -> Result:
        """Send and read the whole response; non-2xx raise ApiError subclasses."""
        return Result(self.send())

    def stream(self) -> Response:
        """Send and return the open response (watch, follow=true logs)."""
        return self.send(stream=True)


class RESTClient:
    """Builds and sends requests to one API server (client-go's RESTClient)."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        transport: Transport | None = None,
        pipeline: Pipeline | None = None,
    ) -> None:
        if pipeline is None:
            if transport is None:
                if config is None:
                    raise TypeError("RESTClient needs a config or a transport")
                from .transport.http import HTTPTransport

                transport = HTTPTransport(config)
            if config is None:
                config = getattr(transport, "config", None)
            pipeline = Pipeline(transport, config)
        self.pipeline = pipeline
        self.transport = pipeline.transport
        self.config = config if config is not None else pipeline.config

    def verb(self, method: str) -> RequestBuilder:
        return RequestBuilder(self, method.upper())

    def get(self) -> RequestBuilder:
        return self.verb("GET")

    def post(self) -> RequestBuilder:
        return self.verb("POST")

    def put(self) -> RequestBuilder:
        return self.verb("PUT")

    def patch(self, patch_type: str = "strategic") -> RequestBuilder:
        """A PATCH request; the body's content type follows ``patch_type``."""
        request = self.verb("PATCH")
        request._content_type = patch_content_type(patch_type)
        return request

    def delete(self) -> RequestBuilder:
        return self.verb("DELETE")

    def close(self) -> None:
        self.pipeline.close()

    def __repr__(self) -> str:
        host = getattr(self.config, "host", None)
        return f"<RESTClient {host or self.transport!r}>"

    def __enter__(self) -> RESTClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def patch_content_type(patch_type: str) -> str:
    try:
        return PATCH_CONTENT_TYPES[patch_type]
    except KeyError:
        if "/" in patch_type:  # a full content type
            return patch_type
        choices = ", ".join(repr(k) for k in PATCH_CONTENT_TYPES)
        raise ValueError(
            f"unknown patch type {patch_type!r}; use one of {choices}"
        ) from None


def lines(response: Response) -> Iterator[str]:
    """Text lines of a streaming response (follow=true logs), decoded as UTF-8."""
    try:
        for line in response.iter_lines():
            yield line.decode("utf-8", errors="replace")
    finally:
        response.close()
