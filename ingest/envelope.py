"""The encrypted-recording envelope: a fresh AES-256-GCM data key per recording, wrapped for the QC public key.

The byte layout is specified in docs/encryption-format.md, which is what recording vendors implement; keep
the two in step. Decryption is chunked (STREAM construction) so that no plaintext is handed out before its
chunk's tag verified, and so that dropped, reordered or appended chunks are detected.
"""
from __future__ import annotations

import io
import os
import secrets
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ingest.keys import EnvelopeError, Keyring, PrivateKey, PublicKey, UnknownKeyId, load_public_key

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DecryptedStream",
    "EnvelopeError",
    "EnvelopeHeader",
    "NotAnEnvelope",
    "TamperedCiphertext",
    "TruncatedCiphertext",
    "UnknownKeyId",
    "UnsupportedVersion",
    "encrypt_file",
    "encrypt_stream",
    "open_decrypted",
    "read_header",
]

MAGIC = b"HQCENC"
VERSION = 1
ALGORITHM_CODES = {"x25519": 1, "rsa": 2}  # 1 = X25519-HKDF-SHA256-AESGCM wrap, 2 = RSA-OAEP-SHA256
DEFAULT_CHUNK_SIZE = 65536
MAX_CHUNK_SIZE = 4 * 1024 * 1024  # bounds what a reader allocates for a header it has not authenticated yet
MAX_CHUNKS = 2**32  # the chunk counter is a u32
DATA_KEY_BYTES = 32
NONCE_PREFIX_BYTES = 7
TAG_BYTES = 16
HKDF_INFO = b"hotline-qc envelope v1"
X25519_WRAPPED_KEY_BYTES = 32 + DATA_KEY_BYTES + TAG_BYTES  # ephemeral public key, sealed data key
WRAP_NONCE = bytes(12)  # safe: the key-encryption key comes from a fresh ephemeral key and is used once
RSA_OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)

# magic, version, algorithm, key id, chunk size, nonce prefix, wrapped-key length; the wrapped key follows
_FIXED_HEADER = struct.Struct(">6sBB8sI7sH")


class NotAnEnvelope(EnvelopeError):
    """The data does not start with the envelope magic."""


class UnsupportedVersion(EnvelopeError):
    """An envelope of a format version or key-wrap algorithm this code does not know."""


class TamperedCiphertext(EnvelopeError):
    """Authentication failed: the header, the wrapped key or a chunk was altered or corrupted."""


class TruncatedCiphertext(TamperedCiphertext):
    """The envelope ends before its final chunk (or inside its header).

    A subclass of TamperedCiphertext because a cut inside the final chunk can only show up as a failed
    tag, indistinguishable from any other change to that chunk.
    """


@dataclass(frozen=True)
class EnvelopeHeader:
    version: int
    algorithm: str  # "x25519" or "rsa", as in ingest.keys.KEY_ALGORITHMS
    key_id: str
    chunk_size: int
    nonce_prefix: bytes
    wrapped_key: bytes = field(repr=False)
    raw: bytes = field(repr=False)  # the exact header bytes: additional data of every chunk

    @property
    def size(self) -> int:
        return len(self.raw)


