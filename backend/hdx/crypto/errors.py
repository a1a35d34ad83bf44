"""Errors raised by hdx.crypto; the web layer maps each class to one HTTP status."""

from __future__ import annotations


class CryptoError(Exception):
    """Base of every error raised by hdx.crypto."""


class ParameterError(CryptoError):
    """A caller passed parameters no protocol can use (t > n, wrong key length, ...)."""


class EncodingError(CryptoError):
    """Input values cannot be encoded (NaN, infinite, or too large for the fixed-point range)."""


class CapacityError(CryptoError):
    """The aggregate could wrap around the modulus, so the result would be silently wrong."""


class KeyFormatError(CryptoError):
    """A serialized key has the wrong length or is not a valid key."""


class WireFormatError(CryptoError):
    """A binary message is truncated, garbled or of an unknown version or type."""


class IntegrityError(CryptoError):
    """Data was modified, moved to another context, or is not addressed to this key."""


class SignatureError(IntegrityError):
    """A signature does not verify under the claimed sender's key and context."""


class InconsistentSharesError(IntegrityError):
    """More than t shares do not lie on one polynomial: at least one was tampered with."""
