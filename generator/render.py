"""Room 3, render: IR -> source files, through the Jinja templates in ``templates/``.

One small renderer per output kind (as client-go's code-generator has one
generator per output): the models modules, the models registry, the package
root. Every piece of spec text goes through generator.pysource before it
reaches a template, and templates are rendered with autoescape off but never
with raw spec strings.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from . import pysource, render_aio_informers, render_clients, render_informers
from .ir import Field, Schema, Subresource, TypeRef, Universe
from .pytypes import py_type
from .render_clients import runtime_prefix
from .surface import build_surface

TEMPLATES_DIR = Path(
    os.environ.get(
        "KUBECLIENT_TEMPLATES", Path(__file__).resolve().parent.parent / "templates"
    )
)
RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
GENERATOR_NAME = "kubeclient-generator"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["pystr"] = pysource.py_str
    env.filters["docstring"] = pysource.docstring
    env.filters["pytuple"] = pysource.py_tuple
    env.globals["query_constant"] = pysource.query_constant
    env.globals["tuple_line"] = pysource.tuple_line
    env.globals["import_at"] = pysource.import_at
    env.globals["client_call"] = pysource.client_call
    env.globals["gvk_call"] = pysource.gvk_call
    return env


# --------------------------------------------------------------------------- types


def field_annotation(
    t: TypeRef, universe: Universe, module: str
) -> tuple[str, str | None, set[str], set[str]]:
    """(annotation, codec, runtime names, modules) for a model field."""
    pt = py_type(t, universe, module)
    names = set(pt.names)
    if t.kind in ("date-time", "micro-time"):
        alias = "MicroTime" if t.kind == "micro-time" else "Time"
        names = {pt.codec or "", alias}
        return alias, pt.codec, names, set(pt.modules)
    if t.kind == "ref":
        return f"Obj[{pt.read}]", pt.codec, names | {"Obj"}, set(pt.modules)
    if pt.codec is not None and t.items is not None:
        inner = py_type(t.items, universe, module)
        names = set(inner.names) | ({"L"} if t.kind == "array" else {"D"})
        if t.items.kind in ("array", "map") and inner.codec is not None:
            # Nested views (a list of lists of models): spell the descriptor out,
            # so that plain nested lists are accepted on assignment.
            read, write = pt.read, _write_type(t, universe, module)
            annotation = f"Field[{read} | None, {write} | None]"
            extra = {"Field", "ListView", "MapView", "Sequence", "Mapping"}
            return annotation, pt.codec, names | extra, set(pt.modules)
        alias = "Lst" if t.kind == "array" else "Map"
        return f"{alias}[{inner.read}]", pt.codec, names | {alias}, set(pt.modules)
    return f"Opt[{pt.read}]", None, names | {"Opt"}, set(pt.modules)


def _write_type(t: TypeRef, universe: Universe, module: str) -> str:
    """The type an assignment accepts: plain sequences and mappings of the items."""
    if t.kind in ("array", "map") and t.items is not None:
        inner = _write_type(t.items, universe, module)
        return f"Sequence[{inner}]" if t.kind == "array" else f"Mapping[str, {inner}]"
    if t.kind in ("date-time", "micro-time"):
        return "datetime | str"
    return py_type(t, universe, module).read


# --------------------------------------------------------------------------- models


def external_modules(universe: Universe) -> set[str]:
    return {qualified.split(".")[0] for qualified in universe.external.values()}


def _field_args(f: Field, codec: str | None) -> list[str]:
    args = [pysource.py_str(f.wire)]
    if codec is not None:
        args.append(codec)
    args.append("default=None")
    if f.list_type:
        args.append(f"list_type={pysource.py_str(f.list_type)}")
    if f.map_keys:
        keys = ", ".join(pysource.py_str(k) for k in f.map_keys)
        args.append(f"map_keys=({keys}{',' if len(f.map_keys) == 1 else ''})")
    if f.map_type:
        args.append(f"map_type={pysource.py_str(f.map_type)}")
    if f.patch_strategy:
        args.append(f"patch_strategy={pysource.py_str(f.patch_strategy)}")
    if f.patch_merge_key:
        args.append(f"patch_merge_key={pysource.py_str(f.patch_merge_key)}")
    return args


def _field_doc(f: Field) -> str:
    doc = f.description.strip()
    extras = []
    if f.required:
        extras.append("Required.")
    if f.default not in (None, {}, [], "") and "default" not in doc.lower():
        extras.append(f"Defaults to {json.dumps(f.default, ensure_ascii=False)}.")
    if f.enum and not doc:
        extras.append("One of: " + ", ".join(str(v) for v in f.enum) + ".")
    return "\n\n".join(p for p in (doc, " ".join(extras)) if p)


def model_module_context(
    universe: Universe, module: str, package: str
) -> dict[str, Any]:
    mod = next(m for m in universe.modules if m.name == module)
    names: set[str] = {"Model", "F"}
    modules: set[str] = set()
    classes = []
    for sid in mod.schemas:
        schema = universe.schemas[sid]
        fields = []
        for f in schema.fields:
            annotation, codec, used, refs = field_annotation(f.type, universe, module)
            names |= used
            modules |= refs
            line = pysource.annotated_call(
                f.name, annotation, "F", _field_args(f, codec), 4
            )
            fields.append(
                {
                    "line": line,
                    "doc": (
                        pysource.docstring(_field_doc(f), 4) if _field_doc(f) else None
                    ),
                }
            )
        gvk = schema.gvk
        bases = ["Model"]
        if gvk is not None:
            bases += [
                f"api_version={pysource.py_str(gvk.api_version)}",
                f"kind={pysource.py_str(gvk.kind)}",
            ]
        if schema.map_type:
            bases.append(f"map_type={pysource.py_str(schema.map_type)}")
        header = pysource.call(f"class {schema.name}", bases, "", 0, suffix=":")
        classes.append(
            {
                "name": schema.name,
                "header": header,
                "doc": pysource.docstring(_class_doc(schema), 4),
                "fields": fields,
            }
        )
    names.discard("")
    stdlib = [
        *pysource.from_import("collections.abc", names & {"Sequence", "Mapping"}),
        *pysource.from_import("datetime", names & {"datetime"}),
        *pysource.from_import(
            "typing", ({"TYPE_CHECKING"} if modules else set()) | (names & {"Any"})
        ),
    ]
    runtime = names - {"Any", "datetime", "Sequence", "Mapping"}
    imports = pysource.import_block(
        stdlib, pysource.from_import(f"{runtime_prefix(universe, 1)}_model", runtime)
    )
    local = sorted(m for m in modules if m not in external_modules(universe))
    base = sorted(m for m in modules if m in external_modules(universe))
    type_imports = [
        *([pysource.import_from(".", local)] if local else []),
        *pysource.from_import(f"{universe.base_package}.models", base),
    ]
    return {
        "module": mod,
        "package": package,
        "title": _module_title(universe, module),
        "classes": classes,
        "all_names": [c["name"] for c in classes],
        "imports": imports,
        "type_modules": sorted(modules),
        "type_modules_import": "\n    ".join(type_imports),
        "kubernetes_version": universe.kubernetes_version,
    }


def _class_doc(schema: Schema) -> str:
    doc = schema.description.strip() or f"{schema.name} ({schema.id})."
    return doc


def _module_title(universe: Universe, module: str) -> str:
    mod = next(m for m in universe.modules if m.name == module)
    if mod.group is not None and mod.version is not None:
        api_version = f"{mod.group}/{mod.version}" if mod.group else mod.version
        return f"Models of the Kubernetes API group-version {api_version}."
    ids = sorted({sid.split("/")[0].rsplit(".", 1)[0] for sid in mod.schemas})
    return f"Models of {', '.join(ids)}."


def kinds_registry(universe: Universe) -> list[tuple[str, str, str, str]]:
    """(apiVersion, kind, module, class) for every kind a manifest can name."""
    rows = set()
    for schema in universe.schemas.values():
        for gvk in schema.gvks:
            if gvk.kind == schema.id.split(".")[-1]:
                rows.add((gvk.api_version, gvk.kind, schema.module, schema.name))
    # One class per (apiVersion, kind): the schema in the group-version's own module wins.
    chosen: dict[tuple[str, str], tuple[str, str, str, str]] = {}
    for row in sorted(rows):
        key = (row[0], row[1])
        if key not in chosen:
            chosen[key] = row
    return sorted(chosen.values())


# --------------------------------------------------------------------------- resources


@dataclass(frozen=True)
class ApiResource:
    """One row of ``_api.py``: a resource as the runtime sees it."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...]
    list_kind: str | None
    subresources: tuple[Subresource, ...]
    short_names: tuple[str, ...]
    categories: tuple[str, ...]
    singular: str
    model: str | None
    list_model: str | None


