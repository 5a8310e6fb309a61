"""The vendor protocols against local fakes that answer like the vendors: what each provider
sends (headers, priority, collapse, withdrawal, no preview by default), how it reads every kind
of answer (sent / retry with Retry-After / invalid token / permanent failure), that access
tokens are fetched once and reused, and that no secret ever reaches a reason."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from conftest import free_port, settings_for_tests
from fakes import FakeApns, FakeFcm, FakeGateway, FakeHms, FakeSms, apns_error, fcm_error, hms_code
from fakes.fcm import BAD_TOKEN, UNREGISTERED
from fakes.gateway import REJECTED
from fakes.hms import BAD_MESSAGE, INVALID_TOKEN, OAUTH
from fakes.keys import Keys, make_keys
from fakes.script import Answer
from jose.exceptions import JOSEError

from core.config import load_settings
from push.providers import build_providers, http
from push.providers.apns import ApnsProvider, ProviderToken
from push.providers.base import Notification, Outcome
from push.providers.fcm import FcmProvider, ServiceAccount
from push.providers.gateway import GatewayProvider
from push.providers.harmony import HarmonyProvider
from push.providers.hms import HmsProvider
from push.sms import WebhookSms, build_sms

LINE = "您有一份待签批文件"
SIGN = Notification(
    token="device-token-1", app_id="cn.gov.tongban", kind="document.to_sign", line=LINE,
    badge=4, collapse_id="document:17", data={"document_id": 17},
)


def vary(**changes: Any) -> Notification:
    return dataclasses.replace(SIGN, **changes)


def pool() -> http.Pool:
    return http.Pool(timeout=2.0, connections=20)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    return make_keys(tmp_path_factory.mktemp("push-keys"))


@pytest_asyncio.fixture(loop_scope="session")
async def apns(keys: Keys) -> AsyncIterator[tuple[FakeApns, ApnsProvider]]:
    fake = FakeApns(
        public_pem=keys.apns_public_pem, key_id=keys.apns_key_id, team_id=keys.apns_team_id
    )
    await fake.start()
    provider = ApnsProvider.from_key_file(
        keys.apns_key_file, key_id=keys.apns_key_id, team_id=keys.apns_team_id, url=fake.url,
        timeout=2.0,
    )
    yield fake, provider
    await provider.close()
    await fake.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def hms(keys: Keys) -> AsyncIterator[tuple[FakeHms, HmsProvider]]:
    secret = keys.hms_secret_file.read_text()
    fake = FakeHms(app_id=keys.hms_app_id, client_secret=secret)
    await fake.start()
    provider = HmsProvider.from_secret_file(
        keys.hms_secret_file, app_id=keys.hms_app_id, url=fake.url, token_url=fake.token_url,
        timeout=2.0, connections=20, badge_class="cn.gov.tongban.MainActivity",
    )
    yield fake, provider
    await provider.close()
    await fake.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def fcm(keys: Keys) -> AsyncIterator[tuple[FakeFcm, FcmProvider]]:
    fake = FakeFcm(
        project_id=keys.fcm_project_id, email=keys.fcm_email, public_pem=keys.fcm_public_pem
    )
    await fake.start()
    account = ServiceAccount.from_file(keys.fcm_account_file, token_url=fake.token_url)
    provider = FcmProvider(account, url=fake.url, pool=pool())
    yield fake, provider
    await provider.close()
    await fake.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def gateway() -> AsyncIterator[tuple[FakeGateway, GatewayProvider]]:
    fake = FakeGateway()
    await fake.start()
    provider = GatewayProvider(fake.notify_url, pool=pool())
    yield fake, provider
    await provider.close()
    await fake.stop()


def no_secret_in(outcome: Outcome, *secrets: str) -> None:
    for secret in secrets:
        assert secret.strip() not in outcome.reason


# --- APNs -------------------------------------------------------------------------------------


async def test_apns_alert_carries_topic_collapse_badge_and_only_the_line(apns: Any) -> None:
    fake, provider = apns
    assert await provider.send(SIGN) == Outcome("sent")
    [got] = fake.script.received
    assert got.path == "/3/device/device-token-1"
    assert got.headers["apns-topic"] == "cn.gov.tongban"
    assert got.headers["apns-push-type"] == "alert"
    assert got.headers["apns-priority"] == "5"
    assert got.headers["apns-collapse-id"] == "document:17"
    assert int(got.headers["apns-expiration"]) > 0
    assert got.body["aps"]["alert"] == {"body": LINE}
    assert got.body["aps"]["badge"] == 4
    assert got.body["aps"]["interruption-level"] == "active"
    assert (got.body["kind"], got.body["document_id"]) == ("document.to_sign", "17")


async def test_apns_urgent_is_priority_10_and_time_sensitive(apns: Any) -> None:
    fake, provider = apns
    assert (await provider.send(vary(urgent=True))).verdict == "sent"
    [got] = fake.script.received
    assert got.headers["apns-priority"] == "10"
    assert got.body["aps"]["interruption-level"] == "time-sensitive"


async def test_apns_withdraw_is_a_background_push_under_the_same_collapse_id(apns: Any) -> None:
    fake, provider = apns
    assert (await provider.send(vary(withdraw=True, badge=3, urgent=True))).verdict == "sent"
    [got] = fake.script.received
    assert got.headers["apns-push-type"] == "background"
    assert got.headers["apns-priority"] == "5"  # Apple refuses 10 for background pushes
    assert got.headers["apns-collapse-id"] == "document:17"
    assert got.body["aps"] == {"content-available": 1, "badge": 3}
    assert got.body["withdraw"] == "1"


async def test_apns_preview_shows_title_and_body_when_allowed(apns: Any) -> None:
    fake, provider = apns
    await provider.send(vary(title="关于防汛的通知", body="请于今日18时前签收"))
    alert = fake.script.received[0].body["aps"]["alert"]
    assert alert == {"title": "关于防汛的通知", "body": "请于今日18时前签收"}


@pytest.mark.parametrize("status, reason", [(410, "Unregistered"), (400, "BadDeviceToken"),
                                            (400, "DeviceTokenNotForTopic")])
async def test_apns_dead_token_is_invalid(apns: Any, status: int, reason: str) -> None:
    fake, provider = apns
    fake.script.queue("dead", apns_error(status, reason))
    assert await provider.send(vary(token="dead")) == Outcome("invalid", reason)


@pytest.mark.parametrize("status, reason", [(429, "TooManyRequests"), (503, "ServiceUnavailable"),
                                            (500, "InternalServerError"),
                                            (429, "TooManyProviderTokenUpdates")])
async def test_apns_busy_is_retried_after_what_apple_says(
    apns: Any, status: int, reason: str
) -> None:
    fake, provider = apns
    fake.script.queue("busy", apns_error(status, reason, **{"retry-after": "30"}))
    assert await provider.send(vary(token="busy")) == Outcome("retry", reason, 30.0)
    assert (await provider.send(vary(token="busy"))).verdict == "sent"


async def test_apns_other_refusal_is_failed(apns: Any) -> None:
    fake, provider = apns
    fake.script.queue("odd", apns_error(400, "BadCollapseId"))
    assert await provider.send(vary(token="odd")) == Outcome("failed", "BadCollapseId")


async def test_apns_provider_token_is_signed_once_and_renewed_after_50_minutes(
    apns: Any, keys: Keys
) -> None:
    fake, _ = apns
    now = [1_000_000.0]
    token = ProviderToken(
        keys.apns_key_file.read_text(), key_id=keys.apns_key_id, team_id=keys.apns_team_id,
        clock=lambda: now[0],
    )
    first = token.get()
    now[0] += 49 * 60
    assert token.get() == first
    now[0] += 2 * 60
    assert token.get() != first
    provider = ApnsProvider(ProviderToken(
        keys.apns_key_file.read_text(), key_id=keys.apns_key_id, team_id=keys.apns_team_id,
    ), client=http.http2_client(fake.url, timeout=2.0))
    outcomes = [await provider.send(vary(token=f"t{i}")) for i in range(20)]
    await provider.close()
    assert {o.verdict for o in outcomes} == {"sent"}
    assert len(fake.provider_tokens) == 1


async def test_apns_expired_provider_token_is_renewed(apns: Any) -> None:
    fake, provider = apns
    await provider.send(SIGN)
    fake.script.queue("late", apns_error(403, "ExpiredProviderToken"))
    assert await provider.send(vary(token="late")) == Outcome("retry", "ExpiredProviderToken", 0.0)
    assert (await provider.send(vary(token="late"))).verdict == "sent"
    assert len(fake.provider_tokens) == 2


async def test_apns_foreign_key_is_refused_without_leaking_it(apns: Any, tmp_path: Path) -> None:
    fake, _ = apns
    other = make_keys(tmp_path)
    provider = ApnsProvider.from_key_file(
        other.apns_key_file, key_id=other.apns_key_id, team_id=other.apns_team_id, url=fake.url,
        timeout=2.0,
    )
    outcome = await provider.send(SIGN)
    await provider.close()
    assert outcome == Outcome("failed", "InvalidProviderToken")
    no_secret_in(outcome, *other.secret_values())


async def test_apns_many_sends_share_one_http2_connection(apns: Any) -> None:
    fake, provider = apns
    fake.script.latency = 0.02
    outcomes = await asyncio.gather(*(provider.send(vary(token=f"m{i}")) for i in range(100)))
    assert {o.verdict for o in outcomes} == {"sent"}
    assert fake.connections == 1


async def test_apns_timeout_is_retried(apns: Any, keys: Keys) -> None:
    fake, _ = apns
    fake.script.latency = 0.5
    provider = ApnsProvider.from_key_file(
        keys.apns_key_file, key_id=keys.apns_key_id, team_id=keys.apns_team_id, url=fake.url,
        timeout=0.1,
    )
    assert await provider.send(SIGN) == Outcome("retry", "timeout")
    await provider.close()


# --- Huawei Push Kit --------------------------------------------------------------------------


async def test_hms_sends_a_notification_message_with_tag_and_badge(hms: Any) -> None:
    fake, provider = hms
    assert await provider.send(SIGN) == Outcome("sent")
    [got] = fake.script.received
    assert got.path == f"/v1/{fake.app_id}/messages:send"
    message = got.body["message"]
    assert message["token"] == ["device-token-1"]
    android = message["android"]
    assert android["urgency"] == "NORMAL"
    assert android["notification"]["tag"] == "document:17"
    assert android["notification"]["importance"] == "NORMAL"
    assert android["notification"]["body"] == LINE
    assert android["notification"]["badge"] == {
        "set_num": 4, "class": "cn.gov.tongban.MainActivity"
    }
    assert json.loads(message["data"])["document_id"] == "17"


async def test_hms_urgent_is_high_importance(hms: Any) -> None:
    fake, provider = hms
    await provider.send(vary(urgent=True))
    android = fake.script.received[0].body["message"]["android"]
    assert (android["urgency"], android["notification"]["importance"]) == ("HIGH", "HIGH")


async def test_hms_withdraw_is_a_data_message(hms: Any) -> None:
    fake, provider = hms
    assert (await provider.send(vary(withdraw=True))).verdict == "sent"
    message = fake.script.received[0].body["message"]
    assert "notification" not in message["android"]
    assert json.loads(message["data"])["withdraw"] == "1"


async def test_hms_one_oauth_token_serves_many_sends(hms: Any) -> None:
    fake, provider = hms
    outcomes = await asyncio.gather(*(provider.send(vary(token=f"h{i}")) for i in range(50)))
    assert {o.verdict for o in outcomes} == {"sent"}
    assert fake.token_requests == 1


async def test_hms_expired_oauth_token_is_renewed(hms: Any) -> None:
    fake, provider = hms
    await provider.send(SIGN)
    fake.expire_tokens()
    outcome = await provider.send(SIGN)
    assert (outcome.verdict, outcome.retry_after) == ("retry", 0.0)
    assert (await provider.send(SIGN)).verdict == "sent"
    assert fake.token_requests == 2


async def test_hms_result_codes(hms: Any) -> None:
    fake, provider = hms
    fake.script.queue("gone", INVALID_TOKEN)
    fake.script.queue("bad", BAD_MESSAGE)
    fake.script.queue("busy", Answer(503, {"code": "81000001"}, {"retry-after": "12"}))
    fake.script.queue("inner", hms_code("81000001", "System inner error", 500))
    gone = await provider.send(vary(token="gone"))
    assert gone == Outcome("invalid", "hms 80300007 token invalid")
    assert await provider.send(vary(token="bad")) == Outcome("failed", "hms 80100003")
    assert await provider.send(vary(token="busy")) == Outcome("retry", "hms 81000001", 12.0)
    assert (await provider.send(vary(token="inner"))).verdict == "retry"
    assert (await provider.send(vary(token="busy"))).verdict == "sent"


async def test_hms_wrong_secret_fails_without_naming_it(hms: Any, tmp_path: Path) -> None:
    fake, _ = hms
    wrong = tmp_path / "secret"
    wrong.write_text("not-the-secret-0123456789")
    provider = HmsProvider.from_secret_file(
        wrong, app_id=fake.app_id, url=fake.url, token_url=fake.token_url, timeout=2.0,
        connections=2,
    )
    outcome = await provider.send(SIGN)
    await provider.close()
    assert outcome == Outcome("failed", "hms oauth refused (HTTP 400)")
    no_secret_in(outcome, "not-the-secret-0123456789")


# --- FCM HTTP v1 ------------------------------------------------------------------------------


async def test_fcm_message_has_collapse_tag_and_apns_headers(fcm: Any) -> None:
    fake, provider = fcm
    assert await provider.send(vary(urgent=True)) == Outcome("sent")
    [got] = fake.script.received
    assert got.path == f"/v1/projects/{fake.project_id}/messages:send"
    message = got.body["message"]
    assert message["token"] == "device-token-1"
    assert message["notification"] == {"body": LINE}
    assert message["data"]["kind"] == "document.to_sign"
    android = message["android"]
    assert (android["collapse_key"], android["priority"]) == ("document:17", "HIGH")
    assert android["notification"]["tag"] == "document:17"
    assert android["notification"]["notification_count"] == 4
    assert message["apns"]["headers"]["apns-priority"] == "10"
    assert message["apns"]["headers"]["apns-collapse-id"] == "document:17"
    assert message["apns"]["payload"]["aps"]["interruption-level"] == "time-sensitive"


async def test_fcm_withdraw_is_data_only(fcm: Any) -> None:
    fake, provider = fcm
    await provider.send(vary(withdraw=True))
    message = fake.script.received[0].body["message"]
    assert "notification" not in message and "notification" not in message["android"]
    assert message["data"]["withdraw"] == "1"
    assert message["apns"]["headers"]["apns-push-type"] == "background"


async def test_fcm_one_access_token_serves_many_sends(fcm: Any) -> None:
    fake, provider = fcm
    outcomes = await asyncio.gather(*(provider.send(vary(token=f"f{i}")) for i in range(50)))
    assert {o.verdict for o in outcomes} == {"sent"}
    assert fake.token_requests == 1


async def test_fcm_errors(fcm: Any) -> None:
    fake, provider = fcm
    fake.script.queue("gone", UNREGISTERED)
    fake.script.queue("junk", BAD_TOKEN)
    fake.script.queue("quota", fcm_error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota",
                                         **{"retry-after": "7"}))
    fake.script.queue("down", fcm_error(503, "UNAVAILABLE", "UNAVAILABLE", "Unavailable"))
    fake.script.queue("ours", Answer(400, {"error": {
        "code": 400, "status": "INVALID_ARGUMENT", "message": "Invalid value at 'message.data'",
        "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest"}],
    }}))
    assert (await provider.send(vary(token="gone"))).verdict == "invalid"
    assert (await provider.send(vary(token="junk"))).verdict == "invalid"
    quota = await provider.send(vary(token="quota"))
    assert (quota.verdict, quota.retry_after) == ("retry", 7.0)
    assert (await provider.send(vary(token="down"))).verdict == "retry"
    ours = await provider.send(vary(token="ours"))
    assert ours.verdict == "failed" and "INVALID_ARGUMENT" in ours.reason


async def test_fcm_refused_access_token_is_renewed_and_never_shown(fcm: Any) -> None:
    fake, provider = fcm
    await provider.send(SIGN)
    fake.expire_tokens()
    outcome = await provider.send(SIGN)
    assert (outcome.verdict, outcome.retry_after) == ("retry", 0.0)
    assert "ya29" not in outcome.reason
    assert (await provider.send(SIGN)).verdict == "sent"
    assert fake.token_requests == 2


# --- Push gateway -----------------------------------------------------------------------------


async def test_gateway_posts_the_matrix_shape(gateway: Any) -> None:
    fake, provider = gateway
    assert await provider.send(vary(urgent=True)) == Outcome("sent")
    shown = fake.script.received[0].body["notification"]
    assert shown["devices"] == [{"app_id": "cn.gov.tongban", "pushkey": "device-token-1"}]
    assert (shown["event_id"], shown["type"], shown["prio"]) == (
        "document:17", "document.to_sign", "high"
    )
    assert shown["counts"] == {"unread": 4}
    assert shown["content"]["line"] == LINE and "title" not in shown["content"]


async def test_gateway_withdraw_and_rejected_pushkey(gateway: Any) -> None:
    fake, provider = gateway
    fake.script.always("dead", REJECTED)
    assert (await provider.send(vary(withdraw=True))).verdict == "sent"
    assert fake.script.received[0].body["notification"]["content"]["withdraw"] is True
    assert (await provider.send(vary(token="dead"))).verdict == "invalid"


async def test_gateway_busy_retried_refusal_failed_unreachable_retried(gateway: Any) -> None:
    fake, provider = gateway
    fake.script.queue("busy", Answer(503, headers={"retry-after": "3"}), times=2)
    fake.script.queue("no", Answer(400))
    assert await provider.send(vary(token="busy")) == Outcome("retry", "gateway HTTP 503", 3.0)
    assert (await provider.send(vary(token="busy"))).verdict == "retry"
    assert (await provider.send(vary(token="busy"))).verdict == "sent"
    assert await provider.send(vary(token="no")) == Outcome("failed", "gateway HTTP 400")
    closed = GatewayProvider("http://127.0.0.1:9/notify", pool=pool())
    assert (await closed.send(SIGN)).verdict == "retry"
    await closed.close()


# --- SMS webhook, settings --------------------------------------------------------------------


async def test_sms_webhook_sends_with_bearer_and_hides_the_phone(keys: Keys) -> None:
    fake = FakeSms(token=keys.sms_token_file.read_text())
    await fake.start()
    settings = settings_for_tests(
        Path("/tmp"), sms_webhook_url=fake.sms_url, sms_webhook_token_file=keys.sms_token_file
    )
    sms = build_sms(settings)
    assert isinstance(sms, WebhookSms)
    fake.script.queue("13800000001", Answer(500), times=1)
    fake.script.queue("13800000002", Answer(422))
    assert await sms.send("13800000000", "【通办】特急文件待签收") == Outcome("sent")
    assert (await sms.send("13800000001", "x")).verdict == "retry"
    failed = await sms.send("13800000002", "x")
    await sms.close()
    await fake.stop()
    got = fake.script.received[0].body
    assert got == {"phone": "13800000000", "text": "【通办】特急文件待签收"}
    assert failed == Outcome("failed", "sms webhook HTTP 422")
    no_secret_in(failed, "13800000002", *keys.secret_values())


async def test_build_providers_makes_only_those_configured(keys: Keys) -> None:
    bare = settings_for_tests(Path("/tmp"))
    assert build_providers(bare) == {} and build_sms(bare) is None
    full = bare.with_overrides(
        push_gateway_url="http://127.0.0.1:9/_matrix/push/v1/notify",
        push_apns_key_file=keys.apns_key_file, push_apns_key_id=keys.apns_key_id,
        push_apns_team_id=keys.apns_team_id, push_hms_app_id=keys.hms_app_id,
        push_hms_client_secret_file=keys.hms_secret_file,
        push_fcm_service_account_file=keys.fcm_account_file,
    )
    providers = build_providers(full)
    assert sorted(providers) == ["apns", "fcm", "gateway", "hms"]
    assert {name: p.name for name, p in providers.items()} == {n: n for n in providers}
    for provider in providers.values():
        await provider.close()


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert http.retry_after(httpx.Headers({"retry-after": "120"})) == 120.0
    later = http.retry_after(httpx.Headers({"retry-after": "Wed, 21 Oct 2099 07:28:00 GMT"}))
    assert later is not None and later > 0
    assert http.retry_after(httpx.Headers({"retry-after": "soon"})) is None
    assert http.retry_after(httpx.Headers()) is None


def test_push_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TONGBAN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TONGBAN_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("TONGBAN_PUSH_GATEWAY_URL", "https://gw.example.gov.cn/notify")
    monkeypatch.setenv("TONGBAN_PUSH_APNS_KEY_FILE", str(tmp_path / "AuthKey.p8"))
    monkeypatch.setenv("TONGBAN_PUSH_HMS_APP_ID", "104857600")
    monkeypatch.setenv("TONGBAN_PUSH_CONNECTIONS", "7")
    settings = load_settings()
    assert settings.push_gateway_url.startswith("https://gw.example.gov.cn/")
    assert settings.push_apns_key_file == tmp_path / "AuthKey.p8"
    assert settings.push_apns_url == "https://api.push.apple.com"
    assert (settings.push_hms_app_id, settings.push_connections) == ("104857600", 7)
    assert settings.sms_webhook_url == "" and settings.push_fcm_service_account_file is None


async def test_a_fake_runs_as_its_own_process_and_is_scripted_over_http() -> None:
    port = free_port()
    root = Path(__file__).resolve().parents[2]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.push.fakes", "--kind", "gateway", "--port", str(port),
        "--latency", "0.01", cwd=root, stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        assert b"listening" in await asyncio.wait_for(process.stdout.readline(), 20)
        base = f"http://127.0.0.1:{port}"
        provider = GatewayProvider(base + "/_matrix/push/v1/notify", pool=pool())
        async with httpx.AsyncClient(base_url=base) as control:
            await control.post("/_fake/script", json={"token": "dead", "status": 200,
                                                      "always": True})
            assert (await provider.send(SIGN)).verdict == "sent"
            assert (await provider.send(vary(token="dead"))).verdict == "invalid"
            assert (await control.get("/_fake/stats")).json()["count"] == 2
        await provider.close()
    finally:
        process.terminate()
        await process.wait()


async def test_gateway_timeout_is_retried(gateway: Any) -> None:
    fake, _ = gateway
    fake.script.latency = 0.5
    impatient = GatewayProvider(fake.notify_url, pool=http.Pool(timeout=0.1, connections=2))
    assert await impatient.send(SIGN) == Outcome("retry", "timeout")
    await impatient.close()


def test_a_key_that_cannot_sign_stops_the_start_up_without_showing_it(
    keys: Keys, tmp_path: Path
) -> None:
    broken = tmp_path / "AuthKey_BROKEN.p8"
    broken.write_text("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ1dC1ub3QtYS1rZXk=\n"
                      "-----END PRIVATE KEY-----\n")
    settings = settings_for_tests(
        tmp_path, push_apns_key_file=broken, push_apns_key_id="K", push_apns_team_id="T"
    )
    with pytest.raises(JOSEError) as raised:
        build_providers(settings)
    assert "c2VjcmV0" not in str(raised.value)


# --- Huawei Push Kit v3 (HarmonyOS 5+) --------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="session")
async def harmony(keys: Keys) -> AsyncIterator[tuple[FakeHms, HarmonyProvider]]:
    account = json.loads(keys.harmony_account_file.read_text())
    fake = FakeHms(app_id=keys.hms_app_id, client_secret="unused",
                   account_public_pem=keys.harmony_public_pem,
                   sub_account=account["sub_account"])
    await fake.start()
    provider = HarmonyProvider.from_service_account(
        keys.harmony_account_file, url=fake.url, timeout=2.0, connections=20
    )
    yield fake, provider
    await provider.close()
    await fake.stop()


async def test_harmony_alert_is_push_type_0_signed_by_the_service_account(harmony: Any) -> None:
    fake, provider = harmony
    outcomes = await asyncio.gather(*(provider.send(vary(token=f"n{i}")) for i in range(20)))
    assert {o.verdict for o in outcomes} == {"sent"}
    assert len(fake.account_tokens) == 1 and fake.token_requests == 0  # no OAuth round trip
    got = fake.script.received[0]
    assert got.path == "/v3/101653523863785276/messages:send"
    assert got.headers["push-type"] == "0"
    shown = got.body["payload"]["notification"]
    assert (shown["category"], shown["body"], shown["badge"]) == ("WORK", LINE, {"setNum": 4})
    assert shown["clickAction"]["data"]["document_id"] == "17"
    assert got.body["target"] == {"token": ["n0"]}


async def test_harmony_withdraw_is_a_background_push_naming_the_notification(
    harmony: Any
) -> None:
    fake, provider = harmony
    await provider.send(SIGN)
    await provider.send(vary(withdraw=True))
    shown, gone = fake.script.received
    assert gone.headers["push-type"] == "6"
    extra = json.loads(gone.body["payload"]["extraData"])
    assert extra["withdraw"] == "1"
    assert int(extra["notify_id"]) == shown.body["payload"]["notification"]["notifyId"]


async def test_harmony_result_codes_and_a_foreign_key(harmony: Any, tmp_path: Path) -> None:
    fake, provider = harmony
    fake.script.queue("gone", INVALID_TOKEN)
    fake.script.queue("busy", Answer(503, {"code": "81000001"}, {"retry-after": "4"}))
    assert (await provider.send(vary(token="gone"))).verdict == "invalid"
    assert await provider.send(vary(token="busy")) == Outcome("retry", "hms 81000001", 4.0)
    other = make_keys(tmp_path)
    stranger = HarmonyProvider.from_service_account(
        other.harmony_account_file, url=fake.url, timeout=2.0, connections=2
    )
    refused = await stranger.send(SIGN)
    await stranger.close()
    assert refused == Outcome("retry", "hms 80200001", 0.0)  # renewed, then refused again
    no_secret_in(refused, *other.secret_values())


async def test_build_providers_picks_v3_when_a_huawei_service_account_is_named(
    keys: Keys, tmp_path: Path
) -> None:
    settings = settings_for_tests(tmp_path, push_hms_service_account_file=keys.harmony_account_file)
    providers = build_providers(settings)
    assert isinstance(providers["hms"], HarmonyProvider)
    await providers["hms"].close()


async def test_hms_oauth_outage_is_asked_once_and_retried(hms: Any) -> None:
    fake, provider = hms
    fake.script.queue(OAUTH, Answer(503, headers={"retry-after": "9"}))
    outcomes = await asyncio.gather(*(provider.send(vary(token=f"o{i}")) for i in range(20)))
    assert set(outcomes) == {Outcome("retry", "hms oauth refused (HTTP 503)", 9.0)}
    assert fake.token_requests == 1
