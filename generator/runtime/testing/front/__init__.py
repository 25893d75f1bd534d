"""The HTTP(S) front of the test API server: ``httpd`` (the listener, HTTP/1.1
parsing, keep-alive, chunked streaming, and the answers to malformed requests)
and ``certs`` (a throw-away PKI: CA, server and client certificates). It turns
sockets into :class:`~..protocol.wire.ServerRequest` and responses back into
bytes; every behaviour of the API lives in ``engine``.

Imports only ``protocol``: the engine's ``handle`` is passed in."""
