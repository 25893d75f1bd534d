"""Step 'generate': the package, by the generator's own ``generate`` command."""

from __future__ import annotations

from pathlib import Path

from .. import cli


def regenerate(
    spec: Path, out: Path, package: str, version: str, cache_dir: Path, quiet: bool
) -> None:
    """Raises GeneratorError (bad spec, bad name, an output it must not replace)."""
    argv = [
        "--spec",
        str(spec),
        "--out",
        str(out),
        "--package",
        package,
        "--package-version",
        version,
        "--cache-dir",
        str(cache_dir),
    ]
    if quiet:
        argv.append("--quiet")
    cli.generate(cli.build_parser()["generate"].parse_args(argv))
