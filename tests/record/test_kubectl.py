"""kubectl (the real binary) sees what the recorder wrote."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from ..testing.test_real_clients import KUBECTL_VERSIONS, kubectl_binary
from .conftest import configmap, wait_until

ROWS = '{range .items[*]}{.type} {.reason} {.count}{.series.count} {.note}{.message}{"\\n"}{end}'


def kubectl(server: Any, tmp_path: Path, *args: str) -> str:
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
    done = subprocess.run(
        [
            str(kubectl_binary(KUBECTL_VERSIONS[0])),
            "--kubeconfig",
            str(kubeconfig),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def record_three(cs: Any) -> None:
    from kubeclient.record import EventBroadcaster

    with EventBroadcaster(cs) as broadcaster:
        recorder = broadcaster.new_recorder(component="sample-controller")
        for _ in range(3):
            recorder.event(configmap(), "Normal", "Synced", "Foo synced successfully")
        recorder.eventf(
            configmap(),
            "Warning",
            "ErrResourceExists",
            "Resource %q already exists",
            "web",
        )
        wait_until(lambda: broadcaster.stats.written >= 3)


def test_kubectl_get_events_core_v1(
    core_only_server: Any, core_cs: Any, tmp_path: Path
) -> None:
    record_three(core_cs)
    rows = kubectl(
        core_only_server, tmp_path, "get", "events", "-o", f"jsonpath={ROWS}"
    )
    assert sorted(rows.splitlines()) == [
        "Normal Synced 3 Foo synced successfully",
        'Warning ErrResourceExists 1 Resource "web" already exists',
    ]


def test_kubectl_get_events_k8s_io(server: Any, cs: Any, tmp_path: Path) -> None:
    record_three(cs)
    rows = kubectl(
        server, tmp_path, "get", "events.v1.events.k8s.io", "-o", f"jsonpath={ROWS}"
    )
    assert sorted(rows.splitlines()) == [
        "Normal Synced 3 Foo synced successfully",
        'Warning ErrResourceExists  Resource "web" already exists',
    ]
