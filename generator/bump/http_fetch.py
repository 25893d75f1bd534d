"""A release's OpenAPI v3 documents over HTTP, all or nothing.

The source is a URL template of a folder laid out as the Kubernetes
repository's ``api/openapi-spec/v3/`` (``api__v1_openapi.json``,
``apis__apps__v1_openapi.json`` ...), e.g.
``https://raw.githubusercontent.com/kubernetes/kubernetes/v{version}/api/openapi-spec/v3/``.
``{version}`` is the version as given (``1.36.2``), ``{minor}`` its minor release
(``1.36``).

Which files the folder holds: raw.githubusercontent.com serves files only, so
for it the GitHub contents API lists the folder; any other server is asked for
the folder itself and may answer with a JSON list (of names, or of objects with
a ``name``, as the contents API does) or an HTML index (as ``python -m
http.server`` and most web servers do).

Every document is downloaded (a short read, a cut connection or a length that
does not match Content-Length is retried, then fails), parsed, checked and
validated in a temporary folder beside the destination, which replaces the
destination only once everything is in: a failure leaves nothing half-written.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import requests

from ..errors import GeneratorError, SpecError
from ..load import SpecDocument, check_local_refs, parse_document, validate_documents

#: a document's file name: one path segment, never ``..`` (the names come from
#: a remote listing and become local file names)
DOCUMENT_NAME = re.compile(r"^\.?[A-Za-z0-9][A-Za-z0-9._-]*_openapi\.json$")
RAW_GITHUB = re.compile(
    r"^https://raw\.githubusercontent\.com/(?P<owner>[^/]+)/(?P<repo>[^/]+)/"
    r"(?P<ref>[^/]+)/(?P<path>.+?)/?$"
)
RELEASE_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+.][0-9A-Za-z.+-]*)?$")
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)

ATTEMPTS = 3  # a download cut short is tried again this many times in all


def minor_of(version: str) -> str:
    return ".".join(version.lstrip("v").split(".")[:2])


def release_url(template: str, version: str) -> str:
    """The folder URL of one release (always ending with ``/``)."""
    url = template.replace("{version}", version.lstrip("v")).replace(
        "{minor}", minor_of(version)
    )
    scheme = urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise GeneratorError(f"{template}: not an http(s) URL template")
    return url if url.endswith("/") else url + "/"


class _Downloader:
    def __init__(self, timeout: float) -> None:
        self.session = requests.Session()
        self.timeout = timeout

    def close(self) -> None:
        self.session.close()

    def get(self, url: str, *, missing_ok: bool = False) -> bytes | None:
        """The whole body of a 200 answer; None for a 404 when ``missing_ok``."""
        headers = {}
        if urlsplit(url).hostname == "api.github.com":
            headers["Accept"] = "application/vnd.github+json"
            token = os.environ.get("GITHUB_TOKEN")
            if token:  # Actions' token: 5,000 listings an hour instead of 60
                headers["Authorization"] = f"Bearer {token}"
        problem = ""
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(0.2 * attempt)
            try:
                with self.session.get(
                    url, headers=headers, timeout=self.timeout, stream=True
                ) as response:
                    if response.status_code == 404 and missing_ok:
                        return None
                    if response.status_code != 200:
                        hint = (
                            " (no such release or file: is the version right?)"
                            if response.status_code == 404
                            else ""
                        )
                        raise GeneratorError(
                            f"{url}: HTTP {response.status_code} "
                            f"{response.reason or ''}".rstrip() + hint
                        )
                    body = response.content
                    expected = response.headers.get("Content-Length")
                    encoded = response.headers.get("Content-Encoding", "identity")
                    if (
                        expected is not None
                        and encoded == "identity"
                        and expected.isdigit()
                        and len(body) != int(expected)
                    ):
                        problem = f"partial download: {len(body)} of {expected} bytes"
                        continue
                    return body
            except requests.RequestException as err:
                # urllib3 reports a body shorter than Content-Length, or a cut
                # connection, as a protocol error
                problem = f"download failed: {err}"
        raise GeneratorError(f"{url}: {problem} (tried {ATTEMPTS} times)")


def _listing_url(base: str) -> str:
    found = RAW_GITHUB.match(base)
    if found is None:
        return base
    owner, repo, ref, path = found.group("owner", "repo", "ref", "path")
    return (
        f"https://api.github.com/repos/{owner}/{repo}/contents/{path}"
        f"?ref={quote(ref, safe='')}"
    )


def document_names(listing_url: str, body: bytes) -> list[str]:
    """The ``*_openapi.json`` names a folder listing (JSON or HTML) holds."""
    candidates: list[str] = []
    try:
        listing = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", errors="replace")
        for href in _HREF.findall(text):
            path = unquote(html.unescape(href).split("?", 1)[0].split("#", 1)[0])
            candidates.append(path.rstrip("/").rsplit("/", 1)[-1])
    else:
        if not isinstance(listing, list):
            raise GeneratorError(
                f"{listing_url}: the folder listing is JSON but not a list of files"
            )
        for entry in listing:
            if isinstance(entry, str):
                candidates.append(entry)
            elif isinstance(entry, dict) and entry.get("type", "file") == "file":
                candidates.append(str(entry.get("name", "")))
    names = sorted({n for n in candidates if DOCUMENT_NAME.match(n)})
    if not names:
        raise GeneratorError(
            f"{listing_url}: the folder lists no *_openapi.json documents "
            "(is the URL the api/openapi-spec/v3/ folder of a release?)"
        )
    return names


def _swap_in(staging: Path, dest: Path) -> None:
    staging.chmod(0o755)  # mkdtemp's folders are private
    if dest.exists() or dest.is_symlink():
        retired = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
        dest.rename(retired / dest.name)
        staging.rename(dest)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        staging.rename(dest)


def fetch_release(
    template: str,
    version: str,
    dest: Path,
    *,
    timeout: float = 60.0,
    validate: bool = True,
    cache_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """Download release ``version`` into ``dest`` (replaced whole, or not at all).

    Validated under the names the files will have, with ``cache_dir``: loading
    ``dest`` with the same cache later does not validate them again."""
    base = release_url(template, version)
    dest.parent.mkdir(parents=True, exist_ok=True)
    downloader = _Downloader(timeout)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        listing = _listing_url(base)
        try:
            body = downloader.get(listing) or b""
        except GeneratorError as err:
            if "HTTP 404" in str(err) and not RELEASE_VERSION.match(version):
                raise GeneratorError(
                    f"{err}; the Kubernetes repository tags patch releases: give "
                    f"one (--to {minor_of(version)}.0 or later)"
                ) from None
            raise
        names = document_names(listing, body)
        if progress:
            progress(f"downloading {len(names)} documents from {base}")
        documents, urls = [], {}
        for name in names:
            url = base + quote(name)
            data = downloader.get(url) or b""
            content = parse_document(url, data)
            check_local_refs(url, content)
            source = str(dest / name)  # as load.read_documents will name it
            urls[source] = url
            digest = hashlib.sha256(data).hexdigest()
            documents.append(SpecDocument(source, content, digest))
            (staging / name).write_bytes(data)
        if validate:
            try:
                validate_documents(documents, cache_dir=cache_dir, progress=progress)
            except SpecError as err:  # named by where it came from
                raise SpecError(
                    urls.get(err.source, err.source), err.pointer, err.message
                ) from None
        release = _release_version(downloader, base, version)
        if release:
            (staging / ".version").write_text(release + "\n", encoding="utf-8")
        _swap_in(staging, dest)
    finally:
        downloader.close()
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def _release_version(downloader: _Downloader, base: str, version: str) -> str | None:
    """``v1.36.2``: the folder's ``.version`` if it has one (as ../shared/specs and
    --save-spec folders do), else the version asked for when it names a patch
    release (a release tag's folder is that release)."""
    served = downloader.get(base + ".version", missing_ok=True)
    if served is not None:
        text = served.decode("utf-8", errors="replace").strip()
        if not RELEASE_VERSION.match(text):
            raise GeneratorError(f"{base}.version: {text[:40]!r} is not a version")
        return text if text.startswith("v") else f"v{text}"
    if RELEASE_VERSION.match(version):
        return version if version.startswith("v") else f"v{version}"
    return None
