// Fuzz target: WAL replay of arbitrary bytes onto a sound store.
//
// The data file is always the same sound store (BuildBaseStore: trees "a" and
// "b", checkpointed). Input: one mode byte, then
//   mode % 3 == 0  the WAL file, verbatim
//   mode % 3 == 1  the WAL file, with its header and record checksums repaired
//   mode % 3 == 2  bare payloads, each `u16 length (LE) | payload`, framed as
//                  consecutive records after the store's lsn with valid
//                  checksums, so every payload reaches the operation decoder
//
// Properties:
//   - Open (recovery) returns a Status, never crashes, hangs or leaks.
//   - A store that opens is sound: Check finds no problem, and reading it
//     (cursors both ways, point lookups, entry counts) succeeds.
//   - Closing it cleanly and reopening gives back exactly the same contents.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_common.h"

using namespace lightning;
using namespace lightning::fuzz;

namespace {

const std::string& BaseStore() {
  static const std::string base = BuildBaseStore();
  return base;
}

std::string FramePayloads(const uint8_t* p, size_t n) {
  const uint64_t base_lsn = StoreLsn(BaseStore());
  std::string wal = EncodeWalHeader(kFuzzSalt, base_lsn);
  uint64_t lsn = base_lsn;
  size_t i = 0;
  while (i + 2 <= n) {
    size_t len = p[i] | (size_t{p[i + 1]} << 8);
    i += 2;
    len = std::min(len, n - i);
    lsn++;
    AppendWalRecord(&wal, lsn, lsn - 1, std::string_view(reinterpret_cast<const char*>(p + i), len),
                    kFuzzSalt);
    i += len;
  }
  return wal;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)BaseStore();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int mode = data[0] % 3;
  MemStore mem;
  *mem.data = BaseStore();
  if (mode == 2) {
    *mem.wal = FramePayloads(data + 1, size - 1);
  } else {
    mem.wal->assign(reinterpret_cast<const char*>(data + 1), size - 1);
    if (mode == 1) RepairWalChecksums(mem.wal.get());
  }

  Contents before;
  {
    auto opened = DB::Open(StorePath(), MemOptions(mem));
    if (!opened.ok()) return 0;
    std::shared_ptr<DB> db = std::move(opened).value();
    std::vector<std::string> problems;
    Status s = db->Check(&problems);
    if (!s.ok()) Fail("Check fails after recovery: " + s.ToString());
    if (!problems.empty()) Fail("Check finds problems after recovery: " + problems.front());
    s = ReadAll(db.get(), &before);
    if (!s.ok()) Fail("reading after recovery fails: " + s.ToString());
  }
  return ExpectSameAfterReopen(mem, before);
}
