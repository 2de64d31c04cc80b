#!/usr/bin/env python3
"""GET a URL over mutual TLS with a small receive buffer, read nothing for STALL seconds,
then read what comes until the server closes (or 5 s pass without a byte).
Prints the body bytes read and how the read ended: "closed" or "timeout".

usage: stalled-reader.py HOST PORT PATH CERT KEY CA STALL"""
import socket, ssl, sys, time

host, port, path, cert, key, ca, stall = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], float(sys.argv[7])
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.load_cert_chain(cert, key)
context.load_verify_locations(ca)
context.check_hostname = False
raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
raw.connect((host, port))
tls = context.wrap_socket(raw)
tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
time.sleep(stall)
tls.settimeout(5)
total, ended = 0, "closed"
try:
    while True:
        chunk = tls.recv(65536)
        if not chunk:
            break
        total += len(chunk)
except socket.timeout:
    ended = "timeout"
except (ssl.SSLError, ConnectionError):
    pass
print(total, ended)
