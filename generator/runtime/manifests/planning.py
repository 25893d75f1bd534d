"""From objects to requests: each object's resource (discovery and the
RESTMapper, or a CustomResourceDefinition of the same batch), its namespace, and
the order (Namespaces, then CRDs, then everything else, as given)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .._model import Model
from ..discovery import NoMatchError, RESTMapper
from ..resources import ResourceInfo
from .errors import Failure
from .loading import Manifest

__all__ = ["CRD_KIND", "FIRST_KINDS", "Planned", "plan"]

CRD_KIND = ("apiextensions.k8s.io", "CustomResourceDefinition")
_NAMESPACE_KIND = ("", "Namespace")
#: Applied before everything else: what other objects need to exist at all.
FIRST_KINDS = (_NAMESPACE_KIND, CRD_KIND)


@dataclass
class Planned:
    """One object, mapped: what to send where. ``pending`` says why the server
    cannot check it before anything is applied ("" when it can): its CRD or its
    namespace comes with the same batch."""

    obj: dict[str, Any]
    origin: str
    info: ResourceInfo
    namespace: str | None
    pending: str = ""

    @property
    def name(self) -> str:
        return str(self.obj["metadata"]["name"])

    @property
    def title(self) -> str:
        """``deployment.apps/web`` (in ``ns``), as kubectl names objects."""
        kind = self.info.kind.lower()
        group = f".{self.info.group}" if self.info.group else ""
        where = f" in {self.namespace}" if self.namespace else ""
        return f"{kind}{group}/{self.name}{where}"

    @property
    def group_kind(self) -> tuple[str, str]:
        return (self.info.group, self.info.kind)


def plan(
    mapper: RESTMapper,
    objects: Iterable[Model | Mapping[str, Any]],
    namespace: str | None,
    default_namespace: str,
) -> tuple[list[Planned], list[Failure]]:
    """Map every object; the ones that cannot be mapped are failures."""
    wires = [(_wire(obj), _origin(obj, i)) for i, obj in enumerate(objects)]
    in_batch = _batch_crds(w for w, _ in wires)
    batch_namespaces = {
        w["metadata"].get("name")
        for w, _ in wires
        if _group_kind(w) == _NAMESPACE_KIND and isinstance(w.get("metadata"), dict)
    }
    planned: list[Planned] = []
    failures: list[Failure] = []
    misses: dict[tuple[str, str], ResourceInfo | None] = {}
    for wire, origin in wires:
        shown = f"{wire.get('kind') or '?'} {_name(wire) or '?'}"
        problem = _problem(wire)
        if problem:
            failures.append(Failure(origin, shown, problem))
            continue
        key = (wire["apiVersion"], wire["kind"])
        pending = ""
        if key not in misses:
            try:
                misses[key] = mapper.resource_for(wire["kind"], wire["apiVersion"])
            except NoMatchError:
                misses[key] = None
        info = misses[key]
        if info is None:
            info = in_batch.get(key)
            pending = "its CustomResourceDefinition is applied first"
        if info is None:
            failures.append(
                Failure(
                    origin,
                    shown,
                    f"no resource for kind {wire['kind']!r} in {wire['apiVersion']!r} "
                    "on the server (is its CustomResourceDefinition installed?)",
                )
            )
            continue
        meta = wire["metadata"]
        ns: str | None = None
        if info.namespaced:
            given = meta.get("namespace")
            if namespace and given and given != namespace:
                failures.append(
                    Failure(
                        origin,
                        shown,
                        f'the namespace from the object "{given}" does not match '
                        f'the namespace "{namespace}" given',
                    )
                )
                continue
            ns = str(given or namespace or default_namespace)
            meta["namespace"] = ns
            if not pending and ns in batch_namespaces:
                pending = f"its namespace {ns} is applied first"
        planned.append(Planned(wire, origin, info, ns, pending))
    planned.sort(key=_rank)
    return planned, failures


def _rank(item: Planned) -> int:
    if item.group_kind == _NAMESPACE_KIND:
        return 0
    return 1 if item.group_kind == CRD_KIND else 2


def _wire(obj: Model | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(obj, Model):
        return obj.to_dict()
    if isinstance(obj, Mapping):
        return copy.deepcopy(dict(obj))
    raise TypeError(
        f"manifests need models, Unstructured objects or dicts, not {type(obj).__name__}"
    )


def _origin(obj: Any, index: int) -> str:
    origin = getattr(obj, "origin", None) if isinstance(obj, Manifest) else None
    return str(origin) if origin is not None else f"object {index + 1}"


def _name(wire: dict[str, Any]) -> str | None:
    meta = wire.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return name if isinstance(name, str) else None


def _group_kind(wire: dict[str, Any]) -> tuple[str, str]:
    api_version = str(wire.get("apiVersion") or "")
    group = api_version.rpartition("/")[0]
    return (group, str(wire.get("kind") or ""))


def _problem(wire: dict[str, Any]) -> str:
    for key in ("apiVersion", "kind"):
        if not isinstance(wire.get(key), str) or not wire[key]:
            return f"the object has no {key}"
    if not isinstance(wire.get("metadata"), dict):
        return "the object has no metadata"
    if not _name(wire):
        return "the object has no metadata.name (apply cannot use generateName)"
    return ""


def _batch_crds(wires: Iterable[dict[str, Any]]) -> dict[tuple[str, str], ResourceInfo]:
    """The resources the batch's CRDs will serve, by (apiVersion, kind)."""
    out: dict[tuple[str, str], ResourceInfo] = {}
    for wire in wires:
        if _group_kind(wire) != CRD_KIND:
            continue
        spec = wire.get("spec")
        if not isinstance(spec, dict) or not isinstance(spec.get("names"), dict):
            continue
        names, group = spec["names"], spec.get("group")
        kind, plural = names.get("kind"), names.get("plural")
        if not all(isinstance(v, str) and v for v in (group, kind, plural)):
            continue
        for version in spec.get("versions") or ():
            if not isinstance(version, dict) or not version.get("served", True):
                continue
            name = str(version.get("name") or "")
            out[(f"{group}/{name}", kind)] = ResourceInfo(
                group=str(group),
                version=name,
                plural=str(plural),
                kind=str(kind),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
                list_kind=str(names.get("listKind") or f"{kind}List"),
                singular=str(names.get("singular") or str(kind).lower()),
            )
    return out
