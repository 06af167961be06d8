from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq

from zsaga import Outcome, Participant, Step, command, query
from zsaga.wire import JSON


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Loyalty(Participant):
    """The tests' participant: points per order, revoked by compensation."""

    name = "loyalty"

    def setup(self, db) -> None:  # type: ignore[no-untyped-def]
        db.execute("CREATE TABLE IF NOT EXISTS points (order_id TEXT PRIMARY KEY, points INTEGER NOT NULL, revoked INTEGER NOT NULL)")
        self.calls: list[str] = []

    @command("AwardPoints")
    def award(self, step: Step) -> Outcome:
        self.calls.append(step.command_id)
        order = step.body.get("order_id")
        if not isinstance(order, str):
            from zsaga import InvalidArgument
            raise InvalidArgument("order_id", "must be a string")
        points = int(step.body.get("amount_cents", 0)) // 100
        if points > 1000:
            return Outcome.rejected("too_many_points", "an order earns 1000 points at most")
        step.db.execute("INSERT INTO points VALUES (?, ?, 0)", (order, points))
        step.emit("PointsAwarded", {"order_id": order, "points": points})
        return Outcome.ok({"points": points})

    @command("RevokePoints")
    def revoke(self, step: Step) -> Outcome:
        self.calls.append(step.command_id)
        step.db.execute("UPDATE points SET revoked = 1 WHERE order_id = ?", (step.body["order_id"],))
        step.emit("PointsRevoked", {"order_id": step.body["order_id"]})
        return Outcome.ok()

    @query("Held")
    def held(self, body: JSON, db) -> JSON:  # type: ignore[no-untyped-def]
        return {"points": db.execute("SELECT COALESCE(SUM(points), 0) FROM points WHERE revoked = 0").fetchone()[0]}


class Running:
    """A participant served on a thread, on free loopback ports."""

    def __init__(self, directory: Path, **options: object) -> None:
        self.directory = directory
        self.router = f"tcp://127.0.0.1:{free_port()}"
        self.pub = f"tcp://127.0.0.1:{free_port()}"
        self.options = options
        self.start()

    def start(self) -> None:
        self.participant = Loyalty(str(self.directory), self.router, self.pub, heartbeat_ms=200, **self.options)  # type: ignore[arg-type]
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.participant.serve, args=(self.stop_event,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(5)


@pytest.fixture
def loyalty(tmp_path: Path) -> Iterator[Running]:
    running = Running(tmp_path / "loyalty")
    yield running
    running.stop()


class Dealer:
    """A raw DEALER, to send exactly what a test wants."""

    def __init__(self, endpoint: str, context: zmq.Context | None = None) -> None:
        self.socket = (context or zmq.Context.instance()).socket(zmq.DEALER)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(endpoint)

    def ask(self, frame: bytes, timeout_ms: int = 3000) -> bytes | None:
        self.socket.send(frame)
        return self.socket.recv() if self.socket.poll(timeout_ms) else None

    def close(self) -> None:
        self.socket.close()
