#!/usr/bin/env python3
"""The engine's internal layering (issue 16 item 3), checked on the sources.

  - engine/ never includes a SQLite header;
  - pager.h does not include node.h (page ids and types are page.h);
  - transactions and cursors see the store only through TxnContext: txn.*,
    write_txn.cc and cursor.* neither include db_impl.h nor name DBImpl, and
    no engine header declares a friend;
  - every on-disk constant is defined once, in format.h.

Usage: layering_test.py [repository root]; exits 1 listing each violation.
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parents[2])
engine = root / "engine"
problems = []


def text(name):
    path = engine / name
    if not path.exists():
        problems.append(f"engine/{name} is missing")
        return ""
    return path.read_text()


def includes(name):
    return re.findall(r'^#include\s+[<"]([^>"]+)[>"]', text(name), re.M)


for path in sorted(engine.rglob("*")):
    if path.suffix in (".h", ".cc"):
        for inc in re.findall(r'^#include\s+[<"]([^>"]+)[>"]', path.read_text(), re.M):
            if "sqlite" in inc:
                problems.append(f"{path.relative_to(root)} includes {inc}")

if "engine/node.h" in includes("pager.h"):
    problems.append("engine/pager.h includes engine/node.h (PageId and PageType are in page.h)")

for name in ("txn.h", "txn.cc", "write_txn.cc", "cursor.h", "cursor.cc", "txn_context.h"):
    if "engine/db_impl.h" in includes(name):
        problems.append(f"engine/{name} includes engine/db_impl.h (use TxnContext)")
    if name != "txn_context.h" and re.search(r"\bDBImpl\b", text(name)):
        problems.append(f"engine/{name} names DBImpl (use TxnContext)")

for path in sorted(engine.glob("*.h")):
    for line in path.read_text().splitlines():
        if re.match(r"\s*friend\s", line):
            problems.append(f"{path.relative_to(root)}: {line.strip()}")

constants = ("kSuperblockMagic", "kFormatVersion", "kSuperblockSlot", "kDataStart",
             "kSuperblockBytes", "kExtentMagic", "kExtentHeaderSize", "kExtentChecksummed",
             "kNodeHeaderSize", "kSharedInHeader", "kSlotEntrySize", "kWalMagic", "kWalVersion",
             "kWalHeaderSize", "kWalRecordHeader", "struct ExtentLoc", "enum class WalOp",
             "kShmMagic", "kShmVersion", "kShmHeaderSize", "kShmSlotSize", "kShmMaxSlots",
             "struct ShmHeader", "struct ShmSlot",
             "enum PageType")
for const in constants:
    pattern = re.compile(r"(constexpr\s+\w+\s+" + re.escape(const) + r"\s*=|^" +
                         re.escape(const) + r"\b)", re.M)
    where = [p.name for p in sorted(engine.glob("*.h")) if pattern.search(p.read_text())]
    home = "page.h" if const == "enum PageType" else "format.h"
    if where != [home]:
        problems.append(f"{const} is defined in {where or 'no header'}, expected engine/{home}")

problems = list(dict.fromkeys(problems))  # a missing file is reported once
for p in problems:
    print("layering:", p)
print(f"layering: {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
