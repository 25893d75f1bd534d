"""The HTTP(S) front of the test API server: ``httpd`` (the listener, keep-alive,
chunked streaming, timeouts, 500 on failures), ``http11`` (reading requests with
Go's net/http limits, and the Status answers to what cannot be read) and
``certs`` (a throw-away PKI: CA, server and client certificates). It turns
sockets into :class:`~..protocol.wire.ServerRequest` and responses back into
bytes; every behaviour of the API lives in ``engine``.

Imports only ``protocol``: the engine's ``handle`` is passed in."""
