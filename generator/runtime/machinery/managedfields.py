"""Managed fields bookkeeping, as the apiserver's field manager chain keeps
``metadata.managedFields``: the entries (manager, operation, apiVersion, time,
subresource, FieldsV1), their decoding and canonical encoding, the manager name of
a request without ``fieldManager`` (from its user agent), and the "Update" entries
of creates, updates and non-apply patches (strip-meta, managed-fields updater,
cap-managers). Server-side apply itself is :mod:`.apply`.

Simplified compared with the real server: no version conversion (managers
recorded at another apiVersion are compared in the current one), and "zero-value"
structs are guessed (see :mod:`.apply`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeAlias

from .._model import deepcopy_json, format_time, parse_time
from .conflicts import Conflict
from .errors import PatchError
from .fieldpath import FieldPath, decode_fields_v1, encode_fields_v1, field_element
from .jsonvalue import MISSING, go_json
from .schema import Schema
from .typed import compare

__all__ = [
    "MANAGER_MAX_LENGTH",
    "STRIPPED",
    "ManagerEntry",
    "Managers",
    "decode_entries",
    "entries_of",
    "managed_fields_of",
    "manager_from_user_agent",
    "record_update",
    "timestamp",
    "with_managed_fields",
    "without_managed_fields",
]


# stripmeta.go: paths no manager ever owns.
STRIPPED: frozenset[FieldPath] = frozenset(
    {("f:apiVersion",), ("f:kind",), ("f:metadata",)}
    | {
        ("f:metadata", field_element(name))
        for name in (
            "name",
            "namespace",
            "creationTimestamp",
            "selfLink",
            "uid",
            "clusterName",
            "generation",
            "managedFields",
            "resourceVersion",
        )
    }
)
_MAX_UPDATE_MANAGERS = 10  # fieldmanager.go DefaultMaxUpdateManagers
_ANCIENT_CHANGES = "ancient-changes"  # capmanagers.go bucket for the oldest updaters
MANAGER_MAX_LENGTH = 128  # validation.FieldManagerMaxLength


@dataclass
class ManagerEntry:
    """One managedFields entry, decoded."""

    manager: str
    operation: str
    api_version: str
    time: str | None
    subresource: str
    fields: set[FieldPath]
    raw_fields: dict[str, Any] | None = None  # reused when the set did not change
    raw_set: frozenset[FieldPath] = frozenset()

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """BuildManagerIdentifier: appliers are one manager whatever the version."""
        version = self.api_version if self.operation == "Update" else ""
        return (self.manager, self.operation, version, self.subresource)

    def conflict(self, path: FieldPath) -> Conflict:
        return Conflict(
            self.manager, path, self.operation, self.api_version, self.subresource
        )


Managers: TypeAlias = dict[tuple[str, str, str, str], ManagerEntry]


def decode_entries(entries: Any) -> Managers:
    """DecodeManagedFields; raises ValueError on anything the server would refuse."""
    if not isinstance(entries, list):
        raise ValueError("managedFields must be a list")
    out: Managers = {}
    for i, raw in enumerate(entries):
        if not isinstance(raw, dict):
            raise ValueError(f"managedFields[{i}] is not an object")
        if raw.get("operation") not in ("Apply", "Update"):
            raise ValueError("operation must be `Apply` or `Update`")
        if not raw.get("apiVersion"):
            raise ValueError("apiVersion must not be empty")
        if raw.get("fieldsType") != "FieldsV1":
            raise ValueError(f"invalid fieldsType in managed fields entry {i}")
        raw_fields = raw.get("fieldsV1") or {}
        try:
            fields = decode_fields_v1(raw_fields)
        except PatchError as err:
            raise ValueError(str(err)) from None
        entry = ManagerEntry(
            manager=str(raw.get("manager", "")),
            operation=raw["operation"],
            api_version=str(raw["apiVersion"]),
            time=raw.get("time"),
            subresource=str(raw.get("subresource", "")),
            fields=fields,
            raw_fields=raw_fields,
            raw_set=frozenset(fields),
        )
        out[entry.identity] = entry
    return out


def _seconds(time: str | None) -> float:
    if not time:
        return 0
    try:
        return parse_time(time).timestamp() // 1
    except ValueError:
        return 0


def _encode_entries(managers: Managers) -> list[dict[str, Any]]:
    """encodeManagedFields: entries sorted by operation, time, manager, version."""
    entries = [e for e in managers.values() if e.fields]
    entries.sort(
        key=lambda e: (
            e.operation,
            _seconds(e.time),
            e.manager,
            e.api_version,
            e.subresource,
        )
    )
    out = []
    for e in entries:
        unchanged = e.raw_fields is not None and e.fields == e.raw_set
        raw: dict[str, Any] = {"manager": e.manager, "operation": e.operation}
        raw["apiVersion"] = e.api_version
        if e.time:
            raw["time"] = e.time
        raw["fieldsType"] = "FieldsV1"
        raw["fieldsV1"] = (
            deepcopy_json(e.raw_fields) if unchanged else encode_fields_v1(e.fields)
        )
        if e.subresource:
            raw["subresource"] = e.subresource
        out.append(raw)
    return out


def with_managed_fields(obj: dict[str, Any], managers: Managers) -> dict[str, Any]:
    entries = _encode_entries(managers)
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        if not entries:
            return obj
        meta = obj["metadata"] = {}
    if entries:
        meta["managedFields"] = entries
    else:
        meta.pop("managedFields", None)
    return obj


def without_managed_fields(obj: Any) -> Any:
    """A copy of ``obj`` without metadata.managedFields (compared objects never
    contain their own bookkeeping)."""
    out = deepcopy_json(obj)
    if isinstance(out, dict) and isinstance(out.get("metadata"), dict):
        out["metadata"].pop("managedFields", None)
    return out


def managed_fields_of(obj: Any) -> Any:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    return meta.get("managedFields", MISSING) if isinstance(meta, dict) else MISSING


def entries_of(obj: dict[str, Any] | None) -> Any:
    """The managedFields of a stored object ([] when it has none)."""
    found = managed_fields_of(obj) if obj is not None else MISSING
    return [] if found is MISSING or found is None else found


def timestamp(now: str | None) -> str:
    return now if now else format_time(datetime.now(timezone.utc))


def manager_from_user_agent(field_manager: str | None, user_agent: str | None) -> str:
    """The manager name the server records when the request has no ``fieldManager``
    (patch.go managerOrUserAgent / prefixFromUserAgent): the user agent up to its
    first "/", printable characters only, at most 128 bytes. ``kubectl/v1.36.0
    (linux/amd64) kubernetes/abc`` gives "kubectl", the Python client's
    ``OpenAPI-Generator/33.1.0/python`` gives "OpenAPI-Generator", no user agent
    gives "". Apply requests must name a manager; the server refuses them (422)
    otherwise instead of falling back to the user agent.
    """
    if field_manager:
        return field_manager
    prefix = (user_agent or "").split("/", 1)[0]
    out = ""
    for char in prefix:
        if not char.isprintable():
            continue
        if len((out + char).encode()) > MANAGER_MAX_LENGTH:
            break
        out += char
    return out


def record_update(
    old: dict[str, Any] | None,
    new: dict[str, Any],
    manager: str,
    schema: Schema,
    now: str | None = None,
    api_version: str | None = None,
    *,
    subresource: str = "",
) -> dict[str, Any]:
    """Record a create (``old`` None), update or non-apply patch by ``manager``
    (see :func:`manager_from_user_agent` for requests without ``fieldManager``).

    Returns ``new`` with ``metadata.managedFields`` as the server computes them:
    the fields the write added or changed move to the manager's "Update" entry at
    ``api_version`` (default: ``new["apiVersion"]``), other managers lose them and
    whatever was removed. Client-sent managedFields replace the live ones when
    they are valid and non-empty; ``[]`` or ``[{}]`` resets them. An update of an
    object without managedFields is not tracked (``old`` without ``metadata.uid``
    counts as a create, as upstream); more than 10 Update entries are
    merged, oldest first, into "ancient-changes".
    """
    version = api_version or str(new.get("apiVersion") or "")
    managers = _update_base(old, new, subresource)
    is_create = old is None or not (old.get("metadata") or {}).get("uid")
    result: dict[str, Any] = without_managed_fields(new)
    if not managers and not is_create:
        return result
    diff = compare(without_managed_fields(old) if old else {}, result, schema)
    gained = (diff.added | diff.modified) - STRIPPED
    for entry in managers.values():
        entry.fields = entry.fields - diff.added - diff.modified - diff.removed
    if gained:
        me = ManagerEntry(
            manager, "Update", version, timestamp(now), subresource, set()
        )
        previous = managers.get(me.identity)
        me.fields = gained | (previous.fields if previous else set())
        managers[me.identity] = me
    _cap_update_managers(managers)
    return with_managed_fields(result, managers)


def _update_base(
    old: dict[str, Any] | None, new: dict[str, Any], subresource: str
) -> Managers:
    """fieldmanager.go decodeManagedFields: the request's entries if valid and
    non-empty, a reset for ``[]`` / ``[{}]``, else the live object's. Writes to a
    subresource (status, scale) cannot touch managedFields: always the live ones."""
    sent = managed_fields_of(new) if not subresource else MISSING
    if sent == [] or sent == [{}]:
        return {}
    if sent is not MISSING:
        try:
            managers = decode_entries(sent)
        except ValueError:
            managers = {}
        if managers:
            return managers
    try:
        return decode_entries(entries_of(old))
    except ValueError:
        return {}


def _cap_update_managers(managers: Managers) -> None:
    """capmanagers.go: fold the oldest Update entries into one "ancient-changes"
    entry per apiVersion until at most 10 Update entries remain."""
    updaters = [k for k, e in managers.items() if e.operation == "Update" and e.fields]
    if len(updaters) <= _MAX_UPDATE_MANAGERS:
        return
    updaters.sort(key=lambda k: (_seconds(managers[k].time), go_json(list(k))))
    first_of_version: dict[str, tuple[str, str, str, str]] = {}
    count = len(updaters)
    for identity in updaters:
        if count <= _MAX_UPDATE_MANAGERS:
            break
        entry = managers[identity]
        version = entry.api_version
        bucket = (_ANCIENT_CHANGES, "Update", version, "")
        if version not in first_of_version:
            first_of_version[version] = identity
            continue
        if bucket not in managers:
            first = managers.pop(first_of_version[version])
            managers[bucket] = ManagerEntry(
                _ANCIENT_CHANGES, "Update", version, first.time, "", set(first.fields)
            )
        managers[bucket].fields |= entry.fields
        managers[bucket].time = entry.time
        del managers[identity]
        count -= 1
