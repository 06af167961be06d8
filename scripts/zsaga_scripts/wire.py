"""A small client of the ZSaga wire protocol (docs/PROTOCOL.md) for the scripts: queries over a
DEALER, one socket per endpoint, answers matched by id."""

from __future__ import annotations

import itertools
import json
from typing import Any

import zmq

JSON = dict[str, Any]


class WireError(Exception):
    """An `error` answer, or no answer within the timeout."""


class WireClient:
    """Sends queries to ZSaga processes and waits for their results."""

    def __init__(self, timeout_ms: int = 10_000) -> None:
        self.context = zmq.Context.instance()
        self.sockets: dict[str, zmq.Socket] = {}
        self.timeout_ms = timeout_ms
        self.ids = itertools.count(1)

    def _socket(self, endpoint: str) -> zmq.Socket:
        if endpoint not in self.sockets:
            socket = self.context.socket(zmq.DEALER)
            socket.setsockopt(zmq.LINGER, 0)
            socket.connect(endpoint)
            self.sockets[endpoint] = socket
        return self.sockets[endpoint]

    def query(self, endpoint: str, type_: str, body: JSON | None = None) -> JSON:
        """Runs a query and returns its result body; raises WireError on an error or a timeout."""
        query_id = f"q{next(self.ids)}"
        socket = self._socket(endpoint)
        socket.send(json.dumps({"v": 1, "kind": "query", "id": query_id, "type": type_, "body": body or {}}).encode())
        while socket.poll(self.timeout_ms):
            answer = json.loads(socket.recv())
            if answer.get("in_reply_to") != query_id:
                continue
            if answer.get("kind") == "error":
                raise WireError(f"{answer.get('code')}: {answer.get('message')}")
            return answer.get("body", {})
        # A dead peer's queued query would be delivered when it comes back: drop the socket.
        self.sockets.pop(endpoint).close()
        raise WireError(f"no answer from {endpoint} within {self.timeout_ms} ms")

    def close(self) -> None:
        for socket in self.sockets.values():
            socket.close()
        self.sockets.clear()
