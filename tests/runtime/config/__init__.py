"""Tests of generator/runtime/config/: kubeconfig, in-cluster, exec plugins.

Every test runs with an empty environment for Kubernetes (no KUBECONFIG, no
in-cluster variables, HOME in a temp folder), so nothing on this machine leaks in.
"""
