"""The HTTP API in one table: each row is an endpoint, everything the router binds and the
OpenAPI document says about it (``common.Endpoint``; docs/api.md describes each in prose).

A handler reads only the query parameters and the body its row declares (``common.Param``,
``common.parse_body``), so ``GET /openapi.json``, generated from this table, is what the
handlers read.
"""

import functools
from typing import Any

from starlette.datastructures import URLPath
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Match, NoMatchFound, Route
from starlette.types import Receive, Scope, Send

from live.http import auctions, automod, commerce, community, me, openapi, people, rehearsals, reviews, rooms, sessions
from live.http.common import AFTER, EVENT_TYPES, Auth, Endpoint, bind, error_response
from live.node import Node
from rooms.errors import Code

CALLER = Auth.CALLER
NDJSON = "application/x-ndjson"

# Path parameters, by name: (description, schema besides what the path's convertor says).
PATH_PARAMS: dict[str, tuple[str, dict[str, Any]]] = {
    "room_id": ("The room's id.", {"pattern": rooms.ROOM_ID.pattern}),
    "brand_id": ("The brand (tenant).", {}),
    "owner": ("The catalog's owner: a brand, or a brandless host's user id.", {}),
    "reservation_id": ("The reservation: the seq of the claim that made it.", {}),
    "fmt": ("The export's format.", {"enum": list(sessions.EXPORT_FORMATS)}),
    "user_id": ("The platform's user id of the person (not a pseudonym).", {"maxLength": people.MAX_USER_ID}),
    "product_id": ("A product of the brand's catalog.", {}),
    "review_id": ("A review's id.", {}),
    "kind": ("What is followed.", {"enum": list(me.KINDS)}),
    "target": ("The brand's id, or the host's user id.", {}),
}


async def openapi_json(node: Node, request: Request) -> Response:
    return JSONResponse(openapi_document())


@functools.cache
def openapi_document() -> dict[str, Any]:
    return openapi.document(TABLE, PATH_PARAMS)


