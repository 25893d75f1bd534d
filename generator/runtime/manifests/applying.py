"""manifests.apply: server-side apply of a batch of objects, with a preflight
that changes nothing unless every object can be applied."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .._model import Model
from ..discovery import RESTMapper
from ..dynamic import DynamicResourceClient
from ..errors import ApiError, NotFound
from ..unstructured import Unstructured
from ..wait import wait_for
from .errors import Failure, ManifestError, PreflightError
from .planning import CRD_KIND, FIRST_KINDS, Planned, plan

__all__ = ["ApplyResult", "Checked", "apply", "preflight", "session"]

_CONFLICT_MANAGER = re.compile(r'conflict with "((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class ApplyResult:
    """What apply did to one object: ``action`` is "created", "configured" or
    "unchanged"; ``object`` is the object the server answered with (for a
    dry-run, what it would be)."""

    action: str
    object: Unstructured
    origin: str
    title: str

    def __str__(self) -> str:
        return f"{self.title} {self.action}"


@dataclass
class Checked:
    """An object after preflight: the live one (None if absent), the server's
    dry-run answer (None when it could not be asked, see ``Planned.pending``)."""

    item: Planned
    live: Unstructured | None
    dry: Unstructured | None


@dataclass
class Session:
    rest: Any
    mapper: RESTMapper
    default_namespace: str

    def client(self, item: Planned) -> DynamicResourceClient:
        return DynamicResourceClient(self.rest, item.info, item.namespace)


def session(cs: Any) -> Session:
    """What the steps need of a ClientSet (or a DynamicClient): its REST client,
    discovery for the RESTMapper, and the context's namespace."""
    rest = getattr(cs, "rest_client", None)
    discovery = getattr(cs, "discovery", None)
    if rest is None or discovery is None:
        raise TypeError(
            "manifests need a ClientSet or a DynamicClient, not " + type(cs).__name__
        )
    namespace = getattr(cs, "namespace", None) or "default"
    return Session(rest, RESTMapper(discovery), str(namespace))


def apply(
    cs: Any,
    objects: Iterable[Model | Mapping[str, Any]],
    *,
    field_manager: str,
    namespace: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    timeout: float = 60.0,
) -> list[ApplyResult]:
    """Server-side apply ``objects`` (from :func:`~.loading.load`, models or
    dicts) as ``field_manager``, in order: Namespaces, CustomResourceDefinitions
    (each waited on until Established, up to ``timeout`` seconds), then the rest.

    A namespaced object without a namespace goes to ``namespace`` or the
    context's. Preflight first: every object must map to a served resource and
    pass a server-side dry-run apply (objects of a CRD or in a namespace of the
    same batch are dry-run once those are applied, before anything else); if
    any fails, nothing (else) is applied and :class:`~.errors.PreflightError`
    lists every failure with the server's causes. A conflict names the other managers;
    ``force=True`` takes their fields over. ``dry_run=True`` stops after
    preflight and reports what would happen.
    """
    if not field_manager:
        raise ValueError("manifests.apply needs field_manager: who owns the fields")
    s = session(cs)
    checked = preflight(s, objects, field_manager, namespace, force)
    if dry_run:
        return [_result(c, c.dry if c.dry is not None else c.item.obj) for c in checked]
    first = [c for c in checked if c.item.group_kind in FIRST_KINDS]
    rest = [c for c in checked if c.item.group_kind not in FIRST_KINDS]
    results = [_apply_one(s, c, field_manager, force, timeout, []) for c in first]
    if any(c.item.group_kind == CRD_KIND for c in first):
        s.mapper.reset()  # discovery now serves the new resources
    # what could not be dry-run before its Namespace or CRD existed is, now,
    # before anything else is applied
    failures = []
    for c in rest:
        if c.dry is None:
            try:
                c.dry = s.client(c.item).apply(
                    c.item.obj, field_manager=field_manager, force=force, dry_run="All"
                )
            except ApiError as err:
                failures.append(_failure(c.item, err))
    if failures:
        raise PreflightError(failures, applied=[str(r) for r in results])
    for c in rest:
        results.append(_apply_one(s, c, field_manager, force, timeout, results))
    return results


