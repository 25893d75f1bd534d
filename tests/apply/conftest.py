"""A test API server and a ClientSet on it, shared by the apply and manifests tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def server(generated: Path) -> Iterator[Any]:
    from kubeclient.testing import ApiServer

    with ApiServer() as api:
        yield api


@pytest.fixture
def cs(server: Any) -> Iterator[Any]:
    from kubeclient import ClientSet

    with ClientSet(server.config()) as clients:
        yield clients
