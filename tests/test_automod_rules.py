"""Automatic moderation's rules, pure: the normalizer, the word lists, links, spam and the
toxicity model, each as the policy configures it.

Hypothesis holds the word lists to their promise: a listed word written with any
separators between its letters (spaces, dots, dashes, underscores), any case, repeated
letters and leetspeak is still caught; an allow-listed word never is; normalizing twice
changes nothing. Two readings are documented exceptions the strategies respect: a word
made only of digits is a number (``455`` is a price), and ``!``/``|`` at a word's edge is
punctuation.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from live.automod import links, spam
from live.automod.normalize import normalize
from live.automod.policy import DEFAULT, Actions, Policy
from live.automod.scorer import Author, Rules, score
from live.automod.spam import Repeats
from live.automod.words import WordList, shipped
from rooms.verdicts import Outcome

LISTED = sorted({**shipped("words_en"), **shipped("words_id")})
LEET = {"a": "4@", "e": "3", "i": "1", "o": "0", "s": "5$", "t": "7", "b": "8", "g": "9"}
SEPARATORS = st.sampled_from([" ", ".", "-", "_", " . ", "  ", "-_-"])
RULES = Rules(DEFAULT)
WORDS = RULES.words


@st.composite
def disguised(draw: st.DrawFn, word: str, separators: bool = True) -> str:
    """``word`` with random case, repeated letters, leetspeak and (optionally) separators."""
    letters = [ch for ch in word if ch != " "]
    keep = draw(st.integers(0, len(letters) - 1))  # this letter stays a letter: all-digit words are numbers
    out: list[str] = []
    for n, ch in enumerate(word):
        if ch == " ":
            out.append(draw(SEPARATORS) if separators else " ")
            continue
        k = sum(1 for c in word[:n] if c != " ")
        piece = ch.upper() if draw(st.booleans()) else ch
        if k != keep and ch in LEET and draw(st.booleans()):
            piece = draw(st.sampled_from(LEET[ch]))
        piece *= draw(st.integers(1, 3))
        if separators and out and draw(st.booleans()):
            out.append(draw(SEPARATORS))
        out.append(piece)
    return "".join(out)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_a_listed_word_is_caught_through_any_disguise(data: st.DataObject) -> None:
    word = data.draw(st.sampled_from(LISTED))
    text = data.draw(disguised(word))
    context = data.draw(st.sampled_from(["{}", "dasar {} ya", "you {} !!", "{}?"]))
    hits = WORDS.find(context.format(text))
    assert any(h.word == normalize(word) for h in hits), (word, text)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_an_allowed_word_is_never_caught(data: st.DataObject) -> None:
    word = data.draw(st.sampled_from(LISTED))
    brand = WordList({**shipped("words_en"), **shipped("words_id")}, allowed=frozenset({word}))
    text = data.draw(disguised(word, separators=False))
    assert all(h.word != normalize(word) for h in brand.find(f"ini {text} kak")), (word, text)


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_normalizing_twice_changes_nothing(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@pytest.mark.parametrize(
    "text",
    [
        "I grew up in Scunthorpe",
        "a classic cocktail dress",
        "Assam tea or Darjeeling?",
        "pantainya bagus",
        "asuhan anak",
        "shitake mushrooms",
        "harga 455 ribu",
        "ukuran 38 39 40 41 ada?",
        "the therapist recommended it",
        "passes and classes",
        "berapa harganya kak?",
    ],
)
def test_words_that_merely_contain_a_listed_word_are_not_caught(text: str) -> None:
    assert WORDS.find(text) == [], text


def _verdict(text: str, policy: Policy = DEFAULT, author: Author | None = None, repeats: Repeats | None = None, now: int = 0) -> tuple[str, tuple[str, ...], str]:
    scored = score(Rules(policy) if policy is not DEFAULT else RULES, text, author or Author("ana"), repeats or Repeats(), now)
    return scored.verdict.outcome.value, scored.verdict.reasons, scored.text


def test_each_listed_word_takes_its_own_action_unless_the_brand_says_otherwise() -> None:
    assert _verdict("dasar bodoh")[:2] == ("hold", ("word_list",))
    assert _verdict("dasar bangsat")[:2] == ("block", ("word_list",))
    strict = Policy(actions=Actions(word_list="block"))
    assert _verdict("dasar bodoh", strict)[:2] == ("block", ("word_list",))
    brand = Policy(blocked_words=("kw super",), held_words=("replika",), allowed_words=("anjing",))
    assert _verdict("ini K.W S.U.P.E.R ya", brand)[0] == "block"
    assert _verdict("replika ya?", brand)[0] == "hold"
    assert _verdict("makanan anjing ada?", brand)[0] == "allow"
    assert _verdict("makanan anjing ada?")[0] == "block", "the default list has it"
    assert _verdict("dasar bodoh", Policy(enabled=False))[0] == "allow"


def test_links_are_held_stripped_or_allowed_as_the_brand_says() -> None:
    spam_text = "CHEAP BATIK at www.fake-deals.example click now!!!"
    assert _verdict(spam_text)[:2] == ("hold", ("link", "scam"))
    assert _verdict("go to fake-deals dot com")[:2] == ("hold", ("link",))
    stripping = Policy(actions=Actions(link="strip"))
    assert _verdict("see fake-deals.com/sale and acme.example", stripping) == ("allow", ("link",), "see [link removed] and [link removed]")
    allowing = Policy(allowed_domains=("acme.example",))
    assert _verdict("sale at shop.acme.example/batik", allowing)[:2] == ("allow", ())
    assert _verdict("sale at acme.example.evil.com", allowing)[0] == "hold", "only the domain and its subdomains"
    assert _verdict("first post: fake.com", author=Author("new", new=True))[:2] == ("hold", ("new_user_link", "link"))
    blocking = Policy(actions=Actions(new_user_link="block", link="strip"))
    assert _verdict("first post: fake.com", blocking, Author("new", new=True))[:2] == ("block", ("new_user_link", "link"))
    assert _verdict("staff link: fake.com", author=Author("host", staff=True)) == ("allow", (), "staff link: fake.com")


@pytest.mark.parametrize(
    ("text", "hosts"),
    [
        ("www.fake-deals.example", ["www.fake-deals.example"]),
        ("https://tokopedia.com/x?y=1", ["tokopedia.com"]),
        ("fake-deals (dot) com", ["fake-deals.com"]),
        ("fake-deals[.]com", ["fake-deals.com"]),
        ("promo titik com", ["promo.com"]),
        ("w w w . fakedeals . com", ["www.fakedeals.com"]),
        ("wa.me/62812", ["wa.me"]),
        ("size L.XL ada?", []),
        ("harga 150.000", []),
        ("Thanks. Me too", []),
        ("polka dot co-ord set", []),
        ("ok.so", []),
    ],
)
def test_links_are_found_however_they_are_written(text: str, hosts: list[str]) -> None:
    assert [link.host.replace(" ", "") for link in links.find(text)] == hosts


def test_repetition_by_one_user_or_by_many_is_spam() -> None:
    room = Repeats(window_ms=60_000)
    assert [_verdict("size L ready?", repeats=room, now=t)[0] for t in (0, 1000, 2000)] == ["allow", "allow", "block"]
    assert _verdict("size L ready?", repeats=room, now=70_000)[0] == "allow", "the window passed"
    campaign = "murah banget cek toko sebelah"
    verdicts = [_verdict(campaign, author=Author(f"bot{i}"), repeats=room, now=80_000 + i)[:2] for i in range(5)]
    assert verdicts[:3] == [("allow", ())] * 3 and verdicts[3:] == [("hold", ("spam_flood",))] * 2
    assert all(_verdict("mau kak", author=Author(f"fan{i}"), repeats=room, now=90_000)[0] == "allow" for i in range(20)), "short cheers are not a campaign"


def test_shouting_floods_phones_and_scams() -> None:
    assert _verdict("SIZE XL ADA GAK KAK")[0] == "allow", "short excitement is not shouting"
    assert _verdict("BUY NOW BEST PRICE EVER LIMITED STOCK HURRY UP GUYS")[:2] == ("hold", ("caps",))
    assert _verdict("🔥" * 11)[:2] == ("hold", ("emoji_flood",)) and _verdict("🔥" * 10)[0] == "allow"
    assert _verdict("@aa @bb @cc @dd @ee hi")[:2] == ("hold", ("mention_flood",))
    for text in ("wa 0812-3456-7890", "+62 812 3456 7890", "0 8 1 2 3 4 5 6 7 8 9 0", "call +44 7700 900123"):
        assert "phone" in _verdict(text)[1], text
    for text in ("harga 1.250.000 kak", "ukuran 38 39 40 41 42", "pesanan 12345678"):
        assert _verdict(text)[0] == "allow", text
    for text in ("transfer dulu ya kak", "DM me for price", "slot gacor maxwin", "ig: jualmurah", "cek bio ya"):
        assert _verdict(text)[1] == ("scam",), text
    quiet = Policy(actions=Actions(caps="off", phone="off"))
    assert _verdict("WA 08123456789 YA KAK MURAH BANGET SEKARANG JUGA", quiet)[0] == "allow"


# Chat as it comes: mostly ASCII (letters, digits, separators, "+"), some of it not (accents, Arabic-Indic digits, emoji).
PHONE_LIKE = st.from_regex(r"\A[a ]{0,3}(\+|0|62)?[0-9]{1,4}([ .-]?[0-9]){2,12}[a ]{0,3}\Z")
CHAT_TEXT = st.text(st.sampled_from("aB Z09+-. 8628\u00c9\u00e9\u0668\u0662\U0001f525"), max_size=40) | st.text(max_size=40) | PHONE_LIKE


@given(CHAT_TEXT, st.integers(1, 10))
@settings(max_examples=400, deadline=None)
def test_the_fast_shape_checks_agree_with_the_plain_ones(text: str, min_letters: int) -> None:
    """Capitals and phone numbers are counted in C on ASCII text; the answer is the per-character
    one (``str.isalpha``/``str.isupper``) and the phone patterns' own, for any text."""
    letters = sum(map(str.isalpha, text))
    assert spam.caps_ratio(text, min_letters) == (sum(map(str.isupper, text)) / letters if letters >= min_letters else 0.0)
    spaced = spam._DIGITS_SPACED.sub("", text)
    assert spam.has_phone(text) == (spam._PHONE.search(text) is not None or spam._PHONE.search(spaced) is not None)


