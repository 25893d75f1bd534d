"""Step 'fetch' without HTTP: a folder of releases, a spec folder, a live cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.bump.source import SpecRequest, spec_folders
from generator.errors import GeneratorError
from tests.conftest import SPECS_ROOT, spec_dir


def request(work: Path, **changes: object) -> SpecRequest:
    fields: dict[str, object] = {
        "old_version": "1.35",
        "new_version": "1.36",
        "spec_source": None,
        "from_spec": None,
        "from_cluster": False,
        "kubeconfig": None,
        "context": None,
        "work": work,
        "timeout": 10.0,
    }
    fields.update(changes)
    return SpecRequest(**fields)  # type: ignore[arg-type]


def test_a_folder_of_releases_gives_both(tmp_path: Path) -> None:
    spec_dir("1.35"), spec_dir("1.36")
    found = spec_folders(request(tmp_path, spec_source=str(SPECS_ROOT)))
    assert (found.old, found.new) == (SPECS_ROOT / "v1.35", SPECS_ROOT / "v1.36")


def test_a_spec_folder_is_the_new_release(tmp_path: Path) -> None:
    old = spec_dir("1.35")
    found = spec_folders(
        request(tmp_path, spec_source=str(spec_dir("1.36")), from_spec=old)
    )
    assert (found.old, found.new) == (old, spec_dir("1.36"))


def test_an_old_release_found_nowhere_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECLIENT_SPECS", str(tmp_path / "empty"))
    with pytest.raises(
        GeneratorError, match=r"old release 1\.35 \(tried .*empty/v1\.35\)"
    ):
        spec_folders(request(tmp_path, spec_source=str(spec_dir("1.36"))))


def test_a_live_cluster_gives_the_new_release(generated: Path, tmp_path: Path) -> None:
    from kubeclient.testing import ApiServer

    with ApiServer() as server:
        kubeconfig = str(server.write_kubeconfig(tmp_path / "kubeconfig"))
        found = spec_folders(
            request(
                tmp_path / "work",
                from_cluster=True,
                kubeconfig=kubeconfig,
                from_spec=spec_dir("1.35"),
            )
        )
        assert found.new == tmp_path / "work" / "specs" / "v1.36"
        assert (found.new / ".version").read_text().strip().startswith("v1.36.")
        assert (found.new / "apis__apps__v1_openapi.json").is_file()
        with pytest.raises(
            GeneratorError, match=r"runs Kubernetes v1\.36\.\d+, not 1\.37"
        ):
            spec_folders(
                request(
                    tmp_path / "other",
                    new_version="1.37",
                    from_cluster=True,
                    kubeconfig=kubeconfig,
                )
            )
        assert not (tmp_path / "other" / "specs" / "v1.37").exists()
