"""`zsaga.Client`: start sagas and watch them, query any process, follow any stream."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import zmq

from .keys import CLIENT, ClusterKeys
from .topology import Topology
from .wire import JSON, RefusedError, UnreachableError, ZSagaError, decode, encode

#: Statuses a saga ends in.
TERMINAL = ("completed", "compensated")


class Client:
    """A synchronous client of a ZSaga cluster: one DEALER per process, requests with
    timeouts, answers matched by id. Like every ZeroMQ socket owner, it stays on one thread.

    The processes come from the topology (ZSAGA_TOPOLOGY, else the built-in one), their
    endpoints from the environment where set; a secured cluster's keys from ZSAGA_KEYS or
    ZSAGA_CLUSTER_SECRET (or pass `keys`).
    """

    def __init__(self, timeout_ms: int = 5000, topology: Topology | None = None, keys: ClusterKeys | None = None,
                 context: zmq.Context | None = None) -> None:
        self.topology = topology or Topology.load()
        self.keys = keys if keys is not None else ClusterKeys.from_environment(CLIENT, self.topology.names)
        self.timeout_ms = timeout_ms
        self.context = context or zmq.Context.instance()
        self._sockets: dict[str, zmq.Socket] = {}
        self._ids = itertools.count(1)
        self._prefix = f"py{uuid.uuid4().hex[:8]}"

    # Requests

    def _socket(self, endpoint: str) -> zmq.Socket:
        if endpoint not in self._sockets:
            socket = self.context.socket(zmq.DEALER)
            socket.setsockopt(zmq.LINGER, 0)
            if self.keys:
                self.keys.secure_client(socket, self._server_name(endpoint))
            socket.connect(endpoint)
            self._sockets[endpoint] = socket
        return self._sockets[endpoint]

    def _server_name(self, endpoint: str) -> str:
        for process in self.topology.processes.values():
            if endpoint in (process.router, process.pub):
                return process.name
        raise ZSagaError(f"no process of the topology listens at {endpoint} (its CURVE key is unknown)")

    def next_id(self, kind: str = "q") -> str:
        """A fresh request id."""
        return f"{self._prefix}-{kind}{next(self._ids)}"

    def request(self, endpoint: str, kind: str, type_: str, body: JSON | None = None, id_: str | None = None,
                timeout_ms: int | None = None, **members: Any) -> JSON:
        """Sends one request and returns the answer with its id (an `error` raises RefusedError;
        no answer in time raises UnreachableError)."""
        request_id = id_ or self.next_id(kind[0])
        wait = timeout_ms or self.timeout_ms
        socket = self._socket(endpoint)
        socket.send(encode(kind, id=request_id, type=type_, body=body or {}, **members))
        deadline = time.monotonic() + wait / 1000
        while (remaining := deadline - time.monotonic()) > 0 and socket.poll(int(remaining * 1000) + 1):
            answer = decode(socket.recv())
            unattributed_error = answer.get("kind") == "error" and answer.get("in_reply_to") is None
            if answer.get("in_reply_to") != request_id and not unattributed_error:
                continue
            if answer.get("kind") == "error":
                raise RefusedError(str(answer.get("code")), str(answer.get("message")), answer.get("field"))
            return answer
        # A dead peer's queued request would be delivered when it comes back: drop the socket.
        self._sockets.pop(endpoint).close()
        raise UnreachableError(endpoint, wait)

    def query(self, process: str, type_: str, body: JSON | None = None, timeout_ms: int | None = None) -> JSON:
        """A query of the process named `process` (or at an endpoint): its result body."""
        return dict(self.request(self._router(process), "query", type_, body, timeout_ms=timeout_ms).get("body", {}))

    def command(self, process: str, type_: str, body: JSON | None = None, id_: str | None = None,
                timeout_ms: int | None = None) -> JSON:
        """A command: its reply (`outcome`, `reason`, `message`, `body`, `events`)."""
        return self.request(self._router(process), "command", type_, body, id_=id_, timeout_ms=timeout_ms)

    def _router(self, process: str) -> str:
        return process if "://" in process else self._process_router(process)

    def _process_router(self, name: str) -> str:
        return self.topology.orchestrator.router if name == self.topology.orchestrator.name else self.topology[name].router

    # Sagas

    def start(self, type_: str, context: JSON, saga_id: str | None = None, wait: bool = False,
              timeout_ms: int | None = None) -> JSON:
        """Starts a saga (`saga.StartSaga`): `{saga_id, status}`, or with `wait` its end state.
        Starting the same saga id again with the same content answers with its state."""
        body: JSON = {"type": type_, "context": context, "wait": wait}
        if saga_id:
            body["saga_id"] = saga_id
        reply = self.command(self.topology.orchestrator.name, "saga.StartSaga", body,
                             timeout_ms=timeout_ms or (120_000 if wait else None))
        return dict(reply.get("body", {}))

    def status(self, saga_id: str) -> JSON:
        """A saga's state and timeline (`saga.GetSaga`)."""
        return self.query(self.topology.orchestrator.name, "saga.GetSaga", {"saga_id": saga_id})

    def wait(self, saga_id: str, timeout_s: float = 60, poll_s: float = 0.1) -> JSON:
        """Waits until a saga is completed or compensated; its state. A stuck saga, or one still
        running at the deadline, raises ZSagaError."""
        deadline = time.monotonic() + timeout_s
        while True:
            saga = self.status(saga_id)["saga"]
            if saga.get("status") in TERMINAL:
                return dict(saga)
            if saga.get("status") == "stuck":
                raise ZSagaError(f"saga {saga_id} is stuck: {saga.get('stuck_reason')}")
            if time.monotonic() > deadline:
                raise ZSagaError(f"saga {saga_id} is still {saga.get('status')} after {timeout_s} s")
            time.sleep(poll_s)

    def list(self, status: str | None = None, limit: int = 100) -> list[JSON]:
        """The newest sagas (`saga.ListSagas`), of one status if given."""
        body: JSON = {"limit": limit}
        if status:
            body["status"] = status
        return list(self.query(self.topology.orchestrator.name, "saga.ListSagas", body).get("sagas", []))

    def stats(self) -> JSON:
        """Counts by status and in flight (`saga.Stats`)."""
        return self.query(self.topology.orchestrator.name, "saga.Stats")

    def retry(self, saga_id: str) -> JSON:
        """Resumes a stuck saga with fresh command ids (`saga.RetrySaga`): the reply."""
        return self.command(self.topology.orchestrator.name, "saga.RetrySaga", {"saga_id": saga_id})

    # Streams

    def follow(self, process: str, from_seq: int = 1, follow: bool = True, idle_ms: int = 1000) -> Iterator[JSON]:
        """Every event of a process from `from_seq`, in order and each once: replayed from its
        log (`sys.Replay`), then live from its PUB, with gaps (a later `seq`, or a heartbeat
        ahead) filled by replay. Sequence numbers its retention removed are skipped. Without
        `follow`, it stops once caught up and idle for `idle_ms`."""
        node = self.topology[process] if process != self.topology.orchestrator.name else self.topology.orchestrator
        subscriber = self.context.socket(zmq.SUB)
        subscriber.setsockopt(zmq.LINGER, 0)
        if self.keys:
            self.keys.secure_client(subscriber, node.name)
        subscriber.setsockopt(zmq.SUBSCRIBE, b"")
        subscriber.connect(node.pub)
        next_seq = from_seq
        try:
            while True:
                # Catch up from the log.
                while True:
                    page = self.query(node.router, "sys.Replay", {"from": next_seq, "limit": 1000})
                    for event in page.get("events", []):
                        if event["seq"] >= next_seq:
                            next_seq = event["seq"] + 1
                            yield event
                    for first, last in page.get("retired", []):
                        if first <= next_seq <= last:
                            next_seq = last + 1
                    if next_seq > page.get("head", 0) or not page.get("events"):
                        break
                # Live, until a gap sends us back to the log (heartbeats do not count as activity).
                gap = False
                quiet_until = time.monotonic() + idle_ms / 1000
                while not gap:
                    remaining = quiet_until - time.monotonic()
                    if remaining <= 0:
                        if not follow:
                            return
                        quiet_until = time.monotonic() + idle_ms / 1000
                        continue
                    if not subscriber.poll(int(remaining * 1000) + 1):
                        continue
                    message = json.loads(subscriber.recv_multipart()[-1])
                    if message.get("kind") == "heartbeat":
                        gap = message.get("head", 0) >= next_seq
                    elif message.get("kind") == "event":
                        if message["seq"] == next_seq:
                            next_seq += 1
                            quiet_until = time.monotonic() + idle_ms / 1000
                            yield message
                        elif message["seq"] > next_seq:
                            gap = True
        finally:
            subscriber.close()

    def close(self) -> None:
        """Closes every socket."""
        for socket in self._sockets.values():
            socket.close()
        self._sockets.clear()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
