"""The NER runtime: load a spaCy pipeline with only its NER, run it here or in long-lived worker processes,
and key its results for the cache. What the mentions become is transforms.entities' job."""

from __future__ import annotations

import hashlib
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractContextManager, nullcontext
from functools import lru_cache
from typing import Any

from newsfacet.errors import NerWorkerDied

# Components NER never needs; excluding them skips loading their weights.
NOT_NEEDED = ["tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "morphologizer"]
# texts -> one [[mention text, label], ...] per text, in order
NerFn = Callable[[list[str]], list[list[list[str]]]]
# model name -> the NER function of that model
NerForModel = Callable[[str], NerFn]


def local_ner(n_process: int = 1, batch_size: int = 64) -> NerForModel:
    """NER of any model in this process, each model loaded on first use (see load_ner)."""
    return lambda model: spacy_ner(load_ner(model), n_process, batch_size)


@lru_cache(maxsize=4)
def load_ner(model: str) -> Any:
    """Load a spaCy pipeline with only what its NER component needs; once per process.

    Its layers multiply matrices through numpy's BLAS on one thread, not through blis (spaCy's default).
    The blis wheel picks a generic SSE kernel on CPUs it does not know, such as AMD Zen 3 and later, where
    the same entities then cost 25-45% more CPU (BENCHMARKS.md, "The matrix library"). One thread,
    because the NER processes already fill the cores, and OpenBLAS's idle threads spin.
    """
    from thinc.api import use_ops
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")
    with use_ops("numpy", use_blis=False):  # the layers keep the ops they were built with
        return ner_only(model)


def ner_only(model: str) -> Any:
    """spaCy's pipeline `model` with only its NER and what NER listens to, built with the current thinc ops."""
    import spacy

    nlp = spacy.load(model, exclude=NOT_NEEDED)
    ner = nlp.get_pipe("ner")
    # en_core_web_* ner has its own embedding layer; drop the shared tok2vec unless it listens.
    listens = any("listener" in node.name for node in ner.model.walk())
    if not listens:
        for name in list(nlp.pipe_names):
            if name != "ner":
                nlp.remove_pipe(name)
    return nlp


def ner_cache_key(model: str, text: str) -> str:
    """Cache key of one text's NER result: the same text through the same model gives the same entities."""
    return hashlib.blake2b(f"{model}\0{text}".encode(), digest_size=16).hexdigest()


# nlp_batch_size counts texts of about this many characters (a paragraph); whole articles go in fewer at a time
BATCH_REFERENCE_CHARS = 300


def batch_for(texts: list[str], batch_size: int) -> int:
    """nlp.pipe's batch size for these texts: nlp_batch_size paragraphs' worth of characters.

    A batch's memory grows with its characters: 64 whole articles at once took a worker from about 160 MB
    to 360 MB peak; the same characters in smaller batches cost no more CPU.
    """
    if not texts:
        return batch_size
    mean = sum(len(t) for t in texts) / len(texts)
    return max(1, min(batch_size, round(batch_size * BATCH_REFERENCE_CHARS / max(mean, 1))))


def spacy_ner(nlp: Any, n_process: int = 1, batch_size: int = 64) -> NerFn:
    """NER in this process (or spaCy's own short-lived workers when n_process > 1)."""

    def run(texts: list[str]) -> list[list[list[str]]]:
        with memory_zone(nlp):
            docs = nlp.pipe(texts, batch_size=batch_for(texts, batch_size), n_process=n_process)
            # plain str copies, made before the zone frees the docs' strings
            return [[[ent.text, ent.label_] for ent in doc.ents] for doc in docs]

    return run


def memory_zone(nlp: Any) -> AbstractContextManager[Any]:
    """spaCy's memory zone around one call, so the strings and lexemes of the words it meets are freed after it.

    Without it the vocab, string store and tokenizer cache keep every new word (name, number, typo) a
    long-lived worker ever read, and its memory grows with the run. Zones must not nest: inside one, none.
    """
    if nlp.vocab.in_memory_zone:
        return nullcontext()
    return nlp.memory_zone()


def job_slices(texts: list[str], max_texts: int, max_chars: int) -> list[list[str]]:
    """Consecutive jobs of at most max_texts texts and about max_chars characters (at least one text each).

    The model's time grows with characters, not texts: a job of 256 paragraphs and one of 20 whole articles
    cost about the same, so both worker processes stay busy whatever the texts' length.
    """
    jobs: list[list[str]] = []
    job: list[str] = []
    size = 0
    for text in texts:
        if job and (len(job) >= max_texts or size + len(text) > max_chars):
            jobs.append(job)
            job, size = [], 0
        job.append(text)
        size += len(text)
    if job:
        jobs.append(job)
    return jobs


def _pool_worker_ner(model: str, batch_size: int, texts: list[str]) -> list[list[list[str]]]:
    nlp = load_ner(model)
    return spacy_ner(nlp, 1, batch_size)(texts) if texts else []


class NerPool:
    """NER in long-lived worker processes that load each model once, on first use.

    The flow process keeps reading, cleaning, dating and loading while the workers run the model, so
    NER never waits for the GIL; spaCy's own n_process would restart its workers for every chunk.
    """

    def __init__(
        self, model: str, processes: int = 1, batch_size: int = 64, job_texts: int = 256, job_chars: int = 80_000
    ) -> None:
        self.model, self.processes, self.batch_size, self.job_texts = model, processes, batch_size, job_texts
        self.job_chars = job_chars
        self._warm = False
        # spawn, not fork: the flow process runs threads (Prefect, HTTP clients) that fork would copy mid-lock
        self._pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))

    def warm(self) -> None:
        """Start the workers and load the model now, while the flow reads and prepares the first chunk."""
        if not self._warm:
            self._warm = True
            for _ in range(self.processes):
                self._pool.submit(_pool_worker_ner, self.model, self.batch_size, [])

    def __call__(self, texts: list[str], model: str | None = None) -> list[list[list[str]]]:
        """Entities of texts through `model` (default: the pool's model); a worker loads a model on first use."""
        model = model or self.model
        jobs = job_slices(texts, self.job_texts, self.job_chars)
        try:
            futures = [self._pool.submit(_pool_worker_ner, model, self.batch_size, job) for job in jobs]
            return [ents for future in futures for ents in future.result()]
        except BrokenProcessPool as exc:  # a worker died, e.g. killed for memory: say so in one line
            raise NerWorkerDied(f"a NER worker process ({model}) died: {exc}") from None

    def for_model(self, model: str) -> NerFn:
        """The pool as the NER function of one model (each worker keeps one loaded copy per model)."""
        return lambda texts: self(texts, model)

    def close(self) -> None:
        """Stop the workers."""
        self._pool.shutdown(cancel_futures=True)
