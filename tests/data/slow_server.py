"""A stand-in for a server on a loaded machine: it listens at once but answers its first
SLOW connections only after a few seconds (tests/test_harness.py)."""

import socket
import sys
import time

port, slow = int(sys.argv[1]), int(sys.argv[2])
server = socket.create_server(("127.0.0.1", port))
for served in range(1000):
    client, _ = server.accept()
    if served < slow:
        time.sleep(3)
    client.recv(65536)
    client.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    client.close()
