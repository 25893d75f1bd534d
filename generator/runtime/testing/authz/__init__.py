"""Authorization in the test API server, opt-in with ``ApiServer(authorization=
"rbac")``: kube-apiserver's RBAC authorizer and what surrounds it.

One module per job: ``attributes`` (who asks, and what for, from the URL),
``rules`` (PolicyRule matching and coverage), ``rbac`` (the authorizer over the
stored roles and bindings), ``aggregation`` (aggregated ClusterRoles),
``bootstrap`` (the roles every cluster has), ``escalation`` (creating roles and
bindings), ``impersonation`` (Impersonate-* headers), ``tokens`` (service
account JWTs), ``protobuf`` (review bodies as kubectl sends them), ``messages``
(403 texts), ``identity`` (the identity of the request being served),
``storage`` (what this room needs of the engine, as protocols) and
``authorization`` (what the core calls). The review resources are answered in
``..engine.reviews``. A room between engine and semantics: it imports
semantics and protocol, and the engine imports it.
"""
