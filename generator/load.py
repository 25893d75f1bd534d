"""Room 1, load: spec documents (files, directories) -> validated plain dicts.

Accepts what a cluster serves at ``/openapi/v3``: one OpenAPI v3 document per
group-version (``apis__apps__v1_openapi.json``), a single document (JSON or
YAML), or a list of such paths. Every document is validated with
openapi-spec-validator; schemas that several documents repeat (ObjectMeta,
Status, ...) are merged once, and a conflicting duplicate is an error.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import GeneratorError, SpecError, json_pointer
from .runtime.machinery import crd
from .runtime.machinery.openapi import SCHEMA_REF_PREFIX, iter_refs, schema_refs

SPEC_SUFFIXES = (".json", ".yaml", ".yml")
GVK_EXTENSION = "x-kubernetes-group-version-kind"


@dataclass(frozen=True)
class SpecDocument:
    """One OpenAPI document as read from disk (or a cluster)."""

    source: str  # where it came from, for error messages
    content: dict[str, Any]
    digest: str  # sha256 of the raw bytes, for the validation cache


@dataclass
class Spec:
    """All documents merged: the input of the model room (plain dicts only)."""

    documents: list[SpecDocument]
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    schema_sources: dict[str, str] = field(default_factory=dict)
    #: path -> (path item, source document)
    paths: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)
    #: Kubernetes release, from a ``.version`` file next to the documents, if any.
    kubernetes_version: str | None = None


# --------------------------------------------------------------------------- reading


def find_spec_files(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Expand directories; the result is sorted so the output never depends on order."""
    files: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = [
                p for p in path.iterdir() if p.suffix in SPEC_SUFFIXES and p.is_file()
            ]
            if not found:
                raise GeneratorError(
                    f"{path}: no spec documents (*.json, *.yaml) in this directory"
                )
            files.update(found)
        elif path.is_file():
            files.add(path)
        else:
            raise GeneratorError(f"{path}: no such file or directory")
    return sorted(files, key=lambda p: (p.name, str(p)))


def parse_documents(source: str, data: bytes) -> list[Any]:
    """JSON or YAML bytes -> every document in them, with the line of a syntax error."""
    if data.lstrip()[:1] in (b"{", b"["):
        try:
            return [json.loads(data)]
        except json.JSONDecodeError as err:
            raise SpecError(
                source,
                "",
                f"invalid JSON at line {err.lineno} column {err.colno}: {err.msg}",
            ) from None
        except UnicodeDecodeError as err:
            raise SpecError(source, "", f"not UTF-8 text: {err}") from None
    try:
        return [d for d in yaml.load_all(data, Loader=_yaml_loader()) if d is not None]
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise SpecError(source, "", f"invalid YAML{where}: {problem}") from None


def check_openapi(source: str, content: Any) -> dict[str, Any]:
    if not isinstance(content, dict):
        raise SpecError(source, "", "an OpenAPI document must be a JSON/YAML object")
    if "openapi" not in content:
        if "swagger" in content:
            raise SpecError(
                source,
                "/swagger",
                "this is an OpenAPI v2 (swagger) document; use the v3 documents "
                "a cluster serves at /openapi/v3",
            )
        raise SpecError(
            source,
            "",
            "not an OpenAPI v3 document (no 'openapi' field) nor a "
            "CustomResourceDefinition",
        )
    return content


def parse_document(source: str, data: bytes) -> dict[str, Any]:
    """One OpenAPI document from JSON or YAML bytes."""
    documents = parse_documents(source, data)
    if len(documents) != 1:
        raise SpecError(
            source, "", f"expected one OpenAPI document, found {len(documents)}"
        )
    return check_openapi(source, documents[0])


def _yaml_loader() -> type[yaml.SafeLoader]:
    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return base


