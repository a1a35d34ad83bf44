"""The agent's long-term keys: X25519 to receive sealed shares, Ed25519 to sign its messages.

Private halves stay in the state directory (files 0600 in a 0700 directory) and never leave the
agent; the exchange only ever sees the public halves and their fingerprints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hdx.agent.files import mode_of, private_dir, write_private
from hdx.crypto import box, signing
from hdx.crypto.errors import KeyFormatError

KEYS_DIR = "keys"
X25519_FILE = "x25519.key"
ED25519_FILE = "ed25519.key"


class KeystoreError(Exception):
    pass


@dataclass(frozen=True)
class AgentKeys:
    x25519_private: bytes
    ed25519_private: bytes

    @property
    def x25519_public(self) -> bytes:
        return box.public_key_bytes(box.load_private_key(self.x25519_private).public_key())

    @property
    def ed25519_public(self) -> bytes:
        return signing.verify_key_bytes(signing.load_signing_key(self.ed25519_private).public_key())

    @property
    def x25519_fingerprint(self) -> str:
        return signing.fingerprint(self.x25519_public)

    @property
    def ed25519_fingerprint(self) -> str:
        return signing.fingerprint(self.ed25519_public)


def generate() -> AgentKeys:
    return AgentKeys(
        x25519_private=box.private_key_bytes(box.generate_private_key()),
        ed25519_private=signing.signing_key_bytes(signing.generate_signing_key()),
    )


def keys_dir(state_dir: Path) -> Path:
    return state_dir / KEYS_DIR


def exists(state_dir: Path) -> bool:
    directory = keys_dir(state_dir)
    return (directory / X25519_FILE).exists() or (directory / ED25519_FILE).exists()


def save(state_dir: Path, keys: AgentKeys) -> None:
    directory = private_dir(keys_dir(state_dir))
    write_private(directory / X25519_FILE, keys.x25519_private.hex().encode() + b"\n")
    write_private(directory / ED25519_FILE, keys.ed25519_private.hex().encode() + b"\n")


def load(state_dir: Path) -> AgentKeys:
    directory = keys_dir(state_dir)
    return AgentKeys(
        x25519_private=_read_key(directory / X25519_FILE, box.load_private_key),
        ed25519_private=_read_key(directory / ED25519_FILE, signing.load_signing_key),
    )


def load_or_create(state_dir: Path) -> tuple[AgentKeys, bool]:
    """The stored keys, or new ones saved now; the flag says whether they were created."""
    if exists(state_dir):
        return load(state_dir), False
    keys = generate()
    save(state_dir, keys)
    return keys, True


def _read_key(path: Path, check: Callable[[bytes], object]) -> bytes:
    if not path.exists():
        raise KeystoreError(f"no key at {path}: run `hdx agent init` first")
    # Like ssh, refuse a private key others could have read: it may already be compromised.
    if mode_of(path) & 0o077:
        raise KeystoreError(f"{path} is readable by other users (mode {mode_of(path):o}); chmod 600 it")
    try:
        raw = bytes.fromhex(path.read_text().strip())
        check(raw)
    except (ValueError, KeyFormatError) as exc:
        raise KeystoreError(f"{path} does not hold a valid key: {exc}") from exc
    return raw
