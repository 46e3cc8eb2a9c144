"""Automatic moderation at the edge: a message's text in, a ``rooms.verdicts.Verdict`` out.

    normalize  case, diacritics, look-alikes, leetspeak, long runs of one letter
    words      word lists (shipped as package data, per brand extended or allowed)
    links      URLs, bare and spelled-out domains, the allow-list, stripping
    spam       shouting, emoji and mention floods, phone numbers, repeated texts
    toxicity   alt-profanity-check's model, scored without scikit-learn
    reasons    the stable reason codes
    policy     a brand's settings (``Policy``) and their defaults
    scorer     one message through every enabled check: ``score``
    edge       the ingest path: a client's ``chat.post`` becomes a ``ChatPost`` with its verdict

The fold never scores: it acts on the verdict the log holds, so a re-fold decides the
same. docs/moderation.md has the checks, defaults, reason codes and measured quality.
"""