def read_documents(
    paths: Sequence[str | os.PathLike[str]],
    progress: Callable[[str], None] | None = None,
) -> tuple[list[SpecDocument], list[tuple[str, dict[str, Any]]]]:
    """OpenAPI documents, and CustomResourceDefinition manifests (converted later,
    once the meta types they refer to are known)."""
    documents = []
    crds: list[tuple[str, dict[str, Any]]] = []
    files = find_spec_files(paths)
    if progress:
        progress(f"reading {len(files)} spec file{'s' if len(files) != 1 else ''}")
    for path in files:
        data = path.read_bytes()
        parsed = parse_documents(str(path), data)
        if parsed and all(crd.is_crd(d) for d in parsed):
            for index, manifest in enumerate(parsed):
                crds.append(
                    (f"{path}" + (f"[{index}]" if len(parsed) > 1 else ""), manifest)
                )
            continue
        if len(parsed) != 1:
            raise SpecError(
                str(path),
                "",
                f"expected one OpenAPI document or CRD manifests, found {len(parsed)} documents",
            )
        content = check_openapi(str(path), parsed[0])
        check_local_refs(str(path), content)
        documents.append(
            SpecDocument(
                source=str(path),
                content=content,
                digest=hashlib.sha256(data).hexdigest(),
            )
        )
    return documents, crds


def crd_spec_documents(
    crds: Sequence[tuple[str, dict[str, Any]]], known: dict[str, dict[str, Any]]
) -> list[SpecDocument]:
    """The OpenAPI documents a cluster would serve for these CRDs."""
    documents = []
    for source, manifest in crds:
        try:
            served = crd.crd_documents(manifest, known)
        except crd.CRDError as err:
            raise SpecError(source, err.pointer, err.message) from None
        for version, content in served:
            label = f"{source}#{version}"
            digest = hashlib.sha256(
                json.dumps(content, sort_keys=True).encode()
            ).hexdigest()
            documents.append(SpecDocument(source=label, content=content, digest=digest))
    return documents


def check_local_refs(source: str, content: dict[str, Any]) -> None:
    """Each document must resolve its own references (as the validator requires)."""
    components = content.get("components")
    schemas = components.get("schemas") if isinstance(components, dict) else None
    _check_refs(content, source, [], schemas if isinstance(schemas, dict) else {})


def read_kubernetes_version(paths: Sequence[str | os.PathLike[str]]) -> str | None:
    """The ``.version`` file the upstream spec folders carry (``v1.36.2``)."""
    for raw in paths:
        path = Path(raw)
        folder = path if path.is_dir() else path.parent
        version_file = folder / ".version"
        if version_file.is_file():
            version = version_file.read_text().strip()
            if version:
                return version
    return None


# --------------------------------------------------------------------------- validation


class _IdSet(set[Any]):
    """The validator keeps the schemas and operation ids it has seen in lists (a
    linear scan per lookup, quadratic over a whole release); a set that answers
    ``append`` keeps its behaviour and makes the lookups constant-time."""

    def append(self, item: Any) -> None:
        self.add(item)


def _validator_class() -> Any:
    from openapi_spec_validator import OpenAPIV30SpecValidator
    from openapi_spec_validator.validation import keywords

    class KubernetesDefaultValidator(keywords.OpenAPIV30ValueValidator):
        """Kubernetes marks non-pointer struct fields ``default: {}`` (Go's zero value)
        even where the struct has required fields; every real cluster serves that,
        so an empty-object default is accepted. Other defaults are checked."""

        def __call__(self, schema: Any, value: Any) -> Any:
            if value == {}:
                return iter(())
            return super().__call__(schema, value)

    class SchemaValidator(keywords.OpenAPIV30SchemaValidator):
        """Checks each distinct schema against the OpenAPI schema dialect once: the
        same parameter schemas ({"type": "string", "uniqueItems": true} ...) come
        with every operation, thousands of times in a release."""

        def __init__(self, registry: Any) -> None:
            super().__init__(registry)
            self._meta_checked: dict[str, Any] = {}
            # declared as lists; only `in` and `append` are used on them
            self.visited_schema_ids = _IdSet()  # type: ignore[assignment]
            self.meta_checked_schema_ids = _IdSet()  # type: ignore[assignment]

        def _validate_schema_meta(self, schema: Any, schema_value: Any) -> Any:
            try:
                key = json.dumps(schema_value, sort_keys=True)
            except (TypeError, ValueError):
                return super()._validate_schema_meta(schema, schema_value)
            if key not in self._meta_checked:
                self._meta_checked[key] = super()._validate_schema_meta(
                    schema, schema_value
                )
            return self._meta_checked[key]

    class OperationValidator(keywords.OperationValidator):
        def __init__(self, registry: Any) -> None:
            super().__init__(registry)
            self.operation_ids_registry = _IdSet()  # type: ignore[assignment]

    class KubernetesSpecValidator(OpenAPIV30SpecValidator):
        keyword_validators = {  # noqa: RUF012 - the base class declares it so
            **OpenAPIV30SpecValidator.keyword_validators,
            "default": KubernetesDefaultValidator,
            "schema": SchemaValidator,
            "operation": OperationValidator,
        }

    return KubernetesSpecValidator


