"""Small shared pieces of object handling: request intent, time, copies."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..._model import deepcopy_json, format_time
from ..protocol.status import Warnings, bad_request, status_body
from .resource import Resource


def now() -> str:
    return format_time(datetime.now(timezone.utc))


def suffix() -> str:
    """names.SimpleNameGenerator: 5 characters, no vowels (no words by accident)."""
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return "".join(secrets.choice(alphabet) for _ in range(5))


@dataclass
class Write:
    """What a mutating request asks for, beyond its body."""

    manager: str = ""
    dry_run: bool = False
    #: fieldValidation: Strict (400 on unknown fields), Warn (header), Ignore
    field_validation: str = "Warn"
    warnings: Warnings = field(default_factory=Warnings)
    force: bool = False


@dataclass
class DeleteOptions:
    propagation: str | None = None
    grace_period: int | None = None
    uid: str | None = None
    resource_version: str | None = None
    orphan_dependents: bool | None = None


def meta_of(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    if meta is None:
        meta = obj["metadata"] = {}
    elif not isinstance(meta, dict):
        raise bad_request("metadata must be an object")
    return meta


def copy_obj(obj: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a wire object (stored ones are never changed in place)."""
    copied: dict[str, Any] = deepcopy_json(obj)
    return copied


def present(resource: Resource, obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` as the requested version shows it (same object when it matches)."""
    if obj.get("apiVersion") == resource.info.api_version:
        return obj
    return {**obj, "apiVersion": resource.info.api_version}


def spec_of(obj: dict[str, Any]) -> dict[str, Any]:
    """Everything generation tracks: all but metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


def success_status(
    code: int = 200, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    return status_body(code, "", "", details, success=True)


def random_token(length: int = 32) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))
