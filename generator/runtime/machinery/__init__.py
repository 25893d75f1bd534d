"""The server-side machinery room: what the test API server (and the generator, for
CRDs and OpenAPI documents) needs and a client never does.

Each module does one job; import from the module, this package exports nothing.

Patches, as kube-apiserver applies them:

* :mod:`.jsonpatch`: RFC 6902 JSON patch (``application/json-patch+json``).
* :mod:`.mergepatch`: RFC 7386 JSON merge patch (``application/merge-patch+json``).
* :mod:`.strategic`: strategic merge patch, applied and created (two-way), with
  patch strategies, merge keys and the ``$patch`` directives.

Server-side apply and managed fields, as structured-merge-diff and the apiserver's
field manager do them:

* :mod:`.fieldpath`: field paths, their order, the FieldsV1 encoding and the
  printed form.
* :mod:`.typed`: field sets of typed values (``ToFieldSet``), compare, merge and
  removal of paths.
* :mod:`.managedfields`: ``metadata.managedFields`` entries, the manager name of a
  request, the "Update" bookkeeping of writes (:func:`~.managedfields.record_update`).
* :mod:`.apply`: server-side apply: merge of an applied configuration, ownership.
* :mod:`.conflicts`: apply conflicts and their 409 Status.

Shared by the above: :mod:`.errors` (``PatchError`` and its HTTP status),
:mod:`.jsonvalue` (JSON values as Go compares and prints them) and :mod:`.schema`
(where a value sits in the generated models' schema).

OpenAPI and CRDs, shared with the generator:

* :mod:`.openapi`: small helpers on OpenAPI documents (JSON pointers, ``$ref``).
* :mod:`.crd`: CustomResourceDefinitions -> the OpenAPI v3 documents a cluster
  serves for them.

Everything works on plain JSON values (the wire form), never changes its
arguments and returns new values.
"""