def _apply_one(
    s: Session,
    c: Checked,
    field_manager: str,
    force: bool,
    timeout: float,
    before: list[ApplyResult],
) -> ApplyResult:
    client = s.client(c.item)
    try:
        answer = client.apply(c.item.obj, field_manager=field_manager, force=force)
    except ApiError as err:
        done = ", ".join(str(r) for r in before) or "nothing"
        raise ManifestError(
            f"{c.item.origin}: {c.item.title}: {err.message or err} "
            f"(applied before it: {done})"
        ) from err
    if c.item.group_kind == CRD_KIND:
        answer = _wait_established(client, c.item, timeout)
    return _result(c, answer)


def preflight(
    s: Session,
    objects: Iterable[Model | Mapping[str, Any]],
    field_manager: str,
    namespace: str | None,
    force: bool,
) -> list[Checked]:
    """Map, read and dry-run every object; raise PreflightError listing every
    failure, or return them in apply order."""
    planned, failures = plan(s.mapper, objects, namespace, s.default_namespace)
    checked = []
    for item in planned:
        client = s.client(item)
        live = None
        dry = None
        try:
            if not item.pending.startswith("its CustomResourceDefinition"):
                live = _get(client, item.name)
                dry = client.apply(
                    item.obj, field_manager=field_manager, force=force, dry_run="All"
                )
        except ApiError as err:
            if not (item.pending and _namespace_missing(err, item.namespace)):
                failures.append(_failure(item, err))
                continue
        checked.append(Checked(item, live, dry))
    if failures:
        raise PreflightError(failures)
    return checked


def _get(client: DynamicResourceClient, name: str) -> Unstructured | None:
    try:
        return client.get(name)
    except NotFound:
        return None


def _namespace_missing(err: ApiError, namespace: str | None) -> bool:
    details = err.details or {}
    return (
        isinstance(err, NotFound)
        and details.get("kind") == "namespaces"
        and details.get("name") == namespace
    )


def _failure(item: Planned, err: ApiError) -> Failure:
    managers = tuple(
        dict.fromkeys(
            m.group(1)
            for cause in err.causes
            if cause.get("reason") == "FieldManagerConflict"
            for m in [_CONFLICT_MANAGER.search(str(cause.get("message") or ""))]
            if m is not None
        )
    )
    message = err.message or str(err)
    if managers:
        message = (
            f"conflicts with {', '.join(managers)} (apply with force=True to take "
            f"their fields over): {message}"
        )
    return Failure(item.origin, item.title, message, tuple(err.causes), managers)


def _result(c: Checked, answer: Mapping[str, Any]) -> ApplyResult:
    obj = answer if isinstance(answer, Unstructured) else Unstructured(answer)
    if c.live is None:
        action = "created"
    elif _unchanged(c.live, obj):
        action = "unchanged"
    else:
        action = "configured"
    return ApplyResult(action, obj, c.item.origin, c.item.title)


def _unchanged(live: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Same object, bookkeeping aside (a dry-run keeps the resourceVersion, an
    unchanged apply writes nothing)."""
    return _comparable(live) == _comparable(new)


def _comparable(obj: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(obj)
    meta = dict(out.get("metadata") or {})
    meta.pop("managedFields", None)
    out["metadata"] = meta
    return out


def _wait_established(
    client: DynamicResourceClient, item: Planned, timeout: float
) -> Unstructured:
    """The CRD once Established (its resources are served)."""
    try:
        return wait_for(client, item.name, "condition=Established", timeout=timeout)
    except Exception as err:  # WaitTimeout, NotFound: the CRD never got served
        raise ManifestError(
            f"{item.origin}: {item.title} did not become Established: {err}"
        ) from err
