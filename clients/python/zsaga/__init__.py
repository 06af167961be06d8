"""ZSaga from Python (docs/PARTICIPANTS.md, docs/PROTOCOL.md).

- ``Client``: start sagas, wait for them, list, stats, retry; query any process; follow any
  process's events with gaps filled by replay. CURVE keys from ZSAGA_KEYS or derived from
  ZSAGA_CLUSTER_SECRET, as the Swift processes derive them.
- ``Participant``: the base class of a saga participant, keeping the participant contract.
"""

from .client import TERMINAL, Client
from .keys import ClusterKeys, KeyPair, derived_pair
from .participant import InvalidArgument, Outcome, Participant, Step, command, parse_saga_command_id, query
from .topology import Process, Topology
from .wire import JSON, RefusedError, UnreachableError, ZSagaError, body_hash

__all__ = [
    "TERMINAL", "Client", "ClusterKeys", "KeyPair", "derived_pair", "InvalidArgument", "Outcome", "Participant", "Step",
    "command", "parse_saga_command_id", "query", "Process", "Topology", "JSON", "RefusedError", "UnreachableError",
    "ZSagaError", "body_hash",
]
