"""Manifests: load a directory of YAML and apply, diff or delete it the way
``kubectl apply --server-side -f`` does, from Python::

    from kubeclient import manifests

    objs = manifests.load("deploy/")              # files, directories, text
    for result in manifests.apply(cs, objs, field_manager="ci"):
        print(result)                             # deployment.apps/web in default created
    print(manifests.diff(cs, objs))               # "" when apply would change nothing
    manifests.delete(cs, objs, wait=True)

One module per step: :mod:`.loading` (YAML 1.2 where PyYAML's 1.1 would corrupt,
see :mod:`.yaml12`; Lists expanded; every object's :class:`~.loading.Origin`),
:mod:`.planning` (kinds through discovery and the RESTMapper, namespaces, order),
:mod:`.applying` (preflight and apply), :mod:`.diffing`, :mod:`.deleting`, and
:mod:`.errors`.
"""

from __future__ import annotations

from .applying import ApplyResult, apply
from .deleting import DeleteResult, delete
from .diffing import diff
from .errors import Failure, ManifestError, PreflightError
from .loading import Manifest, Origin, load

__all__ = [
    "ApplyResult",
    "DeleteResult",
    "Failure",
    "Manifest",
    "ManifestError",
    "Origin",
    "PreflightError",
    "apply",
    "delete",
    "diff",
    "load",
]
