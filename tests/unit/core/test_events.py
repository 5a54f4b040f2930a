"""Bus messages survive the wire unchanged, and anything malformed is refused with a reason."""

from __future__ import annotations

import json

import pytest

from trading_bot.core.errors import MalformedMessageError
from trading_bot.core.events import MESSAGE_TYPES, SCHEMA_VERSION, Message, decode, encode
from trading_bot.testing.messages import sample_messages

SAMPLES = {type(message).__name__: message for message in sample_messages()}


def test_sample_messages_when_listed_cover_every_registered_message_type() -> None:
    assert set(SAMPLES) == set(MESSAGE_TYPES)


@pytest.mark.parametrize("kind", sorted(MESSAGE_TYPES))
def test_message_when_encoded_then_decoded_equals_the_original(kind: str) -> None:
    original = SAMPLES[kind]

    decoded = decode(encode(original))

    assert decoded == original
    assert type(decoded) is type(original)


@pytest.mark.parametrize("kind", sorted(MESSAGE_TYPES))
def test_message_when_encoded_names_its_type_and_schema_version(kind: str) -> None:
    wire = json.loads(encode(SAMPLES[kind]))

    assert wire["type"] == kind
    assert wire["schema_version"] == SCHEMA_VERSION


def test_decode_when_given_text_instead_of_bytes_accepts_it() -> None:
    original = SAMPLES["HeartbeatSent"]

    assert decode(encode(original).decode("utf-8")) == original


def _wire(kind: str, **changes: object) -> bytes:
    payload = json.loads(encode(SAMPLES[kind]))
    payload.update(changes)
    return json.dumps(payload).encode()


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        pytest.param(b"{not json", "not valid JSON", id="malformed-json"),
        pytest.param(b"\xff\xfe\x00garbage", "not valid JSON", id="not-utf8"),
        pytest.param(b"", "not valid JSON", id="empty"),
        pytest.param(b"[1, 2]", "must be a JSON object", id="array"),
        pytest.param(b'"BarClosed"', "must be a JSON object", id="string"),
        pytest.param(
            b'{"occurred_at": "2024-03-05T15:00:00Z"}', "unknown message type None", id="no-type"
        ),
        pytest.param(
            _wire("BarClosed", type="OrderExploded"), "unknown message type", id="unknown-type"
        ),
        pytest.param(_wire("BarClosed", type=7), "unknown message type 7", id="type-not-string"),
        pytest.param(
            _wire("BarClosed", schema_version=SCHEMA_VERSION + 1),
            "schema_version",
            id="newer-schema",
        ),
        pytest.param(_wire("BarClosed", schema_version=0), "schema_version", id="schema-zero"),
        pytest.param(
            _wire("BarClosed", occurred_at="2024-03-05T15:00:00"),
            "occurred_at",
            id="naive-timestamp",
        ),
        pytest.param(_wire("BarClosed", surprise=1), "surprise", id="unknown-field"),
        pytest.param(_wire("ClosePosition", ticker="aapl"), "ticker", id="bad-ticker"),
    ],
)
def test_decode_when_payload_is_malformed_raises_malformed_message_error(
    payload: bytes, reason: str
) -> None:
    with pytest.raises(MalformedMessageError, match=reason):
        decode(payload)


@pytest.mark.parametrize("depth", [900, 100_000])
def test_decode_when_payload_is_nested_absurdly_deep_refuses_it_instead_of_crashing(
    depth: int,
) -> None:
    payload = b'{"type": "BarClosed", "bar": ' + b"[" * depth + b"]" * depth + b"}"

    with pytest.raises(MalformedMessageError):
        decode(payload)


def test_decode_when_a_nested_price_is_nan_names_the_field() -> None:
    payload = json.loads(encode(SAMPLES["BarClosed"]))
    payload["bar"]["open"] = "NaN"

    with pytest.raises(MalformedMessageError, match=r"bar\.open"):
        decode(json.dumps(payload))


def test_decode_when_a_nested_price_is_negative_names_the_field() -> None:
    payload = json.loads(encode(SAMPLES["TradeExecuted"]))
    payload["execution"]["price"] = "-187.30"

    with pytest.raises(MalformedMessageError, match=r"execution\.price"):
        decode(json.dumps(payload))


def test_message_when_constructed_is_immutable() -> None:
    message: Message = SAMPLES["HeartbeatSent"]

    with pytest.raises(ValueError, match="frozen"):
        message.service = "other"  # type: ignore[attr-defined]


def test_messages_when_created_without_an_id_get_distinct_event_ids() -> None:
    first, second = sample_messages(), sample_messages()

    assert {m.event_id for m in first}.isdisjoint({m.event_id for m in second})
