"""Throw-away credentials for a loopback deployment: a CA, a SuperLink certificate, node keys.

For trying a deployment on one machine and for tests; a real federation gets its
certificates from the operator's own CA.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["make_ca", "make_node_keys", "make_server_certificate"]

_DAY = dt.timedelta(days=1)


def _write(path: Path, data: bytes, *, private: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if private:
        os.chmod(path, 0o600)
    return path


def _pem_key(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def make_ca(folder: Path, name: str = "fedgan throw-away CA") -> tuple[Path, Path]:
    """A self-signed CA: ``ca.key`` and ``ca.crt`` in ``folder``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return (
        _write(folder / "ca.key", _pem_key(key), private=True),
        _write(folder / "ca.crt", cert.public_bytes(serialization.Encoding.PEM)),
    )


def make_server_certificate(folder: Path, ca_key: Path, ca_cert: Path) -> tuple[Path, Path]:
    """``server.key`` and ``server.pem`` for 127.0.0.1 / localhost, signed by the CA."""
    ca_private = serialization.load_pem_private_key(ca_key.read_bytes(), password=None)
    ca = x509.load_pem_x509_certificate(ca_cert.read_bytes())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _DAY)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_private, hashes.SHA256())  # type: ignore[arg-type]
    )
    return (
        _write(folder / "server.key", _pem_key(key), private=True),
        _write(folder / "server.pem", cert.public_bytes(serialization.Encoding.PEM)),
    )


def make_node_keys(folder: Path, name: str) -> tuple[Path, Path]:
    """A SuperNode's EC (SECP384R1) key pair in OpenSSH format: ``name`` and ``name.pub``."""
    key = ec.generate_private_key(ec.SECP384R1())
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return _write(folder / name, private, private=True), _write(folder / f"{name}.pub", public)
