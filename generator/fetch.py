"""Room 1, cluster mode: read /openapi/v3 and every document it lists from a cluster.

Through the runtime's own config and transport (kubeconfig, contexts, exec
plugins, TLS ...), so the generator talks to a cluster exactly as the generated
client will. ``--save-spec DIR`` keeps the documents, named as upstream names
them (``apis__apps__v1_openapi.json``), with a ``.version`` file.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import GeneratorError
from .load import SpecDocument, check_openapi


@dataclass
class Fetched:
    documents: list[SpecDocument]
    kubernetes_version: str | None
    failed: dict[str, str] = field(default_factory=dict)  # path -> problem


def file_name(path: str) -> str:
    """``apis/apps/v1`` -> ``apis__apps__v1_openapi.json`` (the upstream layout)."""
    return path.strip("/").replace("/", "__") + "_openapi.json"


def fetch_cluster(kubeconfig: str | None = None, context: str | None = None) -> Fetched:
    from .runtime.config import ConfigError, load_kube_config
    from .runtime.errors import ApiError, ConnectionFailed
    from .runtime.pipeline import Pipeline
    from .runtime.transport.http import HTTPTransport

    try:
        config = load_kube_config(kubeconfig, context=context)
    except ConfigError as err:
        raise GeneratorError(f"cannot load the cluster's kubeconfig: {err}") from None
    with Pipeline(HTTPTransport(config), config) as transport:
        try:
            index = transport.request("GET", "/openapi/v3").json()
            version = transport.request("GET", "/version").json()
        except (ApiError, ConnectionFailed) as err:
            raise GeneratorError(
                f"{config.host}: cannot read /openapi/v3: {err}"
            ) from None
        paths = index.get("paths") if isinstance(index, dict) else None
        if not isinstance(paths, dict) or not paths:
            raise GeneratorError(
                f"{config.host}/openapi/v3: no document paths in the index"
            )
        documents, failed = [], {}
        for path in sorted(paths):
            url = (paths[path] or {}).get("serverRelativeURL") or f"/openapi/v3/{path}"
            relative, _, query = str(url).partition("?")
            try:
                response = transport.request("GET", relative, params=_query(query))
                data = response.content()
                content = check_openapi(f"{config.host}{relative}", json.loads(data))
            except (ApiError, ConnectionFailed, ValueError, GeneratorError) as err:
                failed[path] = str(err)  # an aggregated API server may be down
                continue
            documents.append(
                SpecDocument(
                    source=f"{config.host}{relative}",
                    content=content,
                    digest=hashlib.sha256(data).hexdigest(),
                )
            )
    if not documents:
        raise GeneratorError(
            f"{config.host}: no /openapi/v3 document could be read: {failed}"
        )
    git_version = version.get("gitVersion") if isinstance(version, dict) else None
    return Fetched(documents, str(git_version) if git_version else None, failed)


def _query(query: str) -> dict[str, str]:
    pairs = (part.partition("=") for part in query.split("&") if part)
    return {key: value for key, _, value in pairs}


def save_spec(fetched: Fetched, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for document in fetched.documents:
        relative = document.source.split("/openapi/v3/", 1)[-1]
        text = json.dumps(
            document.content, indent=2, sort_keys=True, ensure_ascii=False
        )
        (folder / file_name(relative)).write_text(text + "\n", encoding="utf-8")
    if fetched.kubernetes_version:
        (folder / ".version").write_text(fetched.kubernetes_version + "\n")


def report_failures(fetched: Fetched) -> None:
    for path, problem in sorted(fetched.failed.items()):
        print(
            f"warning: /openapi/v3/{path} could not be read ({problem}); "
            "generating without it",
            file=sys.stderr,
        )


def documents_as_dict(fetched: Fetched) -> dict[str, Any]:
    return {d.source: d.content for d in fetched.documents}
