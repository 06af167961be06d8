"""`zsaga.Participant`: the base class of a saga participant written in Python.

A service is a subclass with one method per action and compensation, marked with
``@command("Name")``, and optional ``@query("Name")`` methods. The base class keeps the
participant contract (docs/PARTICIPANTS.md) for it:

- a ROUTER for commands and queries, and bad input answered with a stable error code;
- command records in SQLite with a hash of each command's type and body: a retry gets the
  recorded reply byte for byte, a reused id with another body `conflict`;
- fencing by saga step: a compensation that comes before its action records a fence (event
  ``StepFenced``) and answers `ok` without calling the method; the late action is refused
  `rejected`/`aborted`; a step compensated twice is undone once;
- the method's own writes, its events and the command record in one transaction, synced
  before the reply;
- a PUB of its events with gap-free sequence numbers, heartbeats, `sys.Replay`, `sys.Ping` and
  `sys.Head`.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import zmq

from .keys import ClusterKeys
from .tracing import Tracing, valid_traceparent
from .wire import JSON, RefusedError, body_hash, decode, encode, is_identifier

Handler = Callable[..., "Outcome"]


def command(name: str) -> Callable[[Handler], Handler]:
    """Marks a method as the handler of the command `<service>.<name>`: it takes a ``Step``
    and returns an ``Outcome``; it may raise ``InvalidArgument`` to refuse bad input."""
    def mark(method: Handler) -> Handler:
        method.__zsaga_command__ = name  # type: ignore[attr-defined]
        return method
    return mark


def query(name: str) -> Callable[[Callable[..., JSON]], Callable[..., JSON]]:
    """Marks a method as the handler of the query `<service>.<name>`: it takes the query's body
    and a read-only connection, and returns the result body."""
    def mark(method: Callable[..., JSON]) -> Callable[..., JSON]:
        method.__zsaga_query__ = name  # type: ignore[attr-defined]
        return method
    return mark


class InvalidArgument(Exception):
    """Raised by a handler for a bad body: answered with error `invalid_argument`, nothing recorded."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Outcome:
    """What a command did: `ok` (took effect) or `rejected` (a business rule refused it)."""

    outcome: str
    body: JSON = field(default_factory=dict)
    reason: str | None = None
    message: str | None = None

    @staticmethod
    def ok(body: JSON | None = None) -> Outcome:
        return Outcome("ok", body or {})

    @staticmethod
    def rejected(reason: str, message: str, body: JSON | None = None) -> Outcome:
        return Outcome("rejected", body or {}, reason, message)


@dataclass
class Step:
    """One command being processed, inside its transaction."""

    command_id: str
    type: str
    body: JSON
    db: sqlite3.Connection
    now_ms: int
    #: From a saga command id (`<saga>/<step>/action`, …): the saga, the step and the role.
    saga_id: str | None = None
    step: int | None = None
    role: str | None = None
    events: list[tuple[str, JSON]] = field(default_factory=list)

    def emit(self, type_: str, data: JSON) -> None:
        """Appends an event (published once the command is committed, with the command as its
        cause and the saga as its correlation)."""
        self.events.append((type_, data))


def parse_saga_command_id(command_id: str) -> tuple[str, int | None, str] | None:
    """`<saga>/<step>/action`, `<saga>/<step>/compensation` or `<saga>/complete/<index>`,
    optionally with `/r<round>`: (saga id, step or None, role)."""
    parts = command_id.split("/")
    if len(parts) >= 4 and parts[-1].startswith("r") and parts[-1][1:].isdigit():
        parts = parts[:-1]
    if len(parts) < 3:
        return None
    saga, middle, last = "/".join(parts[:-2]), parts[-2], parts[-1]
    if last in ("action", "compensation") and middle.isdigit():
        return saga, int(middle), last
    if middle == "complete" and last.isdigit():
        return saga, None, "completion"
    return None


SCHEMA = """
CREATE TABLE IF NOT EXISTS commands (command_id TEXT PRIMARY KEY, body_hash INTEGER NOT NULL, reply TEXT NOT NULL,
                                     time_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, stream TEXT NOT NULL, version INTEGER NOT NULL, type TEXT NOT NULL,
                                   data TEXT NOT NULL, correlation_id TEXT, causation_id TEXT, time_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS steps (saga_id TEXT NOT NULL, step INTEGER NOT NULL, state TEXT NOT NULL, PRIMARY KEY (saga_id, step));
"""


