"""The kernel's price of one delivery on this machine: a plain ``send`` of a small frame to
each of many loopback TCP sockets, with nothing of ours around it.

    python -m loadtest.write_floor            # 1,000 sockets, 300-byte frames

Every server pays this per delivery in a room where messages cannot share a frame (one
message to each of ten viewers is ten ``send`` calls), and on loopback the receiver's
TCP work is charged to the sender's call. Two figures: receivers that read only after
the round (nobody to wake), and receivers in another process waiting in ``epoll`` as
viewers do (each send also wakes one up), which is what ``loadtest.run`` measures.
``docs/benchmarks.md`` quotes both next to the small-rooms figures.
"""

import argparse
import json
import multiprocessing as mp
import selectors
import socket
import time
from multiprocessing.connection import Connection


def _reader(listen_port: int, count: int, ready: Connection) -> None:
    """The viewers: connect, then read whatever comes, waking in epoll like a client."""
    sel = selectors.DefaultSelector()
    socks = [socket.create_connection(("127.0.0.1", listen_port)) for _ in range(count)]
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    ready.send("ready")
    while not ready.poll():
        for key, _ in sel.select(0.1):
            key.fileobj.recv(65536)  # type: ignore[union-attr]


def _rounds(senders: list[socket.socket], frame: bytes, rounds: int, drain: list[socket.socket] | None) -> list[float]:
    per_send = []
    for _ in range(rounds):
        started = time.process_time()
        for s in senders:
            s.send(frame)
        per_send.append((time.process_time() - started) / len(senders))
        if drain is not None:
            for c in drain:
                c.recv(65536)
        else:
            time.sleep(0.05)  # the reader process catches up
    return sorted(per_send)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sockets", type=int, default=1000)
    ap.add_argument("--bytes", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    frame = b"x" * args.bytes
    server = socket.create_server(("127.0.0.1", 0), backlog=args.sockets)
    port = server.getsockname()[1]

    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(args.sockets)]
    idle = [server.accept()[0] for _ in clients]
    quiet = _rounds(idle, frame, args.rounds, drain=clients)

    parent, child = mp.get_context("spawn").Pipe()
    reader = mp.get_context("spawn").Process(target=_reader, args=(port, args.sockets, child), daemon=True)
    reader.start()
    parent.recv()
    waking = [server.accept()[0] for _ in range(args.sockets)]
    woken = _rounds(waking, frame, args.rounds, drain=None)
    parent.send("stop")
    reader.join(10)

    def figures(xs: list[float]) -> dict[str, float]:
        return {"min": round(xs[0] * 1e6, 1), "median": round(xs[len(xs) // 2] * 1e6, 1)}

    print(json.dumps({"sockets": args.sockets, "bytes": args.bytes, "send_cpu_us_reader_idle": figures(quiet), "send_cpu_us_reader_waiting_in_epoll": figures(woken)}, indent=2))
    for sock in clients + idle + waking:
        sock.close()
    server.close()


if __name__ == "__main__":
    main()
