"""The toxicity score: alt-profanity-check's English model, computed without scikit-learn.

The model ships inside the ``alt-profanity-check`` package (``profanity_check/data``:
a TF-IDF vectorizer and a calibrated linear SVM, five folds), so nothing is downloaded
at run time. Its own ``predict_prob`` costs some 5 ms a message (scikit-learn's
per-call overhead) and importing scikit-learn 2.4 s and 100 MB a process. The model is
linear, so we read its numbers once — unpickling the two files with stand-ins for the
scikit-learn classes — and score a message in a few microseconds: per fold, the TF-IDF
vector's dot product with the weights, then the fold's sigmoid calibration; the mean
over folds. ``tests/test_automod_toxicity.py`` checks that this equals ``predict_prob``.
"""

import functools
import importlib.util
import math
import os
import re
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from joblib import numpy_pickle

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # the vectorizer's token_pattern


class _Stub:
    """Stands in for a scikit-learn class: keeps the pickled attributes, nothing else."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


class _Unpickler(numpy_pickle.NumpyUnpickler):  # type: ignore[misc]
    def find_class(self, module: str, name: str) -> Any:
        if module.split(".")[0] == "sklearn":
            return type(name, (_Stub,), {})
        return super().find_class(module, name)


def _load(path: Path) -> Any:
    with path.open("rb") as f:
        return _Unpickler(str(path), f, None).load()


def model_dir() -> Path:
    """Where the installed package keeps its model (found without importing it: that loads scikit-learn)."""
    spec = importlib.util.find_spec("profanity_check")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("alt-profanity-check is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


class Model:
    """Per word: its IDF and its weight in each fold; per fold: intercept and calibration."""

    def __init__(self, vectorizer: Any, classifier: Any) -> None:
        if vectorizer.ngram_range != (1, 1) or vectorizer.norm != "l2" or not vectorizer.lowercase or vectorizer._tfidf.sublinear_tf:
            raise RuntimeError("unexpected alt-profanity-check vectorizer: the fast scorer needs to be checked against it")
        idf = vectorizer._tfidf.idf_
        folds = classifier.calibrated_classifiers_
        if any(f.method != "sigmoid" or len(f.calibrators) != 1 for f in folds):
            raise RuntimeError("unexpected alt-profanity-check calibration")
        coefs = [f.estimator.coef_[0] for f in folds]
        self.words: dict[str, tuple[float, tuple[float, ...]]] = {word: (float(idf[i]), tuple(float(c[i]) for c in coefs)) for word, i in vectorizer.vocabulary_.items()}
        self.folds = [(float(f.estimator.intercept_[0]), float(f.calibrators[0].a_), float(f.calibrators[0].b_)) for f in folds]

    def score(self, text: str) -> float:
        """The probability that ``text`` is offensive (English), as ``predict_prob`` gives it."""
        counts = Counter(t for t in _TOKEN.findall(text.lower()) if t in self.words)
        n = len(self.folds)
        dots = [0.0] * n
        norm = 0.0
        for word, count in counts.items():
            idf, weights = self.words[word]
            x = count * idf
            norm += x * x
            for k in range(n):
                dots[k] += x * weights[k]
        scale = 1.0 / math.sqrt(norm) if norm else 0.0
        total = 0.0
        for k, (intercept, a, b) in enumerate(self.folds):
            decision = dots[k] * scale + intercept
            total += 1.0 / (1.0 + math.exp(min(a * decision + b, 700.0)))
        return total / n


_LOCK = threading.Lock()


@functools.cache
def _read() -> Model:
    d = model_dir()
    return Model(_load(d / "vectorizer.joblib"), _load(d / "model.joblib"))


def model() -> Model:
    """The model, read once per process (some 0.3 s; ``warm`` reads it off the event loop)."""
    with _LOCK:
        return _read()


def warm() -> threading.Thread:
    """Read the model in a thread, so the first message scored does not wait for it."""
    thread = threading.Thread(target=model, name="automod-model", daemon=True)
    thread.start()
    return thread


def _after_fork_in_child() -> None:
    """``live serve --workers`` forks: a fork in the middle of ``warm`` would leave the child
    a lock no thread will release (its first message would hang). The child gets a fresh
    lock, and reads the model itself if the parent had not finished."""
    global _LOCK
    _LOCK = threading.Lock()
    if _read.cache_info().currsize == 0:
        warm()


os.register_at_fork(after_in_child=_after_fork_in_child)
