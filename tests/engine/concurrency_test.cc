// Concurrency: writers move money between accounts in write transactions
// (retrying on Busy) while readers check, on their own snapshots, that the
// total never changes — by point gets and by full cursor scans both ways — and
// a long-lived reader keeps seeing the balances of the moment it started.
// A checkpoint thread runs meanwhile. Bounded in time (LIGHTNING_CONCURRENCY_MS,
// default 2500 ms) so that it stays cheap under ThreadSanitizer.
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/test_util.h"

namespace lightning::test {
namespace {

constexpr int kAccounts = 1000;
constexpr int64_t kInitial = 1000;
constexpr size_t kValuePad = 80;  // makes the tree span many pages

std::string AccountKey(int i) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "acct:%06d", i);
  return buf;
}
// A balance as decimal text followed by padding that repeats the account.
std::string EncodeBalance(int account, int64_t balance) {
  std::string v = std::to_string(balance) + "|";
  while (v.size() < kValuePad) v += AccountKey(account);
  v.resize(kValuePad);
  return v;
}
bool DecodeBalance(Slice v, int64_t* balance) {
  size_t bar = v.find('|');
  if (bar == Slice::npos || bar == 0) return false;
  *balance = std::strtoll(std::string(v.substr(0, bar)).c_str(), nullptr, 10);
  return v.size() == kValuePad;
}

class Bank {
 public:
  explicit Bank(DB* db) : db_(db) {}

  void Create() {
    ASSERT_OK_AND_ASSIGN(auto txn, db_->BeginWrite());
    ASSERT_OK(txn->CreateTree("accounts", &tree_));
    for (int i = 0; i < kAccounts; ++i)
      ASSERT_OK(txn->Put(tree_, AccountKey(i), EncodeBalance(i, kInitial)));
    ASSERT_OK(txn->Commit());
  }
  TreeId tree() const { return tree_; }
  DB* db() const { return db_; }

  // Records the first failure seen by any thread (gtest assertions are
  // thread-safe, but a message per thread and a stop flag keep logs short).
  void Fail(const std::string& msg) {
    std::lock_guard<std::mutex> l(mu_);
    if (failures_++ < 10) ADD_FAILURE() << msg;
    stop.store(true);
  }

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> transfers{0}, busy{0}, snapshots{0}, scans{0}, checkpoints{0};

 private:
  DB* db_;  // not owned: the test closes and reopens the store
  TreeId tree_ = 0;
  std::mutex mu_;
  int failures_ = 0;
};

void Writer(Bank* bank, uint64_t seed) {
  TestRng rng(seed);
  while (!bank->stop.load()) {
    auto r = bank->db()->BeginWrite();
    if (!r.ok()) {
      if (r.status().IsBusy()) {
        bank->busy++;
        continue;
      }
      return bank->Fail("BeginWrite: " + r.status().ToString());
    }
    std::unique_ptr<WriteTxn> txn = std::move(r).value();
    int moves = static_cast<int>(rng.Range(1, 5));
    for (int m = 0; m < moves; ++m) {
      int a = static_cast<int>(rng.Uniform(kAccounts));
      int b = static_cast<int>(rng.Uniform(kAccounts));
      std::string va, vb;
      int64_t ba, bb;
      Status s = txn->Get(bank->tree(), AccountKey(a), &va);
      if (!s.ok() || !DecodeBalance(va, &ba)) return bank->Fail("writer Get a: " + s.ToString());
      s = txn->Get(bank->tree(), AccountKey(b), &vb);
      if (!s.ok() || !DecodeBalance(vb, &bb)) return bank->Fail("writer Get b: " + s.ToString());
      if (a == b) continue;
      int64_t amount = static_cast<int64_t>(rng.Uniform(50));
      s = txn->Put(bank->tree(), AccountKey(a), EncodeBalance(a, ba - amount));
      if (s.ok()) s = txn->Put(bank->tree(), AccountKey(b), EncodeBalance(b, bb + amount));
      if (!s.ok()) return bank->Fail("writer Put: " + s.ToString());
    }
    if (rng.Chance(0.05)) {
      txn->Abort();  // an aborted transfer must leave no trace
      continue;
    }
    Status s = txn->Commit();
    if (!s.ok()) return bank->Fail("Commit: " + s.ToString());
    bank->transfers++;
  }
}