@contextlib.contextmanager
def _protocol_checks_cached() -> Iterator[None]:
    """Python 3.11 recomputes a runtime-checkable protocol's members on every
    ``isinstance`` (3.12 computes them once per class); the validator's path
    library checks ``isinstance(node, Subscriptable)`` for every node it visits,
    which was a third of the validation time. For the validation's duration the
    members are computed once per class (a pure function of the class)."""
    import typing

    names = ("_get_protocol_attrs", "_is_callable_members_only")
    originals = {name: getattr(typing, name, None) for name in names}
    if sys.version_info >= (3, 12) or None in originals.values():
        yield
        return
    for name, function in originals.items():
        setattr(typing, name, functools.cache(function))  # type: ignore[arg-type]
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(typing, name, function)


def _first_error(content: dict[str, Any]) -> tuple[str, str] | None:
    validator = _validator_class()(content)
    try:
        with _protocol_checks_cached():
            for error in validator.iter_errors():
                where = getattr(error, "absolute_path", None) or getattr(
                    error, "path", ()
                )
                message = getattr(error, "message", None) or str(error)
                return json_pointer(list(where or ())), message.splitlines()[0]
    except Exception as err:  # the validator itself gave up on this document
        return "", f"validator failed: {type(err).__name__}: {str(err)[:300]}"
    return None


def validation_error(content: dict[str, Any]) -> tuple[str, str] | None:
    """Validate one document; return (JSON pointer, message) of the first problem."""
    return _first_error(content)


def _validator_version() -> str:
    try:
        from importlib.metadata import version

        return version("openapi-spec-validator")
    except Exception:
        return "unknown"


def _skeleton(content: dict[str, Any]) -> dict[str, Any]:
    """A document without its paths and schemas: what merging leaves unchecked."""
    components = content.get("components")
    skeleton = {**content, "paths": {}}
    if isinstance(components, dict):
        skeleton["components"] = {k: v for k, v in components.items() if k != "schemas"}
    return skeleton


