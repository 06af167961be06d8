"""The cluster's processes (docs/TOPOLOGY.md), read as the Swift tools read them: the built-in
six, a topology file named by ZSAGA_TOPOLOGY adding or replacing processes, and each endpoint
overridden by ZSAGA_<NAME>_ROUTER / ZSAGA_<NAME>_PUB."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace

from .wire import ZSagaError


@dataclass(frozen=True)
class Process:
    """One process: its name, role (orchestrator, service, monitor) and endpoints."""

    name: str
    role: str
    router: str
    pub: str

    def variable(self, kind: str) -> str:
        """`ZSAGA_<NAME>_ROUTER` or `ZSAGA_<NAME>_PUB`."""
        return f"ZSAGA_{self.name.upper().replace('-', '_')}_{kind}"

    def resolved(self) -> Process:
        """With its endpoints from the environment where set."""
        return replace(self, router=os.environ.get(self.variable("ROUTER")) or self.router,
                       pub=os.environ.get(self.variable("PUB")) or self.pub)


def _loopback(name: str, role: str, port: int) -> Process:
    return Process(name, role, f"tcp://127.0.0.1:{port}", f"tcp://127.0.0.1:{port + 1}")


BUILT_IN: tuple[Process, ...] = (
    _loopback("saga", "orchestrator", 7001), _loopback("order", "service", 7101),
    _loopback("inventory", "service", 7201), _loopback("payment", "service", 7301),
    _loopback("shipping", "service", 7401), _loopback("monitor", "monitor", 7501),
)


class Topology:
    """The processes of a cluster, by name."""

    def __init__(self, processes: list[Process]) -> None:
        self.processes = {process.name: process for process in processes}

    @classmethod
    def load(cls, path: str | None = None) -> Topology:
        """The topology `path` (else ZSAGA_TOPOLOGY) names, else the built-in one; endpoints
        overridden from the environment."""
        path = path or os.environ.get("ZSAGA_TOPOLOGY") or None
        processes = list(BUILT_IN)
        if path:
            try:
                with open(path, encoding="utf-8") as file:
                    document = json.load(file)
            except (OSError, ValueError) as error:
                raise ZSagaError(f"cannot read the topology {path}: {error}") from error
            given = [cls._process(entry, index) for index, entry in enumerate(document.get("processes", []))]
            if document.get("replace"):
                processes = given
            else:
                names = {process.name for process in given}
                processes = [process for process in processes if process.name not in names] + given
        return cls([process.resolved() for process in processes])

    @staticmethod
    def _process(entry: dict[str, object], index: int) -> Process:
        name, role = entry.get("name"), entry.get("role", "service")
        if not isinstance(name, str) or not isinstance(role, str):
            raise ZSagaError(f"topology processes[{index}]: name and role must be strings")
        if isinstance(entry.get("router"), str) and isinstance(entry.get("pub"), str):
            return Process(name, role, str(entry["router"]), str(entry["pub"]))
        router_port, pub_port = entry.get("router_port"), entry.get("pub_port")
        if not isinstance(router_port, int) or not isinstance(pub_port, int):
            raise ZSagaError(f"topology processes[{index}]: give router and pub, or router_port and pub_port")
        return Process(name, role, f"tcp://127.0.0.1:{router_port}", f"tcp://127.0.0.1:{pub_port}")

    def __getitem__(self, name: str) -> Process:
        try:
            return self.processes[name]
        except KeyError:
            raise ZSagaError(f"unknown process {name}; the topology has {', '.join(self.processes)}") from None

    @property
    def names(self) -> list[str]:
        """Every process's name."""
        return list(self.processes)

    @property
    def orchestrator(self) -> Process:
        """The orchestrator (ZSAGA_ORCHESTRATOR overrides its ROUTER, as for sagactl)."""
        process = next(p for p in self.processes.values() if p.role == "orchestrator")
        return replace(process, router=os.environ.get("ZSAGA_ORCHESTRATOR") or process.router)
