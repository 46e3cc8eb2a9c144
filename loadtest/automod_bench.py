"""Automatic moderation's cost per message: µs of CPU on the ingest path.

Scores the labelled set's messages (tests/data/moderation_labelled.jsonl) under the
default policy, many rounds, one room's repeat memory shared (so repetition is
tracked as in a room), and reports per class the CPU per ``score`` call (the thread's
CPU time over all calls, so other load on the machine does not count) and the wall
p50/p99 of one call, plus each stage alone (normalizing, word lists, links, the toxicity model). With
``--reference`` it also times alt-profanity-check's own ``predict_prob`` (imports
scikit-learn) for comparison.

    .venv/bin/python -m loadtest.automod_bench [--rounds 200] [--reference]
"""

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from live.automod import links
from live.automod.normalize import normalize
from live.automod.policy import DEFAULT
from live.automod.scorer import Author, Rules, score
from live.automod.spam import Repeats
from live.automod.toxicity import model

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "moderation_labelled.jsonl"


def _times(fn: Callable[[str], Any], texts: list[str], rounds: int) -> tuple[float, list[float]]:
    """(µs of this thread's CPU per call over all calls, wall µs of each call).

    The CPU figure is what a message costs, immune to other processes taking the cores
    (the machine is shared); the wall samples give the spread, preemption included."""
    samples = []
    clock = time.perf_counter_ns
    cpu = time.thread_time_ns()
    for _ in range(rounds):
        for text in texts:
            start = clock()
            fn(text)
            samples.append((clock() - start) / 1000)
    return (time.thread_time_ns() - cpu) / 1000 / len(samples), samples


def _row(name: str, measured: tuple[float, list[float]]) -> str:
    cpu, samples = measured
    samples.sort()
    return f"| {name} | {cpu:.1f} | {samples[len(samples) // 2]:.1f} | {samples[int(len(samples) * 0.99)]:.1f} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=200)
    ap.add_argument("--reference", action="store_true", help="also time alt-profanity-check's predict_prob (scikit-learn)")
    args = ap.parse_args()
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    rules, room, m = Rules(DEFAULT), Repeats(), model()
    clock = iter(range(10**9))

    def scored(text: str) -> Any:
        return score(rules, text, Author(f"u{next(clock) % 500}"), room, next(clock))

    by_label = {label: [r["text"] for r in rows if r["label"] == label] for label in ("clean", "abusive", "spam")}
    every = [r["text"] for r in rows]
    _times(scored, every, 5)  # warm up
    print(f"{len(every)} messages × {args.rounds} rounds, µs per message\n")
    print("| what | CPU per message | wall p50 | wall p99 |\n|---|---|---|---|")
    for label, texts in by_label.items():
        print(_row(f"score, {label} messages ({len(texts)})", _times(scored, texts, args.rounds)))
    print(_row("score, all messages", _times(scored, every, args.rounds)))
    print(_row("normalize", _times(normalize, every, args.rounds)))
    print(_row("word and scam lists (both readings of 1)", _times(rules.words.find, every, args.rounds)))
    print(_row("links", _times(links.find, every, args.rounds)))
    print(_row("toxicity model (alone)", _times(m.score, every, args.rounds)))
    if args.reference:
        from profanity_check import predict_prob

        print(_row("alt-profanity-check predict_prob, one message", _times(lambda t: predict_prob([t]), every, 3)))


if __name__ == "__main__":
    main()
