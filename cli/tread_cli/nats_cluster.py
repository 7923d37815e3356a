"""A NATS cluster on one machine: the nodes of ``deploy/nats/nats.conf`` (compose's cluster
configuration), each rendered for loopback ports and a store directory of its own, run from
the nats-server wheel. One configuration for both, so what ``tread up --nats-cluster 3`` runs
is what compose runs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import tread_cli

NATS_CONF = Path(tread_cli.__file__).resolve().parents[2] / "deploy" / "nats" / "nats.conf"
# The compose values of the configuration that a loopback node replaces.
CLIENT_LISTEN = "0.0.0.0:4222"
MONITOR_LISTEN = "0.0.0.0:8222"
ROUTE_LISTEN = "0.0.0.0:6222"
STORE_DIR = "store_dir: /data"
ROUTES = re.compile(r"routes\s*:\s*\[[^\]]*\]")


@dataclass(frozen=True)
class NatsNode:
    name: str  # nats-1, nats-2 …: its server_name (NATS_SERVER_NAME)
    client_port: int
    route_port: int
    monitor_port: int

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.client_port}"


def cluster_nodes(size: int, client_port: int) -> list[NatsNode]:
    """``size`` nodes: clients on ``client_port`` and the ports after it, routes 2000 above,
    monitoring 4000 above (4223 → 6223 and 8223, as compose's 4222, 6222, 8222)."""
    return [
        NatsNode(f"nats-{n + 1}", client_port + n, client_port + 2000 + n, client_port + 4000 + n)
        for n in range(size)
    ]


def render_node_config(
    template: str, node: NatsNode, nodes: list[NatsNode], store_dir: Path
) -> str:
    """The compose configuration with this node's loopback ports, its own store, and routes to
    every node (itself included, as in compose: the server skips its own route)."""
    replacements = {
        CLIENT_LISTEN: f"127.0.0.1:{node.client_port}",
        MONITOR_LISTEN: f"127.0.0.1:{node.monitor_port}",
        ROUTE_LISTEN: f"127.0.0.1:{node.route_port}",
        STORE_DIR: f'store_dir: "{store_dir}"',
    }
    text = template
    for old, new in replacements.items():
        if old not in text:
            raise ValueError(f"{NATS_CONF} no longer has {old!r}: update tread_cli.nats_cluster")
        text = text.replace(old, new)
    routes = "\n".join(f"    nats-route://127.0.0.1:{other.route_port}" for other in nodes)
    text, found = ROUTES.subn(f"routes: [\n{routes}\n  ]", text)
    if not found:
        raise ValueError(f"{NATS_CONF} has no cluster routes: update tread_cli.nats_cluster")
    return text


def cluster_url(nodes: list[NatsNode]) -> str:
    """What the services are given: every node, so that the client fails over among them."""
    return ",".join(node.url for node in nodes)
