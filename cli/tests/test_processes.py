"""The port check of ``tread up``."""

from __future__ import annotations

import socket

from tread_cli.processes import port_is_free


def _leave_time_wait() -> int:
    """A port whose last connection was closed by its server: a socket in TIME-WAIT lingers on
    it for a minute, as after an unclean stop of a service."""
    with socket.socket() as listener:
        # As the servers tread up starts do (Linux lets a socket bind beside TIME-WAIT ones
        # only when both set SO_REUSEADDR).
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port: int = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = listener.accept()
        accepted.close()  # the server closes first: its side waits in TIME-WAIT
        client.recv(1)
        client.close()
    return port


def test_a_port_left_in_time_wait_is_free() -> None:
    assert port_is_free(_leave_time_wait())


def test_a_port_someone_listens_on_is_not_free() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert not port_is_free(listener.getsockname()[1])