class Participant:
    """A saga participant: subclass it, set ``name``, and mark its methods (module docstring)."""

    #: The service's name: the prefix of its command types, as in the topology.
    name: ClassVar[str] = ""

    def __init__(self, data_dir: str, router: str, pub: str, keys: ClusterKeys | None = None,
                 heartbeat_ms: int = 1000, context: zmq.Context | None = None) -> None:
        if not is_identifier(self.name, 32) or "/" in self.name:
            raise ValueError(f"{type(self).__name__}.name must be the service's name, got {self.name!r}")
        os.makedirs(data_dir, exist_ok=True)
        self.db = sqlite3.connect(os.path.join(data_dir, f"{self.name}.sqlite"), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        self.setup(self.db)
        self.head = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
        self.heartbeat_ms = heartbeat_ms
        self.started_ms = _now()
        self.context = context or zmq.Context.instance()
        self.keys = keys
        #: Spans of the commands that carry a traceparent, when OTEL_TRACES_EXPORTER=otlp.
        self.tracing = Tracing(self.name)
        self._authenticator: Any = None
        self.router = self.context.socket(zmq.ROUTER)
        self.publisher = self.context.socket(zmq.PUB)
        for socket in (self.router, self.publisher):
            socket.setsockopt(zmq.LINGER, 0)
            if keys:
                keys.secure_server(socket)
        if keys:
            self._guard(keys)
        self.router.setsockopt(zmq.MAXMSGSIZE, 1 << 20)
        self.router.bind(router)
        self.publisher.bind(pub)
        self._stopping = threading.Event()
        self.commands: dict[str, Handler] = {}
        self.queries: dict[str, Callable[..., JSON]] = {}
        for attribute in dir(type(self)):
            method = getattr(self, attribute)
            if name := getattr(method, "__zsaga_command__", None):
                self.commands[f"{self.name}.{name}"] = method
            if name := getattr(method, "__zsaga_query__", None):
                self.queries[f"{self.name}.{name}"] = method

    def setup(self, db: sqlite3.Connection) -> None:
        """Creates the service's own tables (called once at start; override it)."""

    def _guard(self, keys: ClusterKeys) -> None:
        from zmq.auth.thread import ThreadAuthenticator

        allowed = set(keys.authorized)

        class Allowed:
            def callback(self, domain: str, key: bytes) -> bool:
                return key.decode() in allowed if isinstance(key, bytes) else False

        self._authenticator = ThreadAuthenticator(self.context)
        self._authenticator.start()
        self._authenticator.configure_curve_callback(domain="*", credentials_provider=Allowed())

    # The loop

    def serve(self, stop: threading.Event | None = None) -> None:
        """Serves until `stop` (or ``stop()``) is set."""
        stop = stop or self._stopping
        poller = zmq.Poller()
        poller.register(self.router, zmq.POLLIN)
        next_beat = time.monotonic()
        while not stop.is_set() and not self._stopping.is_set():
            if time.monotonic() >= next_beat:
                self._publish(f"{self.name}.$heartbeat", encode("heartbeat", source=self.name, head=self.head, time_ms=_now()))
                next_beat = time.monotonic() + self.heartbeat_ms / 1000
            for _ in poller.poll(min(200, self.heartbeat_ms)):
                while True:
                    try:
                        frames = self.router.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    self._take(frames)
        self.close()

    def run(self) -> None:
        """Serves until SIGTERM or SIGINT."""
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: self._stopping.set())
        self.serve()

    def stop(self) -> None:
        self._stopping.set()

    def close(self) -> None:
        if self._authenticator:
            self._authenticator.stop()
        self.router.close()
        self.publisher.close()
        self.db.close()
        self.tracing.shutdown()

    # Requests

    def _take(self, frames: list[bytes]) -> None:
        route, rest = frames[:1], frames[1:]
        if len(rest) == 2 and rest[0] == b"":
            route, rest = frames[:2], rest[1:]
        if len(rest) != 1:
            self.router.send_multipart(route + [encode("error", in_reply_to=None, code="malformed",
                                                       message=f"a request is one frame, got {len(rest)}")])
            return
        request_id: str | None = None
        try:
            envelope = decode(rest[0])
            request_id = envelope.get("id") if is_identifier(envelope.get("id")) else None
            if request_id is None:
                raise RefusedError("malformed", "id must be an identifier", "id")
            type_, body = envelope.get("type"), envelope.get("body", {})
            if not isinstance(type_, str) or not isinstance(body, dict):
                raise RefusedError("malformed", "type must be a string and body an object")
            traceparent = envelope.get("traceparent")
            if traceparent is not None and not valid_traceparent(traceparent):
                raise RefusedError("invalid_argument", "must be a W3C traceparent, 00-<32 hex>-<16 hex>-<2 hex>", "traceparent")
            if envelope["kind"] == "command":
                correlation = envelope.get("correlation_id")
                with self.tracing.command(type_, request_id, correlation if isinstance(correlation, str) else None, traceparent) as span:
                    answer = self._command(request_id, type_, body, correlation, span)
            elif envelope["kind"] == "query":
                answer = encode("result", in_reply_to=request_id, body=self._query(type_, body))
            else:
                raise RefusedError("unknown_type", f"a participant takes commands and queries, not {envelope['kind']}", "kind")
        except RefusedError as error:
            answer = encode("error", in_reply_to=request_id, code=error.code, message=error.message,
                            **({"field": error.field} if error.field else {}))
        self.router.send_multipart(route + [answer])

    def _query(self, type_: str, body: JSON) -> JSON:
        if type_ == "sys.Ping":
            return {"service": self.name, "pid": os.getpid(), "head": self.head, "started_ms": self.started_ms,
                    "uptime_ms": _now() - self.started_ms, "protocol": 1}
        if type_ == "sys.Head":
            return {"service": self.name, "head": self.head}
        if type_ == "sys.Replay":
            start, limit = body.get("from"), body.get("limit", 1000)
            if not isinstance(start, int) or isinstance(start, bool) or start < 1:
                raise RefusedError("invalid_argument", "must be an integer ≥ 1", "body.from")
            if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1000:
                raise RefusedError("invalid_argument", "must be 1 to 1000", "body.limit")
            rows = self.db.execute("SELECT * FROM events WHERE seq >= ? ORDER BY seq LIMIT ?", (start, limit)).fetchall()
            return {"service": self.name, "head": self.head, "events": [self._event(row) for row in rows]}
        if type_ == "sys.Commands":
            return self._commands(body)
        handler = self.queries.get(type_)
        if handler is None:
            raise RefusedError("unknown_type", f"{self.name} does not answer {type_}", "type")
        try:
            return handler(body, self.db)
        except InvalidArgument as error:
            raise RefusedError("invalid_argument", error.message, f"body.{error.field}") from error

    def _commands(self, body: JSON) -> JSON:
        """`sys.Commands`: the recorded commands in id order after `after`, a page of `limit`,
        as the Swift services list theirs (`sagactl check` confirms the orchestrator's claims
        with it)."""
        after, limit = body.get("after"), body.get("limit", 1000)
        if after is not None and not isinstance(after, str):
            raise RefusedError("invalid_argument", "must be a command id", "body.after")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1000:
            raise RefusedError("invalid_argument", "must be 1 to 1000", "body.limit")
        rows = self.db.execute("SELECT command_id, reply, time_ms FROM commands WHERE command_id > ? ORDER BY command_id LIMIT ?",
                               (after or "", limit + 1)).fetchall()
        entries: list[JSON] = []
        for command_id, reply, time_ms in rows[:limit]:
            try:
                recorded = decode(reply.encode())
            except RefusedError:
                recorded = {}
            entry: JSON = {"command_id": command_id, "outcome": recorded.get("outcome", "unreadable"),
                           "events": recorded.get("events", []), "time_ms": time_ms}
            if recorded.get("reason"):
                entry["reason"] = recorded["reason"]
            entries.append(entry)
        return {"service": self.name, "commands": entries, "next": rows[limit - 1][0] if len(rows) > limit else None}

    def _command(self, command_id: str, type_: str, body: JSON, correlation_id: object, span: Any = None) -> bytes:
        handler = self.commands.get(type_)
        if handler is None:
            raise RefusedError("unknown_type", f"{self.name} does not handle {type_}", "type")
        digest = body_hash(type_, body)
        recorded = self.db.execute("SELECT body_hash, reply FROM commands WHERE command_id = ?", (command_id,)).fetchone()
        if recorded:
            if recorded[0] != digest:
                raise RefusedError("conflict", f"command id {command_id} was used before for a different command", "id")
            return bytes(recorded[1], "utf-8")
        saga = parse_saga_command_id(command_id)
        step = Step(command_id, type_, body, self.db, _now(), *(saga or (None, None, None)))
        with self.tracing.commit(span):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                outcome = self._decide(handler, step)
                seqs = self._append(step, correlation_id if isinstance(correlation_id, str) else step.saga_id)
                members: JSON = {"outcome": outcome.outcome, "body": outcome.body, "events": seqs}
                if outcome.reason:
                    members.update(reason=outcome.reason, message=outcome.message or "")
                reply = encode("reply", in_reply_to=command_id, **members)
                self.db.execute("INSERT INTO commands VALUES (?, ?, ?, ?)", (command_id, digest, reply.decode(), step.now_ms))
                self.db.execute("COMMIT")
            except InvalidArgument as error:
                self.db.execute("ROLLBACK")
                raise RefusedError("invalid_argument", error.message, f"body.{error.field}") from error
            except RefusedError:
                self.db.execute("ROLLBACK")
                raise
            except Exception as error:
                self.db.execute("ROLLBACK")
                raise RefusedError("internal", f"{type(error).__name__}: {error}") from error
        self.head += len(seqs)
        for seq in seqs:
            row = self.db.execute("SELECT * FROM events WHERE seq = ?", (seq,)).fetchone()
            event = self._event(row)
            self._publish(f"{self.name}.{event['type']}", json.dumps(event, separators=(",", ":")).encode())
        return reply

    def _decide(self, handler: Handler, step: Step) -> Outcome:
        """The handler's outcome, with the fences of saga steps kept around it."""
        if step.saga_id is None or step.step is None:
            return handler(step)
        key = (step.saga_id, step.step)
        row = self.db.execute("SELECT state FROM steps WHERE saga_id = ? AND step = ?", key).fetchone()
        state = row[0] if row else None
        if step.role == "action":
            if state in ("fenced", "compensated"):
                return Outcome.rejected("aborted", f"step {step.step} of saga {step.saga_id} was compensated before its action came")
            outcome = handler(step)
            if outcome.outcome == "ok":
                self.db.execute("INSERT OR REPLACE INTO steps VALUES (?, ?, 'applied')", key)
            return outcome
        # A compensation: undo an applied step once; fence one that never applied.
        if state == "applied":
            outcome = handler(step)
            if outcome.outcome == "ok":
                self.db.execute("UPDATE steps SET state = 'compensated' WHERE saga_id = ? AND step = ?", key)
            return outcome
        if state is None:
            self.db.execute("INSERT INTO steps VALUES (?, ?, 'fenced')", key)
            step.emit("StepFenced", {"saga_id": step.saga_id, "step": step.step})
        return Outcome.ok({"status": "fenced" if state in (None, "fenced") else "compensated"})

    def _append(self, step: Step, correlation_id: str | None) -> list[int]:
        seqs = []
        for type_, data in step.events:
            stream = f"{self.name}-{step.saga_id or step.command_id}"
            version = self.db.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM events WHERE stream = ?", (stream,)).fetchone()[0]
            seq = self.head + len(seqs) + 1
            self.db.execute("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (seq, stream, version, type_, json.dumps(data, separators=(",", ":")), correlation_id,
                             step.command_id, step.now_ms))
            seqs.append(seq)
        return seqs

    def _event(self, row: tuple[Any, ...]) -> JSON:
        seq, stream, version, type_, data, correlation_id, causation_id, time_ms = row
        meta: JSON = {"time_ms": time_ms}
        if correlation_id:
            meta["correlation_id"] = correlation_id
        if causation_id:
            meta["causation_id"] = causation_id
        return {"v": 1, "kind": "event", "source": self.name, "seq": seq, "stream": stream, "version": version,
                "type": type_, "data": json.loads(data), "meta": meta}

    def _publish(self, topic: str, envelope: bytes) -> None:
        self.publisher.send_multipart([topic.encode(), envelope])


def _now() -> int:
    return int(time.time() * 1000)