TABLE: list[Endpoint] = [
    Endpoint(method="GET", path="/healthz", handler=rooms.health, summary="The process is alive"),
    Endpoint(method="GET", path="/readyz", handler=rooms.ready, summary="This node can take new viewers (503 with the failing checks when not)", also=(503,)),
    Endpoint(method="GET", path="/openapi.json", handler=openapi_json, summary="This document"),
    Endpoint(method="POST", path="/v1/rooms", handler=rooms.create_room, summary="Create or schedule a room", auth=CALLER, body=rooms.CreateRoom, status=201, errors=(409, 429, 503)),
    Endpoint(method="GET", path="/v1/rooms", handler=rooms.list_rooms, summary="Rooms, newest first", query=(rooms.LIST_STATUS, rooms.LIST_BRAND, rooms.LIST_LIMIT, rooms.LIST_OFFSET)),
    Endpoint(method="GET", path="/v1/rooms/{room_id}", handler=rooms.get_room, summary="A room, with its viewers on this node"),
    Endpoint(method="POST", path="/v1/rooms/{room_id}/live", handler=rooms.go_live, summary="Go live", auth=CALLER, errors=(409, 503)),
    Endpoint(
        method="POST",
        path="/v1/rooms/{room_id}/rehearsal",
        handler=rehearsals.start_rehearsal,
        summary="Open a private rehearsal of the room with a simulated audience (its sales and numbers count nowhere)",
        auth=CALLER,
        body=rehearsals.RehearsalBody,
        status=201,
        errors=(409, 503),
    ),
    Endpoint(method="DELETE", path="/v1/rooms/{room_id}/audience", handler=rehearsals.stop_rehearsal_audience, summary="Stop the room's simulated audience", auth=CALLER),
    Endpoint(method="POST", path="/v1/rooms/{room_id}/end", handler=rooms.end_room, summary="End the room (its log is persisted before the answer)", auth=CALLER, errors=(409, 503)),
    Endpoint(
        method="GET",
        path="/v1/rooms/{room_id}/transcript",
        handler=rooms.transcript,
        summary="The room's public events, in seq order, a page at a time",
        query=(AFTER, rooms.TRANSCRIPT_LIMIT, EVENT_TYPES),
    ),
    Endpoint(method="GET", path="/v1/rooms/{room_id}/leaderboard", handler=rooms.room_leaderboard, summary="Top members of the room by points"),
    Endpoint(
        method="GET",
        path="/v1/rooms/{room_id}/replay",
        handler=sessions.replay,
        summary="Every public event of the session with its offset from go-live, paged or as NDJSON",
        auth=CALLER,
        query=(*sessions.EXPORT_QUERY, AFTER, sessions.REPLAY_LIMIT, sessions.REPLAY_FORMAT),
        media=("application/json", NDJSON),
    ),
    Endpoint(
        method="GET",
        path="/v1/rooms/{room_id}/export.{fmt:str}",
        handler=sessions.export,
        summary="The session as NDJSON, CSV or WebVTT captions",
        auth=CALLER,
        query=sessions.EXPORT_QUERY,
        media=(NDJSON, "text/csv", "text/vtt"),
    ),
    Endpoint(method="GET", path="/v1/rooms/{room_id}/analytics", handler=sessions.analytics, summary="The session's numbers, re-folded from its log", auth=CALLER),
    Endpoint(
        method="GET",
        path="/v1/rooms/{room_id}/moderation",
        handler=sessions.moderation_log,
        summary="Every moderation action (manual and automatic) with who took it; who moderates, is banned, timed out or shadow-muted now; the review queue",
        auth=CALLER,
        query=(sessions.IDENTIFY,),
    ),
    Endpoint(
        method="PUT",
        path="/v1/rooms/{room_id}/rules",
        handler=community.put_room_rules,
        summary="The room's own community rules (instead of its brand's)",
        auth=CALLER,
        body=community.RulesBody,
        errors=(409, 503),
    ),
    Endpoint(method="DELETE", path="/v1/rooms/{room_id}/rules", handler=community.delete_room_rules, summary="Back to the brand's rules", auth=CALLER, errors=(409, 503)),
    Endpoint(method="GET", path="/v1/brands/{brand_id}/rules", handler=community.get_brand_rules, summary="The brand's community rules"),
    Endpoint(
        method="PUT",
        path="/v1/brands/{brand_id}/rules",
        handler=community.put_brand_rules,
        summary="Set the brand's community rules (sent to its scheduled and live rooms)",
        auth=CALLER,
        body=community.RulesBody,
        errors=(503,),
    ),
    Endpoint(method="DELETE", path="/v1/brands/{brand_id}/rules", handler=community.delete_brand_rules, summary="Remove the brand's community rules", auth=CALLER, errors=(503,)),
    Endpoint(method="GET", path="/v1/brands/{brand_id}/moderators", handler=community.list_moderators, summary="Moderators of all the brand's rooms", auth=CALLER),
    Endpoint(
        method="PUT",
        path="/v1/brands/{brand_id}/moderators/{user_id}",
        handler=community.appoint_moderator,
        summary="Appoint a moderator of all the brand's rooms (powers from their next command; open rooms at once)",
        auth=CALLER,
        errors=(422, 503),
    ),
    Endpoint(
        method="DELETE",
        path="/v1/brands/{brand_id}/moderators/{user_id}",
        handler=community.dismiss_moderator,
        summary="Dismiss a brand moderator (powers end with their next command)",
        auth=CALLER,
        errors=(404, 503),
    ),
    Endpoint(
        method="GET",
        path="/v1/brands/{brand_id}/moderation-log",
        handler=community.brand_moderation_log,
        summary="Every moderation action in the brand's rooms and the brand's own, by time, as JSON or CSV",
        auth=CALLER,
        query=(community.LOG_FORMAT, community.IDENTIFY, community.SINCE),
        media=("application/json", "text/csv"),
    ),
    Endpoint(method="GET", path="/v1/brands/{brand_id}/sessions", handler=sessions.brand_sessions, summary="The brand's sessions with their headline numbers", auth=CALLER),
    Endpoint(method="GET", path="/v1/brands/{brand_id}/automod", handler=automod.get_policy, summary="The brand's automatic-moderation policy (the defaults until it sets one)", auth=CALLER),
    Endpoint(method="PUT", path="/v1/brands/{brand_id}/automod", handler=automod.put_policy, summary="Replace the brand's automatic-moderation policy", auth=CALLER, body=automod.POLICY),
    Endpoint(method="GET", path="/v1/me/data", handler=people.my_data, summary="Everything the server holds about the caller, across rooms and brands", auth=CALLER),
    Endpoint(
        method="DELETE",
        path="/v1/me/data",
        handler=people.erase_my_data,
        summary="Erase the caller's data from every room (202: a room has not persisted it yet)",
        auth=CALLER,
        also=(202,),
        errors=(503,),
    ),
    Endpoint(
        method="GET", path="/v1/users/{user_id}/data", handler=people.user_data, summary="A person's data: the platform's admin key (every room) or a brand (its own rooms)", auth=CALLER, errors=(422,)
    ),
    Endpoint(
        method="DELETE",
        path="/v1/users/{user_id}/data",
        handler=people.erase_user_data,
        summary="Erase a person's data: the platform's admin key (every room) or a brand (its own rooms)",
        auth=CALLER,
        also=(202,),
        errors=(422, 503),
    ),
    Endpoint(method="GET", path="/v1/brands/{brand_id}/leaderboard", handler=rooms.brand_leaderboard, summary="Top members across the brand's sessions"),
    Endpoint(method="GET", path="/v1/rooms/{room_id}/auctions", handler=auctions.list_auctions, summary="The room's auctions: current bid and leader, or winner and price (no maximums)"),
    Endpoint(method="GET", path="/v1/rooms/{room_id}/orders", handler=commerce.list_orders, summary="Every reservation of the room", auth=CALLER),
    Endpoint(method="GET", path="/v1/rooms/{room_id}/sales", handler=commerce.sales, summary="Units and revenue, in total, per product and per affiliate", auth=CALLER),
    Endpoint(method="GET", path="/v1/rooms/{room_id}/webhooks", handler=commerce.webhook_log, summary="The room's messages to the checkout and how each delivery went", auth=CALLER),
    Endpoint(
        method="POST", path="/v1/rooms/{room_id}/orders/{reservation_id:id}/confirm", handler=commerce.confirm_order, summary="The merchant's checkout: paid", auth=CALLER, errors=(409, 422, 503)
    ),
    Endpoint(
        method="POST", path="/v1/rooms/{room_id}/orders/{reservation_id:id}/cancel", handler=commerce.cancel_order, summary="The merchant's checkout: cancelled", auth=CALLER, errors=(409, 422, 503)
    ),
    Endpoint(
        method="POST",
        path="/v1/rooms/{room_id}/orders/{reservation_id:id}/checkout",
        handler=me.set_checkout,
        summary="The merchant's checkout link for a reservation: sent privately to its buyer",
        auth=CALLER,
        body=me.CheckoutIn,
        errors=(409, 503),
    ),
    Endpoint(method="GET", path="/v1/me/orders", handler=me.my_orders, summary="The caller's own orders, newest first, with their checkout links", auth=CALLER, query=(me.ORDERS_ROOM,)),
    Endpoint(method="GET", path="/v1/me/follows", handler=me.my_follows, summary="The brands and hosts the caller follows", auth=CALLER),
    Endpoint(method="PUT", path="/v1/me/follows/{kind}/{target}", handler=me.follow, summary="Follow a brand or a host (idempotent)", auth=CALLER, errors=(404, 429)),
    Endpoint(method="DELETE", path="/v1/me/follows/{kind}/{target}", handler=me.unfollow, summary="Stop following (idempotent)", auth=CALLER, errors=(404, 429)),
    Endpoint(
        method="POST",
        path="/v1/rooms/{room_id}/orders/{reservation_id:id}/review",
        handler=reviews.add_review,
        summary="The buyer reviews a paid order (once)",
        auth=CALLER,
        body=reviews.ReviewIn,
        status=201,
        errors=(409,),
    ),
    Endpoint(
        method="GET",
        path="/v1/brands/{brand_id}/products/{product_id}/reviews",
        handler=reviews.list_reviews,
        summary="A product's published reviews with their average, public (pseudonymous authors)",
        query=(reviews.REVIEWS_SORT, reviews.REVIEWS_LIMIT, reviews.REVIEWS_OFFSET),
    ),
    Endpoint(
        method="GET",
        path="/v1/brands/{brand_id}/reviews",
        handler=reviews.brand_reviews,
        summary="The brand's reviews waiting for it (held), or hidden, or published",
        auth=CALLER,
        query=(reviews.REVIEWS_STATUS, reviews.REVIEWS_LIMIT, reviews.REVIEWS_OFFSET),
    ),
    Endpoint(method="POST", path="/v1/reviews/{review_id:id}/helpful", handler=reviews.mark_helpful, summary="Mark a review helpful (once per user)", auth=CALLER, errors=(404, 422, 429)),
    Endpoint(
        method="POST", path="/v1/reviews/{review_id:id}/moderate", handler=reviews.moderate, summary="The brand publishes or hides a review", auth=CALLER, body=reviews.ModerateIn, errors=(404,)
    ),
    Endpoint(
        method="PUT",
        path="/v1/catalog/{owner}/products",
        handler=commerce.import_products,
        summary="Import products (upserted by id); every row not imported is reported",
        auth=CALLER,
        body=commerce.CATALOG,
        body_media=("application/json", "text/csv"),
    ),
    Endpoint(method="GET", path="/v1/catalog/{owner}/products", handler=commerce.list_products, summary="The catalog"),
]


def routes(node: Node) -> list[BaseRoute]:
    """The table's routes, then one that answers any other request under /v1/ in the error shape."""
    table = [Route(e.path, bind(node, e), methods=[e.method]) for e in TABLE]
    return [*table, _Elsewhere(table)]


class _Elsewhere(BaseRoute):
    """Every other path under /v1/ — whatever it holds, a newline included, which no path
    convertor matches — gets 404, or 405 with ``Allow`` for a known path, in the error shape,
    rather than the pages' plain-text answers."""

    METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

    def __init__(self, table: list[Route]) -> None:
        self.table = table

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return (Match.FULL if scope["type"] == "http" and scope["path"].startswith("/v1/") else Match.NONE), {}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        allowed = sorted({m for route in self.table if route.path_regex.match(scope["path"]) for m in route.methods or ()})
        if allowed:
            response = error_response(405, Code.BAD_REQUEST, f"{scope['method']} is not allowed here")
            response.headers["allow"] = ", ".join(allowed)
        else:
            response = error_response(404, Code.NOT_FOUND, "no such endpoint")
        await response(scope, receive, send)
