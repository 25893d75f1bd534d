"""exec, attach, port-forward, cp and proxy (the streaming subresources).

The typed clients have them (``pods.exec``, ``pods.stream_exec``, ``pods.attach``,
``pods.port_forward``, ``pods.copy_to_pod``/``copy_from_pod``, ``*.proxy_get`` ...:
:mod:`.clients`); the protocols are :mod:`.channels` (sans-IO, shared with the
test API server) over a wsproto :mod:`.websocket`, opened by :mod:`.connect`
with the same credentials, TLS and proxy as every request.
"""
