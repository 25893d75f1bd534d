"""Authentication: bearer tokens and client certificates (the transport puts the
certificate's CN/O into the request). What they may do is decided by
``..authz`` (everything, unless the server runs with RBAC).

A plain-http server is "unsecured", as kube-apiserver's old insecure port was:
a request without credentials is served as ``system:unsecured`` (group
system:masters), because clients never send credentials to an http:// server
(client-go, kubectl and this package's client leave them out). A request that
does present a bearer token is still authenticated by it."""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..protocol.wire import ServerRequest

User = tuple[str, tuple[str, ...]]  # name, groups

#: Who a request without credentials is on an unsecured (plain-http) server.
UNSECURED_USER: User = ("system:unsecured", ("system:masters", "system:authenticated"))

#: Paths the real server's system:public-info-viewer role opens to anyone.
PUBLIC_PATHS = ("/healthz", "/livez", "/readyz", "/version")


class Auth:
    def __init__(self, anonymous: bool = False, unsecured: bool = False) -> None:
        self.anonymous = anonymous
        #: plain http: requests without credentials are UNSECURED_USER
        self.unsecured = unsecured
        self._lock = threading.Lock()
        self._tokens: dict[str, User] = {}
        #: asked about tokens not in the table (service account JWTs)
        self.token_verifiers: list[Callable[[str], User | None]] = []

    def add_token(
        self,
        token: str,
        user: str,
        groups: tuple[str, ...] = ("system:authenticated",),
    ) -> None:
        with self._lock:
            self._tokens[token] = (user, tuple(groups))

    def remove_token(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    def user_for_token(self, token: str) -> User | None:
        with self._lock:
            found = self._tokens.get(token)
        for verify in self.token_verifiers if found is None else ():
            found = verify(token)
            if found is not None:
                break
        return found

    def identify(self, request: ServerRequest) -> User | None:
        if request.user:
            return (request.user, (*request.groups, "system:authenticated"))
        header = request.headers.get("authorization") or ""
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return self.user_for_token(value.strip())
        if self.unsecured and not header and not self.anonymous:
            return UNSECURED_USER
        return None

    def allows(self, request: ServerRequest) -> bool:
        """Valid credentials, or a public path, or anonymous mode. A request with
        a bad token is refused even then, as the real server does."""
        if request.headers.get("authorization"):
            return self.identify(request) is not None or (
                self.anonymous and not _bearer(request)
            )
        if request.user or self.anonymous or self.unsecured:
            return True
        path = request.path.rstrip("/") or "/"
        return any(path == p or path.startswith(p + "/") for p in PUBLIC_PATHS)


def _bearer(request: ServerRequest) -> bool:
    header = request.headers.get("authorization") or ""
    return header.lower().startswith("bearer ")
