"""What the API means, independent of storage and of sockets: how a served
resource is treated (``resource``), names (``names``), object validation
(``validation``), CRD validation (``crd_validation``), structural schemas of
custom resources (``schemas``: pruning, defaults, type checks), defaulting
(``defaults``), body type checks as Go's decoding does (``typecheck``, with Go's
value parsers in ``goparse``), label and field selectors (``selectors``),
patches, apply and subresource merges (``merging``, the glue to the patch
machinery), Tables for ``kubectl get`` (``tables``), and the small shared pieces
of object handling (``basics``: write and delete options, copies, timestamps).

Imports only ``protocol`` and the runtime (models, patch machinery)."""
