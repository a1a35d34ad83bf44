"""Long-term keys and configuration on disk: private files, stable across restarts, refused when exposed."""

from __future__ import annotations

from pathlib import Path

import pytest

from hdx.agent import config, keystore
from hdx.agent.files import mode_of
from hdx.crypto import box, signing


def test_keys_are_created_once_and_read_back_identical(tmp_path: Path) -> None:
    created, was_new = keystore.load_or_create(tmp_path)
    again, second_new = keystore.load_or_create(tmp_path)
    assert (was_new, second_new) == (True, False)
    assert again == created == keystore.load(tmp_path)
    assert created.x25519_private != created.ed25519_private


def test_key_files_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    keystore.load_or_create(tmp_path)
    directory = keystore.keys_dir(tmp_path)
    assert mode_of(directory) == 0o700
    assert mode_of(directory / keystore.X25519_FILE) == 0o600
    assert mode_of(directory / keystore.ED25519_FILE) == 0o600


def test_public_halves_and_fingerprints_match_the_private_keys(tmp_path: Path) -> None:
    keys, _ = keystore.load_or_create(tmp_path)
    x_private = box.load_private_key(keys.x25519_private)
    assert keys.x25519_public == box.public_key_bytes(x_private.public_key())
    message = signing.sign(signing.load_signing_key(keys.ed25519_private), "test", b"hello")
    signing.verify(signing.load_verify_key(keys.ed25519_public), "test", b"hello", message)
    assert keys.x25519_fingerprint == signing.fingerprint(keys.x25519_public)
    assert len(keys.ed25519_fingerprint.split()) == 16


def test_a_key_others_could_read_is_refused(tmp_path: Path) -> None:
    keystore.load_or_create(tmp_path)
    (keystore.keys_dir(tmp_path) / keystore.ED25519_FILE).chmod(0o644)
    with pytest.raises(keystore.KeystoreError, match="chmod 600"):
        keystore.load(tmp_path)


def test_a_damaged_or_missing_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(keystore.KeystoreError, match="hdx agent init"):
        keystore.load(tmp_path)
    keystore.load_or_create(tmp_path)
    path = keystore.keys_dir(tmp_path) / keystore.X25519_FILE
    path.write_text("abcd\n")
    with pytest.raises(keystore.KeystoreError, match="valid key"):
        keystore.load(tmp_path)


def test_configuration_and_api_key_round_trip_in_private_files(tmp_path: Path) -> None:
    settings = config.AgentConfig("https://hdx.example.org", "org-1", "key-1", "hdx_ab", "pk-1")
    config.save(tmp_path, settings, "hdx_secret")
    assert config.load(tmp_path) == settings
    assert config.load_api_key(tmp_path) == "hdx_secret"
    assert mode_of(tmp_path / config.API_KEY_FILE) == 0o600
    assert mode_of(tmp_path / config.CONFIG_FILE) == 0o600
    assert "hdx_secret" not in (tmp_path / config.CONFIG_FILE).read_text()
    (tmp_path / config.API_KEY_FILE).chmod(0o640)
    with pytest.raises(config.ConfigError, match="chmod 600"):
        config.load_api_key(tmp_path)


def test_missing_configuration_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(config.ConfigError, match="hdx agent init"):
        config.load(tmp_path)
