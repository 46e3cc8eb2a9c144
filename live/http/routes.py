"""The HTTP API in one table: path, method, handler (docs/api.md describes each)."""

from starlette.routing import Route

from live.http import commerce, rooms, sessions
from live.http.common import Handler, bind
from live.node import Node

TABLE: list[tuple[str, str, Handler]] = [
    ("/healthz", "GET", rooms.health),
    ("/readyz", "GET", rooms.ready),
    ("/v1/rooms", "POST", rooms.create_room),
    ("/v1/rooms", "GET", rooms.list_rooms),
    ("/v1/rooms/{room_id}", "GET", rooms.get_room),
    ("/v1/rooms/{room_id}/live", "POST", rooms.go_live),
    ("/v1/rooms/{room_id}/end", "POST", rooms.end_room),
    ("/v1/rooms/{room_id}/transcript", "GET", rooms.transcript),
    ("/v1/rooms/{room_id}/leaderboard", "GET", rooms.room_leaderboard),
    ("/v1/rooms/{room_id}/replay", "GET", sessions.replay),
    ("/v1/rooms/{room_id}/export.{fmt:str}", "GET", sessions.export),
    ("/v1/rooms/{room_id}/analytics", "GET", sessions.analytics),
    ("/v1/brands/{brand_id}/sessions", "GET", sessions.brand_sessions),
    ("/v1/brands/{brand_id}/erase", "POST", sessions.erase_user),
    ("/v1/brands/{brand_id}/leaderboard", "GET", rooms.brand_leaderboard),
    ("/v1/rooms/{room_id}/orders", "GET", commerce.list_orders),
    ("/v1/rooms/{room_id}/sales", "GET", commerce.sales),
    ("/v1/rooms/{room_id}/orders/{reservation_id:int}/confirm", "POST", commerce.confirm_order),
    ("/v1/rooms/{room_id}/orders/{reservation_id:int}/cancel", "POST", commerce.cancel_order),
    ("/v1/catalog/{owner}/products", "PUT", commerce.import_products),
    ("/v1/catalog/{owner}/products", "GET", commerce.list_products),
]


def routes(node: Node) -> list[Route]:
    return [Route(path, bind(node, handler), methods=[method]) for path, method, handler in TABLE]
