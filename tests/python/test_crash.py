"""Crash test through SQL: a writer killed with SIGKILL in the middle of its
stream loses no committed row and shows no partial transaction."""
import os
import random
import signal
import subprocess
import sys
import time

from conftest import EXT, connect

WRITER = r"""
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.enable_load_extension(True)
conn.load_extension(os.path.splitext(sys.argv[2])[0])
conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS t USING lightning(k INTEGER PRIMARY KEY, batch INTEGER, pad BLOB)")
batch = int(sys.argv[3])
while True:
    conn.execute("BEGIN")
    for i in range(int(sys.argv[4])):
        conn.execute("INSERT INTO t(batch, pad) VALUES (?, randomblob(200 + abs(random() % 2000)))", (batch,))
    conn.execute("COMMIT")
    print(batch, flush=True)   # acknowledged: committed and durable (sync=full)
    batch += 1
"""


def test_sigkill_loses_no_committed_row(tmp_path, ext_path):
    path = str(tmp_path / "crash.db")
    rng = random.Random(int(os.environ.get("LIGHTNING_DIFF_SEED", "0")) or None)
    acknowledged = set()
    next_batch = 1
    per_batch = 37
    for round_ in range(6):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, path, EXT, str(next_batch), str(per_batch)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.3, 1.2))
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
        # Only complete lines are acknowledgements (the kill may cut one short).
        acked = [int(x) for x in out.decode().split("\n")[:-1]]
        assert proc.returncode == -signal.SIGKILL, err.decode()
        acknowledged.update(acked)
        conn = connect(path)
        counts = dict(conn.execute("SELECT batch, count(*) FROM t GROUP BY batch").fetchall())
        conn.close()
        for b in acknowledged:
            assert counts.get(b) == per_batch, f"round {round_}: committed batch {b} has {counts.get(b)} rows"
        partial = {b: n for b, n in counts.items() if n != per_batch}
        assert not partial, f"round {round_}: partial transactions visible: {partial}"
        next_batch = max(list(counts) + [next_batch - 1]) + 1
        print(f"round {round_}: {len(acked)} batches acknowledged, {len(counts)} batches on disk")
    assert len(acknowledged) > 0
