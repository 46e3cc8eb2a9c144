"""An old import path, nothing more: community features now live one module each.

``rooms.polls`` (polls), ``rooms.questions`` (Q&A), ``rooms.giveaways`` (giveaways and
their verifiable ``draw``), ``rooms.rewards`` (points and badges), ``rooms.chat``
(member-only chat). ``rooms.community.draw`` stays importable for callers that have not
moved to ``rooms.giveaways.draw``; add nothing here.
"""

from rooms.giveaways import draw as draw

__all__ = ["draw"]
