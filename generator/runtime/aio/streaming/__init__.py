"""exec, attach, port-forward and proxy for the async client: the sync client's
channel protocol (:mod:`...streaming.channels`) and WebSocket frames
(:class:`...streaming.websocket.Frames`), driven over asyncio streams."""
