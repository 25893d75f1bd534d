"""RFC 7386 JSON merge patch (``application/merge-patch+json``).

Never fails here: the server's only failure is unparsable JSON (and a body that is
JSON ``null``, which the caller refuses with 400).
"""

from __future__ import annotations

from typing import Any

from .._model import deepcopy_json

__all__ = ["merge_patch"]


def merge_patch(doc: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch: objects merge, ``null`` deletes, anything
    else replaces.

    For the server author: the API server answers 400 to a body that is JSON
    ``null`` (evanphx/json-patch refuses it); RFC 7386 itself would return null.
    """
    if not isinstance(patch, dict):
        return deepcopy_json(patch)
    base = doc if isinstance(doc, dict) else {}
    out: dict[str, Any] = {}
    for key, value in base.items():
        if key not in patch:
            out[key] = deepcopy_json(value)
        elif patch[key] is not None:
            out[key] = merge_patch(value, patch[key])
    for key, value in patch.items():
        if key not in base and value is not None:
            out[key] = merge_patch(None, value)
    return out
