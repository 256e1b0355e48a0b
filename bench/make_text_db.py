#!/usr/bin/python3
"""Builds the text-heavy SQLite database of the VFS benchmark (bench/vfs_bench.py).

usage: make_text_db.py OUT.db [--mb 128] [--seed 1]

An ordinary SQLite database (default VFS, 4096-byte pages) of about --mb MiB:

  docs(id INTEGER PRIMARY KEY, title, author, tags, created, body)   bodies of 1-9 KiB
  comments(id INTEGER PRIMARY KEY, doc_id, author, created, body)     bodies of 40-900 B
  indexes: docs(author), docs(created), comments(doc_id), comments(author, created)

The text is prose-like: words from an invented vocabulary with Zipf-law
frequencies, inflected stems, and documents that keep returning to their own
topic words, in sentences and paragraphs. It is calibrated to compress like
English prose, not better: 4 KiB blocks compress with `zstd -1` to 0.49 of their
size, against 0.44-0.49 for English prose on this machine (GPL-3, GFDL-1.3,
perldiag.pod, the vim user manual, whitespace normalised). Repeated filler would
shrink absurdly and flatter any codec. Deterministic for a given seed.
"""
import argparse
import bisect
import itertools
import os
import random
import sqlite3
import sys

ONSETS = ["", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w",
          "br", "ch", "cl", "cr", "dr", "fl", "gr", "pl", "pr", "sh", "sl", "st", "str", "th", "tr"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ee", "ie", "oo", "ou", "y"]
CODAS = ["", "", "n", "r", "s", "t", "l", "m", "nd", "ng", "nt", "rd", "st", "ck", "ss", "x"]
SUFFIXES = ["s", "ed", "ing", "er", "ly", "tion", "ness", "al", "ous", "ment"]
ZIPF_S = 1.05
TOPIC_WORDS = 40     # words a document keeps returning to
TOPIC_SHARE = 0.35    # share of its words drawn from them


class Prose:
    def __init__(self, seed, vocabulary=30000):
        self.rng = random.Random(seed)
        rng = self.rng
        stems = set()
        while len(stems) < vocabulary // 3:
            n = rng.choice((1, 1, 1, 2, 2, 2, 3))
            stems.add("".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(n)))
        # Stems with a few common endings, as inflection gives real languages.
        words = set(stems)
        for stem in sorted(stems):
            for suffix in rng.sample(SUFFIXES, 2):
                words.add(stem + suffix)
        # Frequent words are short, as in real languages; ranks follow Zipf's law.
        self.words = sorted(words, key=lambda w: (len(w), w))[:vocabulary]
        rng.shuffle(self.words)
        self.words.sort(key=lambda w: len(w) + rng.random() * 6)
        weights = [1.0 / (rank + 1) ** ZIPF_S for rank in range(len(self.words))]
        self.cum = list(itertools.accumulate(weights))
        self.total = self.cum[-1]

    def words_(self, n, topic=None):
        rng, cum, total, words = self.rng, self.cum, self.total, self.words
        out = []
        for _ in range(n):
            if topic and rng.random() < TOPIC_SHARE:
                out.append(rng.choice(topic))
            else:
                out.append(words[bisect.bisect_left(cum, rng.random() * total)])
        return out

    def sentence(self, topic=None):
        ws = self.words_(self.rng.randrange(4, 22), topic)
        ws[0] = ws[0].capitalize()
        if self.rng.random() < 0.3:
            ws[self.rng.randrange(len(ws))] += ","
        return " ".join(ws) + self.rng.choice((".", ".", ".", "?", "!"))

    def text(self, nbytes):
        # A text keeps coming back to its own topic words ("burstiness"), as
        # real documents do.
        topic = [self.words[self.rng.randrange(100, 8000)] for _ in range(TOPIC_WORDS)]
        out, size = [], 0
        while size < nbytes:
            s = self.sentence(topic)
            if out and self.rng.random() < 0.12:
                s = "\n\n" + s
            out.append(s)
            size += len(s) + 1
        return " ".join(out)[:nbytes]

    def name(self):
        return " ".join(w.capitalize() for w in self.words_(2))


def build(path, mb, seed):
    if os.path.exists(path):
        sys.exit(f"{path} exists; remove it first")
    prose = Prose(seed)
    rng = prose.rng
    authors = [prose.name() for _ in range(2000)]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA page_size=4096")
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("CREATE TABLE docs(id INTEGER PRIMARY KEY, title TEXT, author TEXT, tags TEXT,"
                 " created INT, body TEXT)")
    conn.execute("CREATE TABLE comments(id INTEGER PRIMARY KEY, doc_id INT, author TEXT, created INT,"
                 " body TEXT)")
    target = mb << 20
    doc_id = comment_id = 0
    t0 = 1_600_000_000
    while True:
        conn.execute("BEGIN")
        for _ in range(500):
            doc_id += 1
            created = t0 + doc_id * 600 + rng.randrange(600)
            conn.execute("INSERT INTO docs VALUES (?, ?, ?, ?, ?, ?)",
                         (doc_id, prose.sentence()[:80], rng.choice(authors),
                          ",".join(prose.words_(rng.randrange(1, 6))), created,
                          prose.text(rng.randrange(1024, 9216))))
            for _ in range(rng.randrange(0, 9)):
                comment_id += 1
                conn.execute("INSERT INTO comments VALUES (?, ?, ?, ?, ?)",
                             (comment_id, doc_id, rng.choice(authors), created + rng.randrange(86400 * 30),
                              prose.text(rng.randrange(40, 900))))
        conn.execute("COMMIT")
        size = conn.execute("PRAGMA page_count").fetchone()[0] * 4096
        print(f"\r{doc_id} docs, {comment_id} comments, {size >> 20} MiB", end="", file=sys.stderr)
        if size >= target * 0.85:  # the indexes add the rest
            break
    for sql in ("CREATE INDEX docs_author ON docs(author)", "CREATE INDEX docs_created ON docs(created)",
                "CREATE INDEX comments_doc ON comments(doc_id)",
                "CREATE INDEX comments_author ON comments(author, created)"):
        conn.execute(sql)
    conn.execute("ANALYZE")
    conn.close()
    print(f"\n{path}: {os.path.getsize(path) >> 20} MiB, {doc_id} docs, {comment_id} comments", file=sys.stderr)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out")
    p.add_argument("--mb", type=int, default=128)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    build(a.out, a.mb, a.seed)
