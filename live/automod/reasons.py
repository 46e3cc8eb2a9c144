"""The reason codes a verdict carries: stable strings, in the log, on the wire and in SQL.

Clients show the author a sentence per code; moderators see the codes in the review
queue. Add codes, never rename one (docs/moderation.md lists them).
"""

from enum import StrEnum


class Reason(StrEnum):
    WORD_LIST = "word_list"  # a listed word or phrase (shipped, or the brand's)
    TOXICITY = "toxicity"  # the toxicity model's score is at or over the threshold
    LINK = "link"  # a link (URL, bare or spelled-out domain) not on the allow-list, from a non-staff author
    NEW_USER_LINK = "new_user_link"  # that link comes from an author new to the brand
    SPAM_REPEAT = "spam_repeat"  # the same text again from the same author, within the window
    SPAM_FLOOD = "spam_flood"  # the same text from many authors within the window
    CAPS = "caps"  # mostly capital letters
    EMOJI_FLOOD = "emoji_flood"  # too many emoji
    MENTION_FLOOD = "mention_flood"  # too many @mentions
    PHONE = "phone"  # a phone number (Indonesian mobile, or +country)
    SCAM = "scam"  # a scam or spam phrase: "DM me", "transfer dulu", "slot gacor"…