def _merged(documents: Sequence[SpecDocument]) -> dict[str, Any]:
    """One document with every path and schema of ``documents`` (each schema once:
    merging has checked that the repeated ones are the same)."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for index, doc in enumerate(documents):
        components = doc.content.get("components")
        found = components.get("schemas") if isinstance(components, dict) else None
        for name, schema in (found if isinstance(found, dict) else {}).items():
            schemas.setdefault(name, schema)
        items = doc.content.get("paths")
        for path, item in (items if isinstance(items, dict) else {}).items():
            paths.setdefault(path, _own_operation_ids(item, index))
    return {
        "openapi": documents[0].content.get("openapi", "3.0.0"),
        "info": {"title": "merged", "version": "0"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _own_operation_ids(item: Any, index: int) -> Any:
    """Operation ids must be unique within a document, not across documents: in the
    merged document each gets its document's number (the schemas stay the same
    objects: the validator checks each object once)."""
    if not isinstance(item, dict):
        return item
    renamed = {}
    for method, operation in item.items():
        if isinstance(operation, dict) and isinstance(
            operation.get("operationId"), str
        ):
            operation = {
                **operation,
                "operationId": f"{index}:{operation['operationId']}",
            }
        renamed[method] = operation
    return renamed


def _bins(documents: Sequence[SpecDocument], count: int) -> list[list[SpecDocument]]:
    """``count`` groups of documents of about the same size (biggest first, each
    to the lightest group), in input order inside each group."""
    weight = {doc.source: len(json.dumps(doc.content)) for doc in documents}
    groups: list[list[SpecDocument]] = [[] for _ in range(max(1, count))]
    loads = [0] * len(groups)
    for doc in sorted(documents, key=lambda d: -weight[d.source]):
        lightest = loads.index(min(loads))
        groups[lightest].append(doc)
        loads[lightest] += weight[doc.source]
    order = {doc.source: i for i, doc in enumerate(documents)}
    return [sorted(g, key=lambda d: order[d.source]) for g in groups if g]


#: the merged documents a forked worker validates (inherited, not pickled)
_PENDING_BINS: list[dict[str, Any]] = []


def _validate_bin(index: int) -> tuple[str, str] | None:
    return validation_error(_PENDING_BINS[index])


def _validate_bins(
    bins: list[dict[str, Any]], jobs: int
) -> list[tuple[str, str] | None]:
    import multiprocessing

    if (
        jobs < 2
        or len(bins) < 2
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return [validation_error(b) for b in bins]
    _PENDING_BINS[:] = bins
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=len(bins), mp_context=context) as pool:
            return list(pool.map(_validate_bin, range(len(bins))))
    finally:
        _PENDING_BINS.clear()


def validate_documents(
    documents: Sequence[SpecDocument],
    cache_dir: Path | None = None,
    jobs: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Validate every document, raising SpecError for the first bad one.

    The documents of a release repeat the same shared schemas (ObjectMeta,
    Status ...): validating each document alone checks them ~60 times. So the
    documents are merged into one document per worker and those are validated;
    only when one fails are its documents validated one by one, to name the
    document and pointer exactly as a document-by-document validation would
    (and a failure that no single document shows, such as an operation id two
    documents share, is not one). The top-level fields of each document, which
    merging drops, are validated per document (cheap).

    A set of documents validated before (same bytes, same validator version) is
    not validated again: regenerating an unchanged spec stays fast.
    """
    if not documents:
        return
    stamp = None
    if cache_dir is not None:
        key = hashlib.sha256()
        for doc in documents:
            key.update(f"{doc.source}\0{doc.digest}\0".encode())
        stamp = cache_dir / "validated" / _validator_version() / key.hexdigest()
        if stamp.exists():
            return
    if progress:
        plural = "s" if len(documents) != 1 else ""
        progress(f"validating {len(documents)} document{plural}")
    for doc in documents:
        problem = _first_error(_skeleton(doc.content))
        if problem is not None:
            _raise(doc, problem)
    jobs = jobs or os.cpu_count() or 1
    groups = _bins(documents, min(jobs, 2) if len(documents) > 1 else 1)
    outcomes = _validate_bins([_merged(g) for g in groups], jobs)
    for group, outcome in zip(groups, outcomes, strict=True):
        if outcome is None:
            continue
        for doc in group:  # which one: the slow way, on failure only
            problem = validation_error(doc.content)
            if problem is not None:
                _raise(doc, problem)
    if stamp is not None:
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()


def _raise(doc: SpecDocument, problem: tuple[str, str]) -> None:
    pointer, message = problem
    raise SpecError(doc.source, pointer, f"invalid OpenAPI document: {message}")


# --------------------------------------------------------------------------- merging


def _without_gvk(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != GVK_EXTENSION}


def _first_difference(a: Any, b: Any, path: list[object]) -> list[object]:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b or a[key] != b[key]:
                if key in a and key in b:
                    return _first_difference(a[key], b[key], [*path, key])
                return [*path, key]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return _first_difference(x, y, [*path, index])
    return path


def _gvk_list(value: Any) -> list[dict[str, str]]:
    if isinstance(value, dict):
        return [value]
    return list(value) if isinstance(value, list) else []


def _check_refs(
    value: Any, source: str, path: list[object], known: dict[str, Any] | None = None
) -> None:
    """Only local component refs are supported; anything else is named precisely."""
    for ref, where in iter_refs(value, path):
        if not isinstance(ref, str) or not ref.startswith(SCHEMA_REF_PREFIX):
            raise SpecError(
                source,
                json_pointer([*where, "$ref"]),
                f"unsupported reference {ref!r}: only {SCHEMA_REF_PREFIX}<name> is supported",
            )
        if known is not None and ref[len(SCHEMA_REF_PREFIX) :] not in known:
            raise SpecError(
                source,
                json_pointer([*where, "$ref"]),
                f"reference to undefined schema {ref[len(SCHEMA_REF_PREFIX):]!r}",
            )


