"""Step 'version': the package version is the Kubernetes release of the new spec."""

from __future__ import annotations

from pathlib import Path

from ..cli import check_version
from ..errors import GeneratorError
from ..load import read_kubernetes_version
from .http_fetch import RELEASE_VERSION, minor_of


def package_version(new_spec: Path, wanted: str, override: str | None) -> str:
    """``1.36.2`` from the spec folder's ``.version`` (``v1.36.2``), which must be
    a release of ``wanted`` (``1.36`` or ``1.36.2``); ``override`` wins."""
    if override is not None:
        return check_version("--package-version", override)
    release = read_kubernetes_version([new_spec])
    if release is None:
        if RELEASE_VERSION.match(wanted):
            release = wanted  # the release asked for, exactly
        else:
            raise GeneratorError(
                f"{new_spec} has no .version file naming its Kubernetes release: "
                f"add one (e.g. v{wanted}.0), give --to with the patch release "
                "(1.36.2), or --package-version"
            )
    found = release.lstrip("v")
    if minor_of(found) != minor_of(wanted) or (
        wanted.count(".") >= 2 and found != wanted.lstrip("v")
    ):
        raise GeneratorError(
            f"{new_spec} is the spec of Kubernetes {release}, not of {wanted}"
        )
    return check_version(f"{new_spec}/.version", found)
