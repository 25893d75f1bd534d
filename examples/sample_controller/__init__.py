"""A port of kubernetes/sample-controller to kubeclient, running as sharded replicas.

- ``controller``: the Foo controller (controller.go);
- ``replica``: one process: clients, events, leader election or shard leases;
- ``shards``: N shards over M replicas, one Lease per shard;
- ``samplecontroller``: the Foo CRD's typed models, clients and informers,
  generated from specs/sample-controller/foo-crd.yaml (``make golden``);
- ``__main__``: ``python -m examples.sample_controller --kubeconfig PATH``.
"""

from .controller import Controller, ResourceExists, new_deployment
from .replica import Options, Replica

__all__ = ["Controller", "Options", "Replica", "ResourceExists", "new_deployment"]
