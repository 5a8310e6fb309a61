"""Throw-away credentials shaped like the vendors': an APNs .p8 key (PKCS#8 P-256), a Google
service-account JSON (RSA 2048), an HMS app secret and an SMS webhook token, written as files
(mode 0600) the way a deployment names them in settings, with the public halves the fakes use
to check signatures."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

PEM = serialization.Encoding.PEM


@dataclass(frozen=True)
class Keys:
    apns_key_file: Path
    apns_public_pem: str
    apns_key_id: str
    apns_team_id: str
    fcm_account_file: Path
    fcm_public_pem: str
    fcm_project_id: str
    fcm_email: str
    hms_app_id: str
    hms_secret_file: Path
    harmony_account_file: Path  # Huawei service account (HarmonyOS 5+, the v3 API)
    harmony_public_pem: str
    sms_token_file: Path

    def secret_values(self) -> list[str]:
        """Every secret text, to check that none shows up where it must not."""
        account = json.loads(self.fcm_account_file.read_text())
        harmony = json.loads(self.harmony_account_file.read_text())
        files = (self.apns_key_file, self.hms_secret_file, self.sms_token_file)
        keys = [account["private_key"], harmony["private_key"]]
        return [path.read_text().strip() for path in files] + keys


def make_keys(folder: Path) -> Keys:
    folder.mkdir(parents=True, exist_ok=True)
    apns_private = ec.generate_private_key(ec.SECP256R1())
    fcm_private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    harmony_private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return Keys(
        apns_key_file=_write(folder / "AuthKey_ABC123DEFG.p8", _private_pem(apns_private)),
        apns_public_pem=_public_pem(apns_private), apns_key_id="ABC123DEFG",
        apns_team_id="TEAM123456",
        fcm_account_file=_write(folder / "service-account.json", _account(fcm_private)),
        fcm_public_pem=_public_pem(fcm_private), fcm_project_id="tongban-test",
        fcm_email="push@tongban-test.iam.gserviceaccount.com",
        hms_app_id="104857600",
        hms_secret_file=_write(folder / "hms-secret", secrets.token_hex(32)),
        harmony_account_file=_write(folder / "harmony-account.json", _harmony(harmony_private)),
        harmony_public_pem=_public_pem(harmony_private),
        sms_token_file=_write(folder / "sms-token", secrets.token_urlsafe(24)),
    )


def _account(key: rsa.RSAPrivateKey) -> str:
    return json.dumps({
        "type": "service_account", "project_id": "tongban-test",
        "private_key_id": secrets.token_hex(20), "private_key": _private_pem(key),
        "client_email": "push@tongban-test.iam.gserviceaccount.com",
        "token_uri": "https://oauth2.googleapis.com/token",
    })


def _harmony(key: rsa.RSAPrivateKey) -> str:
    return json.dumps({
        "project_id": "101653523863785276", "key_id": secrets.token_hex(16),
        "private_key": _private_pem(key), "sub_account": "1048576001",
        "token_uri": "https://oauth-login.cloud.huawei.com/oauth2/v3/token",
    })


def _private_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _public_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> str:
    public = key.public_key()
    return public.public_bytes(PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _write(path: Path, text: str) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return path
