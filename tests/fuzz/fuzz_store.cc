// Fuzz target: arbitrary bytes opened as a store's data file.
//
// Input: one flag byte, then the data file.
//   bit 0  repair the checksums of superblocks and extents first, so that the
//          mutations reach the structure behind them
//   bit 1  after reading, write to the store, checkpoint, close and reopen
// The WAL is empty. The store lives in memory (fuzz_common.h).
//
// Properties:
//   - Open, reads and Check return a Status, never crash, hang or leak.
//   - If Check finds no problem, the forward scan, the backward scan, point
//     lookups and the trees' entry counts all agree.
//   - If Check finds no problem and the writes succeed, the store afterwards
//     (and after a reopen) holds exactly what it held plus the writes.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_common.h"

using namespace lightning;
using namespace lightning::fuzz;

namespace {

bool CheckClean(DB* db, std::string* report) {
  std::vector<std::string> problems;
  Status s = db->Check(&problems);
  if (!s.ok()) {
    *report = s.ToString();
    return false;
  }
  for (auto& p : problems) *report += p + "\n";
  return problems.empty();
}

// Puts a few entries into a new tree and deletes the first key of each tree.
Status Mutate(DB* db, Contents* expect) {
  auto w = db->BeginWrite();
  if (!w.ok()) return w.status();
  std::unique_ptr<WriteTxn> txn = std::move(w).value();
  for (auto& [name, rows] : *expect) {
    if (rows.empty()) continue;
    TreeId id;
    LIGHTNING_RETURN_IF_ERROR(txn->OpenTree(name, &id));
    bool existed = false;
    LIGHTNING_RETURN_IF_ERROR(txn->Delete(id, rows.front().first, &existed));
    if (!existed) Fail("tree " + name + ": Delete did not find a key the cursor found");
    rows.erase(rows.begin());
  }
  TreeId fresh;
  std::string name = "fuzz-new";
  while (expect->count(name)) name += "+";
  LIGHTNING_RETURN_IF_ERROR(txn->CreateTree(name, &fresh));
  auto& rows = (*expect)[name];
  for (int i = 0; i < 300; i++) {
    char key[16];
    std::snprintf(key, sizeof key, "k%05d", i);
    std::string value(static_cast<size_t>(i % 7 == 0 ? 3000 : 20), static_cast<char>('a' + i % 26));
    LIGHTNING_RETURN_IF_ERROR(txn->Put(fresh, key, value));
    rows.emplace_back(key, value);
  }
  LIGHTNING_RETURN_IF_ERROR(txn->Commit());
  return db->Checkpoint();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  MemStore mem;
  mem.data->assign(reinterpret_cast<const char*>(data + 1), size - 1);
  if (mem.data->empty()) return 0;  // an empty file is a new store: not interesting
  if (flags & 1) RepairDataChecksums(mem.data.get());

  Contents before;
  {
    auto opened = DB::Open(StorePath(), MemOptions(mem));
    if (!opened.ok()) return 0;
    std::shared_ptr<DB> db = std::move(opened).value();
    std::string report;
    const bool clean = CheckClean(db.get(), &report);
    Status s = ReadAll(db.get(), &before);
    if (clean && !s.ok()) Fail("Check reports a sound store but reading it fails: " + s.ToString());
    if (!clean || !s.ok() || !(flags & 2)) return 0;
    Contents expect = before;
    s = Mutate(db.get(), &expect);
    if (!s.ok()) return 0;
    Contents after;
    s = ReadAll(db.get(), &after);
    if (!s.ok()) Fail("reading after a successful write fails: " + s.ToString());
    if (after != expect) Fail("store contents after a successful write are not what was written");
    if (!CheckClean(db.get(), &report)) Fail("Check fails after a successful write: " + report);
    before = std::move(expect);
  }
  // Closed cleanly: reopen and compare.
  return ExpectSameAfterReopen(mem, before);
}
