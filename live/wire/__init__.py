"""The wire: what crosses a client's socket, typed on both sides.

``client`` declares every message a client may send, ``server`` every message the
server sends, and ``codec`` turns them into bytes (JSON or MessagePack) and back.
Nothing past the codec is a raw dict.
"""
