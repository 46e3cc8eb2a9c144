"""The HTTP adapters, side by side: rooms, commerce, and sessions after the show.

Each handler is ``async def handler(node, request) -> Response``, bound to the node
by ``common.bind`` when the app builds its routes; errors are raised as
``live.errors.ServerError`` and answered by one handler (``common.server_error``).
"""
