"""Q&A: viewers ask and upvote questions; staff answer and highlight them.

Asking and being upvoted earn points (``rooms.rewards``); the most upvoted questions
lead the snapshot (``RoomState.top_questions``).
"""

from rooms import commands as c
from rooms import events as e
from rooms.errors import Code, Rejection
from rooms.rewards import award, user_ref
from rooms.rules import Applied
from rooms.state import Question, RoomState

MAX_QUESTION = 300


def _question(s: RoomState, question_id: int) -> Question | Rejection:
    q = s.questions.get(question_id)
    return q if q is not None else Rejection(Code.NOT_FOUND, "no such question")


# --- checks ----------------------------------------------------------------------------


def check_ask(s: RoomState, entry: c.Entry, cmd: c.QuestionAsk) -> Rejection | None:
    if not cmd.text.strip():
        return Rejection(Code.EMPTY, "question is empty")
    if len(cmd.text.strip()) > MAX_QUESTION:
        return Rejection(Code.TOO_LONG, f"questions are at most {MAX_QUESTION} characters")
    if entry.actor.user_id in s.banned:
        return Rejection(Code.BANNED, "you are banned from this room")
    return None


def check_upvote(s: RoomState, entry: c.Entry, cmd: c.QuestionUpvote) -> Rejection | None:
    q = _question(s, cmd.question_id)
    if isinstance(q, Rejection):
        return q
    if q.user.id == entry.actor.user_id:
        return Rejection(Code.INVALID, "you cannot upvote your own question")
    if entry.actor.user_id in q.voters:
        return Rejection(Code.CONFLICT, "you have upvoted this question")
    return None


def check_target(s: RoomState, entry: c.Entry, cmd: c.QuestionAnswer | c.QuestionHighlight) -> Rejection | None:
    q = _question(s, cmd.question_id)
    return q if isinstance(q, Rejection) else None


# --- applies ---------------------------------------------------------------------------


def apply_ask(s: RoomState, entry: c.Entry, cmd: c.QuestionAsk) -> Applied:
    q = Question(id=entry.seq, user=user_ref(s, entry.actor), text=cmd.text.strip(), ts=entry.ts)
    s.questions[q.id] = q
    return [e.QuestionAsked(question=q.view()), *award(s, entry.actor.user_id, entry.actor.name, "question")], {"question_id": q.id}


def apply_upvote(s: RoomState, entry: c.Entry, cmd: c.QuestionUpvote) -> Applied:
    q = s.questions[cmd.question_id]
    q.voters.add(entry.actor.user_id)
    return [e.QuestionVotes(question_id=q.id, votes=len(q.voters)), *award(s, q.user.id, q.user.name, "upvoted")], {"votes": len(q.voters)}


def apply_answer(s: RoomState, entry: c.Entry, cmd: c.QuestionAnswer) -> Applied:
    q = s.questions[cmd.question_id]
    q.answered = True
    return [e.QuestionAnswered(question_id=q.id)], {}


def apply_highlight(s: RoomState, entry: c.Entry, cmd: c.QuestionHighlight) -> Applied:
    q = s.questions[cmd.question_id]
    q.highlighted = True
    return [e.QuestionHighlighted(question_id=q.id)], {}
