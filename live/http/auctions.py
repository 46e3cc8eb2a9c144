"""Auctions over HTTP: a room's auctions as anyone may see them (for the merchant's own pages).

Bidding and starting happen on the room socket (``auction.bid``, ``auction.start``);
this is the public view: running ones with their current bid and leader, ended ones
with their winner and price. Nobody's maximum is ever in it, and people are named by
display name and the brand's pseudonym, as on every public surface.
"""

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from live.errors import NotFound
from live.http.common import open_room
from live.node import Node
from live.privacy import brand_pseudonyms
from rooms.types import RoomId


async def list_auctions(node: Node, request: Request) -> Response:
    rt = await open_room(node, RoomId(request.path_params["room_id"]))
    if rt.state.rehearsal_of:
        raise NotFound("no such room")  # private to the host's team
    hide = brand_pseudonyms(node.settings.pseudonym_key, rt.state.brand_id)
    return JSONResponse({"room_id": rt.room_id, "auctions": hide([a.public() for a in rt.state.auctions.values()])})
