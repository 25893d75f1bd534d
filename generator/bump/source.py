"""Step 'fetch': the old and the new release's spec folders, wherever they come from.

``--spec-source`` is one of:

* a URL template (``https://.../v{version}/api/openapi-spec/v3/``): both releases
  are downloaded into WORK/specs/v<version>/ (see http_fetch);
* a folder holding ``v1.NN`` folders (as ../shared/specs): both are taken from it;
* a spec folder: the new release; the old one is looked up locally;

``--from-cluster`` reads the new release from a live cluster (generator.fetch) and
keeps it in WORK/specs/v<version>/. The old release is ``--from-spec`` when given,
else ``v<from>`` in $KUBECLIENT_SPECS, ../shared/specs or specs/kubernetes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import diff
from ..errors import GeneratorError
from .http_fetch import fetch_release, minor_of


@dataclass(frozen=True)
class SpecRequest:
    old_version: str
    new_version: str
    spec_source: str | None
    from_spec: Path | None
    from_cluster: bool
    kubeconfig: str | None
    context: str | None
    work: Path
    timeout: float


@dataclass(frozen=True)
class SpecFolders:
    old: Path
    new: Path


def is_url(source: str) -> bool:
    return "://" in source


def _local(version: str, roots: list[Path], what: str) -> Path:
    for root in roots:
        candidate = root / f"v{version}"
        if candidate.is_dir():
            return candidate
    tried = ", ".join(str(r / f"v{version}") for r in roots)
    raise GeneratorError(
        f"no spec of the {what} release {version} (tried {tried}); give --from-spec "
        "DIR or a --spec-source that has it"
    )


def _from_cluster(request: SpecRequest, dest: Path) -> Path:
    from .. import fetch

    fetched = fetch.fetch_cluster(request.kubeconfig, request.context)
    fetch.report_failures(fetched)
    served = (fetched.kubernetes_version or "").lstrip("v")
    if served and minor_of(served) != minor_of(request.new_version):
        raise GeneratorError(
            f"the cluster runs Kubernetes {fetched.kubernetes_version}, not "
            f"{request.new_version}"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        fetch.save_spec(fetched, staging)
        staging.chmod(0o755)  # mkdtemp's folders are private
        if dest.exists():
            shutil.rmtree(dest)
        staging.rename(dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def spec_folders(
    request: SpecRequest, progress: Callable[[str], None] | None = None
) -> SpecFolders:
    roots = diff.specs_roots(os.environ.get("KUBECLIENT_SPECS"))
    specs = request.work / "specs"
    source = request.spec_source
    old: Path | None = request.from_spec
    if request.from_cluster:
        new = _from_cluster(request, specs / f"v{request.new_version}")
    elif source is not None and is_url(source):
        new = fetch_release(
            source,
            request.new_version,
            specs / f"v{request.new_version}",
            timeout=request.timeout,
            cache_dir=request.work / "cache",
            progress=progress,
        )
        if old is None and "{version}" in source:
            old = fetch_release(
                source,
                request.old_version,
                specs / f"v{request.old_version}",
                timeout=request.timeout,
                cache_dir=request.work / "cache",
                progress=progress,
            )
    elif source is not None:
        folder = Path(source)
        if not folder.is_dir():
            raise GeneratorError(f"--spec-source {source}: no such directory")
        if (folder / f"v{request.new_version}").is_dir():
            roots = [folder, *roots]  # a folder of releases
            new = folder / f"v{request.new_version}"
        else:
            new = folder
    else:
        new = _local(request.new_version, roots, "new")
    if old is None:
        old = _local(request.old_version, roots, "old")
    elif not old.exists():
        raise GeneratorError(f"--from-spec {old}: no such file or directory")
    return SpecFolders(old=old, new=new)
