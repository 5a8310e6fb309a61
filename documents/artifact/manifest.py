"""What an issued PDF carries about its record, as files embedded inside the signed revision:

- `tongban-content.json` — the exact canonical JSON whose SHA-256 is the document version's
  `content_sha256` (elements, body and attachments by name, size and SHA-256): the hash the
  sign-off decisions signed;
- `tongban-issue.json` — the document (number, title, issuing unit, time, version and hash)
  and the sign-off chain: each decision with its step, signer, device public key and the
  device's compact JWS, so the chain re-verifies with nothing but the file.

The unit's PDF signature covers both, so the device keys are as trustworthy as the unit's
certificate. Checking them needs no database: `check_decisions` is shared by the server's
verifier; the client library has its own copy (it may not import server code).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from jose import jwk, jws
from jose.exceptions import JOSEError

from directory.jwk import thumbprint

FORMAT = "tongban.issued/1"
MANIFEST_NAME = "tongban-issue.json"
CONTENT_NAME = "tongban-content.json"
SIGNED_FIELDS = ("chain", "step", "decision", "comment", "content_sha256")


def encode(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1).encode()


def content_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def check_decision(entry: dict[str, Any], issued_sha256: str) -> dict[str, Any]:
    """One embedded decision re-checked: the JWS verifies with the embedded device key, which
    the JWS names (`kid`), and says what the entry says. `signed_issued_content` tells whether
    it signed the issued version (a 核稿 before a later edit signed an earlier one)."""
    result = {"step": entry.get("step"), "person": entry.get("person"),
              "decision": entry.get("decision"), "signed_at": entry.get("signed_at")}
    try:
        payload = _verified_payload(entry)
    except (JOSEError, KeyError, TypeError, ValueError) as exc:
        return {**result, "valid": False, "problem": f"the signature does not verify: {exc}",
                "signed_issued_content": False}
    differ = [name for name in SIGNED_FIELDS if str(payload.get(name)) != str(_stated(entry,
                                                                                    name))]
    problem = f"what was signed differs in: {', '.join(differ)}" if differ else None
    return {**result, "valid": not differ, "problem": problem,
            "signed_issued_content": payload.get("content_sha256") == issued_sha256}


def _verified_payload(entry: dict[str, Any]) -> dict[str, Any]:
    public = entry["device"]["public_jwk"]
    header = jws.get_unverified_header(entry["jws"])
    if header.get("kid") != thumbprint(public):
        raise ValueError("the JWS names another key than the embedded device key")
    key = jwk.construct(public, "ES256")
    payload = json.loads(jws.verify(entry["jws"], key, algorithms=["ES256"]))
    if not isinstance(payload, dict):
        raise ValueError("the signed payload is not an object")
    return payload


def _stated(entry: dict[str, Any], name: str) -> Any:
    return {"chain": entry.get("chain_id"), "step": entry.get("step_id"),
            "decision": entry.get("decision"), "comment": entry.get("comment"),
            "content_sha256": entry.get("content_sha256")}[name]
