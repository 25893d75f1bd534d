"""Every Python code block of README.md runs, in order, as a new user would run it:
in a fresh interpreter with the generated package importable and $KUBECONFIG
pointing at a test API server (TLS, token), from the repository's root (as from
a clone: examples/ and specs/ are there), with no other set-up."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)

# Runs the blocks one by one in one namespace; names the block that failed.
_RUNNER = r"""
import json, sys, traceback
blocks = json.loads(sys.stdin.read())
namespace = {"__name__": "__main__"}
for number, (line, source) in enumerate(blocks, 1):
    try:
        exec(compile(source, f"README.md:{line}", "exec"), namespace)
    except BaseException:
        print(f"README python block {number} (line {line}) failed:", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
print(f"ran {len(blocks)} blocks")
"""


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, source) of each fenced ```python block."""
    return [
        (text.count("\n", 0, match.start()) + 2, match.group(1))
        for match in _BLOCK.finditer(text)
    ]


def test_every_python_block_of_the_readme_runs(generated: Path, tmp_path: Path) -> None:
    from kubeclient.testing import ApiServer

    blocks = python_blocks((REPO / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 6, "README.md has fewer Python blocks than expected"
    home = tmp_path / "home"
    home.mkdir()
    with ApiServer(tls=True) as server:
        kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("KUBE")},
            "KUBECONFIG": str(kubeconfig),
            "HOME": str(home),
            # the generated package, and the repository (examples/), as from a clone
            "PYTHONPATH": os.pathsep.join([str(generated), str(REPO)]),
        }
        done = subprocess.run(
            [sys.executable, "-c", _RUNNER],
            input=json.dumps(blocks),
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,  # a new user runs them from the clone (specs/ ...)
            timeout=240,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-4000:]
    assert f"ran {len(blocks)} blocks" in done.stdout