def api_resources(universe: Universe) -> list[ApiResource]:
    rows = []
    for gv in universe.group_versions():
        for r in gv.resources:
            if r.kind is None:
                continue
            model = universe.schemas.get(r.schema or "")
            list_model = universe.schemas.get(r.list_schema or "")
            rows.append(
                ApiResource(
                    group=gv.group,
                    version=gv.version,
                    plural=r.plural,
                    kind=r.kind.kind,
                    namespaced=r.namespaced,
                    verbs=r.verbs,
                    list_kind=list_model.name if list_model else None,
                    subresources=r.subresources,
                    short_names=r.short_names,
                    categories=r.categories,
                    singular=r.singular,
                    model=f"{model.module}.{model.name}" if model else None,
                    list_model=(
                        f"{list_model.module}.{list_model.name}" if list_model else None
                    ),
                )
            )
    return rows


# --------------------------------------------------------------------------- package


@dataclass
class RenderedPackage:
    """Relative path (from the output directory) -> file content."""

    files: dict[str, str | bytes]
    #: Python sources rendered from templates (what ``--black`` formats)
    python: set[str]
    #: those of them whose templates lay the code out exactly as black does (checked
    #: by the tests): the default run skips black for these, the bulk of the package
    black_stable: set[str]

    def needs_black(self) -> list[str]:
        """Rendered sources black may still change: those of the other templates,
        and any with a line too long for black's 88 columns (a name too long to fit,
        which black splits in its own way; UTF-8 bytes bound the display width)."""
        return sorted(
            path
            for path in self.python
            if path not in self.black_stable
            or pysource.black_may_split(str(self.files[path]))
        )


