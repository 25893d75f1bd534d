"""The error every patch engine of the room raises, with the HTTP status the real
API server (``k8s.io/apiserver/pkg/endpoints/handlers/patch.go``) answers with.

The statuses of each patch type are listed in its module (:mod:`.jsonpatch`,
:mod:`.mergepatch`, :mod:`.strategic`, :mod:`.apply`)."""

from __future__ import annotations

__all__ = ["PatchError"]


_REASONS = {
    400: "BadRequest",
    409: "Conflict",
    413: "RequestEntityTooLarge",
    422: "Invalid",
}


class PatchError(ValueError):
    """A patch or apply the API server would refuse; ``status`` is its HTTP code."""

    def __init__(self, message: str, status: int = 500) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    @property
    def reason(self) -> str:
        """The ``reason`` of the metav1.Status the server sends ("" when unknown)."""
        return _REASONS.get(self.status, "")
