"""The kernel's price of one delivery on this machine: a plain ``send`` of a small frame to
each of many loopback TCP sockets, with nothing of ours around it.

    python -m loadtest.write_floor            # 1,000 sockets, 300-byte frames

Every server pays this per delivery in a room where messages cannot share a frame (one
message to each of ten viewers is ten ``send`` calls), and on loopback the receiver's
TCP work is charged to the sender's call. A target in µs per delivery means little
without it: ``docs/benchmarks.md`` quotes it next to the small-rooms figures.
"""

import argparse
import json
import socket
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sockets", type=int, default=1000)
    ap.add_argument("--bytes", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    server = socket.create_server(("127.0.0.1", 0), backlog=args.sockets)
    clients, accepted = [], []
    for _ in range(args.sockets):
        c = socket.create_connection(server.getsockname())
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s, _ = server.accept()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        clients.append(c)
        accepted.append(s)
    frame = b"x" * args.bytes
    sends = []
    for _ in range(args.rounds):
        started = time.process_time()
        for s in accepted:
            s.send(frame)
        sends.append((time.process_time() - started) / args.sockets)
        for c in clients:
            c.recv(65536)
    sends.sort()
    print(json.dumps({"sockets": args.sockets, "bytes": args.bytes, "send_cpu_us_min": round(sends[0] * 1e6, 1), "send_cpu_us_median": round(sends[len(sends) // 2] * 1e6, 1)}, indent=2))
    for sock in clients + accepted:
        sock.close()
    server.close()


if __name__ == "__main__":
    main()
