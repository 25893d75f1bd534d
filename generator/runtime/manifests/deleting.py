"""manifests.delete: the objects of a batch removed in the reverse of apply's
order (custom resources before their CRDs, Namespaces last)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .._model import Model
from ..errors import ApiError, NotFound
from ..wait import wait_for
from .applying import session
from .errors import ManifestError, PreflightError
from .planning import plan

__all__ = ["DeleteResult", "delete"]


@dataclass(frozen=True)
class DeleteResult:
    """``action`` is "deleted" or "not found"."""

    action: str
    origin: str
    title: str

    def __str__(self) -> str:
        return f"{self.title} {self.action}"


def delete(
    cs: Any,
    objects: Iterable[Model | Mapping[str, Any]],
    *,
    namespace: str | None = None,
    propagation_policy: str = "Background",
    wait: bool = False,
    timeout: float = 60.0,
) -> list[DeleteResult]:
    """Delete every object (absent ones are "not found"), in reverse apply order;
    ``wait`` waits for each to be gone (finalizers done) before the next, up to
    ``timeout`` seconds each. Objects that cannot be mapped raise
    :class:`~.errors.PreflightError` before anything is deleted."""
    s = session(cs)
    planned, failures = plan(s.mapper, objects, namespace, s.default_namespace)
    if failures:
        raise PreflightError(failures)
    results: list[DeleteResult] = []
    for item in reversed(planned):
        client = s.client(item)
        try:
            client.delete(item.name, propagation_policy=propagation_policy)
        except NotFound:
            results.append(DeleteResult("not found", item.origin, item.title))
            continue
        except ApiError as err:
            raise ManifestError(
                f"{item.origin}: {item.title}: {err.message or err}"
            ) from err
        if wait:
            try:
                wait_for(client, item.name, "delete", timeout=timeout)
            except Exception as err:  # WaitTimeout: a finalizer holds it
                raise ManifestError(
                    f"{item.origin}: {item.title} is still there: {err}"
                ) from err
        results.append(DeleteResult("deleted", item.origin, item.title))
    return results
