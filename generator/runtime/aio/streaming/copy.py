"""``kubectl cp`` both ways for the async client: the sync client's tar over
exec (:mod:`...streaming.copy`: the same safety checks on extraction), with the
archive packed or unpacked in a thread and the pipe read and written off the
loop, so the loop never blocks and memory stays bounded.
"""

from __future__ import annotations

import asyncio
import os
import posixpath
import tarfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from ...streaming.copy import CopyFailed, _extract, _pipe

if TYPE_CHECKING:
    from ...context import Context
    from ...streaming.session import ExecResult

__all__ = ["copy_from_pod", "copy_to_pod"]

Exec = Callable[..., Awaitable["ExecResult"]]
_CHUNK = 1 << 17


async def _chunks(reader: BinaryIO) -> AsyncIterator[bytes]:
    while chunk := await asyncio.to_thread(reader.read, _CHUNK):
        yield chunk


class _PipeSink:
    """Output into the pipe, written off the loop (the unpacker drains it)."""

    def __init__(self, writer: BinaryIO) -> None:
        self._writer = writer

    def write(self, data: bytes) -> Awaitable[Any]:
        return asyncio.to_thread(self._writer.write, data)


async def copy_to_pod(
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
        result = await exec_(
            name,
            ["tar", "--no-same-owner", "-xmf", "-", "-C", directory or "/"],
            container=container,
            stdin=_chunks(reader),
            ctx=ctx,
        )
    finally:
        reader.close()  # a packer still writing gets EPIPE and ends
        await asyncio.to_thread(packer.join, 10)
    if failure:
        raise CopyFailed(f"copy_to_pod: reading {source}: {failure[0]}")
    if result.exit_code != 0:
        raise CopyFailed(
            f"copy_to_pod: tar in pod {name} exited with {result.exit_code}: "
            f"{result.stderr.decode(errors='replace').strip()}"
        )


async def copy_from_pod(
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
        try:
            result = await exec_(
                name,
                ["tar", "cf", "-", "-C", directory or "/", base],
                container=container,
                stdout=_PipeSink(writer),
                ctx=ctx,
            )
        finally:
            writer.close()
    finally:
        await asyncio.to_thread(unpacker.join, 30)
    if result.exit_code != 0:
        raise CopyFailed(
            f"copy_from_pod: tar in pod {name} exited with {result.exit_code}: "
            f"{result.stderr.decode(errors='replace').strip()}"
        )
    if failure:
        raise CopyFailed(f"copy_from_pod: {failure[0]}")
