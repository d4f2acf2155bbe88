"""Connections: a client that sends its headers byte by byte (slowloris) is cut off, and the server stays up."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from tests.support.homes import home_in

SLOW_CLIENTS = 50
HEADER_TIMEOUT = 2.0


@pytest.mark.slow
def test_clients_that_never_finish_their_headers_are_timed_out(server_process, database_url):
    home_in(database_url)
    server = server_process(env={"HOMERELAY_HEADER_TIMEOUT": str(HEADER_TIMEOUT)})
    slow = []
    for _ in range(SLOW_CLIENTS):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        sock.setblocking(False)
        slow.append(sock)
    started = time.monotonic()
    open_ones = set(slow)
    try:
        # One header byte every half second, as a slowloris does, for up to four header timeouts.
        while open_ones and time.monotonic() - started < 4 * HEADER_TIMEOUT:
            for sock in list(open_ones):
                try:
                    if sock.recv(1) == b"":
                        open_ones.discard(sock)
                        continue
                except BlockingIOError:
                    pass
                except OSError:
                    open_ones.discard(sock)
                    continue
                try:
                    sock.send(b"X")
                except OSError:
                    open_ones.discard(sock)
            assert requests.get(f"{server.url}/healthz", timeout=2).status_code == 200
            time.sleep(0.5)
        cut_after = time.monotonic() - started
    finally:
        for sock in slow:
            sock.close()
    print(f"{SLOW_CLIENTS} slow clients: {SLOW_CLIENTS - len(open_ones)} cut off within {cut_after:.1f} s")
    assert not open_ones
    assert cut_after < HEADER_TIMEOUT + 2
