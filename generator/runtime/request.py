"""A request as a plain value (kube-core's ``Request``, httpx's ``Request``).

Building a request computes everything about it, sending it is a separate step:
clients build :class:`Request` values, the pipeline (:mod:`.pipeline`) adds what
every request shares (credentials, retries, error mapping) and a transport
(:mod:`.transport`) carries it. Tests can compare requests as values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .context import Context

__all__ = ["Params", "Request", "Timeout", "encode_params"]

#: Seconds, or (connect, read) seconds; a read timeout of None waits forever.
Timeout = float | tuple[float, float] | tuple[float, None]

#: Query parameter values: None is dropped, a sequence repeats the key.
Params = Mapping[str, "str | int | bool | Sequence[str] | None"]

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_UNSAFE_PATH_CHARS = re.compile(r"[?#\s\x00-\x1f]")


@dataclass(frozen=True)
class Request:
    """One HTTP request to the API server, relative to the configured host."""

    method: str
    #: absolute API path, already percent-encoded (``paths.ResourcePath.build``)
    path: str
    query: tuple[tuple[str, str], ...] = ()
    #: header names in lower case; the pipeline adds User-Agent and credentials
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    #: None: the configuration's timeout
    timeout: Timeout | None = None
    #: read the body as it arrives (watch, follow=true logs) instead of at once
    stream: bool = False
    #: cancels the request, and a streamed body, when done (Go's req.WithContext)
    context: Context | None = None
    #: TLS client certificate and key files; the pipeline sets them with the
    #: credentials (an exec plugin gives both from one run)
    client_cert: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        path = self.path
        if not path.startswith("/") or "://" in path:
            raise ValueError(f"not an absolute API path: {path[:200]!r}")
        if _UNSAFE_PATH_CHARS.search(path):
            raise ValueError(
                "API path contains a query, fragment, space or control character "
                f"(pass query parameters as params): {path[:200]!r}"
            )

    @property
    def safe(self) -> bool:
        """GET, HEAD or OPTIONS: sending it twice changes nothing."""
        return self.method in _SAFE_METHODS

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers if key == lowered), None)

    def with_headers(
        self,
        extra: Mapping[str, str],
        *,
        timeout: Timeout | None = None,
        client_cert: tuple[str, str] | None = None,
        repeated: Sequence[tuple[str, str]] = (),
    ) -> Request:
        """The same request with ``extra`` headers set (replacing same names),
        ``repeated`` pairs appended (a name may occur several times), and
        ``timeout`` and ``client_cert`` if given. The path was checked already: not
        again."""
        names = {name.lower() for name in extra}
        kept = tuple(pair for pair in self.headers if pair[0] not in names)
        added = tuple((name.lower(), value) for name, value in extra.items())
        added += tuple((name.lower(), value) for name, value in repeated)
        copy = object.__new__(Request)
        copy.__dict__.update(self.__dict__)
        object.__setattr__(copy, "headers", kept + added)
        if timeout is not None:
            object.__setattr__(copy, "timeout", timeout)
        if client_cert is not None:
            object.__setattr__(copy, "client_cert", client_cert)
        return copy

    def target(self) -> str:
        """Path and encoded query, as sent on the request line."""
        if not self.query:
            return self.path
        from urllib.parse import urlencode

        return f"{self.path}?{urlencode(self.query)}"

    def __repr__(self) -> str:
        # no query or body: they may carry secrets (tokens in TokenRequests ...)
        return f"<Request {self.method} {self.path}>"


def encode_params(params: Params) -> tuple[tuple[str, str], ...]:
    """Query pairs: None dropped, bools as true/false, sequences repeated."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (str, int, float)):
            pairs.append((key, _scalar(value)))
        else:
            pairs.extend((key, _scalar(item)) for item in value if item is not None)
    return tuple(pairs)


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
