"""The domain core of live: room state, commands, events and the fold.

Pure Python: no asyncio, no network, no clock. Everything time-dependent reads
``entry.ts``; the server shell (``live``) feeds entries in ``seq`` order.

The vocabulary: ``types`` (ids), ``roles``, ``statuses`` (reservation status, end
reasons), ``errors`` (every error code, ``Rejection``, ``DomainError``), ``commands``,
``events``, ``state``. The fold: ``fold`` (the rule table, ``check``, ``fold``) over
``rules`` (what a rule is). The rules, one module per feature: ``lifecycle`` (status
transitions and gates), ``chat`` (posts, pins, member-only chat, ``may_react``),
``moderation``, ``products`` (pinned products), ``commerce`` (offers, claims, orders),
``polls``, ``questions``, ``giveaways``, ``rewards`` (points and badges). Read-only on
top: ``analytics`` (a re-fold into session numbers).
"""