// Sums the balances of one snapshot three ways; all must equal the total.
void CheckSnapshot(Bank* bank, ReadTxn* txn, TestRng& rng) {
  const int64_t want = int64_t{kAccounts} * kInitial;
  auto cr = txn->NewCursor(bank->tree());
  if (!cr.ok()) return bank->Fail("NewCursor: " + cr.status().ToString());
  std::unique_ptr<Cursor> c = std::move(cr).value();
  int64_t sum = 0;
  int n = 0;
  std::vector<int64_t> seen(kAccounts);
  for (c->SeekToFirst(); c->Valid(); c->Next(), ++n) {
    int64_t b;
    if (n >= kAccounts || c->key() != AccountKey(n) || !DecodeBalance(c->value(), &b)) {
      return bank->Fail("forward scan: bad entry " + std::to_string(n) + " key " +
                        Printable(c->key()));
    }
    seen[n] = b;
    sum += b;
  }
  if (!c->status().ok()) return bank->Fail("scan status: " + c->status().ToString());
  if (n != kAccounts || sum != want) {
    return bank->Fail("forward scan of snapshot " + std::to_string(txn->id()) + ": " +
                      std::to_string(n) + " accounts, total " + std::to_string(sum) +
                      ", expected " + std::to_string(want));
  }
  // Backward scan: the same values, in reverse.
  n = kAccounts;
  for (c->SeekToLast(); c->Valid(); c->Prev()) {
    --n;
    int64_t b;
    if (n < 0 || !DecodeBalance(c->value(), &b) || b != seen[n]) {
      return bank->Fail("backward scan disagrees with forward scan at " + std::to_string(n));
    }
  }
  if (n != 0) return bank->Fail("backward scan saw " + std::to_string(kAccounts - n) + " accounts");
  // Point gets in random order: same values again.
  sum = 0;
  int start = static_cast<int>(rng.Uniform(kAccounts));
  for (int k = 0; k < kAccounts; ++k) {
    int i = (start + k * 7) % kAccounts;  // 7 is coprime with 1000: a permutation
    std::string v;
    int64_t b;
    Status s = txn->Get(bank->tree(), AccountKey(i), &v);
    if (!s.ok() || !DecodeBalance(v, &b)) return bank->Fail("reader Get: " + s.ToString());
    if (b != seen[i]) {
      return bank->Fail("snapshot " + std::to_string(txn->id()) + ": Get(" + AccountKey(i) +
                        ") = " + std::to_string(b) + " but the scan saw " +
                        std::to_string(seen[i]));
    }
    sum += b;
  }
  if (sum != want) return bank->Fail("point-get total " + std::to_string(sum));
  bank->scans++;
}

void Reader(Bank* bank, uint64_t seed) {
  TestRng rng(seed);
  uint64_t last_id = 0;
  while (!bank->stop.load()) {
    auto r = bank->db()->BeginRead();
    if (!r.ok()) return bank->Fail("BeginRead: " + r.status().ToString());
    std::unique_ptr<ReadTxn> txn = std::move(r).value();
    if (txn->id() < last_id) return bank->Fail("snapshot ids went backwards");
    last_id = txn->id();
    bank->snapshots++;
    CheckSnapshot(bank, txn.get(), rng);
  }
}

