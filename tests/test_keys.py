"""Key pair generation, key file loading and permissions, and the keyring (ingest/keys.py)."""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, x25519

from ingest.keys import (
    EnvelopeError,
    InsecureKeyFile,
    KeyFileError,
    Keyring,
    PrivateKey,
    UnknownKeyId,
    generate_key_pair,
    load_private_key,
    load_public_key,
)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def rsa_pair(tmp_path_factory):
    return generate_key_pair(tmp_path_factory.mktemp("rsa"), "rsa")


def test_generated_x25519_pair_files_modes_and_key_id(tmp_path):
    pair = generate_key_pair(tmp_path / "keys")

    assert pair.private == tmp_path / "keys" / f"{pair.key_id}.key.pem"
    assert pair.public == tmp_path / "keys" / f"{pair.key_id}.pub.pem"
    assert mode_of(pair.private) == 0o600
    assert mode_of(pair.public) == 0o644
    assert mode_of(tmp_path / "keys") == 0o700
    assert pair.private.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert pair.public.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----\n")
    # the key id is recomputable from the public key file alone, as the format document says
    der = serialization.load_pem_public_key(pair.public.read_bytes()).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert pair.key_id == hashlib.sha256(der).digest()[:8].hex()
    public, private = load_public_key(pair.public), load_private_key(pair.private)
    assert (public.algorithm, public.key_id) == ("x25519", pair.key_id)
    assert (private.algorithm, private.key_id, private.path) == ("x25519", pair.key_id, pair.private)
    assert private.public_key() == public
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == sorted([pair.private.name, pair.public.name])


def test_generated_rsa_pair_is_3072_bits(rsa_pair):
    public = load_public_key(rsa_pair.public)
    assert public.algorithm == "rsa"
    assert public.key.key_size == 3072
    assert mode_of(rsa_pair.private) == 0o600
    assert load_private_key(rsa_pair.private).key_id == rsa_pair.key_id


def test_private_key_is_0600_even_under_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        pair = generate_key_pair(tmp_path)
    finally:
        os.umask(old)
    assert mode_of(pair.private) == 0o600


def test_generation_refuses_to_overwrite_and_leaves_no_temp_files(tmp_path, monkeypatch):
    fixed = x25519.X25519PrivateKey.from_private_bytes(bytes(range(32)))
    monkeypatch.setattr(x25519.X25519PrivateKey, "generate", staticmethod(lambda: fixed))
    first = generate_key_pair(tmp_path)
    before = first.private.read_bytes()

    with pytest.raises(KeyFileError, match="already exists; refusing to overwrite"):
        generate_key_pair(tmp_path)

    assert first.private.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.private.name, first.public.name])


@pytest.mark.parametrize(
    ("algorithm", "bits", "message"), [("rsa", 2048, "at least 3072"), ("ed25519", 3072, "unknown")]
)
def test_generation_rejects_weak_or_unknown_algorithms(tmp_path, algorithm, bits, message):
    with pytest.raises(ValueError, match=message):
        generate_key_pair(tmp_path, algorithm, rsa_bits=bits)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_private_key_readable_by_others_is_refused(tmp_path, mode):
    pair = generate_key_pair(tmp_path)
    pair.private.chmod(mode)

    with pytest.raises(InsecureKeyFile) as info:
        load_private_key(pair.private)

    message = str(info.value)
    assert str(pair.private) in message and "chmod 600" in message and f"{mode:04o}" in message
    assert isinstance(info.value, PermissionError)
    assert "\n" not in message


def test_owner_only_modes_are_accepted(tmp_path):
    pair = generate_key_pair(tmp_path)
    pair.private.chmod(0o400)
    assert load_private_key(pair.private).key_id == pair.key_id


def test_keyring_from_directory_refuses_an_insecure_key(tmp_path):
    pair = generate_key_pair(tmp_path)
    pair.private.chmod(0o644)
    with pytest.raises(InsecureKeyFile):
        Keyring.from_paths([tmp_path])


def test_public_key_loader_rejects_private_keys_garbage_and_weak_keys(tmp_path, rsa_pair):
    with pytest.raises(KeyFileError, match="holds a private key"):
        load_public_key(rsa_pair.private)
    garbage = tmp_path / "garbage.pem"
    garbage.write_bytes(b"not a key\n")
    with pytest.raises(KeyFileError, match="not a PEM public key"):
        load_public_key(garbage)
    weak = tmp_path / "weak.pub.pem"
    weak.write_bytes(
        rsa.generate_private_key(65537, 2048).public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with pytest.raises(KeyFileError, match="2048 bits; at least 3072"):
        load_public_key(weak)
    with pytest.raises(KeyFileError, match="cannot read key file"):
        load_public_key(tmp_path / "missing.pub.pem")


def write_private(path: Path, key, password: bytes | None = None) -> Path:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
    path.chmod(0o600)
    return path


def test_private_key_loader_rejects_unsupported_keys(tmp_path):
    with pytest.raises(KeyFileError, match="passphrase-protected"):
        load_private_key(write_private(tmp_path / "a.key.pem", x25519.X25519PrivateKey.generate(), b"secret"))
    with pytest.raises(KeyFileError, match="unsupported key type"):
        load_private_key(write_private(tmp_path / "b.key.pem", ec.generate_private_key(ec.SECP256R1())))
    with pytest.raises(KeyFileError, match="cannot open private key"):
        load_private_key(tmp_path / "missing.key.pem")
    with pytest.raises(KeyFileError, match="not a regular file"):
        load_private_key(tmp_path)


def test_keyring_loads_directories_and_files_and_picks_by_key_id(tmp_path, rsa_pair):
    a = generate_key_pair(tmp_path / "current")
    b = generate_key_pair(tmp_path / "current")

    # a key listed twice (directory and file) is one key
    ring = Keyring.from_paths([tmp_path / "current", rsa_pair.private, a.private])

    assert ring.key_ids() == sorted([a.key_id, b.key_id, rsa_pair.key_id])
    assert ring.private_key(b.key_id).path == b.private
    assert ring.private_key(rsa_pair.key_id).algorithm == "rsa"


def test_unknown_key_id_names_the_id_and_is_an_envelope_error(tmp_path):
    pair = generate_key_pair(tmp_path)
    ring = Keyring.from_paths([tmp_path])

    with pytest.raises(UnknownKeyId) as info:
        ring.private_key("0123456789abcdef")

    assert isinstance(info.value, EnvelopeError)
    assert info.value.key_id == "0123456789abcdef"
    assert "0123456789abcdef" in str(info.value) and pair.key_id in str(info.value)


def test_keyring_refuses_empty_configuration_and_colliding_key_ids(tmp_path):
    with pytest.raises(KeyFileError, match="no \\*.key.pem private keys"):
        Keyring.from_paths([tmp_path])
    with pytest.raises(KeyFileError, match="no private key configured"):
        Keyring.from_paths([])
    one, two = (x25519.X25519PrivateKey.generate() for _ in range(2))
    with pytest.raises(KeyFileError, match="different private keys share key id"):
        Keyring([PrivateKey("x25519", "00" * 8, one), PrivateKey("x25519", "00" * 8, two)])
