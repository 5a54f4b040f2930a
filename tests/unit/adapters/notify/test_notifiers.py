"""Each notification channel against a local server speaking its protocol: the body and headers
it sends, retries after 5xx and 429, refusals it does not retry, and a channel that stays down
without holding anything up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from trading_bot.adapters.clocks import SimulatedClock
from trading_bot.adapters.notify.channel import Channel
from trading_bot.adapters.notify.discord import DiscordChannel, DiscordConfig
from trading_bot.adapters.notify.dispatcher import DeliveryConfig, NotificationDispatcher
from trading_bot.adapters.notify.telegram import TelegramChannel, TelegramConfig
from trading_bot.adapters.notify.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookChannel,
    WebhookConfig,
    verify,
)
from trading_bot.core.operations import Notification, NotificationKind, Severity
from trading_bot.testing.metrics import RecordingMetrics
from trading_bot.testing.notify_servers import (
    DISCORD_WEBHOOK_PATH,
    TELEGRAM_TOKEN,
    LocalNotifyServer,
)

NOW = datetime(2024, 7, 3, 17, 0, tzinfo=UTC)
SECRET = "s3cret-shared-with-the-receiver"
FAST = DeliveryConfig(
    queue_size=4, max_attempts=3, backoff_seconds=0.001, backoff_max_seconds=0.01, jitter_seconds=0
)
WAIT = 5.0


def paused(kind: NotificationKind = NotificationKind.PAUSE_RESUME) -> Notification:
    return Notification(
        kind=kind,
        title="Trading paused automatically",
        text="No AAPL bar for 5 minutes while the market is open.",
        severity=Severity.WARNING,
        fields={"condition": "market_data", "since": "2024-07-03T16:55:00Z"},
        occurred_at=NOW,
    )


@pytest.fixture
async def server() -> AsyncIterator[LocalNotifyServer]:
    async with LocalNotifyServer() as running:
        yield running


@pytest.fixture
def metrics() -> RecordingMetrics:
    return RecordingMetrics()


def webhook(server: LocalNotifyServer, **options: object) -> WebhookChannel:
    config = WebhookConfig(url=server.webhook_url(), secret=SecretStr(SECRET), **options)
    return WebhookChannel(config, SimulatedClock(NOW))


def discord(server: LocalNotifyServer) -> DiscordChannel:
    return DiscordChannel(
        DiscordConfig(webhook_url=SecretStr(server.discord_url), username="trading-bot")
    )


def telegram(server: LocalNotifyServer, token: str = TELEGRAM_TOKEN) -> TelegramChannel:
    return TelegramChannel(
        TelegramConfig(bot_token=SecretStr(token), chat_id="-1001234", api_url=server.telegram_api)
    )


async def deliver(
    channels: list[Channel], metrics: RecordingMetrics, *notifications: Notification
) -> NotificationDispatcher:
    dispatcher = NotificationDispatcher(channels, FAST, metrics)
    sender = asyncio.create_task(dispatcher.run())
    try:
        for notification in notifications:
            dispatcher.submit(notification)
        async with asyncio.timeout(WAIT):
            await dispatcher.join()
    finally:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
        await dispatcher.aclose()
    return dispatcher


async def test_webhook_when_sending_posts_the_json_signed_with_the_shared_secret(
    server: LocalNotifyServer, metrics: RecordingMetrics
) -> None:
    await deliver([webhook(server)], metrics, paused())

    [delivery] = server.deliveries_to("/hooks/ops")
    assert delivery.json["title"] == "Trading paused automatically"
    assert delivery.json["fields"] == {"condition": "market_data", "since": "2024-07-03T16:55:00Z"}
    assert delivery.headers[TIMESTAMP_HEADER] == str(int(NOW.timestamp()))
    assert verify(
        SECRET,
        delivery.headers[TIMESTAMP_HEADER],
        delivery.body,
        delivery.headers[SIGNATURE_HEADER],
    )


async def test_webhook_signature_when_the_body_was_altered_does_not_verify(
    server: LocalNotifyServer, metrics: RecordingMetrics
) -> None:
    await deliver([webhook(server)], metrics, paused())

    [delivery] = server.deliveries_to("/hooks/ops")
    tampered = delivery.body.replace(b"market_data", b"nothing_wrong")
    assert not verify(
        SECRET, delivery.headers[TIMESTAMP_HEADER], tampered, delivery.headers[SIGNATURE_HEADER]
    )


async def test_discord_when_sending_posts_content_and_one_embed_with_the_fields(
    server: LocalNotifyServer, metrics: RecordingMetrics
) -> None:
    await deliver([discord(server)], metrics, paused())

    [delivery] = server.deliveries_to(DISCORD_WEBHOOK_PATH)
    body = delivery.json
    assert body["content"] == "Trading paused automatically"
    assert body["username"] == "trading-bot"
    assert body["allowed_mentions"] == {"parse": []}
    [embed] = body["embeds"]
    assert embed["description"].startswith("No AAPL bar")
    assert {"name": "condition", "value": "market_data", "inline": True} in embed["fields"]
    assert embed["timestamp"] == NOW.isoformat()


async def test_telegram_when_sending_calls_send_message_with_the_chat_and_plain_text(
    server: LocalNotifyServer, metrics: RecordingMetrics
) -> None:
    await deliver([telegram(server)], metrics, paused())

    [delivery] = server.deliveries_to(f"/bot{TELEGRAM_TOKEN}/sendMessage")
    assert delivery.json["chat_id"] == "-1001234"
    assert delivery.json["text"].splitlines()[0] == "Trading paused automatically"
    assert "condition: market_data" in delivery.json["text"]
    assert metrics.count("notifications_sent", channel="telegram") == 1


@pytest.mark.parametrize("make", [webhook, discord, telegram])
async def test_each_channel_when_the_server_fails_twice_with_500_delivers_on_the_third_try(
    server: LocalNotifyServer,
    metrics: RecordingMetrics,
    make: Callable[[LocalNotifyServer], Channel],
) -> None:
    server.fail_next(2, status=500)
    channel = make(server)

    await deliver([channel], metrics, paused())

    assert [d.status for d in server.deliveries][:2] == [500, 500]
    assert len([d for d in server.deliveries if d.status in {200, 204}]) == 1
    assert metrics.count("notification_retries", channel=channel.name) == 2
    assert metrics.count("notifications_sent", channel=channel.name) == 1


async def test_channel_when_told_to_slow_down_with_429_retries_and_delivers(
    server: LocalNotifyServer, metrics: RecordingMetrics
) -> None:
    server.fail_next(1, status=429, retry_after=0.01)

    await deliver([discord(server)], metrics, paused())

    assert [d.status for d in server.deliveries] == [429, 204]


async def test_telegram_when_the_token_is_wrong_gives_up_at_once_and_counts_the_failure(
    server: LocalNotifyServer, metrics: RecordingMetrics
) -> None:
    await deliver([telegram(server, token="999:wrong")], metrics, paused())

    assert [d.status for d in server.deliveries] == [401]
    assert metrics.count("notification_retries") == 0
    assert metrics.count("notifications_failed", channel="telegram") == 1


async def test_dispatcher_when_a_channel_stays_down_still_delivers_to_the_others(
    server: LocalNotifyServer, metrics: RecordingMetrics
) -> None:
    async with LocalNotifyServer() as down:
        down.fail_always(503)
        broken = WebhookChannel(
            WebhookConfig(url=down.webhook_url(), secret=SecretStr(SECRET)),
            SimulatedClock(NOW),
            name="broken",
        )

        await deliver([broken, telegram(server)], metrics, paused(), paused())

        assert len(down.deliveries) == 2 * FAST.max_attempts
    assert len(server.deliveries_to(f"/bot{TELEGRAM_TOKEN}/sendMessage")) == 2
    assert metrics.count("notifications_failed", channel="broken") == 2


async def test_dispatcher_when_a_queue_is_full_drops_the_notification_without_waiting(
    server: LocalNotifyServer, metrics: RecordingMetrics
) -> None:
    dispatcher = NotificationDispatcher([webhook(server)], FAST, metrics)

    accepted = [dispatcher.submit(paused()) for _ in range(FAST.queue_size + 2)]

    assert accepted == [True] * FAST.queue_size + [False, False]
    assert metrics.count("notifications_dropped", channel="webhook", reason="queue_full") == 2
    await dispatcher.aclose()


async def test_dispatcher_when_a_kind_is_switched_off_for_a_channel_does_not_send_it(
    server: LocalNotifyServer, metrics: RecordingMetrics
) -> None:
    quiet = webhook(server, events=(NotificationKind.KILL_SWITCH,))

    await deliver([quiet], metrics, paused(), paused(NotificationKind.KILL_SWITCH))

    [delivery] = server.deliveries_to("/hooks/ops")
    assert delivery.json["kind"] == "kill_switch"
