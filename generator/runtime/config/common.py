"""What the configuration modules share: the error, redaction, files, temp files."""

from __future__ import annotations

import atexit
import hashlib
import os
import tempfile
import threading
from urllib.parse import urlsplit, urlunsplit

REDACTED = "<redacted>"


class ConfigError(Exception):
    """A configuration cannot be loaded or used.

    The message names the file (or ``in-cluster``) and the field at fault, and never
    contains a token, password or key.
    """


def short(value: object) -> str:
    """A bounded description of an untrusted value for an error message."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def hide_url_password(url: str) -> str:
    """``http://user:<redacted>@proxy:3128`` for a URL with credentials in it."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        # Unparseable: hide everything between "scheme://" and the last "@".
        scheme, separator, rest = url.partition("://")
        if separator and "@" in rest:
            return f"{scheme}://{REDACTED}@{rest.rpartition('@')[2]}"
        return url
    if password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{parts.username}:{REDACTED}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def token_problem(token: str) -> str | None:
    """Why ``token`` cannot be sent as a bearer token, if it cannot.

    Bearer tokens are printable ASCII (RFC 6750); a line break or a character
    outside ASCII would corrupt the Authorization header or fail to encode in it.
    """
    if all(" " <= char <= "~" for char in token):
        return None
    return "holds a character a bearer token cannot (only printable ASCII can be sent)"


# --- Files ----------------------------------------------------------------------


def read_problem(path: str, error: Exception) -> str:
    """Why ``path`` could not be read, for an error message."""
    if isinstance(error, FileNotFoundError):
        return f"no such file {path}"
    if isinstance(error, PermissionError):
        return f"permission denied reading {path}"
    if isinstance(error, IsADirectoryError):
        return f"{path} is a directory, not a file"
    if isinstance(error, UnicodeDecodeError):
        return f"{path} is not UTF-8 text"
    if isinstance(error, ValueError):  # a NUL byte or a lone surrogate in the path
        return f"{short(path)} is not a usable file name"
    reason = error.strerror if isinstance(error, OSError) else None
    return f"cannot read {path}: {reason or type(error).__name__}"


def file_stamp(path: str) -> tuple[int, ...] | None:
    """What changes when a file is rewritten or swapped (kubelet swaps a symlink)."""
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino, stat.st_dev)


_materialized: dict[tuple[str, str], str] = {}
_materialized_lock = threading.Lock()


def materialize(data: bytes, suffix: str, where: str) -> str:
    """Write certificate or key bytes to a private (0600) temp file; return its path.

    Python's ssl only loads certificates from files. Identical content shares one
    file, and the files are deleted when the interpreter exits. ``where`` names
    the data's origin should the file not be writable.
    """
    key = (hashlib.sha256(data).hexdigest(), suffix)
    with _materialized_lock:
        path = _materialized.get(key)
        if path is not None and os.path.exists(path):
            return path
        try:
            descriptor, path = tempfile.mkstemp(prefix="kubeclient-", suffix=suffix)
        except OSError as error:
            raise _unwritable(where, error) from None
        try:
            with os.fdopen(descriptor, "wb") as file:  # mkstemp creates it 0600
                file.write(data)
        except OSError as error:
            _remove(path)  # nothing half-written stays behind
            raise _unwritable(where, error) from None
        _materialized[key] = path
        return path


def _unwritable(where: str, error: OSError) -> ConfigError:
    problem = error.strerror or type(error).__name__
    return ConfigError(
        f"{where}: cannot write the data to a private temporary file in "
        f"{tempfile.gettempdir()}: {problem}"
    )


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


@atexit.register
def _remove_materialized() -> None:
    for path in _materialized.values():
        _remove(path)
