"""A brand's automatic-moderation policy over HTTP: read it, replace it.

Access (``live.access.authorize_brand``): the brand's staff or its API key only. A PUT
takes effect on this node at once and on every other within a few seconds
(``live.automod.edge.POLICY_TTL_SECONDS``).
"""

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from live import access
from live.automod import edge
from live.automod.policy import DEFAULT, Policy
from live.http.common import identify, parse_body
from live.node import Node

POLICY = Policy  # the PUT body, for the route table


def _answer(brand_id: str, policy: Policy, custom: bool) -> dict[str, Any]:
    return {"brand_id": brand_id, "custom": custom, "policy": policy.model_dump(mode="json")}


async def get_policy(node: Node, request: Request) -> Response:
    """The brand's policy (``custom``: false while it has never set one and the defaults apply)."""
    brand_id = request.path_params["brand_id"]
    access.authorize_brand(await identify(node, request), brand_id)
    raw = await node.store.automod_policy(brand_id)
    return JSONResponse(_answer(brand_id, DEFAULT if raw is None else Policy.model_validate(raw), raw is not None))


async def put_policy(node: Node, request: Request) -> Response:
    """Replace the brand's policy; fields left out take their defaults."""
    brand_id = request.path_params["brand_id"]
    access.authorize_brand(await identify(node, request), brand_id)
    policy = await parse_body(request, Policy)
    await node.store.put_automod_policy(brand_id, policy.model_dump(mode="json", exclude_defaults=True))
    edge.for_store(node.store).forget(brand_id)
    return JSONResponse(_answer(brand_id, policy, True))
