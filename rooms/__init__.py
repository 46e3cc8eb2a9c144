"""The domain core of live: room state, commands, events and the fold.

Pure Python: no asyncio, no network, no clock. Everything time-dependent reads
``entry.ts``; the server shell (``live``) feeds entries in ``seq`` order.
"""
