"""The commands an exec runs when the test registered no handler: emulated in
Python on the container's in-memory files. Nothing here ever starts a host
process or touches the host's file system -- a test server executing
request-supplied commands would be a remote shell for anyone who can reach it.

Commands (enough for tests and for ``kubectl cp``):

* ``echo [-n] ARGS``, ``printf FORMAT`` (no conversions), ``true``, ``false``,
  ``exit N``, ``env``, ``pwd``, ``sleep SECONDS`` (at most 60);
* ``cat [FILE...]`` (no file: stdin), ``head -c N [FILE]`` (``/dev/zero`` is a
  file of zeros: a big output without memory), ``ls [PATH...]``,
  ``mkdir [-p] DIR``, ``rm [-rf] PATH``, ``test -e|-f|-d PATH``;
* ``tar c[f -] [-C DIR] PATH...`` to stdout and ``tar x[f -] [-C DIR]`` from
  stdin (flags such as ``-m``, ``--no-same-owner`` are accepted and ignored);
* ``sh -c SCRIPT`` (or bash): commands joined by ``;``, ``&&``, ``||``, each
  with ``> FILE``, ``>> FILE`` or ``>&2`` redirections.

Anything else: ``sh: NAME: not found`` on stderr and exit code 127, as a shell.
"""

from __future__ import annotations

import io
import posixpath
import shlex
import tarfile
import time
from collections.abc import Callable

from .runtime import Process

__all__ = ["run"]

_CHUNK = 1 << 17
_ZERO = bytes(_CHUNK)
_DEFAULT_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
}


