"""The ZSaga wire protocol (docs/PROTOCOL.md): envelopes, errors, and the command body hash."""

from __future__ import annotations

import json
from typing import Any

JSON = dict[str, Any]

#: Protocol version.
VERSION = 1
#: The largest envelope a process accepts.
MAX_ENVELOPE = 1 << 20


class ZSagaError(Exception):
    """Anything that went wrong talking to a ZSaga process."""


class RefusedError(ZSagaError):
    """The process answered with an `error` envelope: nothing happened."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(f"{code}: {field + ': ' if field else ''}{message}")
        self.code = code
        self.message = message
        self.field = field


class UnreachableError(ZSagaError):
    """No answer within the timeout: the process is not running, not reachable, or too busy."""

    def __init__(self, endpoint: str, waited_ms: int) -> None:
        super().__init__(f"no answer from {endpoint} within {waited_ms} ms")
        self.endpoint = endpoint
        self.waited_ms = waited_ms


def encode(kind: str, **members: Any) -> bytes:
    """One envelope, as the frame to send."""
    return json.dumps({"v": VERSION, "kind": kind, **members}, separators=(",", ":"), ensure_ascii=False).encode()


def decode(frame: bytes) -> JSON:
    """Reads an envelope; raises RefusedError("malformed") for anything that is not one."""
    if len(frame) > MAX_ENVELOPE:
        raise RefusedError("too_large", f"the envelope is {len(frame)} bytes, the limit is {MAX_ENVELOPE}")
    try:
        value = json.loads(frame.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as error:
        raise RefusedError("malformed", f"not JSON: {error}") from error
    if not isinstance(value, dict):
        raise RefusedError("malformed", "the envelope is not an object")
    if value.get("v") != VERSION:
        if isinstance(value.get("v"), int) and not isinstance(value.get("v"), bool):
            raise RefusedError("unsupported_version", f"version {value['v']} is not supported", "v")
        raise RefusedError("malformed", "v must be the integer 1", "v")
    if not isinstance(value.get("kind"), str):
        raise RefusedError("malformed", "kind must be a string", "kind")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def is_identifier(text: object, max_bytes: int = 256) -> bool:
    """1 or more characters from A-Z a-z 0-9 . _ - : / @, at most `max_bytes`."""
    if not isinstance(text, str) or not text or len(text.encode()) > max_bytes:
        return False
    return all(c.isascii() and (c.isalnum() or c in "._-:/@") for c in text)


def canonical(value: Any) -> bytes:
    """JSON with keys sorted and no spaces: the same value always encodes alike."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def body_hash(type_: str, body: JSON) -> int:
    """What a participant records with a command id to tell a retry (same type and body) from a
    reuse of the id (refused with `conflict`): FNV-1a 64 of the type, a zero byte and the body's
    canonical JSON, as a signed 64-bit integer (as ServiceKit's `Command.bodyHash`)."""
    value = 0xCBF29CE484222325
    for byte in type_.encode() + b"\0" + canonical(body):
        value ^= byte
        value = (value * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value - (1 << 64) if value >= 1 << 63 else value
