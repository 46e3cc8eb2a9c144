"""Commerce over HTTP: the catalog, a room's orders and sales, confirm and cancel.

Who may (``live.access``): a catalog is written by its owner — the brand (a ``brand``
token for room ``*`` or its API key), or a brandless host for their own. A room's
orders, confirm/cancel and sales are its tenant's: that is the merchant's checkout
calling back. An affiliate of the room sees its own sales only.
"""

import csv
import io
from collections import defaultdict
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from live import access
from live.access import RoomRef
from live.auth import Identity
from live.errors import Invalid
from live.http.common import identify, open_room, outcome_response, room_ref
from live.node import Node
from rooms import commands as c
from rooms.commerce import MAX_PRICE
from rooms.fold import Accepted
from rooms.types import RoomId

MAX_IMPORT_ROWS = 10_000
WEBHOOK_LOG_LIMIT = 500


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    sku: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=2000)
    image_url: str | None = Field(None, max_length=500, pattern=r"^https?://")
    price: int = Field(ge=0, le=MAX_PRICE, description="minor units of the currency")  # rooms.commerce.MAX_PRICE: sums stay inside 64 bits
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    stock: int = Field(0, ge=0, le=2**31 - 1)  # the column is a 32-bit INTEGER


class ProductList(BaseModel):
    """The import's other JSON shape: ``{"products": [...]}``."""

    products: list[ProductIn]


# What an import's JSON body is (CSV has the same fields as columns). Rows are checked one by
# one, so a bad row is reported in the answer rather than refusing the others.
CATALOG = list[ProductIn] | ProductList


async def _authorized(node: Node, request: Request, action: access.Action) -> tuple[Identity, RoomRef]:
    """The caller, checked against the room in the path (before any body is read)."""
    identity = await identify(node, request)
    room = await room_ref(node, request.path_params["room_id"])
    access.authorize(identity, action, room)
    return identity, room


def _csv(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("text/csv")


def _rows(request: Request, body: bytes) -> list[Any]:
    """JSON (an array, or {"products": [...]}) or CSV with a header row."""
    if _csv(request):
        reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig")))
        if missing := sorted(name for name, f in ProductIn.model_fields.items() if f.is_required() and name not in (reader.fieldnames or ())):
            raise ValueError(f"the header row does not name {', '.join(missing)}")
        return [{k: v for k, v in row.items() if v != ""} for row in reader]
    data = orjson.loads(body)
    rows = data.get("products") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise ValueError('send a JSON array of products, {"products": [...]}, or text/csv')
    return rows


async def import_products(node: Node, request: Request) -> Response:
    owner = request.path_params["owner"]
    access.authorize_catalog(await identify(node, request), owner)
    try:
        rows = _rows(request, await request.body())
    except (ValueError, UnicodeDecodeError, orjson.JSONDecodeError, csv.Error) as exc:
        raise Invalid(f"cannot read the catalog: {exc}") from None
    if len(rows) > MAX_IMPORT_ROWS:
        raise Invalid(f"at most {MAX_IMPORT_ROWS} rows per import")
    good, errors = [], []
    strict = not _csv(request)  # JSON rows as the schema says (true is no price), as parse_body reads bodies; CSV has only text
    for number, row in enumerate(rows, start=1):
        try:
            good.append(ProductIn.model_validate(row, strict=strict).model_dump())
        except ValidationError as exc:
            problems = [{"field": ".".join(str(x) for x in e["loc"]) or "row", "message": e["msg"]} for e in exc.errors(include_url=False)]
            errors.append({"row": number, "id": row.get("id") if isinstance(row, dict) else None, "errors": problems})
    if errors and not good:  # an error like any other: the row reports are its details
        raise Invalid("no product was imported", details=errors)
    await node.store.upsert_products(owner, good)
    return JSONResponse({"imported": len(good), "errors": errors})


async def list_products(node: Node, request: Request) -> Response:
    rows = await node.store.list_products(request.path_params["owner"])
    return JSONResponse({"products": [{k: v for k, v in r.items() if k != "owner"} for r in rows]})


async def list_orders(node: Node, request: Request) -> Response:
    _, room = await _authorized(node, request, access.Action.MERCHANT)
    return JSONResponse({"room_id": room.id, "orders": await node.store.list_orders(room.id)})


async def sales(node: Node, request: Request) -> Response:
    """Units and revenue per currency, per product and per affiliate, paid and reserved.

    The room's merchant sees all of it; an affiliate of the room only their own sales.
    """
    identity, room = await _authorized(node, request, access.Action.SALES)
    orders = await node.store.list_orders(room.id)
    if not access.is_merchant(identity, room):
        orders = [o for o in orders if o["affiliate_id"] == identity.actor.user_id]
    return JSONResponse({"room_id": room.id} | summarize(orders))


async def webhook_log(node: Node, request: Request) -> Response:
    """The room's messages to the checkout and how each delivery went (newest first)."""
    _, room = await _authorized(node, request, access.Action.MERCHANT)
    return JSONResponse({"room_id": room.id, "webhooks": await node.store.webhook_log(room.id, WEBHOOK_LOG_LIMIT)})


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
    identity, room = await _authorized(node, request, access.Action.MERCHANT)
    rt = await open_room(node, RoomId(room.id))
    outcome = await rt.submit(access.room_actor(identity, RoomRef.of_state(rt.state)), command)
    result = outcome.result if isinstance(outcome, Accepted) else {}
    return outcome_response(outcome, {"room_id": room.id, "reservation_id": command.reservation_id} | result)


async def confirm_order(node: Node, request: Request) -> Response:
    return await _order_command(node, request, c.OrderConfirm(reservation_id=int(request.path_params["reservation_id"])))


async def cancel_order(node: Node, request: Request) -> Response:
    return await _order_command(node, request, c.OrderCancel(reservation_id=int(request.path_params["reservation_id"])))