def test_the_toxicity_model_is_one_signal_with_a_threshold() -> None:
    held = _verdict("you are worthless and disgusting")
    assert held[:2] == ("hold", ("toxicity",))
    scored = score(RULES, "you are worthless and disgusting", Author("ana"), Repeats(), 0).verdict
    assert scored.score >= DEFAULT.toxicity_threshold
    assert _verdict("you are worthless and disgusting", Policy(toxicity_threshold=0.9999))[0] == "allow"
    assert _verdict("you are worthless and disgusting", Policy(actions=Actions(toxicity="off")))[0] == "allow"
    blocked = score(RULES, "dasar bangsat", Author("ana"), Repeats(), 0).verdict
    assert blocked.outcome is Outcome.BLOCK and blocked.score == 0.0, "the model is not run when it cannot change the outcome"


def test_the_fast_toxicity_score_is_alt_profanity_checks_own() -> None:
    from profanity_check import predict_prob  # scikit-learn: the reference, here only

    from live.automod.toxicity import model

    texts = ["you are an idiot", "love this color!", "berapa harganya kak?", "", "Shut UP you stupid stupid cow", "the the the", "go kill yourself"]
    assert [round(model().score(t), 9) for t in texts] == [round(float(p), 9) for p in predict_prob(texts)]


