"""WebSocket frames of RFC 6455, read from a client and written by the server (every frame
the server writes, the fan-out's included, is built by ``frame``).

Plain functions over bytes: no parser object, no suspended generator, nothing kept
between calls but the unread tail of the stream, which is what lets an idle room
socket (``live.sockets.wsserver``) hold next to nothing. Extensions are never
negotiated here, so the reserved bits must be 0; client frames must be masked.
"""

import struct

from websockets.frames import EXTERNAL_CLOSE_CODES
from websockets.speedups import apply_mask

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0, 1, 2, 8, 9, 10
NO_STATUS = 1005  # a close frame without a code
_U16, _U64 = struct.Struct("!H"), struct.Struct("!Q")


class FrameError(Exception):
    """The client broke the protocol: close with ``code`` (1002, 1007 or 1009)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


def read(buf: bytes, pos: int, max_size: int) -> tuple[bool, int, bytes, int] | None:
    """The client frame at ``pos``: (fin, opcode, unmasked payload, where the next starts).

    None while the frame is incomplete. Its declared length is judged before any of
    it is waited for, so a client cannot make the server buffer more than ``max_size``.
    """
    end = len(buf)
    if end - pos < 2:
        return None
    b0, b1 = buf[pos], buf[pos + 1]
    opcode, n, head = b0 & 0x0F, b1 & 0x7F, pos + 2
    if b0 & 0x70:
        raise FrameError(1002, "reserved bits must be 0")
    if not b1 & 0x80:
        raise FrameError(1002, "client frames must be masked")
    if opcode >= CLOSE:
        if opcode > PONG:
            raise FrameError(1002, f"invalid opcode {opcode}")
        if not b0 & 0x80 or n > 125:
            raise FrameError(1002, "control frames are single and at most 125 bytes")
    elif opcode > BINARY:
        raise FrameError(1002, f"invalid opcode {opcode}")
    if n == 126:
        if end - head < 2:
            return None
        n, head = _U16.unpack_from(buf, head)[0], head + 2
    elif n == 127:
        if end - head < 8:
            return None
        n, head = _U64.unpack_from(buf, head)[0], head + 8
    if n > max_size:
        raise FrameError(1009, f"frame over {max_size} bytes")
    start = head + 4
    if end < start + n:
        return None
    return bool(b0 & 0x80), opcode, apply_mask(buf[start : start + n], buf[head:start]), start + n


def close_of(payload: bytes) -> tuple[int, str]:
    """The code and reason of a client's close frame."""
    if not payload:
        return NO_STATUS, ""
    if len(payload) < 2:
        raise FrameError(1002, "close frame too short")
    code = _U16.unpack_from(payload)[0]
    if code not in EXTERNAL_CLOSE_CODES and not 3000 <= code < 5000:
        raise FrameError(1002, f"invalid close code {code}")
    try:
        return code, payload[2:].decode()
    except UnicodeDecodeError:
        raise FrameError(1007, "close reason is not UTF-8") from None


def frame(opcode: int, payload: bytes) -> bytes:
    """An unmasked server frame."""
    n = len(payload)
    if n < 126:
        return bytes((0x80 | opcode, n)) + payload
    if n < 1 << 16:
        return bytes((0x80 | opcode, 126)) + _U16.pack(n) + payload
    return bytes((0x80 | opcode, 127)) + _U64.pack(n) + payload


def close_frame(code: int, reason: str = "") -> bytes:
    """1005 (no code received) is echoed as a close frame without a code."""
    if code == NO_STATUS:
        return frame(CLOSE, b"")
    return frame(CLOSE, _U16.pack(code) + reason.encode()[:123])
