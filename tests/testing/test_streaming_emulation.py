"""The exec emulation of the test API server, in-process: what each command
does on a container's in-memory files (no server, no host process)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pytest


def run(
    generated: Path,
    command: list[str],
    files: dict[str, bytes] | None = None,
    stdin: bytes | None = None,
) -> tuple[int, bytes, bytes, dict[str, bytes]]:
    from kubeclient.testing.engine.streaming import Process, Stdin, emulation
    from kubeclient.testing.engine.streaming.runtime import Output

    out, err = bytearray(), bytearray()
    pipe = None
    if stdin is not None:
        pipe = Stdin()
        pipe.feed(stdin)
        pipe.end()
    fs = dict(files or {})
    process: Any = Process(
        namespace="default",
        pod="web",
        container="app",
        command=command,
        stdin=pipe,
        stdout=Output(out.extend),
        stderr=Output(err.extend),
        tty=False,
        files=fs,
        env={"MODE": "test"},
    )
    code = emulation.run(process)
    return code, bytes(out), bytes(err), fs


def test_shell_sequences_and_redirections(generated: Path) -> None:
    code, out, err, fs = run(
        generated,
        [
            "sh",
            "-c",
            "echo a > /f; echo b >> /f; cat /f; false && echo no || echo yes; "
            "echo e 1>&2; cat /missing 2>/dev/null; exit 4",
        ],
    )
    assert (code, out, err) == (4, b"a\nb\nyes\n", b"e\n")
    assert fs["/f"] == b"a\nb\n"


def test_env_ls_head_and_unknown_commands(generated: Path) -> None:
    files = {"/data/a": b"1", "/data/sub/b": b"22"}
    assert run(generated, ["ls", "/data"], files)[1] == b"a\nsub\n"
    assert b"MODE=test\n" in run(generated, ["env"])[1]
    assert b"HOSTNAME=web\n" in run(generated, ["env"])[1]
    assert run(generated, ["head", "-c", "5", "/dev/zero"])[1] == bytes(5)
    code, _, err, _ = run(generated, ["python3", "-c", "print(1)"])
    assert code == 127 and err == b"sh: python3: not found\n"


def test_tar_round_trip_and_refused_members(generated: Path) -> None:
    files = {"/src/d/x.txt": b"x" * 1000, "/src/d/y": b"y"}
    code, archive, _, _ = run(generated, ["tar", "cf", "-", "-C", "/src", "d"], files)
    assert code == 0
    code, _, _, fs = run(generated, ["tar", "xf", "-", "-C", "/dst"], stdin=archive)
    assert code == 0 and fs["/dst/d/x.txt"] == b"x" * 1000 and fs["/dst/d/y"] == b"y"
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w") as tar:
        info = tarfile.TarInfo("../../etc/passwd")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"evil"))
    _, _, err, fs = run(
        generated, ["tar", "xf", "-", "-C", "/dst"], stdin=evil.getvalue()
    )
    assert b"outside the directory" in err and not any("passwd" in p for p in fs)


@pytest.mark.parametrize("script", ["echo 'unclosed", "exit x"])
def test_bad_scripts_are_errors_not_crashes(generated: Path, script: str) -> None:
    code, _, err, _ = run(generated, ["sh", "-c", script])
    assert code == 2 and err
