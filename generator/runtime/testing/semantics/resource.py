"""A served resource and how the server treats it: which name rule its
metadata.name follows, whether DELETE answers the object, whether its generation
is tracked, its typed model or (custom resources) structural schema, its scale
paths and Table layout. What it means, not where it is stored: the engine's
:class:`~..engine.registry.Registry` keeps the served ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..._model import Model
from ...machinery.schema import Pos, Schema, structural_root
from ...resources import ResourceInfo
from .tables import Layout

#: Stores created with ``ReturnDeletedObject: true``: DELETE answers with the
#: object instead of a Status (pkg/registry/*/storage).
_RETURNS_DELETED = frozenset(
    {
        ("", "pods"),
        ("", "services"),
        ("", "serviceaccounts"),
        ("", "persistentvolumes"),
        ("", "persistentvolumeclaims"),
        ("", "namespaces"),
        ("apiextensions.k8s.io", "customresourcedefinitions"),
    }
)

#: Resources whose status survives create (a kubelet registers its Node whole).
_KEEPS_STATUS_ON_CREATE = frozenset({("", "nodes"), ("", "events")})

#: Names validated as DNS-1123 labels rather than subdomains (ValidateNamespaceName,
#: ValidateServiceName ...); everything else is a subdomain, or a path segment.
_LABEL_NAMES = frozenset({("", "namespaces"), ("", "services")})
_PATH_SEGMENT_NAMES = frozenset(
    {
        ("rbac.authorization.k8s.io", "roles"),
        ("rbac.authorization.k8s.io", "clusterroles"),
        ("rbac.authorization.k8s.io", "rolebindings"),
        ("rbac.authorization.k8s.io", "clusterrolebindings"),
        ("", "nodes"),
        ("", "events"),
        ("events.k8s.io", "events"),
    }
)


@dataclass(frozen=True)
class ScalePaths:
    """A custom resource's scale subresource: where replicas and selector live
    (``.spec.replicas`` ...), as the CRD's ``subresources.scale`` names them."""

    spec_replicas: str
    status_replicas: str
    label_selector: str | None = None


@dataclass
class Resource:
    """One served group/version/resource and how the server treats it."""

    info: ResourceInfo
    #: openAPIV3Schema of a custom resource (None for built-in kinds)
    schema: dict[str, Any] | None = None
    custom: bool = False
    scale: ScalePaths | None = None
    #: the CustomResourceDefinition serving it ("" when registered by hand)
    owner: str = ""
    #: its CRD is being deleted: creates are refused
    terminating: bool = False
    #: the resourceVersion at which it stopped being served (open watches end there)
    removed_at: int | None = None
    #: Table columns and cells (custom resources: from additionalPrinterColumns)
    printer: Layout | None = field(default=None, repr=False)
    _model: type[Model] | None = field(default=None, repr=False)
    _model_loaded: bool = field(default=False, repr=False)
    #: (the schema it was built for, the position): CRD updates replace schema
    _field_schema: tuple[dict[str, Any], Pos] | None = field(default=None, repr=False)

    @property
    def storage_key(self) -> tuple[str, str]:
        return (self.info.group, self.info.plural)

    @property
    def model(self) -> type[Model] | None:
        """The typed model (schema for strategic merge and apply), if any."""
        if not self._model_loaded:
            self._model_loaded = True
            if not self.custom:
                from ...models import model_class

                self._model = model_class(self.info.api_version, self.info.kind)
        return self._model

    @property
    def field_schema(self) -> Schema:
        """The schema of managed fields and apply: the model, or a custom
        resource's structural schema (metadata as ObjectMeta)."""
        if not self.custom:
            return self.model
        if self.schema is None:
            return None
        if self._field_schema is None or self._field_schema[0] is not self.schema:
            from ...models.meta_v1 import ObjectMeta

            root = structural_root(self.schema, ObjectMeta)
            self._field_schema = (self.schema, root)
        return self._field_schema[1]

    def has(self, subresource: str) -> bool:
        return self.info.subresource(subresource) is not None

    @property
    def returns_deleted_object(self) -> bool:
        return self.custom or self.storage_key in _RETURNS_DELETED

    @property
    def keeps_status_on_create(self) -> bool:
        return self.storage_key in _KEEPS_STATUS_ON_CREATE

    @property
    def name_rule(self) -> str:
        """ "label", "subdomain" or "segment": how metadata.name is validated."""
        if self.storage_key in _LABEL_NAMES:
            return "label"
        if self.storage_key in _PATH_SEGMENT_NAMES:
            return "segment"
        return "subdomain"

    @property
    def tracks_generation(self) -> bool:
        """Kinds with a spec bump metadata.generation (custom resources always)."""
        if self.custom:
            return True
        model = self.model
        return model is not None and "spec" in model._wire_fields_
