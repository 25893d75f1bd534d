"""A throwaway PKI for the TLS server: a CA made at start, a server certificate
for 127.0.0.1 / localhost / kubernetes, and client certificates (CN = user,
O = groups) that the server accepts as credentials.

Uses ``cryptography`` when it is importable, the ``openssl`` command otherwise.
Keys are ECDSA P-256: quick to make, and every Kubernetes client takes them.
"""

from __future__ import annotations

import datetime
import importlib
import ipaddress
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVER_NAMES = (
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
)
SERVER_IPS = ("127.0.0.1", "::1")
_DAYS = 7


@dataclass(frozen=True)
class CertPair:
    cert: Path
    key: Path


def _has_cryptography() -> bool:
    try:
        importlib.import_module("cryptography.x509")
    except ImportError:
        return False
    return True


class Pki:
    def __init__(self, directory: Path, *, backend: str | None = None) -> None:
        self.directory = directory
        self.backend = backend or ("cryptography" if _has_cryptography() else "openssl")
        if self.backend == "openssl" and shutil.which("openssl") is None:
            raise RuntimeError(
                "TLS needs the 'cryptography' package or the 'openssl' command"
            )
        directory.mkdir(parents=True, exist_ok=True)
        self.ca = self._issue("ca", "test-apiserver-ca", (), ca=None)
        self.server = self._issue(
            "server", "kube-apiserver", (), ca=self.ca, server=True
        )

    def client(self, user: str, groups: Sequence[str] = ()) -> CertPair:
        safe = "".join(c if c.isalnum() else "_" for c in user)
        return self._issue(f"client-{safe}", user, tuple(groups), ca=self.ca)

    def _issue(
        self,
        name: str,
        common_name: str,
        orgs: tuple[str, ...],
        ca: CertPair | None,
        server: bool = False,
    ) -> CertPair:
        pair = CertPair(self.directory / f"{name}.crt", self.directory / f"{name}.key")
        if self.backend == "cryptography":
            _issue_cryptography(pair, common_name, orgs, ca, server)
        else:
            _issue_openssl(pair, common_name, orgs, ca, server)
        pair.key.chmod(0o600)
        return pair


def _issue_cryptography(
    pair: CertPair,
    common_name: str,
    orgs: tuple[str, ...],
    ca: CertPair | None,
    server: bool,
) -> None:
    # imported by name: an optional dependency, typed as Any where absent
    x509: Any = importlib.import_module("cryptography.x509")
    hashes: Any = importlib.import_module("cryptography.hazmat.primitives.hashes")
    serialization: Any = importlib.import_module(
        "cryptography.hazmat.primitives.serialization"
    )
    ec: Any = importlib.import_module("cryptography.hazmat.primitives.asymmetric.ec")
    oid: Any = importlib.import_module("cryptography.x509.oid")
    ExtendedKeyUsageOID, NameOID = oid.ExtendedKeyUsageOID, oid.NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    subject = x509.Name(attrs)
    now = datetime.datetime.now(datetime.timezone.utc)
    if ca is None:
        issuer, signer = subject, key
    else:
        ca_cert = x509.load_pem_x509_certificate(ca.cert.read_bytes())
        issuer = ca_cert.subject
        loaded = serialization.load_pem_private_key(ca.key.read_bytes(), None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        signer = loaded
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=_DAYS))
        .add_extension(
            x509.BasicConstraints(ca=ca is None, path_length=None), critical=True
        )
    )
    if ca is None:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
    else:
        usage = (
            ExtendedKeyUsageOID.SERVER_AUTH
            if server
            else ExtendedKeyUsageOID.CLIENT_AUTH
        )
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if server:
        names = [x509.DNSName(n) for n in SERVER_NAMES]
        names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in SERVER_IPS]
        builder = builder.add_extension(
            x509.SubjectAlternativeName(names), critical=False
        )
    cert = builder.sign(signer, hashes.SHA256())
    pair.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pair.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _issue_openssl(
    pair: CertPair,
    common_name: str,
    orgs: tuple[str, ...],
    ca: CertPair | None,
    server: bool,
) -> None:
    subject = "".join(f"/O={o}" for o in orgs) + f"/CN={common_name}"
    _openssl(
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        str(pair.key),
    )
    if ca is None:
        _openssl(
            "req",
            "-x509",
            "-new",
            "-key",
            str(pair.key),
            "-subj",
            subject,
            "-days",
            str(_DAYS),
            "-sha256",
            "-out",
            str(pair.cert),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        )
        return
    csr = pair.cert.with_suffix(".csr")
    ext = pair.cert.with_suffix(".ext")
    lines = ["basicConstraints=critical,CA:FALSE"]
    if server:
        alt = [f"DNS:{n}" for n in SERVER_NAMES] + [f"IP:{ip}" for ip in SERVER_IPS]
        lines += ["extendedKeyUsage=serverAuth", "subjectAltName=" + ",".join(alt)]
    else:
        lines.append("extendedKeyUsage=clientAuth")
    ext.write_text("\n".join(lines) + "\n")
    _openssl("req", "-new", "-key", str(pair.key), "-subj", subject, "-out", str(csr))
    _openssl(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca.cert),
        "-CAkey",
        str(ca.key),
        "-CAcreateserial",
        "-days",
        str(_DAYS),
        "-sha256",
        "-extfile",
        str(ext),
        "-out",
        str(pair.cert),
    )
    csr.unlink()
    ext.unlink()
