"""Authenticators: what a Config asks for credentials on every request.

:class:`BearerToken` (a fixed token) and :class:`TokenFile` (a token re-read when
its file changes) live here; :class:`~.exec_plugin.ExecPlugin` in its own module.
"""

from __future__ import annotations

import logging
import threading

from .common import REDACTED, ConfigError, file_stamp, read_problem, token_problem

__all__ = ["Authenticator", "BearerToken", "TokenFile"]

_log = logging.getLogger(__name__.rpartition(".")[0])


class Authenticator:
    """Supplies credentials per request and refreshes them when they go stale."""

    def authorization(self) -> str | None:
        """The ``Authorization`` header value to send now, if any."""
        return None

    def client_cert(self) -> tuple[str, str] | None:
        """(certificate path, key path) to present in the TLS handshake, if any."""
        return None

    def credentials(self) -> tuple[str | None, tuple[str, str] | None]:
        """:meth:`authorization` and :meth:`client_cert` of one and the same
        credential, obtained at most once (an exec plugin runs at most once)."""
        return self.authorization(), self.client_cert()

    def refresh_after_unauthorized(self) -> bool:
        """Fetch fresh credentials after a 401; True if they differ from before."""
        return False


class BearerToken(Authenticator):
    """A fixed bearer token (kubeconfig ``token``)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def authorization(self) -> str | None:
        return f"Bearer {self._token}"

    def __repr__(self) -> str:
        return f"BearerToken(token={REDACTED})"


class TokenFile(Authenticator):
    """A bearer token read from a file and re-read whenever the file changes.

    Covers kubeconfig ``tokenFile`` and rotated service-account tokens. client-go
    re-reads such files once a minute; comparing the file's stat on each request is
    as cheap and picks up a rotation immediately. If the file becomes unreadable the
    last good token (or ``fallback_token``, the kubeconfig's static ``token``) is
    kept, as client-go does.
    """

    def __init__(
        self,
        path: str,
        *,
        fallback_token: str | None = None,
        where: str | None = None,
    ) -> None:
        self.path = path
        self._where = where or path
        self._fallback = fallback_token or None
        self._lock = threading.Lock()
        self._token: str | None = None
        self._stamp: tuple[int, ...] | None = None
        self._last_problem = ""
        if self._fallback is None:
            # Without a fallback, an unreadable file is a configuration error now
            # rather than on the first request.
            self._token, self._stamp = self._read()

    def authorization(self) -> str | None:
        with self._lock:
            stamp = file_stamp(self.path)
            if stamp is None or stamp != self._stamp:
                self._reload_keeping_last_good()
            return f"Bearer {self._token or self._fallback}"

    def refresh_after_unauthorized(self) -> bool:
        with self._lock:
            before = self._token
            self._reload_keeping_last_good()
            return self._token != before

    def _reload_keeping_last_good(self) -> None:
        try:
            self._token, self._stamp = self._read()
        except ConfigError as error:
            if self._token is None and self._fallback is None:
                raise
            if str(error) != self._last_problem:  # once, not on every request
                _log.warning("%s; keeping the previous token", error)
            self._last_problem = str(error)
        else:
            self._last_problem = ""

    def _read(self) -> tuple[str, tuple[int, ...] | None]:
        stamp = file_stamp(self.path)
        try:
            with open(self.path, encoding="utf-8") as file:
                token = file.read().strip()
        except (OSError, ValueError) as error:  # ValueError: not UTF-8, bad name
            problem = read_problem(self.path, error)
            raise ConfigError(f"{self._where}: {problem}") from None
        if not token:
            raise ConfigError(f"{self._where}: token file {self.path} is empty")
        unsendable = token_problem(token)
        if unsendable is not None:
            raise ConfigError(f"{self._where}: token file {self.path} {unsendable}")
        return token, stamp

    def __repr__(self) -> str:
        return f"TokenFile(path={self.path!r}, token={REDACTED})"