class _Exit(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


Write = Callable[[bytes], object]


class _Shell:
    def __init__(self, process: Process) -> None:
        self.process = process
        self.files = process.files
        self.cwd = "/"

    def path(self, name: str) -> str:
        return posixpath.normpath(posixpath.join(self.cwd, name))

    def is_dir(self, path: str) -> bool:
        if path == "/":
            return True
        prefix = path.rstrip("/") + "/"
        return path + "/" in self.files or any(p.startswith(prefix) for p in self.files)

    # -- running

    def run(self, argv: list[str], out: Write, err: Write) -> int:
        if not argv:
            return 0
        name, args = argv[0], argv[1:]
        command = _COMMANDS.get(posixpath.basename(name))
        if command is None:
            err(f"sh: {name}: not found\n".encode())
            return 127
        return command(self, args, out, err)

    def script(self, text: str) -> int:
        try:
            lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|>")
            lexer.whitespace_split = True
            tokens = list(lexer)
        except ValueError as error:
            self.process.stderr.write(f"sh: syntax error: {error}\n")
            return 2
        code = 0
        run_next = True
        command: list[str] = []
        for token in [*tokens, ";"]:
            if token in (";", "&&", "||", "\n"):
                if run_next:
                    code = self.redirected(command)
                command = []
                run_next = token == ";" or (token == "&&") == (code == 0)
                continue
            command.append(token)
        return code

    def redirected(self, tokens: list[str]) -> int:
        """One command with its redirections: ``> FILE``, ``>> FILE``, ``>&2``,
        ``2>&1``, ``2> FILE`` (``/dev/null`` discards)."""
        out: Write = self.process.stdout.write
        err: Write = self.process.stderr.write
        argv: list[str] = []
        sinks: dict[int, tuple[str, bool]] = {}
        i = 0
        while i < len(tokens):
            token = tokens[i]
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            stream = 1
            if argv and argv[-1] in ("1", "2") and token in (">", ">>", ">&"):
                stream = int(argv.pop())
            if token == ">&" and following in ("1", "2"):
                if stream == 1 and following == "2":
                    out = err
                elif stream == 2 and following == "1":
                    err = out
                i += 2
                continue
            if token in (">", ">>") and following is not None:
                sinks[stream] = (self.path(following), token == ">>")
                i += 2
                continue
            argv.append(token)
            i += 1
        buffers: dict[int, bytearray] = {n: bytearray() for n in sinks}
        if 1 in buffers:
            out = buffers[1].extend
        if 2 in buffers:
            err = buffers[2].extend
        code = self.run(argv, out, err)
        for number, (path, append) in sinks.items():
            if path == "/dev/null":
                continue
            before = self.files.get(path, b"") if append else b""
            self.files[path] = before + bytes(buffers[number])
        return code


# --------------------------------------------------------------------------- commands


def _echo(shell: _Shell, args: list[str], out: Write, err: Write) -> int:
    newline = True
    if args[:1] == ["-n"]:
        newline, args = False, args[1:]
    out((" ".join(args) + ("\n" if newline else "")).encode())
    return 0


def _printf(shell: _Shell, args: list[str], out: Write, err: Write) -> int:
    if args:
        text = args[0].replace("\\n", "\n").replace("\\t", "\t")
        out(text.encode())
    return 0


def _exit(shell: _Shell, args: list[str], out: Write, err: Write) -> int:
    try:
        code = int(args[0]) if args else 0
    except ValueError:
        err(f"sh: exit: Illegal number: {args[0]}\n".encode())
        code = 2
    raise _Exit(code & 0xFF)


def _env(shell: _Shell, args: list[str], out: Write, err: Write) -> int:
    env = {**_DEFAULT_ENV, "HOSTNAME": shell.process.pod, **shell.process.env}
    out("".join(f"{k}={v}\n" for k, v in env.items()).encode())
    return 0


def _cat(shell: _Shell, args: list[str], out: Write, err: Write) -> int:
    if not args or args == ["-"]:
        stdin = shell.process.stdin
        if stdin is not None:
            for chunk in stdin:
                out(chunk)
        return 0
    code = 0
    for name in args:
        path = shell.path(name)
        if path not in shell.files:
            what = (
                "Is a directory" if shell.is_dir(path) else "No such file or directory"
            )
            err(f"cat: {name}: {what}\n".encode())
            code = 1
            continue
        out(shell.files[path])
    return code


def _head(shell: _Shell, args: list[str], out: Write, err: Write) -> int:
    if len(args) < 2 or args[0] != "-c" or not args[1].isdigit():
        err(b"head: only head -c N [FILE] is emulated\n")
        return 1
    count = int(args[1])
    name = args[2] if len(args) > 2 else "-"
    if name == "/dev/zero":
        while count > 0:
            out(_ZERO[: min(count, _CHUNK)])
            count -= _CHUNK
        return 0
    if name == "-":
        stdin = shell.process.stdin
        data = stdin.read(count) if stdin is not None else b""
    else:
        path = shell.path(name)
        if path not in shell.files:
            err(f"head: {name}: No such file or directory\n".encode())
            return 1
        data = shell.files[path][:count]
    out(data)
    return 0


def _ls(shell: _Shell, args: list[str], out: Write, err: Write) -> int:
    names = [a for a in args if not a.startswith("-")] or [shell.cwd]
    code = 0
    for name in names:
        path = shell.path(name)
        if path in shell.files:
            out(f"{name}\n".encode())
            continue
        if not shell.is_dir(path):
            err(f"ls: {name}: No such file or directory\n".encode())
            code = 1
            continue
        prefix = path.rstrip("/") + "/"
        entries = sorted(
            {
                p[len(prefix) :].split("/", 1)[0]
                for p in shell.files
                if p.startswith(prefix)
            }
            - {""}
        )
        out("".join(f"{e}\n" for e in entries).encode())
    return code


def _mkdir(shell: _Shell, args: list[str], out: Write, err: Write) -> int:
    for name in (a for a in args if not a.startswith("-")):
        path = shell.path(name).rstrip("/") + "/"
        shell.files.setdefault(path, b"")  # a directory marker
    return 0


def _rm(shell: _Shell, args: list[str], out: Write, err: Write) -> int:
    for name in (a for a in args if not a.startswith("-")):
        path = shell.path(name)
        prefix = path.rstrip("/") + "/"
        for found in [p for p in shell.files if p == path or p.startswith(prefix)]:
            del shell.files[found]
    return 0


def _test(shell: _Shell, args: list[str], out: Write, err: Write) -> int:
    if len(args) != 2:
        return 2
    path = shell.path(args[1])
    is_file = path in shell.files and not path.endswith("/")
    found = {
        "-e": is_file or shell.is_dir(path),
        "-f": is_file,
        "-d": shell.is_dir(path),
    }
    return 0 if found.get(args[0], False) else 1


def _sleep(shell: _Shell, args: list[str], out: Write, err: Write) -> int:
    try:
        seconds = min(float(args[0]) if args else 0.0, 60.0)
    except ValueError:
        err(f"sleep: invalid time interval '{args[0]}'\n".encode())
        return 1
    shell.process.gone.wait(max(seconds, 0.0))
    return 0


def _pwd(shell: _Shell, args: list[str], out: Write, err: Write) -> int:
    out(f"{shell.cwd}\n".encode())
    return 0


def _true(shell: _Shell, args: list[str], out: Write, err: Write) -> int:
    return 0


def _false(shell: _Shell, args: list[str], out: Write, err: Write) -> int:
    return 1


def _sh(shell: _Shell, args: list[str], out: Write, err: Write) -> int:
    if len(args) >= 2 and args[0] == "-c":
        return shell.script(args[1])
    err(b"sh: only sh -c SCRIPT is emulated\n")
    return 2


def _tar(shell: _Shell, args: list[str], out: Write, err: Write) -> int:
    mode = ""
    directory = shell.cwd
    paths: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "-C" and i + 1 < len(args):
            directory = shell.path(args[i + 1])
            i += 2
            continue
        if arg.startswith("--"):
            pass  # --no-same-owner, --no-same-permissions ...: nothing to do here
        elif arg.startswith("-") or (i == 0 and not mode):
            letters = arg.lstrip("-")
            mode = mode or next((c for c in letters if c in "cxt"), "")
            if "f" in letters and i + 1 < len(args) and letters.endswith("f"):
                i += 1  # the archive: only "-" (stdin/stdout) is meaningful here
        else:
            paths.append(arg)
        i += 1
    if mode == "c":
        return _tar_create(shell, directory, paths, out, err)
    if mode in ("x", "t"):
        return _tar_extract(shell, directory, out, err, list_only=mode == "t")
    err(b"tar: only c, x and t are emulated\n")
    return 2


def _tar_create(
    shell: _Shell, directory: str, paths: list[str], out: Write, err: Write
) -> int:
    class Sink(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, data: object) -> int:
            chunk = bytes(data)  # type: ignore[call-overload]
            out(chunk)
            return len(chunk)

    code = 0
    with tarfile.open(fileobj=Sink(), mode="w|", format=tarfile.GNU_FORMAT) as archive:
        for name in paths:
            root = posixpath.normpath(posixpath.join(directory, name))
            members = sorted(
                p
                for p in shell.files
                if p == root or p.startswith(root.rstrip("/") + "/")
            )
            if not members and not shell.is_dir(root):
                err(f"tar: {name}: Cannot stat: No such file or directory\n".encode())
                code = 2
                continue
            for path in members:
                arcname = posixpath.relpath(path, directory).lstrip("/")
                if name.startswith("/"):
                    arcname = path.lstrip("/")
                info = tarfile.TarInfo(arcname.rstrip("/"))
                info.mtime = int(time.time())
                if path.endswith("/"):
                    info.type = tarfile.DIRTYPE
                    info.mode = 0o755
                    archive.addfile(info)
                else:
                    data = shell.files[path]
                    info.size = len(data)
                    info.mode = 0o644
                    archive.addfile(info, io.BytesIO(data))
    return code


def _tar_extract(
    shell: _Shell, directory: str, out: Write, err: Write, *, list_only: bool
) -> int:
    pipe = shell.process.stdin
    if pipe is None:
        err(b"tar: no stdin to read the archive from\n")
        return 2
    stdin = pipe

    class Source(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            data = stdin.read(len(buffer))
            buffer[: len(data)] = data
            return len(data)

    try:
        with tarfile.open(fileobj=Source(), mode="r|") as archive:
            for member in archive:
                name = posixpath.normpath(member.name)
                if name.startswith("../") or name == "..":
                    err(f"tar: {member.name}: path outside the directory\n".encode())
                    continue
                if list_only:
                    out(f"{member.name}\n".encode())
                    continue
                path = posixpath.normpath(posixpath.join(directory, name))
                if member.isdir():
                    shell.files.setdefault(path.rstrip("/") + "/", b"")
                elif member.isfile():
                    extracted = archive.extractfile(member)
                    shell.files[path] = extracted.read() if extracted else b""
    except tarfile.TarError as error:
        err(f"tar: {error}\n".encode())
        return 2
    return 0


_COMMANDS: dict[str, Callable[[_Shell, list[str], Write, Write], int]] = {
    "echo": _echo,
    "printf": _printf,
    "exit": _exit,
    "env": _env,
    "cat": _cat,
    "head": _head,
    "ls": _ls,
    "mkdir": _mkdir,
    "rm": _rm,
    "test": _test,
    "sleep": _sleep,
    "pwd": _pwd,
    "true": _true,
    "false": _false,
    "sh": _sh,
    "bash": _sh,
    "tar": _tar,
}


def run(process: Process) -> int:
    """Run ``process.command`` as emulated commands; the exit code."""
    shell = _Shell(process)
    try:
        return shell.run(
            list(process.command), process.stdout.write, process.stderr.write
        )
    except _Exit as done:
        return done.code