def test_a_policy_is_checked() -> None:
    with pytest.raises(ValueError):
        Policy.model_validate({"toxicity_threshold": 1.5})
    with pytest.raises(ValueError):
        Policy.model_validate({"actions": {"word_list": "strip"}})
    with pytest.raises(ValueError):
        Policy.model_validate({"allowed_domains": ["not a domain"]})
    assert Policy.model_validate({"allowed_domains": ["Acme.Example"]}).allowed_domains == ("acme.example",)
    assert spam.caps_ratio("abc", 10) == 0.0


def test_many_viewers_claiming_in_the_same_words_is_not_a_flood() -> None:
    room = Repeats(window_ms=60_000)
    rules = Rules(DEFAULT)
    line = "keep 2 TEE-BLK-M"  # long enough to count as a campaign were it not a claim
    plain = [score(rules, line, Author(f"v{i}"), room, 1000 + i).verdict.outcome for i in range(6)]
    assert Outcome.HOLD in plain, "the same long line from many is a flood"
    claims = [score(rules, line, Author(f"c{i}"), room, 2000 + i, claim=True).verdict.outcome for i in range(20)]
    assert claims == [Outcome.ALLOW] * 20, "comment-to-claim lines are never held as a flood"


def test_a_worker_forked_while_the_model_loads_still_scores() -> None:
    """``live serve --workers`` forks after the server's modules are imported, and importing
    them starts reading the model in a thread: a child forked mid-read must not hang."""
    import os
    import signal
    import time

    from live.automod import toxicity

    toxicity._read.cache_clear()
    toxicity.warm()
    deadline = time.monotonic() + 5
    while not toxicity._LOCK.locked() and time.monotonic() < deadline:
        time.sleep(0.001)
    assert toxicity._LOCK.locked(), "the model is being read"
    pid = os.fork()
    if pid == 0:  # the worker: its first message is scored, or SIGALRM ends it
        signal.alarm(20)
        os._exit(0 if toxicity.model().score("you are an idiot") > 0.9 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
    assert toxicity.model().score("love this color!") < 0.5
