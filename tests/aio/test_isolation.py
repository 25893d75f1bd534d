"""The async client is an optional extra: the sync client never imports it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SYNC_USE = """
import sys
import kubeclient
from kubeclient import ClientSet
from kubeclient.models.core_v1 import ConfigMap
from kubeclient.models.meta_v1 import ObjectMeta
from kubeclient.testing import ApiServer, fake_clientset

with ApiServer() as server, ClientSet(server.config()) as cs:
    maps = cs.core_v1.config_maps("default")
    maps.create(ConfigMap(metadata=ObjectMeta(name="x")))
    assert maps.get("x").metadata.name == "x"
    for event in maps.watch(timeout_seconds=1):
        break
fake = fake_clientset()
fake.core_v1.namespaces().list()
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("aiohttp", "httpx")
                or m.startswith("kubeclient.aio"))
print(loaded)
"""


def test_the_sync_client_never_imports_the_async_stack(generated: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SYNC_USE],
        env={"PYTHONPATH": str(generated), "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_importing_kubeclient_aio_does_not_import_aiohttp(generated: Path) -> None:
    # aiohttp is imported when the first request is sent: building an
    # AsyncClientSet (and a bare interpreter's import) stays cheap
    code = (
        "import sys\n"
        "from kubeclient.aio import AsyncClientSet, AsyncDynamicClient, "
        "AsyncDiscoveryClient\n"
        "from kubeclient.config import Config\n"
        "cs = AsyncClientSet(Config(host='http://127.0.0.1:1'))\n"
        "print('aiohttp' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(generated), "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
