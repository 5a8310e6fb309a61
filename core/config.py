"""Settings from `TONGBAN_*` environment variables, with working single-machine defaults."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path


def _env(name: str, default: str) -> str:
    return os.environ.get(f"TONGBAN_{name}", default)


def _int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _list(name: str, default: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in _env(name, default).split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    bus_url: str
    secret_key: str
    issuer: str = "tongban"
    audience: str = "tongban-api"
    access_token_seconds: int = 900
    refresh_token_seconds: int = 30 * 24 * 3600
    upload_limit_bytes: int = 50 * 1024 * 1024
    json_limit_bytes: int = 1024 * 1024
    ws_frame_limit_bytes: int = 64 * 1024
    ws_queue_size: int = 2000
    ws_hello_seconds: float = 5.0
    ws_heartbeat_seconds: float = 25.0
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    login_attempts_per_account: int = 5
    login_attempts_per_address: int = 30
    login_window_seconds: int = 900
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    feed_poll_seconds: float = 1.0
    # Push to phones that are asleep (README, "Push"); the provider credentials are further down.
    push_preview_kinds: tuple[str, ...] = ()  # rule kinds whose pushes may carry title/body
    push_escalate_minutes: int = 30  # a 特急 item unconfirmed this long is escalated by SMS
    push_sms_per_person_day: int = 3  # at most this many escalation SMS to one person a day
    push_sms_per_sender_day: int = 100  # … and for one sender's items a day (no SMS storms)
    push_give_up_seconds: int = 6 * 3600  # a push still failing this long after it was made
    push_poll_seconds: float = 1.0  # the outbox is also polled (the bus wakes it sooner)
    push_batch: int = 500  # events mapped, or notifications claimed, per transaction
    push_lease_seconds: float = 60.0  # a dead process's follower lease and claims lapse after
    # Operations (see README, "Operations"): feed retention, /metrics access, logs, shutdown.
    feed_retention_days: int = 90
    metrics_allow: tuple[str, ...] = ("127.0.0.0/8", "::1")
    metrics_token: str = ""
    log_format: str = "auto"
    log_level: str = "info"
    shutdown_grace_seconds: float = 20.0
    audit_key_file: Path | None = None  # None: data_dir / "audit-signing.key"
    audit_checkpoint_dir: Path | None = None  # scheduled checkpoints go here (off if None)
    audit_checkpoint_seconds: int = 3600
    audit_verifier_key: str = ""  # checks checkpoints where the signing key is not at hand
    parse_seconds: float = 10.0  # one parse of an uploaded file (files.bounded)
    parse_memory_mib: int = 1024  # address space of the parsing worker process
    parse_inflated_mib: int = 64  # an archive (.docx) inflated
    header_timeout_seconds: float = 10.0  # a request head, from its first byte
    body_timeout_seconds: float = 10.0  # between two chunks of a request body
    trusted_proxies: tuple[str, ...] = field(default_factory=tuple)  # may set X-Forwarded-For
    fonts_dir: Path | None = None  # licensed faces for issued documents; None: data_dir/fonts
    ca_passphrase: str = ""  # encrypts CA and unit keys at rest; empty: derived from secret
    ca_auto: bool = True  # create the CA and a unit's certificate when first needed
    # Push providers (README, "Push"). A provider is on only when its settings are present.
    # Secrets live in files named here (mode 0600 advised), never in the database or the logs.
    push_gateway_url: str = ""  # the notify URL of a Matrix-shaped push gateway ("gateway")
    push_apns_key_file: Path | None = None  # the team's AuthKey_<key id>.p8 (ES256 private key)
    push_apns_key_id: str = ""  # the key's id (10 characters, from the developer account)
    push_apns_team_id: str = ""  # the team id, issuer of the provider token
    push_apns_url: str = "https://api.push.apple.com"  # development: api.sandbox.push.apple.com
    push_hms_app_id: str = ""  # Huawei AppGallery Connect app id, also the OAuth client id
    push_hms_client_secret_file: Path | None = None  # the app secret, in a file
    push_hms_url: str = "https://push-api.cloud.huawei.com"  # POST /v1/{app id}/messages:send
    push_hms_token_url: str = "https://oauth-login.cloud.huawei.com/oauth2/v3/token"
    push_hms_badge_class: str = ""  # the app's entry activity, needed by HMS to set the badge
    # HarmonyOS 5+ (NEXT) accepts only the v3 API signed with a service-account key: naming the
    # file (Huawei API Console, JSON) sends every `hms` channel that way instead of v1.
    push_hms_service_account_file: Path | None = None
    push_fcm_service_account_file: Path | None = None  # Google service-account JSON key
    push_fcm_url: str = "https://fcm.googleapis.com"  # POST /v1/projects/{id}/messages:send
    push_fcm_token_url: str = ""  # empty: the service account's own token_uri
    push_timeout_seconds: float = 10.0  # one request to a provider, connect to last byte
    push_connections: int = 100  # concurrent requests (HTTP/1.1 connections) per provider
    sms_webhook_url: str = ""  # escalation SMS: POST {"phone", "text"} here (off if empty)
    sms_webhook_token_file: Path | None = None  # bearer token for the SMS webhook, in a file

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def storage_location() -> tuple[Path, str]:
    """The data folder and the database URL, read without creating anything (a restore needs
    an empty folder left empty)."""
    data_dir = Path(_env("DATA_DIR", "./data")).resolve()
    return data_dir, _env("DATABASE_URL", f"sqlite://{data_dir / 'tongban.sqlite3'}")


def load_settings() -> Settings:
    """Read the environment; generate and keep a secret key under the data folder if none is set."""
    data_dir, database_url = storage_location()
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        bus_url=_env("BUS_URL", "memory://"),
        secret_key=_env("SECRET_KEY", "") or _stored_secret(data_dir),
        issuer=_env("ISSUER", "tongban"),
        access_token_seconds=_int("ACCESS_TOKEN_SECONDS", 900),
        refresh_token_seconds=_int("REFRESH_TOKEN_SECONDS", 30 * 24 * 3600),
        upload_limit_bytes=_int("UPLOAD_LIMIT_BYTES", 50 * 1024 * 1024),
        json_limit_bytes=_int("JSON_LIMIT_BYTES", 1024 * 1024),
        ws_frame_limit_bytes=_int("WS_FRAME_LIMIT_BYTES", 64 * 1024),
        ws_queue_size=_int("WS_QUEUE_SIZE", 2000),
        allowed_origins=_list("ALLOWED_ORIGINS", ""),
        login_attempts_per_account=_int("LOGIN_ATTEMPTS_PER_ACCOUNT", 5),
        login_attempts_per_address=_int("LOGIN_ATTEMPTS_PER_ADDRESS", 30),
        argon2_time_cost=_int("ARGON2_TIME_COST", 3),
        argon2_memory_kib=_int("ARGON2_MEMORY_KIB", 65536),
        push_preview_kinds=_list("PUSH_PREVIEW_KINDS", ""),
        push_escalate_minutes=_int("PUSH_ESCALATE_MINUTES", 30),
        push_sms_per_person_day=_int("PUSH_SMS_PER_PERSON_DAY", 3),
        push_sms_per_sender_day=_int("PUSH_SMS_PER_SENDER_DAY", 100),
        push_give_up_seconds=_int("PUSH_GIVE_UP_SECONDS", 6 * 3600),
        push_lease_seconds=float(_env("PUSH_LEASE_SECONDS", "60")),
        feed_retention_days=_int("FEED_RETENTION_DAYS", 90),
        metrics_allow=_list("METRICS_ALLOW", "127.0.0.0/8,::1"),
        metrics_token=_env("METRICS_TOKEN", ""),
        log_format=_env("LOG_FORMAT", "auto"),
        log_level=_env("LOG_LEVEL", "info"),
        shutdown_grace_seconds=float(_env("SHUTDOWN_GRACE_SECONDS", "20")),
        audit_key_file=_path("AUDIT_KEY_FILE"),
        audit_checkpoint_dir=_path("AUDIT_CHECKPOINT_DIR"),
        audit_checkpoint_seconds=_int("AUDIT_CHECKPOINT_SECONDS", 3600),
        audit_verifier_key=_env("AUDIT_VERIFIER_KEY", ""),
        parse_seconds=float(_env("PARSE_SECONDS", "10")),
        parse_memory_mib=_int("PARSE_MEMORY_MIB", 1024),
        parse_inflated_mib=_int("PARSE_INFLATED_MIB", 64),
        header_timeout_seconds=float(_env("HEADER_TIMEOUT_SECONDS", "10")),
        body_timeout_seconds=float(_env("BODY_TIMEOUT_SECONDS", "10")),
        trusted_proxies=_list("TRUSTED_PROXIES", ""),
        fonts_dir=Path(_env("FONTS_DIR", str(data_dir / "fonts"))).resolve(),
        ca_passphrase=_env("CA_PASSPHRASE", ""),
        ca_auto=_env("CA_AUTO", "1").lower() not in ("0", "false", "no", "off"),
        **_push_settings(),  # type: ignore[arg-type]
    )


def _push_settings() -> dict[str, object]:
    """The `TONGBAN_PUSH_*` and `TONGBAN_SMS_*` settings (see the fields of `Settings`)."""
    return {
        "push_gateway_url": _env("PUSH_GATEWAY_URL", ""),
        "push_apns_key_file": _path("PUSH_APNS_KEY_FILE"),
        "push_apns_key_id": _env("PUSH_APNS_KEY_ID", ""),
        "push_apns_team_id": _env("PUSH_APNS_TEAM_ID", ""),
        "push_apns_url": _env("PUSH_APNS_URL", "https://api.push.apple.com"),
        "push_hms_app_id": _env("PUSH_HMS_APP_ID", ""),
        "push_hms_client_secret_file": _path("PUSH_HMS_CLIENT_SECRET_FILE"),
        "push_hms_url": _env("PUSH_HMS_URL", "https://push-api.cloud.huawei.com"),
        "push_hms_token_url": _env(
            "PUSH_HMS_TOKEN_URL", "https://oauth-login.cloud.huawei.com/oauth2/v3/token"
        ),
        "push_hms_badge_class": _env("PUSH_HMS_BADGE_CLASS", ""),
        "push_hms_service_account_file": _path("PUSH_HMS_SERVICE_ACCOUNT_FILE"),
        "push_fcm_service_account_file": _path("PUSH_FCM_SERVICE_ACCOUNT_FILE"),
        "push_fcm_url": _env("PUSH_FCM_URL", "https://fcm.googleapis.com"),
        "push_fcm_token_url": _env("PUSH_FCM_TOKEN_URL", ""),
        "push_timeout_seconds": float(_env("PUSH_TIMEOUT_SECONDS", "10")),
        "push_connections": _int("PUSH_CONNECTIONS", 100),
        "sms_webhook_url": _env("SMS_WEBHOOK_URL", ""),
        "sms_webhook_token_file": _path("SMS_WEBHOOK_TOKEN_FILE"),
    }


def _path(name: str) -> Path | None:
    value = _env(name, "")
    return Path(value).resolve() if value else None
def private_dir(path: Path) -> Path:
    """A folder only the server's user may enter (0700), as is every folder made for it: the
    data folder and everything the server keeps under it."""
    made = [folder for folder in (path, *path.parents) if not folder.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for folder in {path, *made}:
        folder.chmod(0o700)
    return path


def _stored_secret(data_dir: Path) -> str:
    """The secret kept in `data_dir/secret_key`, created (mode 0600) on first start."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    private_dir(data_dir)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret
