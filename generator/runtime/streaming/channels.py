"""The Kubernetes channel protocols over WebSocket, sans-IO: bytes in, values out.

Shared by the client (exec, attach, port-forward) and the test API server, so
both speak exactly the same framing (kube-apiserver's ``wsstream`` and
client-go's ``remotecommand``/``portforward``):

* remote command (exec, attach): every WebSocket message starts with one byte,
  the channel -- 0 stdin, 1 stdout, 2 stderr, 3 error (the final Status as
  JSON), 4 resize (``{"Width": w, "Height": h}``). ``v5.channel.k8s.io`` adds
  channel 255, the close signal: ``[255, n]`` says stream ``n`` is done (the
  only way to end stdin without closing the whole connection). ``v4`` is the
  same without it.
* port-forward (``v4.channel.k8s.io`` on /portforward): one connection per
  forwarded TCP stream, two channels per port (data ``2i``, error ``2i+1``);
  the server's first message on each channel is the port, uint16 little-endian.

The exit code of a command is in the Status on the error channel: ``Success``,
or ``Failure`` with reason ``NonZeroExitCode`` and an ``ExitCode`` cause.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CLOSE",
    "ERROR",
    "EXEC_PROTOCOLS",
    "PORT_FORWARD_PROTOCOLS",
    "RESIZE",
    "STDERR",
    "STDIN",
    "STDOUT",
    "V4",
    "V5",
    "ChannelError",
    "ExitStatus",
    "close_signal",
    "decode",
    "encode",
    "exit_status",
    "failure_status",
    "negotiate",
    "parse_resize",
    "port_prefix",
    "read_port_prefix",
    "resize",
    "status_for_exit",
]

V5 = "v5.channel.k8s.io"
V4 = "v4.channel.k8s.io"
#: what a client offers and a server accepts, best first
EXEC_PROTOCOLS = (V5, V4)
PORT_FORWARD_PROTOCOLS = (V4,)

STDIN, STDOUT, STDERR, ERROR, RESIZE = 0, 1, 2, 3, 4
CLOSE = 255  # v5: "stream n is done"

_PORT = struct.Struct("<H")


class ChannelError(ValueError):
    """A message that does not follow the channel protocol."""


def negotiate(offered: str | Sequence[str] | None, supported: Sequence[str]) -> str:
    """The subprotocol a server picks: the first of ``supported`` the client
    offered ("" when none matches; the caller refuses the upgrade then).
    ``offered`` is the Sec-WebSocket-Protocol header or its parsed values."""
    if offered is None:
        return ""
    if isinstance(offered, str):
        offered = [p.strip() for p in offered.split(",")]
    wanted = set(offered)
    return next((p for p in supported if p in wanted), "")


def encode(channel: int, data: bytes = b"") -> bytes:
    """One message: the channel byte, then the data."""
    if not 0 <= channel <= 255:
        raise ChannelError(f"channel {channel} is not a byte")
    return bytes((channel,)) + data


def decode(message: bytes) -> tuple[int, bytes]:
    """The channel and data of one message (an empty message is invalid)."""
    if not message:
        raise ChannelError("an empty message has no channel byte")
    return message[0], message[1:]


def close_signal(channel: int) -> bytes:
    """v5's "no more data on ``channel``" (stdin's end)."""
    return encode(CLOSE, bytes((channel,)))


def resize(width: int, height: int) -> bytes:
    """A terminal-size message (channel 4)."""
    if width < 0 or height < 0 or width > 0xFFFF or height > 0xFFFF:
        raise ValueError(f"bad terminal size {width}x{height}")
    return encode(RESIZE, json.dumps({"Width": width, "Height": height}).encode())


def parse_resize(data: bytes) -> tuple[int, int]:
    """The (width, height) of a resize message's data."""
    try:
        value = json.loads(data)
        width, height = int(value["Width"]), int(value["Height"])
    except (ValueError, TypeError, KeyError) as error:
        raise ChannelError(f"bad resize message {data[:100]!r}: {error}") from None
    return width, height


def port_prefix(port: int) -> bytes:
    return _PORT.pack(port)


def read_port_prefix(data: bytes) -> tuple[int, bytes]:
    """The port at the start of a channel's first message, and what follows."""
    if len(data) < 2:
        raise ChannelError("the first port-forward message is shorter than a port")
    return _PORT.unpack_from(data)[0], data[2:]


# --------------------------------------------------------------------------- status


@dataclass(frozen=True)
class ExitStatus:
    """What the error channel said: the exit code, or a failure that is not one
    (``error`` set: the Status' message; ``status`` the whole Status)."""

    exit_code: int | None
    error: str | None
    status: dict[str, Any]


def exit_status(data: bytes) -> ExitStatus:
    """The Status sent on the error channel, read as client-go reads it."""
    try:
        status = json.loads(data) if data.strip() else {}
    except ValueError:
        # a server speaking v1 sends plain text: the error itself
        text = data.decode("utf-8", errors="replace")
        return ExitStatus(None, text, {"message": text})
    if not isinstance(status, dict):
        return ExitStatus(None, f"bad status {data[:100]!r}", {})
    if status.get("status") == "Success":
        return ExitStatus(0, None, status)
    if status.get("reason") == "NonZeroExitCode":
        found = status.get("details")
        details: dict[str, Any] = found if isinstance(found, dict) else {}
        for cause in details.get("causes") or ():
            if isinstance(cause, dict) and cause.get("reason") == "ExitCode":
                try:
                    return ExitStatus(int(cause.get("message", "")), None, status)
                except ValueError:
                    break
        return ExitStatus(None, f"bad exit code in {status.get('message')!r}", status)
    message = status.get("message")
    return ExitStatus(None, str(message or status.get("reason") or "error"), status)


def status_for_exit(code: int) -> dict[str, Any]:
    """The Status a server sends when the command ended with ``code``."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: exit status {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def failure_status(message: str, reason: str = "InternalError") -> dict[str, Any]:
    """The Status of a command that could not run (not an exit code)."""
    return {
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": 500,
    }
