"""Server-side apply (``application/apply-patch+yaml``), following
structured-merge-diff (SMD) and the apiserver's field manager: the merge of an
applied configuration, conflicts with other managers, and the applier's ownership.

Statuses: conflicts are 409 (:class:`~.conflicts.ApplyConflict`, with the
``FieldManagerConflict`` causes of the real Status), a missing field manager 422,
``managedFields`` in the applied object or a wrong apiVersion 400.

Simplified compared with the real server:

* The schema is the generated models, or a custom resource's structural schema
  (:func:`~.schema.structural_root`). Type-level ``x-kubernetes-map-type: atomic``
  (LabelSelector, OwnerReference ...) is honoured only if the generator puts it on
  the class as ``_map_type_ = "atomic"``; field-level ``map_type`` always is.
* Defaults are the caller's: the server defaults after the merge, so they belong
  to nobody (the test server does so). A list-map key field left out (a port's
  ``protocol``) takes its schema default in the key, as SMD's, when the OpenAPI
  documents are known (:func:`~.schema.use_openapi_structs`), else it is absent
  from the key. No version conversion: managers recorded at another apiVersion
  are compared in the current one.
* "Zero-value" structs: Go renders non-pointer structs even when empty, which
  decides whether an Update entry owns a map itself (``".": {}``). Unknowable from
  the models, so a struct-typed field is treated as present (a value struct) when
  its parent is; maps, lists and list items are owned when they first appear.
* ``null`` in an applied configuration is treated as if the field were absent.
* Fields an applier stops applying are removed unless any other manager owns them
  or something inside them (SMD's prune plus add-back, in one pass).
* The ``kubectl.kubernetes.io/last-applied-configuration`` annotation is not
  maintained (the real server keeps it in sync for client-side-apply interop).
* Entries of a list-map that cannot be keyed (an item without any key field) make
  the whole list atomic instead of failing the request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .conflicts import ApplyConflict
from .errors import PatchError
from .fieldpath import FieldPath, path_sort_key
from .jsonvalue import MISSING, json_equal
from .managedfields import (
    MANAGER_MAX_LENGTH,
    STRIPPED,
    ManagerEntry,
    Managers,
    decode_entries,
    entries_of,
    managed_fields_of,
    timestamp,
    with_managed_fields,
    without_managed_fields,
)
from .schema import Pos, Schema, root_pos
from .typed import FieldDiff, collect, compare, merge, remove_path

__all__ = ["apply"]


def apply(
    live: dict[str, Any] | None,
    applied: dict[str, Any],
    manager: str,
    schema: Schema,
    force: bool = False,
    now: str | None = None,
    *,
    subresource: str = "",
) -> dict[str, Any]:
    """Server-side apply ``applied`` (the configuration, as sent with content type
    application/apply-patch+yaml) by ``manager`` onto ``live`` (None to create).

    Returns the new object with ``metadata.managedFields`` updated: the manager's
    "Apply" entry owns exactly the applied fields; fields it applied last time and
    no longer does are removed unless another manager owns them; fields another
    manager owns and this apply changes raise :class:`ApplyConflict` (409), or with
    ``force`` move to this manager. ``now`` is the RFC 3339 time recorded for the
    entry (default: the current time).
    """
    if not manager:
        raise PatchError(
            "fieldManager: Required value: is required for apply patch", 422
        )
    if len(manager) > MANAGER_MAX_LENGTH:
        raise PatchError(
            f"fieldManager: Too long: may not be more than {MANAGER_MAX_LENGTH} bytes",
            422,
        )
    if not isinstance(applied, dict):
        raise PatchError("an apply configuration must be a JSON object", 400)
    if managed_fields_of(applied) not in (MISSING, None):
        raise PatchError("metadata.managedFields must be nil", 400)
    api_version = applied.get("apiVersion")
    if not isinstance(api_version, str) or not api_version:
        raise PatchError("the apply configuration has no apiVersion", 400)
    if live is not None and live.get("apiVersion") not in (None, api_version):
        raise PatchError(
            "Incorrect version specified in apply patch. Specified patch version: "
            f"{api_version}, expected: {live.get('apiVersion')}",
            400,
        )

    try:
        managers = decode_entries(entries_of(live))
    except ValueError as err:
        raise PatchError(f"failed to decode managed fields: {err}") from None
    config = _drop_nulls(applied)
    current = without_managed_fields(live) if live is not None else {}
    pos = root_pos(schema)
    applied_set: set[FieldPath] = set()
    collect(config, pos, (), applied_set, strict=True)
    applied_set -= STRIPPED

    me = ManagerEntry(manager, "Apply", api_version, None, subresource, applied_set)
    previous = managers.pop(me.identity, None)
    merged = merge(current, config, pos)
    if previous is not None:
        _prune(merged, previous.fields, applied_set, managers.values(), pos)

    diff = compare(current, merged, schema)
    _settle_conflicts(managers, diff, force)
    changed = not json_equal(current, merged)
    me.time = (
        timestamp(now)
        if changed or previous is None
        else previous.time or timestamp(now)
    )
    if previous is not None and previous.fields == applied_set:
        me.raw_fields, me.raw_set = previous.raw_fields, previous.raw_set
    managers[me.identity] = me
    return with_managed_fields(merged, managers)


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def _prune(
    merged: dict[str, Any],
    last: set[FieldPath],
    applied: set[FieldPath],
    others: Iterable[ManagerEntry],
    pos: Pos,
) -> None:
    """Remove what the applier owned last time, no longer applies, and nobody else
    owns, keeping anything inside which somebody still owns."""
    owned = set(applied)
    for entry in others:
        owned |= entry.fields
    owned_prefixes = {path[:i] for path in owned for i in range(1, len(path) + 1)}
    for path in sorted(last - owned, key=len):
        if path not in owned_prefixes:
            remove_path(merged, path, pos)


def _settle_conflicts(managers: Managers, diff: FieldDiff, force: bool) -> None:
    """merge.Updater.update: other managers lose what changed (a conflict unless
    ``force``) and what was removed."""
    changed = diff.added | diff.modified
    conflicts = [
        entry.conflict(path)
        for entry in managers.values()
        for path in sorted(entry.fields & changed, key=path_sort_key)
    ]
    if conflicts and not force:
        raise ApplyConflict(conflicts)
    for entry in managers.values():
        entry.fields = entry.fields - changed - diff.removed
