"""The WebSocket adapters: the live room socket (``gateway``) and the replay socket (``replay``)."""
