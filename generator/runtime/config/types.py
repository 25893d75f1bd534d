"""Config: everything a transport needs to reach and authenticate to one API server."""

from __future__ import annotations

import base64
import platform
import sys
from dataclasses import dataclass, field, fields

from ..flowcontrol import check_rate_limits
from .auth import Authenticator
from .common import REDACTED, hide_url_password
from .impersonation import Impersonation

__all__ = ["Config"]


def _default_user_agent() -> str:
    machine = platform.machine() or "unknown"
    return (
        f"kubeclient-python (Python {platform.python_version()}; "
        f"{sys.platform}/{machine})"
    )


@dataclass(repr=False)
class Config:
    """Everything a transport needs to reach and authenticate to one API server."""

    host: str
    namespace: str = "default"
    verify: bool = True
    ca_file: str | None = None
    tls_server_name: str | None = None
    proxy_url: str | None = None
    client_cert_file: str | None = None
    client_key_file: str | None = None
    username: str | None = None
    password: str | None = None
    auth: Authenticator | None = None
    user_agent: str = field(default_factory=_default_user_agent)
    timeout: tuple[float, float] = (10.0, 60.0)
    context: str | None = None
    cluster: str | None = None
    user: str | None = None
    source: str | None = None
    #: client-side rate limit (requests per second, bucket size), as client-go's
    #: rest.Config QPS/Burst; not in kubeconfig files. None: no limit (the server's
    #: priority and fairness throttles). Read when a ClientSet is built.
    qps: float | None = None
    burst: int | None = None
    #: act as another identity (kubeconfig ``as``/``as-groups``...): the pipeline
    #: sends Impersonate-* headers with every request
    impersonate: Impersonation | None = None

    def __post_init__(self) -> None:
        check_rate_limits(self.qps, self.burst)
        if self.impersonate is not None and not isinstance(
            self.impersonate, Impersonation
        ):
            raise TypeError(
                "Config.impersonate must be an Impersonation, got "
                f"{type(self.impersonate).__name__}"
            )

    def impersonation_headers(self) -> list[tuple[str, str]]:
        """The Impersonate-* headers every request carries (groups repeat)."""
        if self.impersonate is None or not self.impersonate.active:
            return []
        return self.impersonate.header_pairs()

    def auth_headers(self) -> dict[str, str]:
        """The Authorization header to send now (may run a plugin or re-read a file)."""
        return self._headers(self.auth.authorization() if self.auth else None)

    def client_cert(self) -> tuple[str, str] | None:
        """(certificate path, key path) to present, from the config or the plugin."""
        if self.client_cert_file and self.client_key_file:
            return self.client_cert_file, self.client_key_file
        if self.auth is not None:
            return self.auth.client_cert()
        return None

    def credentials(self) -> tuple[dict[str, str], tuple[str, str] | None]:
        """:meth:`auth_headers` and :meth:`client_cert` for one request together.

        Both come from one credential: an exec plugin runs at most once for the
        pair, and the header and certificate cannot come from different runs.
        """
        if self.client_cert_file and self.client_key_file:
            return self.auth_headers(), (self.client_cert_file, self.client_key_file)
        if self.auth is None:
            return self._headers(None), None
        authorization, cert = self.auth.credentials()
        return self._headers(authorization), cert

    def refresh_after_unauthorized(self) -> bool:
        """Called on a 401: True if credentials changed, so one retry makes sense."""
        return self.auth is not None and self.auth.refresh_after_unauthorized()

    def _headers(self, authorization: str | None) -> dict[str, str]:
        if authorization:
            return {"Authorization": authorization}
        if self.username or self.password:
            pair = f"{self.username or ''}:{self.password or ''}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}
        return {}

    def __repr__(self) -> str:
        shown = []
        for each in fields(self):
            value = getattr(self, each.name)
            if each.name == "password" and value is not None:
                value = REDACTED
            elif each.name in ("host", "proxy_url") and value is not None:
                value = repr(hide_url_password(value))
            else:
                value = repr(value)
            shown.append(f"{each.name}={value}")
        return f"Config({', '.join(shown)})"
