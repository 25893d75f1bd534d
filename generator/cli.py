"""Command line: ``python -m generator [generate|ir] ...``."""

from __future__ import annotations

import argparse
import json
import keyword
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import GeneratorError
from .ir import Universe

COMMANDS = ("generate", "ir", "diff")


class Timer:
    """Wall time per phase, printed with --timings (and read by bench/)."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}
        self._start = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - self._start
        self._start = now

    def report(self) -> str:
        total = sum(self.phases.values())
        parts = ", ".join(f"{k} {v:.2f}s" for k, v in self.phases.items())
        return f"timings: {parts}; total {total:.2f}s"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--spec",
        action="append",
        metavar="PATH",
        help="a spec directory (one OpenAPI v3 document per group-version, as /openapi/v3 "
        "serves them), a single document (JSON or YAML), or CustomResourceDefinition "
        "manifests; repeat for several",
    )
    parser.add_argument(
        "--from-cluster",
        action="store_true",
        help="read /openapi/v3 from the cluster of the kubeconfig (CRDs included)",
    )
    parser.add_argument("--kubeconfig", help="with --from-cluster: the kubeconfig file")
    parser.add_argument("--context", help="with --from-cluster: the kubeconfig context")
    parser.add_argument(
        "--save-spec",
        type=Path,
        metavar="DIR",
        help="with --from-cluster: keep the documents read, as upstream names them",
    )
    parser.add_argument(
        "--no-validate", action="store_true", help="skip openapi-spec-validator"
    )
    parser.add_argument(
        "--jobs", type=int, default=None, help="worker processes (default: CPUs)"
    )


def build_parser() -> dict[str, argparse.ArgumentParser]:
    generate = argparse.ArgumentParser(
        prog="python -m generator",
        description="Generate a typed Kubernetes client package from OpenAPI v3 documents.",
        epilog="Other commands: 'python -m generator ir --spec ...' dumps the intermediate model "
        "as JSON; 'python -m generator diff OLD NEW' reports the API changes between two "
        "specs (or versions: 1.35 1.36); 'python -m generator bump --from 1.35 --to "
        "1.36' runs a whole version bump (fetch, generate, check, report, build).",
    )
    _common(generate)
    generate.add_argument("--out", required=True, type=Path, help="output directory")
    generate.add_argument(
        "--package",
        default="kubeclient",
        help="Python package name (default: kubeclient)",
    )
    generate.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="cache of validation and formatting results, and of what was written "
        "where, so that a rerun on unchanged inputs does nothing (default: OUT/.cache)",
    )
    generate.add_argument(
        "--no-cache",
        action="store_true",
        help="do not read or write the cache: every run does the whole work",
    )
    generate.add_argument(
        "--base-package",
        metavar="NAME[==VERSION]",
        help="for CRD manifests given alone: a generated package (e.g. kubeclient) whose "
        "runtime and meta types the new package uses instead of its own; the new "
        "package depends on exactly that version (kubeclient==1.36.2), found from the "
        "importable package's __version__ or its installed distribution unless given",
    )
    generate.add_argument(
        "--package-version",
        metavar="VERSION",
        help="version of the generated package (default: the Kubernetes release of the "
        "spec, e.g. 1.36.2; with --base-package: the base package's version; else 0.0.0)",
    )
    generate.add_argument(
        "--force",
        action="store_true",
        help="overwrite OUT/pyproject.toml and OUT/PACKAGE even if this generator did "
        "not write them",
    )
    generate.add_argument(
        "--black",
        action="store_true",
        help="run black over all the generated code (by default only over the few "
        "files not rendered black-clean already; this double-checks, at about 5 s "
        "for a release)",
    )
    generate.add_argument(
        "--quiet", action="store_true", help="no progress lines on stderr"
    )
    generate.add_argument("--timings", action="store_true", help="print time per phase")

    ir = argparse.ArgumentParser(
        prog="python -m generator ir",
        description="Dump the intermediate model (groups, versions, kinds, resources, "
        "operations, schemas) as JSON.",
    )
    _common(ir)
    ir.add_argument(
        "--out", type=Path, default=None, help="write here instead of stdout"
    )
    diff = argparse.ArgumentParser(
        prog="python -m generator diff",
        description="API change report of a Kubernetes version bump: group-versions, "
        "kinds, models, fields, resources, operations and query parameters added, "
        "removed or changed, each marked breaking or compatible for the generated "
        "package.",
    )
    for side in ("old", "new"):
        diff.add_argument(
            side,
            metavar=side.upper(),
            help="a spec directory or file (as --spec takes), or a Kubernetes version "
            "such as 1.35: v1.35 in $KUBECLIENT_SPECS, else in ../shared/specs or "
            "specs/kubernetes",
        )
    diff.add_argument("--format", choices=("markdown", "json"), default="markdown")
    diff.add_argument(
        "--out", type=Path, default=None, help="write here instead of stdout"
    )
    diff.add_argument(
        "--verbose", action="store_true", help="also list description-only changes"
    )
    diff.add_argument(
        "--no-validate", action="store_true", help="skip openapi-spec-validator"
    )
    return {"generate": generate, "ir": ir, "diff": diff}


def load_universe(
    paths: Sequence[str],
    *,
    validate: bool,
    cache_dir: Path | None,
    jobs: int | None,
    timer: Timer | None = None,
    cluster: argparse.Namespace | None = None,
    base_package: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> Universe:
    from .load import load_documents, load_spec
    from .model import build_universe

    if cluster is not None:
        from . import fetch

        fetched = fetch.fetch_cluster(cluster.kubeconfig, cluster.context)
        fetch.report_failures(fetched)
        if cluster.save_spec is not None:
            fetch.save_spec(fetched, cluster.save_spec)
        spec = load_documents(fetched.documents, validate=validate, progress=progress)
        spec.kubernetes_version = fetched.kubernetes_version
    else:
        spec = load_spec(
            paths,
            validate=validate,
            cache_dir=cache_dir,
            jobs=jobs,
            progress=progress,
        )
    if timer:
        timer.lap("load")
    if progress:
        progress("building the model")
    universe = build_universe(spec, base_package)
    for warning in universe.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if timer:
        timer.lap("model")
    return universe


def check_source(args: argparse.Namespace) -> list[str]:
    """--spec paths, or --from-cluster: one of them."""
    if args.from_cluster == bool(args.spec):
        raise GeneratorError(
            "give --spec PATH (one or more) or --from-cluster, not both or neither"
        )
    if not args.from_cluster and (args.kubeconfig or args.context or args.save_spec):
        raise GeneratorError(
            "--kubeconfig, --context and --save-spec go with --from-cluster"
        )
    return list(args.spec or [])


#: the import names of what a generated package installs with it: a package of
#: one of these names would hide it (or be hidden by it)
DEPENDENCIES = (
    "requests",
    "urllib3",
    "yaml",
    "msgspec",
    "certifi",
    "idna",
    "charset_normalizer",
)

#: PEP 440 versions, as pip compares them (1.36.2, 2.0rc1, 1.0.post1+local ...)
VERSION = re.compile(
    r"^([0-9]+!)?[0-9]+(\.[0-9]+)*((a|b|rc)[0-9]+)?(\.post[0-9]+)?(\.dev[0-9]+)?"
    r"(\+[a-z0-9]+(\.[a-z0-9]+)*)?$",
    re.IGNORECASE,
)


def check_version(option: str, version: str) -> str:
    if not VERSION.match(version):
        raise GeneratorError(
            f"{option}: {version!r} is not a version (such as 1.36.2, PEP 440)"
        )
    return version


def _module_version(name: str) -> str | None:
    """``__version__ = "..."`` of the importable package ``name``, read without
    importing it (the generator must not run the code of the package it builds on)."""
    import ast
    import importlib.util

    try:
        found = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if found is None or not found.origin or not found.origin.endswith(".py"):
        return None
    try:
        tree = ast.parse(Path(found.origin).read_bytes())
    except (OSError, SyntaxError, ValueError):
        return None
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(
                isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
            )
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return node.value.value
    return None


def _distribution_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except (metadata.PackageNotFoundError, ValueError):
        return None


def check_base_package(requirement: str | None) -> tuple[str, str] | None:
    """``NAME`` or ``NAME==VERSION`` -> (name, version); the version of a bare name is
    the importable package's ``__version__``, else its installed distribution's."""
    if requirement is None:
        return None
    name, pinned, version = (part.strip() for part in requirement.partition("=="))
    if not name or not all(
        part.isidentifier() and not keyword.iskeyword(part) for part in name.split(".")
    ):
        raise GeneratorError(
            f"--base-package {requirement!r} is not a Python package name "
            "(NAME or NAME==VERSION)"
        )
    if pinned:
        return name, check_version("--base-package", version)
    found = _module_version(name) or _distribution_version(name)
    if found is None:
        raise GeneratorError(
            f"--base-package {name}: cannot tell its version (no importable {name} "
            f"with a __version__, no installed distribution {name}), and the new "
            f"package must depend on an exact version of it; install it or put it on "
            f"PYTHONPATH, or give the version: --base-package {name}==VERSION"
        )
    return name, check_version(f"--base-package {name} (found)", found)


def check_package_name(name: str, base: str | None = None) -> str:
    if not name.isidentifier() or keyword.iskeyword(name) or not name.isascii():
        raise GeneratorError(f"--package {name!r} is not a valid Python package name")
    if name in sys.stdlib_module_names:
        raise GeneratorError(
            f"--package {name!r} would shadow the standard library module {name}; "
            "choose another name"
        )
    if name in DEPENDENCIES:
        raise GeneratorError(
            f"--package {name!r} would shadow {name}, which the generated package "
            "depends on; choose another name"
        )
    if base is not None and name == base.split(".")[0]:
        raise GeneratorError(
            f"--package {name!r} is the base package's name; choose another name"
        )
    return name


def progress_printer(quiet: bool) -> Callable[[str], None] | None:
    """One line on stderr as each long phase starts (stdout keeps the summary)."""
    if quiet:
        return None

    def say(message: str) -> None:
        print(f"{message} ...", file=sys.stderr, flush=True)

    return say


def _run_key(args: argparse.Namespace, settings: dict[str, object]) -> str:
    from importlib.metadata import version

    from .freshness import GENERATOR_DIR, run_key
    from .load import find_spec_files, read_kubernetes_version
    from .render import TEMPLATES_DIR

    files = find_spec_files(args.spec)
    # black formats part of the output on every run (all of it with --black)
    tools = {"jinja2": version("jinja2"), "black": version("black")}
    return run_key(
        files,
        [GENERATOR_DIR, TEMPLATES_DIR],
        {
            **settings,
            "kubernetes_version": read_kubernetes_version(args.spec),
            "tools": tools,
        },
    )


def generate(args: argparse.Namespace) -> None:
    from . import freshness
    from .output import check_overwrite, write_tree
    from .render import render_package

    timer = Timer()
    source = check_source(args)
    base = check_base_package(args.base_package)
    package = check_package_name(args.package, base[0] if base else None)
    version = (
        check_version("--package-version", args.package_version)
        if args.package_version
        else None
    )
    if not args.force:
        check_overwrite(args.out, package)  # before anything is written, the cache too
    progress = progress_printer(args.quiet)
    cache_dir = None if args.no_cache else (args.cache_dir or args.out / ".cache")
    key = stamp = None
    if cache_dir is not None and not args.from_cluster:
        key = _run_key(
            args,
            {
                "package": package,
                "base": base,
                "version": version or (base[1] if base else None),
                "validate": not args.no_validate,
                "black": args.black,
            },
        )
        stamp = freshness.stamp_path(cache_dir, args.out, package)
        summary = freshness.up_to_date(stamp, key, args.out, package)
        timer.lap("check")
        if summary is not None:
            print(f"{args.out / package} is up to date ({summary}); nothing written")
            if args.timings:
                print(timer.report())
            return
    universe = load_universe(
        source,
        validate=not args.no_validate,
        cache_dir=cache_dir,
        jobs=args.jobs,
        cluster=args if args.from_cluster else None,
        timer=timer,
        base_package=base[0] if base else None,
        progress=progress,
    )
    if progress:
        progress("rendering the package")
    rendered = render_package(
        universe,
        package,
        version=version or (base[1] if base else None),
        base_requirement=f"{base[0]}=={base[1]}" if base else None,
    )
    timer.lap("render")
    files = rendered.files
    # Most of the package is rendered exactly as black lays it out; black runs on
    # the rest only, or on everything with --black (a double check).
    to_format = sorted(rendered.python) if args.black else rendered.needs_black()
    if to_format:
        from .formatting import format_sources

        if progress:
            progress(f"formatting {len(to_format)} files with black")
        formatted = format_sources(
            {p: str(files[p]) for p in to_format}, cache_dir=cache_dir, jobs=args.jobs
        )
        files = {**files, **formatted}
        timer.lap("format")
    if progress:
        progress(f"writing {args.out / package}")
    write_tree(args.out, package, files)
    python_files = sum(1 for p in files if p.endswith(".py"))
    summary = (
        f"{len(universe.schemas)} models in {len(universe.modules)} modules, "
        f"{sum(len(gv.resources) for gv in universe.group_versions())} resources in "
        f"{len(universe.group_versions())} group-versions ({python_files} Python files)"
    )
    if stamp is not None and key is not None:
        freshness.record(stamp, key, files, summary)
    timer.lap("write")
    print(f"generated {args.out / package}: {summary}")
    if args.timings:
        print(timer.report())


def dump_ir(args: argparse.Namespace) -> None:
    universe = load_universe(
        check_source(args),
        validate=not args.no_validate,
        cache_dir=None,
        jobs=args.jobs,
        cluster=args if args.from_cluster else None,
    )
    text = (
        json.dumps(universe.to_json(), indent=1, sort_keys=False, ensure_ascii=False)
        + "\n"
    )
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")


def api_diff(args: argparse.Namespace) -> None:
    import os

    from . import diff, diff_report

    roots = diff.specs_roots(os.environ.get("KUBECLIENT_SPECS"))

    def load(arg: str) -> Universe:
        candidates = diff.spec_candidates(arg, roots)
        path = next((p for p in candidates if p.exists()), None)
        if path is None:
            tried = ", ".join(str(p) for p in candidates)
            raise GeneratorError(f"{arg}: no spec found (tried {tried})")
        # Validated as `generate` does (about 4 s a release): a report read from
        # documents the generator would reject would be silently wrong.
        return load_universe(
            [str(path)], validate=not args.no_validate, cache_dir=None, jobs=None
        )

    report = diff.diff_universes(
        load(args.old),
        load(args.new),
        descriptions=args.verbose,
        labels=(args.old, args.new),
    )
    text = (
        diff_report.render_json(report)
        if args.format == "json"
        else diff_report.render_markdown(report)
    )
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv.pop(0) if argv and argv[0] in COMMANDS else "generate"
    parser = build_parser()[command]
    args = parser.parse_args(argv)
    try:
        if command == "ir":
            dump_ir(args)
        elif command == "diff":
            api_diff(args)
        else:
            generate(args)
    except GeneratorError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the output directory was not changed", file=sys.stderr)
        return 130
    return 0
