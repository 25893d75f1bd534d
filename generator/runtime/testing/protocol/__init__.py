"""The base every room of the test API server may import: requests and responses
of the socket-free core (``wire``: :class:`ServerRequest`, :class:`ServerResponse`,
media types, body decoding) and metav1.Status errors worded as the real server
(``status``: :class:`ApiError` and its constructors). Imports nothing else of the
test server."""
