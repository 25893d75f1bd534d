"""Authorization in the test API server, opt-in with ``ApiServer(authorization=
"rbac")``: kube-apiserver's RBAC authorizer and what surrounds it.

One module per job: ``attributes`` (who asks, and what for, from the URL),
``rules`` (PolicyRule matching and coverage), ``rbac`` (the authorizer over the
stored roles and bindings), ``aggregation`` (aggregated ClusterRoles),
``bootstrap`` (the roles every cluster has), ``escalation`` (creating roles and
bindings), ``impersonation`` (Impersonate-* headers), ``tokens`` (service
account JWTs), ``reviews`` (the *Review resources), ``messages`` (403 texts),
``identity`` (the identity of the request being served) and ``authorization``
(what the core calls).
"""
