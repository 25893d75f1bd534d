"""Writes a realistic PodList (pods as a kubelet-managed cluster returns them,
managedFields included) for the decode benchmarks: about 12 KB of JSON per pod."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any


def _fields_v1(containers: list[str]) -> dict[str, Any]:
    container_fields: dict[str, Any] = {
        f'k:{{"name":"{name}"}}': {
            ".": {},
            "f:env": {
                f'k:{{"name":"VAR_{i}"}}': {".": {}, "f:name": {}, "f:value": {}}
                for i in range(5)
            },
            "f:image": {},
            "f:imagePullPolicy": {},
            "f:name": {},
            "f:ports": {
                'k:{"containerPort":8080,"protocol":"TCP"}': {
                    ".": {},
                    "f:containerPort": {},
                    "f:name": {},
                    "f:protocol": {},
                }
            },
            "f:readinessProbe": {
                ".": {},
                "f:httpGet": {".": {}, "f:path": {}, "f:port": {}, "f:scheme": {}},
                "f:periodSeconds": {},
            },
            "f:resources": {
                ".": {},
                "f:limits": {".": {}, "f:cpu": {}, "f:memory": {}},
                "f:requests": {".": {}, "f:cpu": {}, "f:memory": {}},
            },
            "f:terminationMessagePath": {},
            "f:terminationMessagePolicy": {},
            "f:volumeMounts": {
                'k:{"mountPath":"/etc/config"}': {
                    ".": {},
                    "f:mountPath": {},
                    "f:name": {},
                }
            },
        }
        for name in containers
    }
    return {
        "f:metadata": {
            "f:generateName": {},
            "f:labels": {
                ".": {},
                "f:app": {},
                "f:pod-template-hash": {},
                "f:tier": {},
                "f:version": {},
            },
            "f:ownerReferences": {
                ".": {},
                'k:{"uid":"5c1d0b5e-0000-4000-8000-000000000000"}': {},
            },
        },
        "f:spec": {
            "f:containers": container_fields,
            "f:dnsPolicy": {},
            "f:enableServiceLinks": {},
            "f:restartPolicy": {},
            "f:schedulerName": {},
            "f:securityContext": {},
            "f:terminationGracePeriodSeconds": {},
            "f:volumes": {
                'k:{"name":"config"}': {
                    ".": {},
                    "f:configMap": {".": {}, "f:defaultMode": {}, "f:name": {}},
                    "f:name": {},
                }
            },
        },
    }


def pod(i: int, rng: random.Random) -> dict[str, Any]:
    app = f"app-{i % 50}"
    hash_ = f"{rng.getrandbits(40):010x}"
    name = f"{app}-{hash_}-{rng.getrandbits(20):05x}"
    stamp = f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}Z"
    containers = ["main", "sidecar"]
    ip = f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
    result: dict[str, Any] = {
        "metadata": {
            "name": name,
            "generateName": f"{app}-{hash_}-",
            "namespace": f"team-{i % 20}",
            "uid": f"{rng.getrandbits(32):08x}-{rng.getrandbits(16):04x}-4{rng.getrandbits(12):03x}-8{rng.getrandbits(12):03x}-{rng.getrandbits(48):012x}",
            "resourceVersion": str(100000 + i),
            "creationTimestamp": stamp,
            "labels": {
                "app": app,
                "pod-template-hash": hash_,
                "tier": "backend",
                "version": "v1.2.3",
            },
            "annotations": {
                "kubectl.kubernetes.io/restartedAt": stamp,
                "prometheus.io/scrape": "true",
            },
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": f"{app}-{hash_}",
                    "uid": "5c1d0b5e-0000-4000-8000-000000000000",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
            "managedFields": [
                {
                    "manager": "kube-controller-manager",
                    "operation": "Update",
                    "apiVersion": "v1",
                    "time": stamp,
                    "fieldsType": "FieldsV1",
                    "fieldsV1": _fields_v1(containers),
                },
                {
                    "manager": "kubelet",
                    "operation": "Update",
                    "apiVersion": "v1",
                    "time": stamp,
                    "fieldsType": "FieldsV1",
                    "subresource": "status",
                    "fieldsV1": {
                        "f:status": {
                            "f:conditions": {
                                f'k:{{"type":"{t}"}}': {
                                    ".": {},
                                    "f:lastProbeTime": {},
                                    "f:lastTransitionTime": {},
                                    "f:status": {},
                                    "f:type": {},
                                }
                                for t in (
                                    "Initialized",
                                    "Ready",
                                    "ContainersReady",
                                    "PodScheduled",
                                    "PodReadyToStartContainers",
                                )
                            },
                            "f:containerStatuses": {},
                            "f:hostIP": {},
                            "f:hostIPs": {},
                            "f:phase": {},
                            "f:podIP": {},
                            "f:podIPs": {
                                ".": {},
                                f'k:{{"ip":"{ip}"}}': {".": {}, "f:ip": {}},
                            },
                            "f:startTime": {},
                        }
                    },
                },
            ],
        },
        "spec": {
            "containers": [
                {
                    "name": c,
                    "image": f"registry.example.com/{app}/{c}:v1.2.3",
                    "imagePullPolicy": "IfNotPresent",
                    "env": [
                        {"name": f"VAR_{k}", "value": f"value-{k}-{i}"}
                        for k in range(5)
                    ],
                    "ports": [
                        {"name": "http", "containerPort": 8080, "protocol": "TCP"}
                    ],
                    "resources": {
                        "limits": {"cpu": "500m", "memory": "512Mi"},
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                    },
                    "readinessProbe": {
                        "httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
                        "periodSeconds": 10,
                        "timeoutSeconds": 1,
                        "successThreshold": 1,
                        "failureThreshold": 3,
                    },
                    "volumeMounts": [
                        {"name": "config", "mountPath": "/etc/config"},
                        {
                            "name": "kube-api-access",
                            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                            "readOnly": True,
                        },
                    ],
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                }
                for c in containers
            ],
            "volumes": [
                {
                    "name": "config",
                    "configMap": {"name": f"{app}-config", "defaultMode": 420},
                },
                {
                    "name": "kube-api-access",
                    "projected": {
                        "defaultMode": 420,
                        "sources": [
                            {
                                "serviceAccountToken": {
                                    "expirationSeconds": 3607,
                                    "path": "token",
                                }
                            },
                            {
                                "configMap": {
                                    "name": "kube-root-ca.crt",
                                    "items": [{"key": "ca.crt", "path": "ca.crt"}],
                                }
                            },
                            {
                                "downwardAPI": {
                                    "items": [
                                        {
                                            "path": "namespace",
                                            "fieldRef": {
                                                "apiVersion": "v1",
                                                "fieldPath": "metadata.namespace",
                                            },
                                        }
                                    ]
                                }
                            },
                        ],
                    },
                },
            ],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "serviceAccount": "default",
            "nodeName": f"node-{i % 100}",
            "securityContext": {},
            "schedulerName": "default-scheduler",
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
                {
                    "key": "node.kubernetes.io/unreachable",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                },
            ],
            "priority": 0,
            "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority",
        },
        "status": {
            "phase": "Running",
            "conditions": [
                {
                    "type": t,
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": stamp,
                }
                for t in (
                    "PodReadyToStartContainers",
                    "Initialized",
                    "Ready",
                    "ContainersReady",
                    "PodScheduled",
                )
            ],
            "hostIP": f"192.168.{i % 100}.10",
            "hostIPs": [{"ip": f"192.168.{i % 100}.10"}],
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "startTime": stamp,
            "containerStatuses": [
                {
                    "name": c,
                    "state": {"running": {"startedAt": stamp}},
                    "lastState": {},
                    "ready": True,
                    "restartCount": i % 3,
                    "image": f"registry.example.com/{app}/{c}:v1.2.3",
                    "imageID": f"registry.example.com/{app}/{c}@sha256:{rng.getrandbits(256):064x}",
                    "containerID": f"containerd://{rng.getrandbits(256):064x}",
                    "started": True,
                    "volumeMounts": [{"name": "config", "mountPath": "/etc/config"}],
                }
                for c in containers
            ],
            "qosClass": "Burstable",
        },
    }
    # What kubectl apply leaves on objects: a JSON copy of the applied manifest.
    applied = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": result["metadata"]["labels"]},
        "spec": {
            "containers": result["spec"]["containers"],
            "volumes": result["spec"]["volumes"],
        },
    }
    result["metadata"]["annotations"][
        "kubectl.kubernetes.io/last-applied-configuration"
    ] = (json.dumps(applied, separators=(",", ":")) + "\n")
    return result


def pod_list(count: int, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    return {
        "kind": "PodList",
        "apiVersion": "v1",
        "metadata": {"resourceVersion": "123456789"},
        "items": [pod(i, rng) for i in range(count)],  # items carry no apiVersion/kind
    }


def write_pod_list(path: Path, count: int = 5000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(json.dumps(pod_list(count), separators=(",", ":")).encode())
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "data" / "podlist.json"
    )
    args = parser.parse_args()
    path = write_pod_list(args.out, args.count)
    print(f"{path}: {path.stat().st_size / 1e6:.1f} MB, {args.count} pods")


if __name__ == "__main__":
    main()
