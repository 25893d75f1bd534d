"""Where events are written: events.k8s.io/v1 when the server serves it
(discovery, asked once), else core/v1; create and patch through the
RESTClient, with errors sorted as client-go's ``recordEvent`` sorts them."""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Mapping
from typing import Any

from ..context import Context
from ..errors import ApiError, Cancelled, ConnectionFailed
from ..rest import RESTClient, patch_content_type
from .wire import CORE, EVENTS_V1

__all__ = ["EventSink", "Outcome", "outcome_of"]

_log = logging.getLogger(__name__)


class Outcome(enum.Enum):
    DONE = "done"  # written, or dropped for good
    RETRY = "retry"  # worth another try later
    STOPPED = "stopped"  # the broadcaster is shutting down


def outcome_of(error: BaseException) -> Outcome:
    """Whether a failed write is worth retrying: connection failures, 429 and
    5xx are; any other refusal will be refused again."""
    if isinstance(error, Cancelled):
        return Outcome.STOPPED
    if isinstance(error, ConnectionFailed):
        return Outcome.RETRY
    if isinstance(error, ApiError):
        return (
            Outcome.RETRY
            if error.status == 429 or error.status >= 500
            else Outcome.DONE
        )
    return Outcome.DONE


class EventSink:
    """Writes wire Events to one server."""

    def __init__(
        self, rest: RESTClient, ctx: Context, *, recheck_after: float = 1.0
    ) -> None:
        self.rest = rest
        self._ctx = ctx
        self.recheck_after = recheck_after
        self._api: tuple[str, str] | None = None
        self._failed: tuple[float, Exception] | None = None

    @property
    def api(self) -> tuple[str, str]:
        """(group, version) events are written to; asks discovery the first time.
        Its errors propagate, to be retried; for ``recheck_after`` seconds the
        same error is raised again without asking (so that every queued event
        does not wait for its own failing discovery)."""
        if self._api is None:
            if self._failed is not None:
                at, error = self._failed
                if time.monotonic() - at < self.recheck_after:
                    raise error
            try:
                self._api = EVENTS_V1 if self._serves_events_v1() else CORE
            except Exception as error:
                self._failed = (time.monotonic(), error)
                raise
            _log.debug("events are written to %s", "/".join(filter(None, self._api)))
        return self._api

    @property
    def known(self) -> bool:
        return self._api is not None

    def _serves_events_v1(self) -> bool:
        group, version = EVENTS_V1
        try:
            self.rest.get().abs_path(f"/apis/{group}/{version}").context(self._ctx).do()
        except ApiError as error:
            if error.status == 404:
                return False
            raise
        return True

    def create(self, event: Mapping[str, Any]) -> dict[str, Any]:
        group, version = self.api
        meta = dict(event.get("metadata") or {})
        meta.pop("resourceVersion", None)  # a create never carries one
        body = {**event, "metadata": meta}
        result = (
            self.rest.post()
            .group_version(group, version)
            .namespace(meta.get("namespace"))
            .resource("events")
            .body(body)
            .context(self._ctx)
            .do()
            .json()
        )
        return result if isinstance(result, dict) else {}

    def patch(
        self, event: Mapping[str, Any], patch: Mapping[str, Any]
    ) -> dict[str, Any]:
        group, version = self.api
        meta = event.get("metadata") or {}
        result = (
            self.rest.patch("strategic")
            .group_version(group, version)
            .namespace(meta.get("namespace"))
            .resource("events")
            .name(str(meta.get("name") or ""))
            .body(patch, patch_content_type("strategic"))
            .context(self._ctx)
            .do()
            .json()
        )
        return result if isinstance(result, dict) else {}
