"""Defaulting: what a real server fills in on the way into storage.

* :mod:`.schema`: the ``default`` values the OpenAPI v3 documents declare on
  properties (every built-in kind): empty structs Go always writes out
  (``"status":{}``, ``"status":{"loadBalancer":{}}``, ``resources: {}``) and
  the ``+default=`` scalars (``ports[].protocol: TCP`` ...);
* :mod:`.kinds`: the core kinds' defaulting functions and admission fill-ins
  (see its ``DEFAULTS`` for the kinds, and README "What the server fills in").
"""

from .kinds import DEFAULTS, Default, default_pod_spec
from .schema import SchemaDefaults

__all__ = ["DEFAULTS", "Default", "SchemaDefaults", "default_pod_spec"]
