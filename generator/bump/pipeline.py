"""``python -m generator bump``: the steps in order, and the exit code CI reads.

Exit codes (generator.bump.steps): 0 every step passed and no change breaks code
written for the old package; 10 every step passed and the report lists breaking
changes; 20-25 the step that failed (fetch, version, generate, check, report,
build), named on stderr; 2 a usage error.

WORK (``--work``, default build/bump) receives: specs/v<version>/ (what was
downloaded or read from a cluster), package/ (the generated package, unless
--out), report.md, report.json, dist/ (sdist and wheel) and summary.json (what
a CI job needs next: version, breaking count, file paths, exit code).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..cli import check_package_name, progress_printer
from ..errors import GeneratorError
from . import steps
from .steps import StepFailed

_VERSION_HELP = "a Kubernetes release: 1.36, or the patch release 1.36.2"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m generator bump",
        description="A Kubernetes version bump in one command: get the new spec, "
        "regenerate the package, self-check it, write the API change report, set the "
        "package version, build a reproducible sdist and wheel. Exit code: 0 "
        "compatible, 10 breaking changes, 20-25 the step that failed (fetch, "
        "version, generate, check, report, build).",
    )
    parser.add_argument("--from", dest="old", required=True, help=_VERSION_HELP)
    parser.add_argument("--to", dest="new", required=True, help=_VERSION_HELP)
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--spec-source",
        metavar="DIR|URL",
        help="a spec folder (the new release), a folder of v1.NN folders, or a URL "
        "template of the Kubernetes repository's api/openapi-spec/v3/ folder, e.g. "
        "https://raw.githubusercontent.com/kubernetes/kubernetes/v{version}/api/"
        "openapi-spec/v3/ ({version}: as given to --from/--to, {minor}: 1.36); "
        "default: v<version> in $KUBECLIENT_SPECS, ../shared/specs or specs/kubernetes",
    )
    source.add_argument(
        "--from-cluster",
        action="store_true",
        help="read the new release's /openapi/v3 from the cluster of the kubeconfig",
    )
    parser.add_argument("--kubeconfig", help="with --from-cluster")
    parser.add_argument("--context", help="with --from-cluster")
    parser.add_argument(
        "--from-spec",
        type=Path,
        metavar="PATH",
        help="the old release's spec (default: from --spec-source, else local)",
    )
    parser.add_argument("--package", default="kubeclient", help="default: kubeclient")
    parser.add_argument(
        "--package-version",
        metavar="VERSION",
        help="default: the new spec's Kubernetes release (its .version: v1.36.2 -> "
        "1.36.2)",
    )
    parser.add_argument(
        "--work", type=Path, default=Path("build/bump"), help="default: build/bump"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="the package's folder (WORK/package)"
    )
    parser.add_argument(
        "--fixtures",
        type=Path,
        metavar="DIR",
        help="objects to round-trip through the package's models (one per *.json "
        "file, as kubernetes/api's testdata/HEAD)",
    )
    parser.add_argument(
        "--skip-typecheck",
        action="store_true",
        help="no mypy --strict of the package (saves a minute or two)",
    )
    parser.add_argument(
        "--no-build-isolation",
        action="store_true",
        help="build with the build backend (hatchling) installed here instead of a "
        "fresh environment that pip fills (no network needed)",
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="HTTP timeout in seconds"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser


class _Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work: Path = args.work
        self.out: Path = args.out or self.work / "package"
        self.cache = self.work / "cache"
        self.say = progress_printer(args.quiet)
        self.timings: dict[str, float] = {}
        self.summary: dict[str, Any] = {
            "from": args.old,
            "to": args.new,
            "package": args.package,
        }

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self.say:
            self.say(f"bump: {name}")
        start = time.perf_counter()
        try:
            yield
        except GeneratorError as err:
            raise StepFailed(name, str(err)) from None
        except OSError as err:  # a disk full, a folder not writable ...
            raise StepFailed(name, f"{type(err).__name__}: {err}") from None
        finally:
            self.timings[name] = round(time.perf_counter() - start, 2)

    def run(self) -> int:
        from .http_fetch import minor_of
        from .source import SpecRequest, spec_folders

        args = self.args
        package = args.package  # checked by main()
        with self.step("fetch"):
            folders = spec_folders(
                SpecRequest(
                    old_version=args.old,
                    new_version=args.new,
                    spec_source=args.spec_source,
                    from_spec=args.from_spec,
                    from_cluster=args.from_cluster,
                    kubeconfig=args.kubeconfig,
                    context=args.context,
                    work=self.work,
                    timeout=args.timeout,
                ),
                self.say,
            )
            self.summary["specs"] = {"old": str(folders.old), "new": str(folders.new)}
        with self.step("version"):
            from .versioning import package_version

            version = package_version(folders.new, args.new, args.package_version)
            self.summary["version"] = version
            self.summary["minor"] = minor_of(version)
        with self.step("generate"):
            from .regenerate import regenerate

            regenerate(folders.new, self.out, package, version, self.cache, args.quiet)
            self.summary["out"] = str(self.out)
        with self.step("check"):
            from . import selfcheck

            checks: dict[str, Any] = {
                "modules_imported": selfcheck.check_imports(self.out, package)
            }
            if args.fixtures is not None:
                checks["fixtures_round_tripped"] = selfcheck.check_round_trip(
                    self.out, package, args.fixtures
                )
            if not args.skip_typecheck:
                selfcheck.check_types(self.out, package, self.cache / "mypy")
            checks["mypy_strict"] = not args.skip_typecheck
            self.summary["checks"] = checks
        with self.step("report"):
            from .report import write_report

            markdown, json_path = self.work / "report.md", self.work / "report.json"
            report = write_report(
                folders.old,
                folders.new,
                (args.old, args.new),
                markdown,
                json_path,
                self.cache,
            )
            breaking = len(report.breaking)
            self.summary["breaking"] = breaking
            self.summary["compatible"] = len(report.changes) - breaking
            self.summary["report"] = {"markdown": str(markdown), "json": str(json_path)}
        with self.step("build"):
            from .wheels import build_dists

            built = build_dists(
                self.out,
                package,
                self.work / "dist",
                isolation=not args.no_build_isolation,
            )
            self.summary["dist"] = [str(p) for p in built]
        return steps.BREAKING if breaking else steps.OK

    def write_summary(self, code: int, failure: StepFailed | None) -> None:
        self.summary["exit_code"] = code
        self.summary["failed_step"] = failure.step if failure else None
        self.summary["timings"] = self.timings
        try:
            self.work.mkdir(parents=True, exist_ok=True)
            path = self.work / "summary.json"
            temporary = path.with_name(f".summary.{os.getpid()}.tmp")
            temporary.write_text(json.dumps(self.summary, indent=1) + "\n")
            os.replace(temporary, path)
        except OSError as err:
            print(
                f"warning: cannot write {self.work}/summary.json: {err}",
                file=sys.stderr,
            )


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv))
    if (args.kubeconfig or args.context) and not args.from_cluster:
        parser.error("--kubeconfig and --context go with --from-cluster")
    try:
        check_package_name(args.package)
    except GeneratorError as err:
        parser.error(str(err))
    run = _Run(args)
    failure = None
    try:
        code = run.run()
    except StepFailed as err:
        failure, code = err, err.exit_code
        print(f"error: {err}", file=sys.stderr)
    except KeyboardInterrupt:
        print("bump interrupted", file=sys.stderr)
        return steps.INTERRUPTED
    run.write_summary(code, failure)
    if failure is None:
        s = run.summary
        verdict = f"{s['breaking']} breaking" if s["breaking"] else "compatible"
        print(
            f"bump {args.old} -> {args.new}: {s['package']} {s['version']}, {verdict} "
            f"({s['compatible']} compatible changes); report {s['report']['markdown']}; "
            f"dist {', '.join(Path(p).name for p in s['dist'])}"
        )
    return code
