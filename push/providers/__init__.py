"""Push providers: one module per vendor protocol, each a `Provider` (see `base`).

`build_providers(settings)` makes those whose settings are present, keyed by the provider name a
channel names (`apns`, `hms`, `fcm`, `gateway`). Key files are read here, once, so that a missing
or unreadable file stops the server at start-up rather than at the first push."""

from __future__ import annotations

from core.config import Settings
from push.providers import http
from push.providers.apns import ApnsProvider
from push.providers.base import Provider
from push.providers.fcm import FcmProvider, ServiceAccount
from push.providers.gateway import GatewayProvider
from push.providers.harmony import HarmonyProvider
from push.providers.hms import HmsProvider


def build_providers(settings: Settings) -> dict[str, Provider]:
    made = [_gateway(settings), _apns(settings), _hms(settings), _fcm(settings)]
    return {provider.name: provider for provider in made if provider is not None}


def _gateway(settings: Settings) -> Provider | None:
    if not settings.push_gateway_url:
        return None
    return GatewayProvider.from_url(
        settings.push_gateway_url, timeout=settings.push_timeout_seconds,
        connections=settings.push_connections,
    )


def _apns(settings: Settings) -> Provider | None:
    key_file, key_id, team_id = (
        settings.push_apns_key_file, settings.push_apns_key_id, settings.push_apns_team_id
    )
    if key_file is None or not key_id or not team_id:
        return None
    return ApnsProvider.from_key_file(
        key_file, key_id=key_id, team_id=team_id, url=settings.push_apns_url,
        timeout=settings.push_timeout_seconds,
    )


def _hms(settings: Settings) -> Provider | None:
    if settings.push_hms_service_account_file is not None:
        return HarmonyProvider.from_service_account(
            settings.push_hms_service_account_file, url=settings.push_hms_url,
            timeout=settings.push_timeout_seconds, connections=settings.push_connections,
        )
    if not settings.push_hms_app_id or settings.push_hms_client_secret_file is None:
        return None
    return HmsProvider.from_secret_file(
        settings.push_hms_client_secret_file, app_id=settings.push_hms_app_id,
        url=settings.push_hms_url, token_url=settings.push_hms_token_url,
        timeout=settings.push_timeout_seconds, connections=settings.push_connections,
        badge_class=settings.push_hms_badge_class,
    )


def _fcm(settings: Settings) -> Provider | None:
    if settings.push_fcm_service_account_file is None:
        return None
    account = ServiceAccount.from_file(
        settings.push_fcm_service_account_file, token_url=settings.push_fcm_token_url
    )
    pool = http.Pool(timeout=settings.push_timeout_seconds, connections=settings.push_connections)
    return FcmProvider(account, url=settings.push_fcm_url, pool=pool)
