"""The encrypted-recording envelope (ingest/envelope.py, docs/encryption-format.md), with real crypto."""
from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import tracemalloc
import wave
from pathlib import Path

import av
import numpy as np
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ingest.envelope import (
    DecryptedStream,
    EnvelopeError,
    NotAnEnvelope,
    TamperedCiphertext,
    TruncatedCiphertext,
    UnknownKeyId,
    UnsupportedVersion,
    encrypt_file,
    encrypt_stream,
    open_decrypted,
    read_header,
)
from ingest.keys import Keyring, generate_key_pair, load_private_key, load_public_key

DOC = Path(__file__).resolve().parents[1] / "docs" / "encryption-format.md"
C = 64  # small chunks keep multi-chunk cases small
TAG = 16


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    directory = tmp_path_factory.mktemp("keys")
    pairs = {"x25519": generate_key_pair(directory, "x25519"), "rsa": generate_key_pair(directory, "rsa")}
    return {
        "public": {name: load_public_key(pair.public) for name, pair in pairs.items()},
        "ring": Keyring.from_paths([directory]),
    }


@pytest.fixture(params=["x25519", "rsa"])
def algorithm(request):
    return request.param


def encrypt(public_key, plaintext: bytes, chunk_size: int = C) -> bytes:
    out = io.BytesIO()
    encrypt_stream(public_key, io.BytesIO(plaintext), out, chunk_size)
    return out.getvalue()


def decrypt(envelope: bytes, ring: Keyring) -> bytes:
    with open_decrypted(io.BytesIO(envelope), ring) as stream:
        return stream.read()


def read_until_error(envelope: bytes, ring: Keyring, block: int = C) -> tuple[bytes, EnvelopeError]:
    """Everything the stream handed out before it raised, and the error."""
    got = bytearray()
    with pytest.raises(EnvelopeError) as info:
        stream = open_decrypted(io.BytesIO(envelope), ring)
        while data := stream.read(block):
            got += data
    assert "\n" not in str(info.value)
    return bytes(got), info.value


def header_size(envelope: bytes) -> int:
    return read_header(io.BytesIO(envelope)).size


def flip(data: bytes, offset: int, bit: int = 0) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= 1 << bit
    return bytes(changed)


# --- round trips ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [0, 1, C - 1, C, 3 * C, 3 * C + 7])
def test_round_trip(keys, algorithm, size):
    plaintext = os.urandom(size)
    envelope = encrypt(keys["public"][algorithm], plaintext)

    header = read_header(io.BytesIO(envelope))
    assert (header.algorithm, header.key_id, header.chunk_size) == (
        algorithm, keys["public"][algorithm].key_id, C)
    # the final chunk is always shorter than a full one, so an exact multiple gets an empty final chunk
    assert len(envelope) == header.size + size + TAG * (size // C + 1)
    assert decrypt(envelope, keys["ring"]) == plaintext


def test_round_trip_default_chunk_size(keys, algorithm):
    plaintext = os.urandom(3 * 65536 + 123)
    envelope = encrypt(keys["public"][algorithm], plaintext, chunk_size=65536)
    assert read_header(io.BytesIO(envelope)).chunk_size == 65536
    assert decrypt(envelope, keys["ring"]) == plaintext


class Trickle(io.RawIOBase):
    """A pipe-like source that returns a few bytes per read."""

    def __init__(self, data: bytes, step: int = 7) -> None:
        self._data, self._step = io.BytesIO(data), step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self._data.readinto(memoryview(buffer)[: self._step])


def test_short_reads_from_pipes_are_not_mistaken_for_the_end(keys):
    plaintext = os.urandom(5 * C + 3)
    out = io.BytesIO()
    encrypt_stream(keys["public"]["x25519"], Trickle(plaintext), out, C)
    envelope = out.getvalue()
    assert len(envelope) == header_size(envelope) + len(plaintext) + 6 * TAG
    with open_decrypted(Trickle(envelope), keys["ring"]) as stream:
        assert stream.read() == plaintext


def test_decrypted_stream_is_a_read_only_non_seekable_raw_stream(keys):
    envelope = encrypt(keys["public"]["rsa"], b"hello")
    stream = open_decrypted(io.BytesIO(envelope), keys["ring"])

    assert isinstance(stream, io.RawIOBase) and isinstance(stream, DecryptedStream)
    assert stream.readable() and not stream.seekable() and not stream.writable()
    assert stream.key_id == keys["public"]["rsa"].key_id == stream.header.key_id
    with pytest.raises(io.UnsupportedOperation):
        stream.seek(0)
    buffer = bytearray(3)
    assert stream.readinto(buffer) == 3 and buffer == b"hel"
    assert stream.read() == b"lo"
    assert stream.read() == b""
    stream.close()
    with pytest.raises(ValueError):
        stream.read(1)


def test_encrypt_file_writes_atomically_and_never_overwrites(keys, tmp_path):
    pair = generate_key_pair(tmp_path / "keys")
    plaintext = os.urandom(100_000)
    (tmp_path / "call.wav").write_bytes(plaintext)
    out = tmp_path / "call.enc"

    encrypt_file(pair.public, tmp_path / "call.wav", out)

    ring = Keyring.from_paths([pair.private])
    assert decrypt(out.read_bytes(), ring) == plaintext
    before = out.read_bytes()
    with pytest.raises(FileExistsError):
        encrypt_file(pair.public, tmp_path / "call.wav", out)
    assert out.read_bytes() == before
    with pytest.raises(FileNotFoundError):
        encrypt_file(pair.public, tmp_path / "missing.wav", tmp_path / "missing.enc")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["call.enc", "call.wav", "keys"]


def test_chunk_size_out_of_range_is_refused(keys):
    with pytest.raises(ValueError, match="chunk size"):
        encrypt(keys["public"]["x25519"], b"x", chunk_size=0)
    with pytest.raises(ValueError, match="chunk size"):
        encrypt(keys["public"]["x25519"], b"x", chunk_size=4 * 1024 * 1024 + 1)


# --- keys and rotation ---------------------------------------------------------------------------------

def test_keyring_with_two_keys_picks_the_one_named_in_the_header(tmp_path):
    old = generate_key_pair(tmp_path, "x25519")
    new = generate_key_pair(tmp_path, "x25519")
    ring = Keyring.from_paths([tmp_path])
    for pair in (old, new):
        envelope = encrypt(load_public_key(pair.public), b"call audio")
        with open_decrypted(io.BytesIO(envelope), ring) as stream:
            assert stream.key_id == pair.key_id
            assert stream.read() == b"call audio"


def test_unknown_key_id_names_the_id(keys, tmp_path):
    stranger = generate_key_pair(tmp_path)
    envelope = encrypt(load_public_key(stranger.public), b"secret")

    with pytest.raises(UnknownKeyId, match=stranger.key_id) as info:
        open_decrypted(io.BytesIO(envelope), keys["ring"])
    assert info.value.key_id == stranger.key_id
    # the id is readable without any key, e.g. for the failures table
    assert read_header(io.BytesIO(envelope)).key_id == stranger.key_id


# --- not an envelope, other versions -------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"HQC", b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(100), b"hqcenc" + bytes(200)])
def test_other_files_are_not_envelopes(keys, data):
    with pytest.raises(NotAnEnvelope, match="not an encrypted recording"):
        open_decrypted(io.BytesIO(data), keys["ring"])


def test_unknown_version_and_algorithm_are_unsupported(keys):
    envelope = encrypt(keys["public"]["x25519"], b"abc")
    with pytest.raises(UnsupportedVersion, match="version 2"):
        read_header(io.BytesIO(envelope[:6] + b"\x02" + envelope[7:]))
    with pytest.raises(UnsupportedVersion, match="algorithm 9"):
        read_header(io.BytesIO(envelope[:7] + b"\x09" + envelope[8:]))


# --- header tampering ----------------------------------------------------------------------------------

HEADER_FIELDS = {  # offset of one byte inside each field, and what flipping its lowest bit must raise
    "magic": (0, NotAnEnvelope),
    "version": (6, UnsupportedVersion),
    "algorithm": (7, UnsupportedVersion),
    "key id": (12, UnknownKeyId),
    "chunk size": (19, TamperedCiphertext),
    "nonce prefix": (23, TamperedCiphertext),
    "wrapped-key length": (28, TamperedCiphertext),
    "wrapped key (start)": (29, TamperedCiphertext),
    "wrapped key (end)": (-1, TamperedCiphertext),
}


@pytest.mark.parametrize("field", HEADER_FIELDS)
def test_header_tamper_is_detected_before_any_plaintext(keys, algorithm, field):
    plaintext = os.urandom(3 * C)
    envelope = encrypt(keys["public"][algorithm], plaintext)
    offset, error = HEADER_FIELDS[field]
    if offset < 0:
        offset += header_size(envelope)

    got, raised = read_until_error(flip(envelope, offset), keys["ring"])

    assert got == b""
    assert isinstance(raised, error)


def test_huge_chunk_size_in_header_is_rejected_before_allocating(keys):
    envelope = encrypt(keys["public"]["x25519"], b"abc")
    with pytest.raises(TamperedCiphertext, match="chunk size 2147483712 is outside"):
        read_header(io.BytesIO(flip(envelope, 16, 7)))


def test_header_naming_the_other_algorithm_is_refused(keys, algorithm):
    envelope = encrypt(keys["public"][algorithm], b"abc")
    other = {"x25519": b"\x02", "rsa": b"\x01"}[algorithm]
    got, raised = read_until_error(envelope[:7] + other + envelope[8:], keys["ring"])
    assert got == b"" and isinstance(raised, TamperedCiphertext)


def test_header_of_one_envelope_with_chunks_of_another_fails(keys):
    a = encrypt(keys["public"]["x25519"], b"a" * 100)
    b = encrypt(keys["public"]["x25519"], b"b" * 100)
    got, raised = read_until_error(a[: header_size(a)] + b[header_size(b):], keys["ring"])
    assert got == b"" and isinstance(raised, TamperedCiphertext)


# --- chunk tampering, reordering, truncation, extension ------------------------------------------------

def chunk_start(envelope: bytes, index: int) -> int:
    return header_size(envelope) + index * (C + TAG)


@pytest.mark.parametrize("where", ["ciphertext", "tag"])
def test_tampered_chunk_yields_no_plaintext_from_that_chunk(keys, algorithm, where):
    plaintext = os.urandom(5 * C + 10)
    envelope = encrypt(keys["public"][algorithm], plaintext)
    offset = chunk_start(envelope, 2) + (5 if where == "ciphertext" else C + 3)

    got, raised = read_until_error(flip(envelope, offset), keys["ring"], block=10)

    assert got == plaintext[: 2 * C]
    assert type(raised) is TamperedCiphertext
    assert str(raised) == "ciphertext chunk 2 failed authentication (tampered or corrupted)"


def test_errors_are_sticky(keys):
    envelope = encrypt(keys["public"]["x25519"], os.urandom(3 * C))
    stream = open_decrypted(io.BytesIO(flip(envelope, chunk_start(envelope, 1))), keys["ring"])
    assert len(stream.read(C)) == C
    for _ in range(2):
        with pytest.raises(TamperedCiphertext):
            stream.read(C)


def test_tampered_final_chunk(keys):
    plaintext = os.urandom(2 * C + 5)
    envelope = encrypt(keys["public"]["x25519"], plaintext)
    got, raised = read_until_error(flip(envelope, len(envelope) - 1), keys["ring"])
    assert got == plaintext[: 2 * C]
    assert str(raised) == "ciphertext chunk 2 failed authentication (tampered, corrupted or truncated)"


def test_swapped_chunks_are_detected(keys):
    plaintext = os.urandom(4 * C + 1)
    envelope = encrypt(keys["public"]["x25519"], plaintext)
    one, two, three = (chunk_start(envelope, i) for i in (1, 2, 3))
    swapped = envelope[:one] + envelope[two:three] + envelope[one:two] + envelope[three:]

    got, raised = read_until_error(swapped, keys["ring"])

    assert got == plaintext[:C]
    assert str(raised) == "ciphertext chunk 1 failed authentication (tampered or corrupted)"


@pytest.mark.parametrize("size", [3 * C, 3 * C + 20])
@pytest.mark.parametrize("dropped", [1, 2])
def test_truncation_at_a_chunk_boundary(keys, algorithm, size, dropped):
    plaintext = os.urandom(size)
    envelope = encrypt(keys["public"][algorithm], plaintext)
    chunks = size // C + 1
    cut = envelope[: chunk_start(envelope, chunks - dropped)]

    got, raised = read_until_error(cut, keys["ring"])

    assert isinstance(raised, TruncatedCiphertext)
    assert str(raised) == f"envelope ends after chunk {chunks - dropped - 1} without a final chunk (truncated)"
    assert got == plaintext[: (chunks - dropped) * C]


@pytest.mark.parametrize(("cut_into_chunk", "error"), [(5, TruncatedCiphertext), (TAG + 3, TamperedCiphertext)])
def test_truncation_inside_a_chunk(keys, cut_into_chunk, error):
    plaintext = os.urandom(3 * C + 20)
    envelope = encrypt(keys["public"]["x25519"], plaintext)
    cut = envelope[: chunk_start(envelope, 1) + cut_into_chunk]

    got, raised = read_until_error(cut, keys["ring"])

    assert got == plaintext[:C]
    assert isinstance(raised, error)
    assert "truncated" in str(raised)


def test_truncation_inside_or_right_after_the_header(keys, algorithm):
    envelope = encrypt(keys["public"][algorithm], b"abc")
    size = header_size(envelope)
    for cut in (10, 28, size - 1):
        with pytest.raises(TruncatedCiphertext, match="header is truncated"):
            open_decrypted(io.BytesIO(envelope[:cut]), keys["ring"])
    got, raised = read_until_error(envelope[:size], keys["ring"])
    assert got == b"" and isinstance(raised, TruncatedCiphertext)


@pytest.mark.parametrize("size", [0, C, 2 * C + 9])
@pytest.mark.parametrize("garbage", [b"\x00", os.urandom(TAG), os.urandom(C + TAG + 1)])
def test_appended_data_is_detected(keys, size, garbage):
    plaintext = os.urandom(size)
    envelope = encrypt(keys["public"]["x25519"], plaintext)
    got, raised = read_until_error(envelope + garbage, keys["ring"])
    assert isinstance(raised, TamperedCiphertext)
    assert got == plaintext[: size // C * C]


# --- PyAV reads the decrypted stream -------------------------------------------------------------------

RATE = 48000
SAMPLES = np.random.default_rng(7).integers(-8000, 8000, size=(2, RATE // 2)).astype("<i2")


def wav_bytes() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(SAMPLES.T.tobytes())
    return out.getvalue()


def pyav_bytes(container: str, codec: str) -> bytes:
    out = io.BytesIO()
    with av.open(out, "w", format=container) as muxer:
        stream = muxer.add_stream(codec, rate=RATE, layout="stereo")
        frame = av.AudioFrame.from_ndarray(SAMPLES.T.reshape(1, -1).copy(), format="s16", layout="stereo")
        frame.sample_rate = RATE
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            muxer.mux(packet)
    return out.getvalue()


def decode(source) -> np.ndarray:
    with av.open(source) as container:
        return np.concatenate([frame.to_ndarray() for frame in container.decode(audio=0)], axis=1)


@pytest.mark.parametrize("kind", ["wav", "flac", "ogg"])
def test_pyav_decodes_from_the_decrypted_stream(keys, kind):
    plain = wav_bytes() if kind == "wav" else pyav_bytes(kind, {"flac": "flac", "ogg": "libopus"}[kind])
    envelope = encrypt(keys["public"]["x25519"], plain, chunk_size=4096)

    decoded = decode(open_decrypted(io.BytesIO(envelope), keys["ring"]))

    if kind in ("wav", "flac"):  # lossless: the very samples that were written
        assert np.array_equal(decoded.reshape(-1), SAMPLES.T.reshape(-1))
    assert np.array_equal(decoded, decode(io.BytesIO(plain)))


@pytest.mark.parametrize("where", [0.02, 0.6])  # inside the WAV header, inside the samples
def test_pyav_surfaces_tampering_instead_of_a_short_recording(keys, where):
    envelope = encrypt(keys["public"]["x25519"], wav_bytes(), chunk_size=4096)
    tampered = flip(envelope, int(len(envelope) * where))
    with pytest.raises(TamperedCiphertext):
        decode(open_decrypted(io.BytesIO(tampered), keys["ring"]))


# --- memory stays bounded for long recordings ----------------------------------------------------------

class RandomSource(io.RawIOBase):
    def __init__(self, size: int) -> None:
        self.remaining, self.digest = size, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = os.urandom(min(len(buffer), self.remaining))
        self.digest.update(data)
        memoryview(buffer)[: len(data)] = data
        self.remaining -= len(data)
        return len(data)


def test_50_mb_stream_with_bounded_memory(keys, tmp_path):
    size, limit = 50 * 1024 * 1024, 2 * 1024 * 1024
    source, path = RandomSource(size), tmp_path / "long.enc"
    tracemalloc.start()
    try:
        with path.open("wb") as dst:
            encrypt_stream(keys["public"]["x25519"], source, dst)
        encrypt_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        digest, total = hashlib.sha256(), 0
        with path.open("rb") as src, open_decrypted(src, keys["ring"]) as stream:
            while block := stream.read(65536):
                digest.update(block)
                total += len(block)
        decrypt_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == size and digest.digest() == source.digest.digest()
    assert encrypt_peak < limit and decrypt_peak < limit, (encrypt_peak, decrypt_peak)


# --- the worked example in the format document ---------------------------------------------------------

def vendor_encrypt(recipient_pub: bytes, ephemeral: bytes, data_key: bytes, nonce_prefix: bytes,
                   chunk_size: int, plaintext: bytes) -> bytes:
    """An X25519 encryptor written from docs/encryption-format.md only, with its random inputs injected."""
    recipient = x25519.X25519PublicKey.from_public_bytes(recipient_pub)
    spki = recipient.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    eph = x25519.X25519PrivateKey.from_private_bytes(ephemeral)
    eph_pub = eph.public_key().public_bytes_raw()
    hkdf = HKDF(hashes.SHA256(), 32, salt=eph_pub + recipient_pub, info=b"hotline-qc envelope v1")
    kek = hkdf.derive(eph.exchange(recipient))
    fixed = (b"HQCENC" + bytes([1, 1]) + hashlib.sha256(spki).digest()[:8]
             + struct.pack(">I", chunk_size) + nonce_prefix + struct.pack(">H", 80))
    header = fixed + eph_pub + AESGCM(kek).encrypt(bytes(12), data_key, fixed)
    full = len(plaintext) // chunk_size
    chunks = [plaintext[i * chunk_size : (i + 1) * chunk_size] for i in range(full + 1)]
    sealed = [
        AESGCM(data_key).encrypt(nonce_prefix + struct.pack(">IB", i, i == full), chunk, header)
        for i, chunk in enumerate(chunks)
    ]
    return header + b"".join(sealed)


def test_worked_example_in_the_format_document(tmp_path):
    doc = DOC.read_text(encoding="utf-8")
    compact = re.sub(r"\s", "", doc)
    private_pem = re.search(r"-----BEGIN PRIVATE KEY-----\n.*?\n-----END PRIVATE KEY-----\n", doc, re.S).group(0)
    public_pem = re.search(r"-----BEGIN PUBLIC KEY-----\n.*?\n-----END PUBLIC KEY-----\n", doc, re.S).group(0)
    key_file = tmp_path / "example.key.pem"
    key_file.write_text(private_pem)
    key_file.chmod(0o600)
    recipient = load_private_key(key_file)
    recipient_pub = recipient.key.public_key().public_bytes_raw()
    plaintext = b"Operator: Hotline, how may I help you?"

    envelope = vendor_encrypt(recipient_pub, bytes(range(0x20, 0x40)), bytes(range(0x40, 0x60)),
                              bytes(range(0x60, 0x67)), 16, plaintext)

    assert recipient.key.private_bytes_raw() == bytes(range(32))
    assert serialization.load_pem_public_key(public_pem.encode()).public_bytes_raw() == recipient_pub
    assert recipient.key_id == "c30703c0c265fc4a" and recipient.key_id in compact
    assert envelope.hex() in compact
    assert decrypt(envelope, Keyring([recipient])) == plaintext