def encrypt_stream(
    public_key: PublicKey, src: BinaryIO, dst: BinaryIO, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> None:
    """Seal everything readable from src into dst, one chunk in memory at a time."""
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk size must be 1..{MAX_CHUNK_SIZE}, got {chunk_size}")
    data_key = AESGCM.generate_key(bit_length=8 * DATA_KEY_BYTES)
    nonce_prefix = secrets.token_bytes(NONCE_PREFIX_BYTES)
    header = _seal_header(public_key, data_key, chunk_size, nonce_prefix)
    dst.write(header)
    aead = AESGCM(data_key)
    # Only the final chunk is shorter than chunk_size (possibly empty), so no read-ahead is needed
    # to know which chunk is final.
    for index in range(MAX_CHUNKS):
        chunk = _read_exactly(src, chunk_size)
        final = len(chunk) < chunk_size
        dst.write(aead.encrypt(_chunk_nonce(nonce_prefix, index, final), chunk, header))
        if final:
            return
    raise ValueError(f"input exceeds {MAX_CHUNKS} chunks of {chunk_size} bytes; use a larger chunk size")


def encrypt_file(public_key_path: Path, in_path: Path, out_path: Path) -> None:
    """Encrypt one recording; out_path appears complete or not at all, and is never overwritten."""
    public_key = load_public_key(public_key_path)
    out_path = Path(out_path)
    refused = FileExistsError(f"{out_path} already exists; refusing to overwrite")
    if out_path.exists():  # fail before reading a long input, not only at the end
        raise refused
    tmp = out_path.with_name(f".{out_path.name}.{secrets.token_hex(8)}.tmp")
    try:
        with open(in_path, "rb") as src, open(tmp, "xb") as dst:
            encrypt_stream(public_key, src, dst)
            dst.flush()
            os.fsync(dst.fileno())
        try:
            os.link(tmp, out_path)  # atomic like rename, but never replaces a file that appeared meanwhile
        except FileExistsError:
            raise refused from None
    finally:
        tmp.unlink(missing_ok=True)


def read_header(src: BinaryIO) -> EnvelopeHeader:
    """Parse the header (without decrypting anything) and leave src at the first chunk."""
    fixed = _read_exactly(src, _FIXED_HEADER.size)
    if fixed[: len(MAGIC)] != MAGIC:
        raise NotAnEnvelope("not an encrypted recording (no HQCENC envelope header)")
    if len(fixed) < _FIXED_HEADER.size:
        raise TruncatedCiphertext("envelope header is truncated")
    _, version, code, key_id, chunk_size, nonce_prefix, wrapped_len = _FIXED_HEADER.unpack(fixed)
    if version != VERSION:
        raise UnsupportedVersion(
            f"envelope format version {version} is not supported (this code reads version {VERSION})"
        )
    algorithm = next((name for name, c in ALGORITHM_CODES.items() if c == code), None)
    if algorithm is None:
        raise UnsupportedVersion(f"envelope key-wrap algorithm {code} is not supported")
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise TamperedCiphertext(
            f"envelope header is corrupt: chunk size {chunk_size} is outside 1..{MAX_CHUNK_SIZE}"
        )
    if algorithm == "x25519" and wrapped_len != X25519_WRAPPED_KEY_BYTES:
        raise TamperedCiphertext(f"envelope header is corrupt: X25519 wrapped key of {wrapped_len} bytes")
    wrapped_key = _read_exactly(src, wrapped_len)
    if len(wrapped_key) < wrapped_len:
        raise TruncatedCiphertext("envelope header is truncated")
    return EnvelopeHeader(
        version=version,
        algorithm=algorithm,
        key_id=key_id.hex(),
        chunk_size=chunk_size,
        nonce_prefix=nonce_prefix,
        wrapped_key=wrapped_key,
        raw=fixed + wrapped_key,
    )


def open_decrypted(src: BinaryIO, keyring: Keyring) -> DecryptedStream:
    """Read the header, pick the private key by key id, unwrap the data key; chunks decrypt as they are read.

    Raises UnknownKeyId, NotAnEnvelope, UnsupportedVersion or TamperedCiphertext here; chunk errors come
    from read().
    """
    header = read_header(src)
    private_key = keyring.private_key(header.key_id)
    if private_key.algorithm != header.algorithm:
        raise TamperedCiphertext(
            f"envelope header is corrupt: it names key id {header.key_id} with algorithm {header.algorithm}, "
            f"but that key is {private_key.algorithm}"
        )
    return DecryptedStream(src, header, _unwrap_data_key(header, private_key))


class DecryptedStream(io.RawIOBase):
    """Read-only, non-seekable plaintext of one envelope, decrypted one verified chunk at a time.

    Every byte handed out belongs to a chunk whose tag verified, but the recording as a whole is only
    proven complete when a read returns b"" (EOF) without raising: a consumer must discard what it built
    from a stream that raised. Closing it does not close src.
    """

    def __init__(self, src: BinaryIO, header: EnvelopeHeader, data_key: bytes) -> None:
        super().__init__()
        self.header = header
        self._src = src
        self._aead = AESGCM(data_key)
        self._next_index = 0
        self._final_seen = False
        self._pending = memoryview(b"")
        self._error: EnvelopeError | None = None

    @property
    def key_id(self) -> str:
        return self.header.key_id

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer) -> int:
        if self.closed:
            raise ValueError("I/O operation on closed DecryptedStream")
        if not self._pending and not self._final_seen:
            self._pending = memoryview(self._open_next_chunk())
        out = memoryview(buffer).cast("B")
        n = min(len(out), len(self._pending))
        out[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._pending = memoryview(b"")
        super().close()

    def _open_next_chunk(self) -> bytes:
        # Errors are sticky: after a failure no later chunk may be served as if the stream were intact.
        if self._error is not None:
            raise self._error
        try:
            return self._decrypt_chunk()
        except EnvelopeError as exc:
            self._error = exc
            raise

    def _decrypt_chunk(self) -> bytes:
        index = self._next_index
        full = self.header.chunk_size + TAG_BYTES
        sealed = _read_exactly(self._src, full)
        # A full-size chunk is never final and a short one always is; the final flag sits in the nonce, so
        # a chunk cannot be passed off as the other kind, and anything appended after the final chunk merges
        # with it into a chunk whose tag fails.
        final = len(sealed) < full
        if not sealed:
            raise TruncatedCiphertext(f"envelope ends after chunk {index - 1} without a final chunk (truncated)"
                                      if index else "envelope has no ciphertext chunks (truncated)")
        if len(sealed) < TAG_BYTES:
            raise TruncatedCiphertext(f"ciphertext chunk {index} is shorter than its tag (truncated)")
        try:
            nonce = _chunk_nonce(self.header.nonce_prefix, index, final)
            plaintext = self._aead.decrypt(nonce, sealed, self.header.raw)
        except InvalidTag:
            cause = "tampered, corrupted or truncated" if final else "tampered or corrupted"
            raise TamperedCiphertext(f"ciphertext chunk {index} failed authentication ({cause})") from None
        self._next_index = index + 1
        self._final_seen = final
        return plaintext


def _seal_header(public_key: PublicKey, data_key: bytes, chunk_size: int, nonce_prefix: bytes) -> bytes:
    if isinstance(public_key.key, x25519.X25519PublicKey):
        wrapped_len = X25519_WRAPPED_KEY_BYTES
    else:
        wrapped_len = _rsa_modulus_bytes(public_key.key)
    fixed = _FIXED_HEADER.pack(
        MAGIC, VERSION, ALGORITHM_CODES[public_key.algorithm], bytes.fromhex(public_key.key_id),
        chunk_size, nonce_prefix, wrapped_len,
    )
    if isinstance(public_key.key, x25519.X25519PublicKey):
        ephemeral = x25519.X25519PrivateKey.generate()
        ephemeral_pub = _raw_x25519(ephemeral.public_key())
        kek = _x25519_kek(ephemeral.exchange(public_key.key), ephemeral_pub, _raw_x25519(public_key.key))
        wrapped = ephemeral_pub + AESGCM(kek).encrypt(WRAP_NONCE, data_key, fixed)
    else:
        wrapped = public_key.key.encrypt(data_key, RSA_OAEP)
    assert len(wrapped) == wrapped_len
    return fixed + wrapped


def _unwrap_data_key(header: EnvelopeHeader, private_key: PrivateKey) -> bytes:
    failed = TamperedCiphertext(
        f"cannot unwrap the data key for key id {header.key_id} (header tampered or corrupted)"
    )
    key = private_key.key
    try:
        if isinstance(key, x25519.X25519PrivateKey):
            ephemeral_pub, sealed = header.wrapped_key[:32], header.wrapped_key[32:]
            # exchange() raises ValueError for low-order points (all-zero shared secret)
            shared = key.exchange(x25519.X25519PublicKey.from_public_bytes(ephemeral_pub))
            kek = _x25519_kek(shared, ephemeral_pub, _raw_x25519(key.public_key()))
            data_key = AESGCM(kek).decrypt(WRAP_NONCE, sealed, header.raw[: _FIXED_HEADER.size])
        else:
            if len(header.wrapped_key) != _rsa_modulus_bytes(key):
                raise failed
            data_key = key.decrypt(header.wrapped_key, RSA_OAEP)
    except (InvalidTag, ValueError):
        raise failed from None
    if len(data_key) != DATA_KEY_BYTES:
        raise failed
    return data_key


def _x25519_kek(shared_secret: bytes, ephemeral_pub: bytes, recipient_pub: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral_pub + recipient_pub, info=HKDF_INFO
    ).derive(shared_secret)


def _raw_x25519(key: x25519.X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _rsa_modulus_bytes(key: rsa.RSAPublicKey | rsa.RSAPrivateKey) -> int:
    return (key.key_size + 7) // 8


def _chunk_nonce(prefix: bytes, index: int, final: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if final else 0)


def _read_exactly(src: BinaryIO, size: int) -> bytes:
    """Read size bytes, fewer only at EOF: pipes and sockets return short reads before EOF."""
    data = src.read(size)
    if len(data) == size or not data:
        return data
    parts = bytearray(data)
    while len(parts) < size:
        more = src.read(size - len(parts))
        if not more:
            break
        parts += more
    return bytes(parts)
