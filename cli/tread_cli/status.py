"""``tread status``: what ``tread up`` runs, whether each part is ready, and how the event
stream is doing (messages, consumer lag, dead letters)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.js.errors import NotFoundError

from tread_cli.processes import pid_alive, port_answers
from tread_cli.state import ProcessState, read_state
from tread_shared.events.broker import dead_letter_stream
from tread_shared.settings import ServiceSettings

DEFAULT_STREAM = ServiceSettings.model_fields["nats_stream"].default


def _readiness(process: ProcessState) -> str:
    if process.ready_url:
        try:
            answer = httpx.get(process.ready_url, timeout=2.0)
        except httpx.HTTPError:
            return "not answering"
        return "ready" if answer.status_code == 200 else f"not ready ({answer.status_code})"
    port = int(process.url.rsplit(":", 1)[1])
    return "ready" if port_answers(port) else "not answering"


async def broker_status(nats_url: str, stream: str) -> dict[str, Any]:
    """The stream's size, each durable consumer's lag, and dead letters per consumer."""

    async def quiet(_exc: Exception) -> None:
        return None

    try:
        # nats-py keeps retrying forever with max_reconnect_attempts=0: one attempt is 1.
        nc = await asyncio.wait_for(
            nats.connect(
                [url.strip() for url in nats_url.split(",") if url.strip()],
                connect_timeout=2,
                max_reconnect_attempts=1,
                reconnect_time_wait=0.1,
                error_cb=quiet,
            ),
            timeout=5,
        )
    except Exception as exc:  # noqa: BLE001 - reported to the operator
        return {"error": f"NATS at {nats_url} not reachable: {exc or type(exc).__name__}"}
    try:
        jsm = nc.jsm()
        try:
            info = await jsm.stream_info(stream)
        except NotFoundError:
            return {"error": f"stream {stream} does not exist yet"}
        consumers = [
            {
                "name": consumer.name,
                "pending": consumer.num_pending or 0,
                "ack_pending": consumer.num_ack_pending or 0,
                "redelivered": consumer.num_redelivered or 0,
            }
            for consumer in await jsm.consumers_info(stream)
        ]
        dead_letters: dict[str, int] = {}
        try:
            dead = await jsm.stream_info(
                dead_letter_stream(ServiceSettings(nats_stream=stream)), subjects_filter=">"
            )
        except NotFoundError:
            pass
        else:
            for subject, count in (dead.state.subjects or {}).items():
                consumer_name = subject.rsplit(".", 1)[-1]
                dead_letters[consumer_name] = dead_letters.get(consumer_name, 0) + count
        cluster = info.cluster
        # A server out of any cluster reports no cluster block (nats-server 2.9) or one without
        # peers: the leader is then the one server this connection talks to.
        leader = (cluster.leader if cluster else None) or (
            nc._server_info.get("server_name") if not (cluster and cluster.replicas) else None
        )
        return {
            "stream": {
                "name": stream,
                "messages": info.state.messages,
                "last_sequence": info.state.last_seq,
                "replicas": info.config.num_replicas or 1,
                # The node that stores and acknowledges every event, and the others' state.
                "leader": leader,
                "followers": [
                    {"name": peer.name, "current": peer.current, "lag": peer.lag or 0}
                    for peer in (cluster.replicas or [] if cluster else [])
                ],
            },
            "consumers": sorted(consumers, key=lambda c: c["name"]),
            "dead_letters": dead_letters,
        }
    finally:
        await nc.close()


def collect_status(var_dir: Path, stream: str, nats_url: str | None = None) -> dict[str, Any]:
    state = read_state(var_dir)
    if state is None or not state.alive:
        report: dict[str, Any] = {"running": False, "var_dir": str(var_dir.resolve())}
        if nats_url:
            report["broker"] = asyncio.run(broker_status(nats_url, stream))
        return report
    processes = []
    for process in state.processes:
        alive = process.pid is not None and pid_alive(process.pid)
        processes.append(
            {
                "name": process.name,
                "pid": process.pid,
                "url": process.url,
                "running": alive,
                "readiness": _readiness(process) if alive else "not running",
                "restarts": process.restarts,
                "log": process.log,
            }
        )
    return {
        "running": True,
        "pid": state.pid,
        "started_at": state.started_at,
        "var_dir": state.var_dir,
        "gateway_url": state.gateway_url,
        "database": state.database,
        "processes": processes,
        "broker": asyncio.run(broker_status(nats_url or state.nats_url, stream)),
    }


def healthy(report: dict[str, Any]) -> bool:
    """All that was looked at is fine: every process ready and the broker answering; without
    ``tread up`` running, only a broker named with ``--nats`` can be fine."""
    broker_ok = "broker" in report and "error" not in report["broker"]
    if not report["running"]:
        return broker_ok
    return broker_ok and all(p["readiness"] == "ready" for p in report["processes"])


def format_status(report: dict[str, Any]) -> str:
    if not report["running"]:
        lines = [f"tread up is not running (var dir {report['var_dir']})."]
    else:
        lines = [
            f"tread up (pid {report['pid']}) since {report['started_at']}, "
            f"{report['database']} databases, var dir {report['var_dir']}",
            f"gateway {report['gateway_url']}",
            "",
        ]
        for p in report["processes"]:
            restarts = f", restarted {p['restarts']}x" if p["restarts"] else ""
            lines.append(
                f"  {p['name']:<13} pid {p['pid']!s:<8} {p['url']:<26} {p['readiness']}{restarts}"
            )
        lines.append("")
    broker = report.get("broker")
    if broker is None:
        return "\n".join(lines).rstrip()
    if "error" in broker:
        lines.append(f"events: {broker['error']}")
        return "\n".join(lines).rstrip()
    stream = broker["stream"]
    lines.append(
        f"stream {stream['name']}: {stream['messages']} messages, "
        f"last sequence {stream['last_sequence']}"
    )
    if stream.get("replicas", 1) > 1:
        followers = ", ".join(
            f"{f['name']} ({'current' if f['current'] else 'behind'}, lag {f['lag']})"
            for f in stream["followers"]
        )
        leader = stream["leader"] or "none (electing)"
        lines.append(f"  {stream['replicas']} replicas: leader {leader}; {followers}")
    for consumer in broker["consumers"]:
        lines.append(
            f"  consumer {consumer['name']}: {consumer['pending']} not yet delivered, "
            f"{consumer['ack_pending']} awaiting ack, "
            f"{broker['dead_letters'].get(consumer['name'], 0)} dead-lettered"
        )
    orphans = set(broker["dead_letters"]) - {c["name"] for c in broker["consumers"]}
    for name in sorted(orphans):
        lines.append(f"  dead letters of {name}: {broker['dead_letters'][name]}")
    return "\n".join(lines)


def status_as_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2)
