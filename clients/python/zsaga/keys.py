"""CURVE keys as ZSaga uses them (docs/SECURITY.md): from a keys directory, or derived from the
cluster secret exactly as the Swift processes derive them, so that a Python client or
participant joins a secured cluster with nothing but ZSAGA_CLUSTER_SECRET."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import zmq
from zmq.utils import z85

from .wire import ZSagaError

#: The clients' key name (sagactl, the dashboard, this package's Client).
CLIENT = "client"


@dataclass(frozen=True)
class KeyPair:
    """A CURVE key pair, Z85-encoded (40 characters each)."""

    public: str
    secret: str


def derived_pair(secret: str, name: str) -> KeyPair:
    """The key pair of `name` derived from a cluster secret: the secret key is
    HMAC-SHA256(secret, "zsaga-curve-v1/<name>"), Z85-encoded; the public key follows from it."""
    if len(secret.encode()) < 16:
        raise ZSagaError("the cluster secret must be at least 16 bytes (e.g. `openssl rand -hex 32`)")
    digest = hmac.new(secret.encode(), f"zsaga-curve-v1/{name}".encode(), hashlib.sha256).digest()
    secret_key = z85.encode(digest)
    return KeyPair(zmq.curve_public(secret_key).decode(), secret_key.decode())


@dataclass
class ClusterKeys:
    """The keys of one member of a secured cluster: its own pair, the servers' public keys by
    process name, and the client keys it admits (public key → name)."""

    own: KeyPair
    servers: dict[str, str]
    authorized: dict[str, str] = field(default_factory=dict)

    @classmethod
    def derived(cls, secret: str, name: str, names: Iterable[str]) -> ClusterKeys:
        """Every key derived from the secret: `names` are the cluster's processes (the client's
        key is added)."""
        peers = {peer: derived_pair(secret, peer).public for peer in [*names, CLIENT]}
        return cls(derived_pair(secret, name), peers, {key: peer for peer, key in peers.items()})

    @classmethod
    def from_directory(cls, directory: str, name: str) -> ClusterKeys:
        """`<name>.key`, the `*.pub` files and `authorized/*.pub` of a keys directory."""
        root = Path(directory)
        own = _fields(root / f"{name}.key")
        if "public" not in own or "secret" not in own:
            raise ZSagaError(f"{root / (name + '.key')} must hold a `public` and a `secret` line")
        servers = {path.stem: key for path in root.glob("*.pub") if (key := _fields(path).get("public"))}
        authorized = {key: path.stem for path in (root / "authorized").glob("*.pub") if (key := _fields(path).get("public"))}
        return cls(KeyPair(own["public"], own["secret"]), servers, authorized)

    @classmethod
    def from_environment(cls, name: str, names: Iterable[str]) -> ClusterKeys | None:
        """ZSAGA_KEYS (a directory), else ZSAGA_CLUSTER_SECRET (or the file
        ZSAGA_CLUSTER_SECRET_FILE names), else None: not secured."""
        if directory := os.environ.get("ZSAGA_KEYS"):
            return cls.from_directory(directory, name)
        secret = os.environ.get("ZSAGA_CLUSTER_SECRET")
        if path := os.environ.get("ZSAGA_CLUSTER_SECRET_FILE"):
            secret = Path(path).read_text(encoding="utf-8").strip()
        return cls.derived(secret, name, names) if secret else None

    def secure_client(self, socket: zmq.Socket, server: str) -> None:
        """Makes `socket` a CURVE client of the process `server`."""
        if server not in self.servers:
            raise ZSagaError(f"no public key for {server}")
        socket.curve_secretkey = self.own.secret.encode()
        socket.curve_publickey = self.own.public.encode()
        socket.curve_serverkey = self.servers[server].encode()

    def secure_server(self, socket: zmq.Socket) -> None:
        """Makes `socket` a CURVE server (clients are admitted by a ``Guard``)."""
        socket.curve_server = True
        socket.curve_secretkey = self.own.secret.encode()
        socket.curve_publickey = self.own.public.encode()


def _fields(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ZSagaError(f"cannot read {path}: {error}") from error
    return {parts[0]: parts[1].strip() for line in text.splitlines() if len(parts := line.split(" ", 1)) == 2}