def merge_documents(documents: Sequence[SpecDocument]) -> Spec:
    """Merge schemas and paths of all documents, rejecting conflicting duplicates."""
    spec = Spec(documents=list(documents))
    for doc in documents:
        components = doc.content.get("components") or {}
        schemas = (
            components.get("schemas") or {} if isinstance(components, dict) else {}
        )
        if not isinstance(schemas, dict):
            raise SpecError(doc.source, "/components/schemas", "must be an object")
        for name, schema in schemas.items():
            where = ["components", "schemas", name]
            if not isinstance(schema, dict):
                raise SpecError(
                    doc.source, json_pointer(where), "a schema must be an object"
                )
            known = spec.schemas.get(name)
            if known is None:
                spec.schemas[name] = schema
                spec.schema_sources[name] = doc.source
                continue
            if _without_gvk(known) != _without_gvk(schema):
                diff = _first_difference(
                    _without_gvk(known), _without_gvk(schema), where
                )
                raise SpecError(
                    doc.source,
                    json_pointer(diff),
                    f"schema {name!r} conflicts with its definition in "
                    f"{spec.schema_sources[name]}",
                )
            # The same meta type (DeleteOptions, WatchEvent ...) lists the group of
            # the document it is served in: the union is the truth.
            gvks = _gvk_list(known.get(GVK_EXTENSION)) + _gvk_list(
                schema.get(GVK_EXTENSION)
            )
            if gvks:
                unique = {json.dumps(g, sort_keys=True): g for g in gvks}
                spec.schemas[name] = {
                    **known,
                    GVK_EXTENSION: [unique[k] for k in sorted(unique)],
                }
        paths = doc.content.get("paths") or {}
        if not isinstance(paths, dict):
            raise SpecError(doc.source, "/paths", "must be an object")
        for path, item in paths.items():
            where = ["paths", path]
            if not isinstance(item, dict):
                raise SpecError(
                    doc.source, json_pointer(where), "a path item must be an object"
                )
            known_item = spec.paths.get(path)
            if known_item is not None and known_item[0] != item:
                raise SpecError(
                    doc.source,
                    json_pointer(where),
                    f"path conflicts with its definition in {known_item[1]}",
                )
            spec.paths[path] = (item, doc.source)
    return spec


def load_spec(
    paths: Sequence[str | os.PathLike[str]],
    *,
    validate: bool = True,
    cache_dir: Path | None = None,
    jobs: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Spec:
    """Read, validate and merge spec documents (and CRD manifests) from files and directories."""
    documents, crds = read_documents(paths, progress)
    if validate:
        validate_documents(documents, cache_dir=cache_dir, jobs=jobs, progress=progress)
    spec = merge_documents(documents)
    if crds:
        derived = crd_spec_documents(crds, spec.schemas)
        if validate:
            validate_documents(
                derived, cache_dir=cache_dir, jobs=jobs, progress=progress
            )
        spec = merge_documents([*documents, *derived])
    spec.kubernetes_version = read_kubernetes_version(paths)
    return spec


def load_documents(
    documents: Sequence[SpecDocument],
    *,
    validate: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Spec:
    """Validate and merge documents that did not come from files (e.g. a cluster)."""
    for doc in documents:
        check_local_refs(doc.source, doc.content)
    if validate:
        validate_documents(documents, jobs=1, progress=progress)
    return merge_documents(documents)


# --------------------------------------------------------------------------- serving


def served_path(path: str) -> str:
    """The /openapi/v3 document a path belongs to: ``apis/apps/v1``, ``api/v1``,
    ``apis/apps`` (group discovery), ``version`` ... as a cluster's index lists them."""
    segments = [s for s in path.split("/") if s]
    if segments[:1] == ["api"]:
        return "/".join(segments[:2])
    if segments[:1] == ["apis"]:
        return "/".join(segments[:3])
    fixed = []
    for s in segments:
        if s.startswith("{"):
            break
        fixed.append(s)
    return "/".join(fixed) or "root"


def served_documents(spec: Spec) -> dict[str, dict[str, Any]]:
    """The merged spec split back into per group-version documents, each with the
    schemas its paths reach: what a test API server serves at /openapi/v3/<path>."""
    by_doc: dict[str, dict[str, Any]] = {}
    for path in sorted(spec.paths):
        by_doc.setdefault(served_path(path), {})[path] = spec.paths[path][0]
    direct = {name: schema_refs(schema) for name, schema in spec.schemas.items()}
    documents = {}
    for key, paths in sorted(by_doc.items()):
        pending = sorted(schema_refs(paths))
        reached: set[str] = set()
        while pending:
            name = pending.pop()
            if name not in reached and name in spec.schemas:
                reached.add(name)
                pending.extend(direct[name] - reached)
        documents[key] = {
            "openapi": "3.0.0",
            "info": {
                "title": "Kubernetes",
                "version": spec.kubernetes_version or "unversioned",
            },
            "paths": paths,
            "components": {"schemas": {n: spec.schemas[n] for n in sorted(reached)}},
        }
    return documents