// Takes one snapshot, remembers every balance, and re-reads them while the
// writers churn and checkpoints run: nothing may change under it.
void LongReader(Bank* bank) {
  auto r = bank->db()->BeginRead();
  if (!r.ok()) return bank->Fail("BeginRead: " + r.status().ToString());
  std::unique_ptr<ReadTxn> txn = std::move(r).value();
  std::vector<std::string> original(kAccounts);
  for (int i = 0; i < kAccounts; ++i) {
    Status s = txn->Get(bank->tree(), AccountKey(i), &original[i]);
    if (!s.ok()) return bank->Fail("long reader Get: " + s.ToString());
  }
  TestRng rng(99);
  int rounds = 0;
  while (!bank->stop.load() || rounds < 2) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    for (int i = 0; i < kAccounts; ++i) {
      std::string v;
      Status s = txn->Get(bank->tree(), AccountKey(i), &v);
      if (!s.ok() || v != original[i]) {
        return bank->Fail("long-lived snapshot " + std::to_string(txn->id()) +
                          " changed: " + AccountKey(i) + " was " + Printable(original[i]) +
                          ", now " + Printable(v) + " (" + s.ToString() + ")");
      }
    }
    CheckSnapshot(bank, txn.get(), rng);
    ++rounds;
  }
}

void Checkpointer(Bank* bank) {
  while (!bank->stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    Status s = bank->db()->Checkpoint();
    if (!s.ok() && !s.IsBusy()) return bank->Fail("Checkpoint: " + s.ToString());
    bank->checkpoints++;
  }
}

void RunBank(const std::string& path, SyncMode sync) {
  TempDir dir;
  Options o = FastOptions();
  o.sync = sync;
  o.cache_size = 1ull << 20;  // evictions while readers hold old versions
  o.checkpoint_wal_size = 256ull << 10;
  o.checkpoint_dirty_size = 256ull << 10;
  std::string p = path.empty() ? StorePath(dir) : path;
  ASSERT_OK_AND_ASSIGN(auto db, DB::Open(p, o));
  Bank bank(db.get());
  ASSERT_NO_FATAL_FAILURE(bank.Create());

  uint64_t seed = TestSeed(4242);
  auto ms = std::chrono::milliseconds(EnvU64("LIGHTNING_CONCURRENCY_MS", 2500));
  std::vector<std::thread> threads;
  threads.emplace_back(LongReader, &bank);
  for (int i = 0; i < 2; ++i) threads.emplace_back(Writer, &bank, seed + i);
  for (int i = 0; i < 3; ++i) threads.emplace_back(Reader, &bank, seed + 100 + i);
  if (p != ":memory:") threads.emplace_back(Checkpointer, &bank);
  auto deadline = std::chrono::steady_clock::now() + ms;
  while (!bank.stop.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  bank.stop.store(true);
  for (auto& t : threads) t.join();
  std::printf("[ stats    ] %" PRIu64 " transfers, %" PRIu64 " busy, %" PRIu64
              " snapshots, %" PRIu64 " verified scans, %" PRIu64 " checkpoints\n",
              bank.transfers.load(), bank.busy.load(), bank.snapshots.load(), bank.scans.load(),
              bank.checkpoints.load());
  EXPECT_GT(bank.transfers.load(), 10u) << "writers made too little progress to test anything";
  EXPECT_GT(bank.scans.load(), 3u);

  // After all threads: the total still holds, and survives a reopen.
  ASSERT_OK_AND_ASSIGN(auto txn, db->BeginRead());
  TestRng rng(1);
  CheckSnapshot(&bank, txn.get(), rng);
  txn.reset();
  if (p == ":memory:") return;
  db.reset();
  ASSERT_OK_AND_ASSIGN(db, DB::Open(p, o));
  ASSERT_OK_AND_ASSIGN(auto rtxn, db->BeginRead());
  TreeId id;
  ASSERT_OK(rtxn->OpenTree("accounts", &id));
  ASSERT_EQ(id, bank.tree());
  CheckSnapshot(&bank, rtxn.get(), rng);
}

TEST(ConcurrencyTest, TransfersKeepTotalOnEverySnapshot) { RunBank("", SyncMode::kOff); }

// sync=full: commits share fsyncs (group commit) while readers run.
TEST(ConcurrencyTest, TransfersWithFullSync) { RunBank("", SyncMode::kFull); }

TEST(ConcurrencyTest, InMemoryStore) { RunBank(":memory:", SyncMode::kOff); }

}  // namespace
}  // namespace lightning::test