def package_version(universe: Universe) -> str:
    version = (universe.kubernetes_version or "").lstrip("v")
    parts = version.split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        return version
    return "0.0.0"


_META = "io.k8s.apimachinery.pkg.apis.meta.v1."


def _has_meta_types(universe: Universe) -> bool:
    """Whether meta_v1 has the ObjectMeta and ListMeta that PartialObjectMetadata uses."""
    return all(
        (found := universe.schemas.get(_META + name)) is not None
        and (found.module, found.name) == ("meta_v1", name)
        for name in ("ObjectMeta", "ListMeta")
    )


def render_package(
    universe: Universe,
    package: str,
    *,
    version: str | None = None,
    base_requirement: str | None = None,
) -> RenderedPackage:
    """Every file of the package. ``version``: the package's own (default: the
    Kubernetes release); ``base_requirement``: what a package on another
    package's runtime depends on (``kubeclient==1.36.2``; default: its name)."""
    env = environment()
    files: dict[str, str | bytes] = {}
    python: set[str] = set()
    black_stable: set[str] = set()
    base = universe.base_package
    common = {
        "package": package,
        "kubernetes_version": universe.kubernetes_version,
        "version": version or package_version(universe),
        "generator": GENERATOR_NAME,
        "base_package": base,
        "base_requirement": base_requirement or base,
        # where the runtime is, from the package root and from a subpackage
        "rt": runtime_prefix(universe, 0),
        "rt_up": runtime_prefix(universe, 1),
        "rt_package": base or ".",
    }

    def emit(path: str, template: str, **context: Any) -> None:
        files[path] = env.get_template(template).render({**common, **context})
        if path.endswith(".py"):
            python.add(path)
            if template in stable:
                black_stable.add(path)

    # Black-stable (see RenderedPackage.black_stable): every template lays its code
    # out as black does (pysource's layout helpers), checked by the tests.
    stable = {
        "models/module.py.jinja",
        "models/__init__.py.jinja",
        "package/__init__.py.jinja",
        "package/_api.py.jinja",
        "package/clientset.py.jinja",
        "clients/module.py.jinja",
        "clients/_verbs.py.jinja",
        "informers/module.py.jinja",
        "informers/__init__.py.jinja",
        "package/metadata.py.jinja",
        "aio/clientset.py.jinja",
        "aio/__init__.py.jinja",
        "aio/informers.py.jinja",
        "aio/informers_module.py.jinja",
    }
    for mod in universe.modules:
        emit(
            f"{package}/models/{mod.name}.py",
            "models/module.py.jinja",
            **model_module_context(universe, mod.name, package),
        )
    emit(
        f"{package}/models/__init__.py",
        "models/__init__.py.jinja",
        modules=[m.name for m in universe.modules],
        kinds=kinds_registry(universe),
    )
    emit(f"{package}/__init__.py", "package/__init__.py.jinja")
    surface = build_surface(universe)  # the clients' and the informers' (once)
    clients = render_clients.clients_context(universe, surface)
    emit(f"{package}/clients/_verbs.py", "clients/_verbs.py.jinja", **clients.verbs)
    for module, context in clients.modules.items():
        emit(f"{package}/clients/{module}.py", "clients/module.py.jinja", **context)
    files[f"{package}/clients/__init__.py"] = (
        '"""Typed clients, one module per API group-version."""\n'
    )
    emit(f"{package}/clientset.py", "package/clientset.py.jinja", **clients.clientset)
    # the async clients: the same surface and templates, awaited (kubeclient.aio)
    aio = render_clients.clients_context(universe, surface, render_clients.ASYNC)
    emit(f"{package}/aio/clients/_verbs.py", "clients/_verbs.py.jinja", **aio.verbs)
    for module, context in aio.modules.items():
        emit(f"{package}/aio/clients/{module}.py", "clients/module.py.jinja", **context)
    files[f"{package}/aio/clients/__init__.py"] = (
        '"""Async typed clients, one module per API group-version."""\n'
    )
    emit(f"{package}/aio/clientset.py", "aio/clientset.py.jinja", **aio.clientset)
    informers = render_informers.informers_context(universe, surface)
    for module, context in informers.modules.items():
        emit(f"{package}/informers/{module}.py", "informers/module.py.jinja", **context)
    emit(
        f"{package}/informers/__init__.py",
        "informers/__init__.py.jinja",
        **informers.factory,
    )
    # the async informers: the same names, on the loop (kubeclient.aio.informers)
    aio_informers = render_aio_informers.async_informers_context(universe, informers)
    for module, context in aio_informers.modules.items():
        emit(
            f"{package}/aio/informers/{module}.py",
            "aio/informers_module.py.jinja",
            **context,
        )
    emit(
        f"{package}/aio/informers/__init__.py",
        "aio/informers.py.jinja",
        **aio_informers.factory,
    )
    emit(
        f"{package}/_api.py", "package/_api.py.jinja", resources=api_resources(universe)
    )
    if not base and _has_meta_types(universe):
        # the metadata-only client's typed models (see runtime/metadata_base.py)
        emit(f"{package}/metadata.py", "package/metadata.py.jinja")
    files[f"{package}/py.typed"] = ""
    for source in [] if base else sorted(RUNTIME_DIR.rglob("*.py")):
        relative = source.relative_to(RUNTIME_DIR).as_posix()
        if relative == "__init__.py":
            continue  # the package's own __init__ is rendered (subpackages' are copied)
        files[f"{package}/{relative}"] = source.read_text(encoding="utf-8")
    # rendered, not copied: it names the generated AsyncClientSet
    emit(f"{package}/aio/__init__.py", "aio/__init__.py.jinja")
    if universe.served and f"{package}/testing/__init__.py" in files:
        # What the test API server serves at /openapi/v3 (gzip level 1: deterministic,
        # 6x smaller, and 3x faster to make than level 6)
        served = json.dumps(universe.served, separators=(",", ":"), sort_keys=True)
        files[f"{package}/testing/openapi_v3.json.gz"] = gzip.compress(
            served.encode(), 1, mtime=0
        )
    emit("pyproject.toml", "package/pyproject.toml.jinja", inner=False)
    emit(f"{package}/pyproject.toml", "package/pyproject.toml.jinja", inner=True)
    return RenderedPackage(files=files, python=python, black_stable=black_stable)
