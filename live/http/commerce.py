"""Commerce over HTTP: the catalog, a room's orders and sales, confirm and cancel.

Catalog writes need a ``brand`` or ``host`` token for every room (``room: "*"``) whose
user id is the catalog's owner (the brand id, or the host's id for rooms without a
brand). Order reads and confirm/cancel need a ``brand`` or ``host`` token for the room:
that is the merchant's checkout calling back.
"""

import csv
import io
from collections import defaultdict
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from live.errors import Forbidden, Invalid
from live.http.common import caller, open_room, outcome_response
from live.node import Node
from rooms import commands as c
from rooms.fold import Accepted
from rooms.roles import MERCHANT
from rooms.types import RoomId

MAX_IMPORT_ROWS = 10_000


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    sku: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    image_url: str | None = Field(None, max_length=500, pattern=r"^https?://")
    price: int = Field(ge=0, description="minor units of the currency")
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    stock: int = Field(0, ge=0)


def _merchant(node: Node, request: Request, room: str) -> c.Actor:
    actor = caller(node, request, room)
    if actor.role not in MERCHANT:
        raise Forbidden("only the brand or the host may do this")
    return actor


def _rows(request: Request, body: bytes) -> list[Any]:
    """JSON (an array, or {"products": [...]}) or CSV with a header row."""
    if request.headers.get("content-type", "").startswith("text/csv"):
        return [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))]
    data = orjson.loads(body)
    rows = data.get("products") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise ValueError("send a JSON array of products, {\"products\": [...]}, or text/csv")
    return rows


async def import_products(node: Node, request: Request) -> Response:
    owner = request.path_params["owner"]
    actor = caller(node, request, "*")
    if actor.role not in MERCHANT or actor.user_id != owner:
        raise Forbidden("a catalog is written by its owner's brand or host token (room *)")
    try:
        rows = _rows(request, await request.body())
    except (ValueError, UnicodeDecodeError, orjson.JSONDecodeError) as exc:
        raise Invalid(f"cannot read the catalog: {exc}") from None
    if len(rows) > MAX_IMPORT_ROWS:
        raise Invalid(f"at most {MAX_IMPORT_ROWS} rows per import")
    good, errors = [], []
    for number, row in enumerate(rows, start=1):
        try:
            good.append(ProductIn.model_validate(row).model_dump())
        except ValidationError as exc:
            problems = [{"field": ".".join(str(x) for x in e["loc"]) or "row", "message": e["msg"]} for e in exc.errors(include_url=False)]
            errors.append({"row": number, "id": row.get("id") if isinstance(row, dict) else None, "errors": problems})
    await node.store.upsert_products(owner, good)
    return JSONResponse({"imported": len(good), "errors": errors}, status_code=200 if good or not errors else 422)


async def list_products(node: Node, request: Request) -> Response:
    rows = await node.store.list_products(request.path_params["owner"])
    return JSONResponse({"products": [{k: v for k, v in r.items() if k != "owner"} for r in rows]})


async def list_orders(node: Node, request: Request) -> Response:
    room_id = request.path_params["room_id"]
    _merchant(node, request, room_id)
    return JSONResponse({"room_id": room_id, "orders": await node.store.list_orders(room_id)})


async def sales(node: Node, request: Request) -> Response:
    """Units and revenue per currency, per product and per affiliate, paid and reserved."""
    room_id = request.path_params["room_id"]
    _merchant(node, request, room_id)
    orders = await node.store.list_orders(room_id)
    return JSONResponse({"room_id": room_id} | summarize(orders))


def summarize(orders: list[dict[str, Any]]) -> dict[str, Any]:
    def bucket() -> dict[str, Any]:
        return {"units": 0, "revenue": defaultdict(int), "reserved_units": 0}

    total = bucket()
    by_product: defaultdict[str, dict[str, Any]] = defaultdict(bucket)
    by_affiliate: defaultdict[str, dict[str, Any]] = defaultdict(bucket)
    for o in orders:
        for b in (total, by_product[o["product_id"]], by_affiliate[o["affiliate_id"] or "none"]):
            if o["status"] == "paid":
                b["units"] += o["units"]
                b["revenue"][o["currency"]] += o["units"] * o["price"]
            elif o["status"] == "reserved":
                b["reserved_units"] += o["units"]
    return {"total": total, "products": dict(by_product), "affiliates": dict(by_affiliate), "orders": len(orders)}


async def _order_command(node: Node, request: Request, command: c.OrderConfirm | c.OrderCancel) -> Response:
    room_id = RoomId(request.path_params["room_id"])
    actor = _merchant(node, request, room_id)
    rt = await open_room(node, room_id)
    outcome = await rt.submit(actor, command)
    result = outcome.result if isinstance(outcome, Accepted) else {}
    return outcome_response(outcome, {"room_id": room_id, "reservation_id": command.reservation_id} | result)


async def confirm_order(node: Node, request: Request) -> Response:
    return await _order_command(node, request, c.OrderConfirm(reservation_id=int(request.path_params["reservation_id"])))


async def cancel_order(node: Node, request: Request) -> Response:
    return await _order_command(node, request, c.OrderCancel(reservation_id=int(request.path_params["reservation_id"])))
