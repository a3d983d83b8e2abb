"""Key pairs for encrypted recordings: generation, loading, and the keyring that picks a key by key id.

The recording system holds only a public key; the QC side holds the private keys. Several private keys
may be configured at once so that keys can be rotated: every envelope names the key it was sealed for.
File formats are specified in docs/encryption-format.md.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa, x25519

KEY_ALGORITHMS = ("x25519", "rsa")
MIN_RSA_BITS = 3072
RSA_PUBLIC_EXPONENT = 65537
KEY_ID_BYTES = 8
PUBLIC_KEY_SUFFIX = ".pub.pem"
PRIVATE_KEY_SUFFIX = ".key.pem"

PublicKeyObject = x25519.X25519PublicKey | rsa.RSAPublicKey
PrivateKeyObject = x25519.X25519PrivateKey | rsa.RSAPrivateKey


class KeyFileError(Exception):
    """A key file is missing, unreadable, not a supported key, or would be overwritten.

    A configuration problem (stop the run), unlike EnvelopeError, which is about one recording.
    """


class InsecureKeyFile(KeyFileError, PermissionError):
    """A private key file is accessible by group or others."""


class EnvelopeError(Exception):
    """Base of every error about one encrypted recording; ingest.envelope re-exports it.

    Defined here rather than in envelope.py so that Keyring can raise UnknownKeyId without an import cycle.
    """


class UnknownKeyId(EnvelopeError, LookupError):
    """The recording was encrypted for a key that is not in the keyring."""

    def __init__(self, key_id: str, configured: list[str]) -> None:
        self.key_id = key_id
        super().__init__(
            f"recording is encrypted for key id {key_id}, which is not configured "
            f"(configured key ids: {', '.join(configured) or 'none'})"
        )


@dataclass(frozen=True)
class PublicKey:
    algorithm: str  # one of KEY_ALGORITHMS
    key_id: str  # 16 lowercase hex digits, see key_id_of()
    key: PublicKeyObject = field(repr=False, compare=False)
    spki_der: bytes = field(repr=False)

    @classmethod
    def from_key(cls, key: object) -> PublicKey:
        if isinstance(key, x25519.X25519PublicKey):
            algorithm = "x25519"
        elif isinstance(key, rsa.RSAPublicKey):
            if key.key_size < MIN_RSA_BITS:
                raise ValueError(f"RSA key has {key.key_size} bits; at least {MIN_RSA_BITS} are required")
            algorithm = "rsa"
        else:
            raise ValueError(f"unsupported key type {type(key).__name__}; use X25519 or RSA")
        der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return cls(algorithm=algorithm, key_id=key_id_of(der), key=key, spki_der=der)

    def to_pem(self) -> bytes:
        return self.key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class PrivateKey:
    algorithm: str
    key_id: str
    key: PrivateKeyObject = field(repr=False, compare=False)
    path: Path | None = None  # where it was loaded from, for messages

    @classmethod
    def from_key(cls, key: object, path: Path | None = None) -> PrivateKey:
        if not isinstance(key, (x25519.X25519PrivateKey, rsa.RSAPrivateKey)):
            raise ValueError(f"unsupported key type {type(key).__name__}; use X25519 or RSA")
        public = PublicKey.from_key(key.public_key())
        return cls(algorithm=public.algorithm, key_id=public.key_id, key=key, path=path)

    def public_key(self) -> PublicKey:
        return PublicKey.from_key(self.key.public_key())

    def to_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


@dataclass(frozen=True)
class KeyPairPaths:
    public: Path
    private: Path
    key_id: str


def key_id_of(spki_der: bytes) -> str:
    """First 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo, as hex."""
    return hashlib.sha256(spki_der).digest()[:KEY_ID_BYTES].hex()


def generate_key_pair(out_dir: Path, algorithm: str = "x25519", *, rsa_bits: int = MIN_RSA_BITS) -> KeyPairPaths:
    """Write <key_id>.key.pem (mode 0600) and <key_id>.pub.pem into out_dir; never overwrite."""
    if algorithm == "x25519":
        key: PrivateKeyObject = x25519.X25519PrivateKey.generate()
    elif algorithm == "rsa":
        if rsa_bits < MIN_RSA_BITS:
            raise ValueError(f"RSA keys need at least {MIN_RSA_BITS} bits, got {rsa_bits}")
        key = rsa.generate_private_key(public_exponent=RSA_PUBLIC_EXPONENT, key_size=rsa_bits)
    else:
        raise ValueError(f"unknown key algorithm {algorithm!r}; choose one of {', '.join(KEY_ALGORITHMS)}")
    private = PrivateKey.from_key(key)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = KeyPairPaths(
        public=out_dir / f"{private.key_id}{PUBLIC_KEY_SUFFIX}",
        private=out_dir / f"{private.key_id}{PRIVATE_KEY_SUFFIX}",
        key_id=private.key_id,
    )
    # Private first: a public key whose private half failed to be written would seal unreadable recordings.
    _write_new_file(paths.private, private.to_pem(), 0o600)
    _write_new_file(paths.public, private.public_key().to_pem(), 0o644)
    return paths


def _write_new_file(path: Path, data: bytes, mode: int) -> None:
    # The temp file is created with its final mode (never briefly world-readable) and then hard-linked into
    # place: the link is atomic and, unlike rename, fails instead of replacing an existing file.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)  # the umask may only have narrowed it, but be exact
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise KeyFileError(f"{path} already exists; refusing to overwrite a key file") from None
    finally:
        tmp.unlink(missing_ok=True)


def load_public_key(path: Path) -> PublicKey:
    data = _read_key_file(Path(path))
    if b"PRIVATE KEY" in data:
        raise KeyFileError(f"{path} holds a private key; the recording side must only be given the public key")
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        raise KeyFileError(f"{path} is not a PEM public key (expected '-----BEGIN PUBLIC KEY-----')") from None
    try:
        return PublicKey.from_key(key)
    except ValueError as exc:
        raise KeyFileError(f"public key {path}: {exc}") from None


def load_private_key(path: Path) -> PrivateKey:
    path = Path(path)
    try:
        # Check the mode of the file actually opened (fstat), not of whatever the path points to later.
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise KeyFileError(f"cannot open private key {path}: {exc.strerror}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise KeyFileError(f"private key {path} is not a regular file")
        if mode & 0o077:
            raise InsecureKeyFile(
                f"private key {path} is accessible by group or others (mode {stat.S_IMODE(mode):04o}); "
                f"run `chmod 600 {path}`"
            )
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read()
    finally:
        os.close(fd)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise KeyFileError(
            f"private key {path} is passphrase-protected; store it unencrypted with mode 0600"
        ) from None
    except ValueError:
        raise KeyFileError(f"{path} is not a PEM private key (expected '-----BEGIN PRIVATE KEY-----')") from None
    try:
        return PrivateKey.from_key(key, path)
    except ValueError as exc:
        raise KeyFileError(f"private key {path}: {exc}") from None


def _read_key_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from None


class Keyring:
    """The configured private keys, looked up by the key id an envelope names."""

    def __init__(self, keys: Iterable[PrivateKey]) -> None:
        self._keys: dict[str, PrivateKey] = {}
        for key in keys:
            known = self._keys.get(key.key_id)
            if known is None:
                self._keys[key.key_id] = key
            elif known.public_key() != key.public_key():
                # Only a deliberately crafted key collides on 64 bits; refuse rather than guess.
                raise KeyFileError(f"different private keys share key id {key.key_id}: {known.path} and {key.path}")

    @classmethod
    def from_paths(cls, paths: Iterable[Path]) -> Keyring:
        """Load private key files; a directory contributes every *.key.pem inside it."""
        files: list[Path] = []
        for path in map(Path, paths):
            if path.is_dir():
                found = sorted(path.glob(f"*{PRIVATE_KEY_SUFFIX}"))
                if not found:
                    raise KeyFileError(f"no *{PRIVATE_KEY_SUFFIX} private keys in directory {path}")
                files.extend(found)
            else:
                files.append(path)
        if not files:
            raise KeyFileError("no private key configured")
        return cls(load_private_key(f) for f in files)

    def key_ids(self) -> list[str]:
        return sorted(self._keys)

    def private_key(self, key_id: str) -> PrivateKey:
        try:
            return self._keys[key_id]
        except KeyError:
            raise UnknownKeyId(key_id, self.key_ids()) from None
