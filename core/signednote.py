"""Signed notes (C2SP signed-note, https://c2sp.org/signed-note) with Ed25519 keys.

A note is UTF-8 text ending in a newline, a blank line, then signature lines
`— <key name> base64(key id || signature)`. Keys are written as the Go `note` package writes
them, so `golang.org/x/mod/sumdb/note` and transparency-log tooling can read ours:
- signer:   `PRIVATE+KEY+<name>+<key id hex>+base64(0x01 || 32-byte seed)`
- verifier: `<name>+<key id hex>+base64(0x01 || 32-byte public key)`
where key id = SHA-256(name || "\\n" || 0x01 || public key)[:4].
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = b"\x01"
DASH = "\u2014 "


class NoteError(ValueError):
    """A note or key that is malformed, or a note not signed by the expected key."""


@dataclass(frozen=True)
class NoteKey:
    name: str
    public: Ed25519PublicKey
    private: Ed25519PrivateKey | None = None

    @classmethod
    def generate(cls, name: str) -> NoteKey:
        if not name or "+" in name or any(ch.isspace() for ch in name):
            raise NoteError("A key name has no spaces and no '+'.")
        private = Ed25519PrivateKey.generate()
        return cls(name, private.public_key(), private)

    @classmethod
    def from_signer(cls, text: str) -> NoteKey:
        parts = text.strip().split("+", 4)  # base64 has '+' too: the key is the rest
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("Not a signer key (PRIVATE+KEY+name+id+key).")
        private = Ed25519PrivateKey.from_private_bytes(_key_bytes(parts[4]))
        key = cls(parts[2], private.public_key(), private)
        key.check_id(parts[3])
        return key

    @classmethod
    def from_verifier(cls, text: str) -> NoteKey:
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("Not a verifier key (name+id+key).")
        key = cls(parts[0], Ed25519PublicKey.from_public_bytes(_key_bytes(parts[2])))
        key.check_id(parts[1])
        return key

    @property
    def public_bytes(self) -> bytes:
        return self.public.public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> bytes:
        return hashlib.sha256(self.name.encode() + b"\n" + ED25519 + self.public_bytes).digest()[:4]

    def check_id(self, hex_id: str) -> None:
        if hex_id.lower() != self.key_id.hex():
            raise NoteError("The key id does not match the key.")

    def verifier(self) -> str:
        encoded = base64.b64encode(ED25519 + self.public_bytes).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def signer(self) -> str:
        assert self.private is not None
        seed = base64.b64encode(ED25519 + self.private.private_bytes_raw()).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{seed}"

    def sign(self, text: str) -> str:
        """The signed note of `text` (which must end in a newline)."""
        if not text.endswith("\n") or "\n\n" in text:
            raise NoteError("Note text ends in a newline and has no blank line.")
        assert self.private is not None
        signature = self.private.sign(text.encode())
        return f"{text}\n{DASH}{self.name} {base64.b64encode(self.key_id + signature).decode()}\n"

    def open(self, note: str) -> str:
        """The text of `note` if this key signed it; NoteError otherwise."""
        text, _, signatures = note.rpartition("\n\n")
        text += "\n"
        for line in signatures.splitlines():
            if self._verifies(text, line):
                return text
        raise NoteError(f"The note carries no valid signature of {self.name}.")

    def _verifies(self, text: str, line: str) -> bool:
        name, _, encoded = line.removeprefix(DASH).rpartition(" ")
        if not line.startswith(DASH) or name != self.name:
            return False
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            return False
        if raw[:4] != self.key_id:
            return False
        try:
            self.public.verify(raw[4:], text.encode())
        except InvalidSignature:
            return False
        return True


def _key_bytes(encoded: str) -> bytes:
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise NoteError("The key is not base64.") from exc
    if len(raw) != 33 or raw[:1] != ED25519:
        raise NoteError("Only Ed25519 keys (type 0x01) are supported.")
    return raw[1:]
