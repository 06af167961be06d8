"""Spans of a participant's commands over OTLP, as the Swift processes record theirs.

Off unless the environment asks for it with ``OTEL_TRACES_EXPORTER=otlp`` (and
``OTEL_SDK_DISABLED`` is not ``true``); then it needs ``pip install './clients/python[tracing]'``
(opentelemetry-sdk and its OTLP/HTTP exporter), and the standard variables configure it
(``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_BSP_SCHEDULE_DELAY``, ``OTEL_SERVICE_NAME``, …).

Each command that carries a ``traceparent`` gets a span named by its type (kind server), a
child of the orchestrator's span for that command, with a child ``commit`` span for its
transaction.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from typing import Any, Iterator

TRACEPARENT = re.compile(r"00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}")


def valid_traceparent(value: object) -> bool:
    """Whether `value` is a version-00 W3C traceparent, as PROTOCOL.md requires."""
    return isinstance(value, str) and TRACEPARENT.fullmatch(value) is not None


def enabled(environment: dict[str, str] | None = None) -> bool:
    """Whether the environment turns tracing on."""
    env = os.environ if environment is None else environment
    return env.get("OTEL_TRACES_EXPORTER") == "otlp" and env.get("OTEL_SDK_DISABLED", "").lower() != "true"


class Tracing:
    """A participant's tracer, or nothing at all when tracing is off."""

    def __init__(self, service: str) -> None:
        self._tracer: Any = None
        self._provider: Any = None
        if not enabled():
            return
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        name = os.environ.get("OTEL_SERVICE_NAME") or service
        self._provider = TracerProvider(resource=Resource.create({"service.name": name}))
        self._provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        self._tracer = self._provider.get_tracer("zsaga")
        self._propagator = TraceContextTextMapPropagator()

    @contextmanager
    def command(self, type_: str, command_id: str, saga_id: str | None, traceparent: str | None) -> Iterator[Any]:
        """The span of one command (none without a tracer or a traceparent)."""
        if self._tracer is None or traceparent is None:
            yield None
            return
        from opentelemetry.trace import SpanKind

        context = self._propagator.extract({"traceparent": traceparent})
        attributes = {"zsaga.command_id": command_id, **({"zsaga.saga_id": saga_id} if saga_id else {})}
        with self._tracer.start_as_current_span(type_, context=context, kind=SpanKind.SERVER, attributes=attributes) as span:
            yield span

    @contextmanager
    def commit(self, parent: Any) -> Iterator[None]:
        """A `commit` span under the command's, when it has one."""
        if parent is None:
            yield
            return
        with self._tracer.start_as_current_span("commit"):
            yield

    def shutdown(self) -> None:
        """Exports what is left."""
        if self._provider is not None:
            self._provider.shutdown()
