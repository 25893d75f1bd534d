"""Command line: ``python -m generator [generate|ir] ...``."""

from __future__ import annotations

import argparse
import json
import keyword
import sys
import time
from collections.abc import Sequence
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
        "specs (or versions: 1.35 1.36).",
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
        help="cache of validation and formatting results (default: OUT/.cache)",
    )
    generate.add_argument(
        "--no-cache", action="store_true", help="do not read or write the cache"
    )
    generate.add_argument(
        "--base-package",
        metavar="NAME",
        help="for CRD manifests given alone: a generated package (e.g. kubeclient) whose "
        "runtime and meta types the new package uses instead of its own",
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
) -> Universe:
    from .load import load_documents, load_spec
    from .model import build_universe

    if cluster is not None:
        from . import fetch

        fetched = fetch.fetch_cluster(cluster.kubeconfig, cluster.context)
        fetch.report_failures(fetched)
        if cluster.save_spec is not None:
            fetch.save_spec(fetched, cluster.save_spec)
        spec = load_documents(fetched.documents, validate=validate)
        spec.kubernetes_version = fetched.kubernetes_version
    else:
        spec = load_spec(paths, validate=validate, cache_dir=cache_dir, jobs=jobs)
    if timer:
        timer.lap("load")
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


def check_base_package(name: str | None) -> str | None:
    if name is not None and not all(
        part.isidentifier() and not keyword.iskeyword(part) for part in name.split(".")
    ):
        raise GeneratorError(f"--base-package {name!r} is not a Python package name")
    return name


def check_package_name(name: str) -> str:
    if not name.isidentifier() or keyword.iskeyword(name) or not name.isascii():
        raise GeneratorError(f"--package {name!r} is not a valid Python package name")
    return name


def generate(args: argparse.Namespace) -> None:
    from .formatting import format_sources
    from .output import write_tree
    from .render import render_package

    package = check_package_name(args.package)
    cache_dir = None if args.no_cache else (args.cache_dir or args.out / ".cache")
    timer = Timer()
    universe = load_universe(
        check_source(args),
        validate=not args.no_validate,
        cache_dir=cache_dir,
        jobs=args.jobs,
        cluster=args if args.from_cluster else None,
        timer=timer,
        base_package=check_base_package(args.base_package),
    )
    rendered = render_package(universe, package)
    timer.lap("render")
    formatted = format_sources(
        {p: str(rendered.files[p]) for p in sorted(rendered.python)},
        cache_dir=cache_dir,
        jobs=args.jobs,
    )
    files = {**rendered.files, **formatted}
    timer.lap("format")
    write_tree(args.out, package, files)
    timer.lap("write")
    python_files = sum(1 for p in files if p.endswith(".py"))
    print(
        f"generated {args.out / package}: {len(universe.schemas)} models in "
        f"{len(universe.modules)} modules, {sum(len(gv.resources) for gv in universe.group_versions())} "
        f"resources in {len(universe.group_versions())} group-versions ({python_files} Python files)"
    )
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

    from . import diff

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
        diff.render_json(report)
        if args.format == "json"
        else diff.render_markdown(report)
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
