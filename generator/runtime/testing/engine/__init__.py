"""Storage and request handling, without sockets: ``core.Core.handle`` takes a
:class:`~..protocol.wire.ServerRequest` and answers a ServerResponse.

* ``state``: what a server holds, wired together; ``core``: routing on top of it.
* ``calls``: a parsed resource request and its query options; ``handlers``: the
  verbs (get, list, watch, create, update, patch, delete, deletecollection);
  ``subresources``: status, scale, log, eviction, binding, token, reviews ...
* ``store``: objects, resourceVersions and the event history; ``objects``: the
  object lifecycle on top (validation, defaulting, finalizers, garbage
  collection, namespaces); ``watching``: watch streams; ``logs``: pod logs.
* ``registry``: the served resources; ``crds``: what the apiextensions
  controllers do once a CRD is stored; ``discovery`` and ``openapi_v2``: the
  discovery and OpenAPI documents served.
* ``auth``: credentials (bearer tokens, client certificate identities) and who
  may call; ``faults``: fault injection.

Imports ``semantics`` and ``protocol``, never ``front`` nor the top level."""
