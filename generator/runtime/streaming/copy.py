"""``kubectl cp`` both ways: a tar stream over exec (the container needs ``tar``).

The archive is streamed through a pipe, never held whole in memory. What is
extracted locally stays under the destination: members with absolute paths,
``..``, links or devices are refused, as kubectl refuses them.
"""

from __future__ import annotations

import os
import posixpath
import tarfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from ..context import Context
    from .session import ExecResult

__all__ = ["CopyFailed", "copy_from_pod", "copy_to_pod"]

Exec = Callable[..., "ExecResult"]


class CopyFailed(Exception):
    """tar in the container failed, or the archive could not be used here."""


def _pipe() -> tuple[BinaryIO, BinaryIO]:
    read_fd, write_fd = os.pipe()
    return os.fdopen(read_fd, "rb"), os.fdopen(write_fd, "wb")


def copy_to_pod(
    exec_: Exec,
    name: str,
    container: str | None,
    src: str | os.PathLike[str],
    dst: str,
    ctx: Context | None,
) -> None:
    source = Path(src)
    if not source.exists():
        raise FileNotFoundError(f"copy_to_pod: {source} does not exist")
    target = posixpath.normpath(dst)
    directory, base = posixpath.split(target)
    if not base:
        raise ValueError(f"copy_to_pod: {dst!r} names no file in the pod")
    reader, writer = _pipe()
    failure: list[BaseException] = []

    def pack() -> None:
        try:
            with writer, tarfile.open(fileobj=writer, mode="w|") as archive:
                archive.add(str(source), arcname=base)
        except (OSError, tarfile.TarError) as error:
            failure.append(error)

    packer = threading.Thread(target=pack, daemon=True, name="copy-to-pod")
    packer.start()
    try:
        result = exec_(
            name,
            ["tar", "--no-same-owner", "-xmf", "-", "-C", directory or "/"],
            container=container,
            stdin=reader,
            ctx=ctx,
        )
    finally:
        reader.close()
        packer.join(10)
    if failure:
        raise CopyFailed(f"copy_to_pod: reading {source}: {failure[0]}")
    if result.exit_code != 0:
        raise CopyFailed(
            f"copy_to_pod: tar in pod {name} exited with {result.exit_code}: "
            f"{result.stderr.decode(errors='replace').strip()}"
        )


def copy_from_pod(
    exec_: Exec,
    name: str,
    container: str | None,
    src: str,
    dst: str | os.PathLike[str],
    ctx: Context | None,
) -> None:
    source = posixpath.normpath(src)
    directory, base = posixpath.split(source)
    if not base:
        raise ValueError(f"copy_from_pod: {src!r} names no file in the pod")
    destination = Path(dst)
    reader, writer = _pipe()
    failure: list[BaseException] = []

    def unpack() -> None:
        try:
            with reader, tarfile.open(fileobj=reader, mode="r|") as archive:
                for member in archive:
                    _extract(archive, member, base, destination)
        except (OSError, tarfile.TarError, CopyFailed) as error:
            failure.append(error)
            for _ in iter(lambda: reader.read(1 << 16), b""):
                pass  # drain: the exec must not block on a full pipe

    unpacker = threading.Thread(target=unpack, daemon=True, name="copy-from-pod")
    unpacker.start()
    try:
        with writer:
            result = exec_(
                name,
                ["tar", "cf", "-", "-C", directory or "/", base],
                container=container,
                stdout=writer,
                ctx=ctx,
            )
    finally:
        unpacker.join(30)
    if result.exit_code != 0:
        raise CopyFailed(
            f"copy_from_pod: tar in pod {name} exited with {result.exit_code}: "
            f"{result.stderr.decode(errors='replace').strip()}"
        )
    if failure:
        raise CopyFailed(f"copy_from_pod: {failure[0]}")


def _extract(
    archive: Any, member: tarfile.TarInfo, base: str, destination: Path
) -> None:
    name = posixpath.normpath(member.name)
    if name.startswith("/") or name == ".." or name.startswith("../"):
        raise CopyFailed(f"refusing {member.name!r}: outside the destination")
    if name != base and not name.startswith(base + "/"):
        raise CopyFailed(f"refusing {member.name!r}: not under {base!r}")
    relative = name[len(base) :].lstrip("/")
    path = destination / relative if relative else destination
    if member.isdir():
        path.mkdir(parents=True, exist_ok=True)
    elif member.isfile():
        path.parent.mkdir(parents=True, exist_ok=True)
        extracted = archive.extractfile(member)
        with open(path, "wb") as out:
            if extracted is not None:
                for chunk in iter(lambda: extracted.read(1 << 17), b""):
                    out.write(chunk)
    else:
        raise CopyFailed(f"refusing {member.name!r}: links and devices are not copied")
