"""Step 'build': a build that fails leaves the previous dists as they were."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.bump.wheels import build_dists
from generator.errors import GeneratorError


def test_a_failed_build_is_named_and_keeps_the_previous_dists(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "tiny").mkdir(parents=True)
    (out / "tiny" / "__init__.py").write_text("")
    (out / "tiny" / "__pycache__").mkdir()
    (out / "tiny" / "__pycache__" / "x.pyc").write_bytes(b"stale")
    (out / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "no_such_backend"\n'
        '[project]\nname = "tiny"\nversion = "1.0"\n'
    )
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "tiny-0.9-py3-none-any.whl").write_bytes(b"previous")
    with pytest.raises(
        GeneratorError, match=r"(?s)python -m build .*out failed:\n.*no_such_backend"
    ):
        build_dists(out, "tiny", dist, isolation=False)
    assert sorted(p.name for p in dist.iterdir()) == ["tiny-0.9-py3-none-any.whl"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dist", "out"]  # no staging
    assert not (out / "tiny" / "__pycache__").exists()  # never into an sdist
