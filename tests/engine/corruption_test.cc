// Corruption: damaged copies of a store must be refused with a Corruption
// status that says what is damaged, or recovered correctly — every read
// returning exactly the committed data — never a crash and never a wrong value.
//
// The pristine store is built by a child process (this binary with
// --build-store) that commits, checkpoints twice, commits a WAL tail of
// kTailTxns transactions and then leaves with _exit, so the WAL tail is still
// there (a clean close might checkpoint it away). The expected contents after
// each tail transaction are computed here from the same script.
//
// The superblock layout used by the format-version case follows
// engine/FORMAT.md.
//
// Damage: bytes flipped at extents of the data file, in a WAL record in the
// middle and in the last one, a torn (truncated) last WAL record, each
// superblock slot (0 at 0..4095, 1 at 4096..8191) damaged alone and both
// together, files of random bytes or garbage, and a newer format version.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/engine/test_util.h"

namespace lightning::test {
namespace {

constexpr int kTailTxns = 40;
const char* const kTrees[] = {"alpha", "beta"};

struct Op {
  int tree;
  std::string key;
  std::optional<std::string> value;  // nullopt: delete
};
struct Step {
  bool checkpoint = false;
  bool tail = false;
  std::vector<Op> ops;
};

std::string AKey(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "a%06d", i);
  return buf;
}
std::string TailKey(int j, int i) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "tail:%04d:%02d", j, i);
  return buf;
}
std::string TextValue(uint64_t seed, size_t len) {
  std::string v(len, '\0');
  uint64_t x = seed;
  for (size_t k = 0; k < len; ++k) {
    if (k % 8 == 0) x = TestRng::SplitMix(&x);
    v[k] = static_cast<char>('a' + (x >> (8 * (k % 8))) % 26);
  }
  return v;
}

// The whole history of the store, in order.
std::vector<Step> Script() {
  std::vector<Step> s;
  for (int b = 0; b < 10; ++b) {  // 3000 small values in alpha, 500 bigger in beta
    Step st;
    for (int i = b * 300; i < (b + 1) * 300; ++i) st.ops.push_back({0, AKey(i), TextValue(i, 100)});
    for (int i = b * 50; i < (b + 1) * 50; ++i) {
      size_t len = i % 100 == 0 ? 50000 : 2000;  // a few overflow values
      st.ops.push_back({1, "b" + std::to_string(i), TextValue(100000 + i, len)});
    }
    s.push_back(std::move(st));
  }
  s.push_back({true, false, {}});
  Step change;
  for (int i = 0; i < 3000; i += 6) change.ops.push_back({0, AKey(i), TextValue(7 * i + 1, 120)});
  for (int i = 1; i < 3000; i += 15) change.ops.push_back({0, AKey(i), std::nullopt});
  s.push_back(std::move(change));
  s.push_back({true, false, {}});
  for (int j = 0; j < kTailTxns; ++j) {
    Step st;
    st.tail = true;
    for (int i = 0; i < 5; ++i) st.ops.push_back({0, TailKey(j, i), TextValue(j * 100 + i, 60)});
    st.ops.push_back({0, AKey(j * 7 + 2), std::nullopt});
    st.ops.push_back({0, AKey(j * 7 + 3), "tail-overwrite-" + std::to_string(j)});
    st.ops.push_back({0, "tail:last", std::to_string(j + 1)});
    s.push_back(std::move(st));
  }
  return s;
}

// states[k]: the contents after k tail transactions.
std::vector<std::array<std::map<std::string, std::string>, 2>> ExpectedStates() {
  std::vector<std::array<std::map<std::string, std::string>, 2>> states;
  std::array<std::map<std::string, std::string>, 2> cur;
  for (const Step& st : Script()) {
    if (st.checkpoint) continue;
    if (st.tail && states.empty()) states.push_back(cur);
    for (const Op& op : st.ops) {
      if (op.value) {
        cur[op.tree][op.key] = *op.value;
      } else {
        cur[op.tree].erase(op.key);
      }
    }
    if (st.tail) states.push_back(cur);
  }
  return states;
}

Options StoreOptions() {
  Options o;
  o.page_size = 4096;
  o.sync = SyncMode::kFull;
  o.checksum = true;
  o.compression = Codec::kNone;
  return o;
}

// Child: builds the store and leaves without closing it.
int BuildStore(const std::string& path) {
  auto r = DB::Open(path, StoreOptions());
  if (!r.ok()) {
    std::fprintf(stderr, "build: %s\n", r.status().ToString().c_str());
    return 2;
  }
  std::shared_ptr<DB> db = std::move(r).value();
  TreeId ids[2];
  bool created = false;
  for (const Step& st : Script()) {
    Status s;
    if (st.checkpoint) {
      s = db->Checkpoint();
    } else {
      auto w = db->BeginWrite();
      if (!w.ok()) return 3;
      for (int t = 0; t < 2 && !created; ++t) s = w.value()->CreateTree(kTrees[t], &ids[t]);
      created = true;
      for (const Op& op : st.ops) {
        if (!s.ok()) break;
        s = op.value ? w.value()->Put(ids[op.tree], op.key, *op.value)
                     : w.value()->Delete(ids[op.tree], op.key);
      }
      if (s.ok()) s = w.value()->Commit();
    }
    if (!s.ok()) {
      std::fprintf(stderr, "build: %s\n", s.ToString().c_str());
      return 3;
    }
  }
  std::fflush(stdout);
  std::_Exit(0);  // no destructors: the WAL tail stays as the commits left it
}

class CorruptionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pristine_ = new TempDir();
    std::string out;
    int status = RunSelf({"--build-store", pristine_->File("store")}, &out);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "building the store failed";
    data_ = new std::string(ReadFile(pristine_->File("store")));
    wal_ = new std::string(ReadFile(pristine_->File("store-wal")));
    states_ = new auto(ExpectedStates());
    std::printf("[ store    ] data file %zu bytes, WAL %zu bytes\n", data_->size(), wal_->size());
  }
  static void TearDownTestSuite() {
    delete pristine_;
    delete data_;
    delete wal_;
    delete states_;
  }

  // A fresh copy of the pristine store; returns its path.
  std::string Copy(const std::string& data, const std::string& wal) {
    std::string path = dir_.File("copy" + std::to_string(++copies_));
    EXPECT_TRUE(WriteFile(path, data));
    if (!wal.empty()) {
      EXPECT_TRUE(WriteFile(path + "-wal", wal));
    }
    return path;
  }

  static std::string Flip(std::string bytes, size_t offset, size_t n) {
    for (size_t i = offset; i < offset + n && i < bytes.size(); ++i) bytes[i] ^= 0x5a;
    return bytes;
  }

  // Opens the damaged store at `path` and reads everything. Acceptable: a
  // Corruption status mentioning one of `words`, at open or at any read, or
  // exactly the contents after k tail transactions, min_k <= k <= kTailTxns.
  // Returns a one-line description of what happened.
  std::string Verify(const std::string& path, std::initializer_list<std::string_view> words,
                     int min_k = kTailTxns) {
    return Verify(path, std::vector<std::string_view>(words), min_k);
  }
  std::string Verify(const std::string& path, const std::vector<std::string_view>& w,
                     int min_k = kTailTxns) {
    auto acceptable = [&](const Status& s) {
      return s.code() == Status::Code::kCorruption && std::any_of(w.begin(), w.end(), [&](auto x) {
               return ContainsNoCase(s.message(), x);
             });
    };
    auto r = DB::Open(path, StoreOptions());
    if (!r.ok()) {
      EXPECT_TRUE(acceptable(r.status()))
          << "open refused with an unhelpful status: " << r.status().ToString();
      return "refused at open: " + r.status().ToString();
    }
    std::shared_ptr<DB> db = std::move(r).value();
    auto rt = db->BeginRead();
    if (!rt.ok()) {
      EXPECT_TRUE(acceptable(rt.status())) << rt.status().ToString();
      return "BeginRead: " + rt.status().ToString();
    }
    std::unique_ptr<ReadTxn> txn = std::move(rt).value();
    int detected = 0;
    std::string first_detected;
    auto note = [&](const Status& s, const std::string& where) {
      EXPECT_TRUE(acceptable(s)) << where << ": " << s.ToString();
      if (detected++ == 0) first_detected = where + ": " + s.ToString();
    };
    TreeId ids[2];
    for (int t = 0; t < 2; ++t) {
      Status s = txn->OpenTree(kTrees[t], &ids[t]);
      if (!s.ok()) {
        note(s, std::string("OpenTree ") + kTrees[t]);
        return "detected: " + first_detected;
      }
    }
    // Which prefix of the tail survived.
    int k = kTailTxns;
    std::string last;
    Status s = txn->Get(ids[0], "tail:last", &last);
    if (s.ok()) {
      k = std::atoi(last.c_str());
    } else if (s.IsNotFound()) {
      k = 0;
    } else {
      note(s, "Get tail:last");
    }
    EXPECT_GE(k, min_k) << "committed transactions lost: only " << k << " of " << kTailTxns
                        << " WAL-tail transactions are visible";
    EXPECT_LE(k, kTailTxns);
    if (k < 0 || k > kTailTxns) return "bad tail marker";
    const auto& want = (*states_)[k];
    for (int t = 0; t < 2; ++t) {
      auto cr = txn->NewCursor(ids[t]);
      if (!cr.ok()) {
        note(cr.status(), "NewCursor");
        continue;
      }
      std::unique_ptr<Cursor> c = std::move(cr).value();
      c->SeekToFirst();
      size_t n = 0;
      for (auto it = want[t].begin(); it != want[t].end(); ++it, ++n, c->Next()) {
        if (!c->Valid()) {
          if (c->status().ok()) {
            ADD_FAILURE() << kTrees[t] << ": scan ended after " << n << " of " << want[t].size()
                          << " entries without an error (silent data loss)";
          } else {
            note(c->status(), std::string("scan of ") + kTrees[t]);
          }
          break;
        }
        if (c->key() != it->first || c->value() != it->second) {
          ADD_FAILURE() << kTrees[t] << " entry " << n << ": got " << Printable(c->key()) << " = "
                        << Printable(c->value()) << ", expected " << Printable(it->first) << " = "
                        << Printable(it->second)
                        << " (WRONG DATA returned; after value(): Valid()=" << c->Valid()
                        << ", status " << c->status().ToString() << ")";
          break;
        }
      }
      if (n == want[t].size() && c->Valid()) {
        ADD_FAILURE() << kTrees[t] << ": extra entry " << Printable(c->key()) << " (WRONG DATA)";
      }
      // Point reads of every key that exists in any state.
      std::set<std::string> keys;
      for (auto& [key, v] : (*states_)[0][t]) keys.insert(key);
      for (auto& [key, v] : (*states_)[kTailTxns][t]) keys.insert(key);
      for (const std::string& key : keys) {
        std::string v;
        Status gs = txn->Get(ids[t], key, &v);
        auto it = want[t].find(key);
        if (gs.ok()) {
          if (it == want[t].end() || v != it->second) {
            ADD_FAILURE() << kTrees[t] << " Get(" << key << ") returned a WRONG value "
                          << Printable(v);
            break;
          }
        } else if (gs.IsNotFound()) {
          if (it != want[t].end()) {
            ADD_FAILURE() << kTrees[t] << " Get(" << key << ") NotFound but it was committed";
            break;
          }
        } else {
          note(gs, "Get " + key);
        }
      }
    }
    txn.reset();
    std::vector<std::string> problems;
    Status cs = db->Check(&problems);
    if (!cs.ok()) note(cs, "Check");
    if (detected > 0) {
      EXPECT_TRUE(!cs.ok() || !problems.empty())
          << "reads found corruption but Check() reports a healthy store";
    }
    if (detected > 0) return "detected on read: " + first_detected;
    return "recovered: " + std::to_string(k) + "/" + std::to_string(kTailTxns) +
           " tail transactions" + (problems.empty() ? "" : ", Check: " + problems[0]);
  }

  static TempDir* pristine_;
  static std::string* data_;
  static std::string* wal_;
  static std::vector<std::array<std::map<std::string, std::string>, 2>>* states_;

  TempDir dir_;
  int copies_ = 0;
};

TempDir* CorruptionTest::pristine_ = nullptr;
std::string* CorruptionTest::data_ = nullptr;
std::string* CorruptionTest::wal_ = nullptr;
std::vector<std::array<std::map<std::string, std::string>, 2>>* CorruptionTest::states_ = nullptr;

TEST_F(CorruptionTest, PristineCopyIsExact) {
  ASSERT_GT(wal_->size(), 0u) << "the builder left no WAL tail";
  std::string what = Verify(Copy(*data_, *wal_), {"none"});
  EXPECT_EQ(what, "recovered: 40/40 tail transactions");
}

// Extent header (engine/FORMAT.md): u32 magic 0x4C504731 | u8 codec | u8 page
// type | u8 flags | u8 0 | u32 stored length | u32 raw length | u64 page id |
// u64 checksum, then the stored bytes; extents start at multiples of 16 from
// offset 8192.
constexpr uint32_t kExtentMagic = 0x4C504731;
constexpr size_t kExtentHeader = 32;

std::vector<size_t> FindExtents(const std::string& data) {
  std::vector<size_t> found;
  for (size_t off = 8192; off + kExtentHeader <= data.size(); off += 16) {
    uint32_t magic;
    std::memcpy(&magic, data.data() + off, 4);
    if (magic == kExtentMagic) found.push_back(off);
  }
  return found;
}

const std::vector<std::string_view> kDataWords = {"page",    "extent", "superblock", "free",
                                                  "catalog", "tree",   "offset"};

TEST_F(CorruptionTest, DataFileExtents) {
  std::vector<size_t> extents = FindExtents(*data_);
  ASSERT_GT(extents.size(), 50u) << "no extent headers found where engine/FORMAT.md puts them";
  struct Field {
    const char* name;
    size_t offset;  // from the extent start; SIZE_MAX = middle of the stored bytes
  } fields[] = {{"magic", 0},
                {"codec", 4},
                {"page type", 5},
                {"stored length", 8},
                {"raw length", 12},
                {"page id", 16},
                {"checksum", 24},
                {"first stored byte", 32},
                {"middle of stored bytes", SIZE_MAX}};
  const size_t kTrials = 27;
  for (size_t i = 0; i < kTrials; ++i) {
    size_t ext = extents[(2 * i + 1) * extents.size() / (2 * kTrials)];
    const Field& f = fields[i % (sizeof fields / sizeof fields[0])];
    uint32_t stored;
    std::memcpy(&stored, data_->data() + ext + 8, 4);
    size_t off = ext + (f.offset == SIZE_MAX ? kExtentHeader + stored / 2 : f.offset);
    SCOPED_TRACE("extent at " + std::to_string(ext) + ": " + f.name + " flipped at " +
                 std::to_string(off));
    std::string what = Verify(Copy(Flip(*data_, off, 1), *wal_), kDataWords);
    std::printf("[ outcome  ] extent @%zu %s: %s\n", ext, f.name, what.c_str());
  }
}

// Damage anywhere past the superblocks, extent-aligned or not.
TEST_F(CorruptionTest, DataFileSpread) {
  ASSERT_GT(data_->size(), 16384u);
  const int kTrials = 12;
  for (int i = 0; i < kTrials; ++i) {
    size_t span = data_->size() - 8192;
    size_t off = 8192 + span * (2 * i + 1) / (2 * kTrials) + 5;
    size_t n = i % 2 == 0 ? 1 : 64;
    SCOPED_TRACE("data file: " + std::to_string(n) + " byte(s) flipped at offset " +
                 std::to_string(off));
    std::string what = Verify(Copy(Flip(*data_, off, n), *wal_), kDataWords);
    std::printf("[ outcome  ] data @%zu x%zu: %s\n", off, n, what.c_str());
  }
}

// The tail of the data file cut off (a file truncated by a copy or a bad disk).
TEST_F(CorruptionTest, DataFileTruncated) {
  for (size_t keep : {data_->size() - 100, data_->size() / 2, size_t{8192}, size_t{6000}}) {
    SCOPED_TRACE("data file truncated to " + std::to_string(keep) + " bytes");
    std::string what = Verify(Copy(data_->substr(0, keep), *wal_), kDataWords);
    std::printf("[ outcome  ] truncated to %zu: %s\n", keep, what.c_str());
  }
}

// Offset of the first occurrence of `needle` in the WAL, or npos.
size_t FindInWal(const std::string& wal, const std::string& needle) { return wal.find(needle); }

TEST_F(CorruptionTest, WalRecordInTheMiddle) {
  const int j = kTailTxns / 2;
  size_t off = FindInWal(*wal_, TailKey(j, 2));
  if (off == std::string::npos) {
    off = wal_->size() / 2;
    std::printf("[ note     ] keys not found in the WAL (compressed?); flipping at its middle\n");
  }
  std::string what = Verify(Copy(*data_, Flip(*wal_, off + 3, 1)), {"wal", "log", "record"},
                            /*min_k=*/j);
  std::printf("[ outcome  ] WAL record %d of %d damaged at %zu: %s\n", j + 1, kTailTxns, off,
              what.c_str());
}

TEST_F(CorruptionTest, WalLastRecord) {
  size_t off = FindInWal(*wal_, TailKey(kTailTxns - 1, 4));
  if (off == std::string::npos) off = wal_->size() - 8;
  std::string what = Verify(Copy(*data_, Flip(*wal_, off + 3, 1)), {"wal", "log", "record"},
                            /*min_k=*/kTailTxns - 1);
  std::printf("[ outcome  ] last WAL record damaged: %s\n", what.c_str());
}

TEST_F(CorruptionTest, WalTornLastRecord) {
  size_t off = FindInWal(*wal_, TailKey(kTailTxns - 1, 0));
  if (off == std::string::npos) off = wal_->size() - 8;
  std::string what = Verify(Copy(*data_, wal_->substr(0, off)), {"wal", "log", "record"},
                            /*min_k=*/kTailTxns - 1);
  std::printf("[ outcome  ] WAL torn inside the last record: %s\n", what.c_str());
}

TEST_F(CorruptionTest, WalReplacedByGarbage) {
  TestRng rng(5);
  std::string what = Verify(Copy(*data_, rng.Bytes(wal_->size())), {"wal", "log", "record"},
                            /*min_k=*/0);
  std::printf("[ outcome  ] WAL of random bytes: %s\n", what.c_str());
}

TEST_F(CorruptionTest, EachSuperblockAlone) {
  const size_t offsets[] = {0, 4, 8, 12, 16, 24, 32, 40, 48, 56, 64, 96, 128, 200};
  for (int slot = 0; slot < 2; ++slot) {
    for (size_t o : offsets) {
      size_t off = slot * 4096 + o;
      SCOPED_TRACE("superblock slot " + std::to_string(slot) + " byte " + std::to_string(o));
      std::string what = Verify(Copy(Flip(*data_, off, 1), *wal_), {"superblock"});
      std::printf("[ outcome  ] slot %d byte %zu: %s\n", slot, o, what.c_str());
    }
    SCOPED_TRACE("superblock slot " + std::to_string(slot) + " zeroed");
    std::string zeroed = *data_;
    std::fill(zeroed.begin() + slot * 4096, zeroed.begin() + (slot + 1) * 4096, '\0');
    std::string what = Verify(Copy(zeroed, *wal_), {"superblock"});
    std::printf("[ outcome  ] slot %d zeroed: %s\n", slot, what.c_str());
  }
}

TEST_F(CorruptionTest, BothSuperblocks) {
  std::string damaged = Flip(Flip(*data_, 16, 8), 4096 + 16, 8);
  std::string path = Copy(damaged, *wal_);
  auto r = DB::Open(path, StoreOptions());
  ASSERT_FALSE(r.ok()) << "a store with both superblocks damaged opened";
  EXPECT_EQ(r.status().code(), Status::Code::kCorruption) << r.status().ToString();
  EXPECT_TRUE(ContainsNoCase(r.status().message(), "superblock")) << r.status().ToString();
  EXPECT_TRUE(BytesEqual(ReadFile(path), damaged)) << "a refused open changed the file";
}

// Files that are not stores must be refused clearly and left untouched.
// `code` is the one DB::Open documents for such a file (db.h): InvalidArgument
// for a file that is not a store, Corruption for one whose superblocks are
// blank (docs/ERRORS.md).
void ExpectRefused(const std::string& path, const std::string& contents, const char* what,
                   Status::Code code = Status::Code::kInvalidArgument) {
  SCOPED_TRACE(what);
  ASSERT_TRUE(WriteFile(path, contents));
  auto r = DB::Open(path, StoreOptions());
  ASSERT_FALSE(r.ok()) << what << " opened as a store";
  const Status& s = r.status();
  EXPECT_EQ(s.code(), code) << s.ToString();
  EXPECT_TRUE(MentionsAny(s.message(), {"lightning", "store", "superblock", "magic", "format"}))
      << "unclear message: " << s.ToString();
  std::printf("[ outcome  ] %s: %s\n", what, s.ToString().c_str());
  EXPECT_TRUE(BytesEqual(ReadFile(path), contents)) << "a refused open changed the file";
}

TEST(NotAStoreTest, RandomBytes) {
  TempDir dir;
  TestRng rng(11);
  ExpectRefused(dir.File("random"), rng.Bytes(65536), "64 KiB of random bytes");
}

TEST(NotAStoreTest, ShortGarbage) {
  TempDir dir;
  ExpectRefused(dir.File("text"), "this is not a lightning store, just some text\n", "short text");
}

TEST(NotAStoreTest, AllZeros) {
  TempDir dir;
  ExpectRefused(dir.File("zeros"), std::string(16384, '\0'), "16 KiB of zero bytes",
                Status::Code::kCorruption);
}

TEST(NotAStoreTest, SqliteDatabaseHeader) {
  TempDir dir;
  std::string db = "SQLite format 3";
  db.push_back('\0');
  db.resize(8192, '\x01');
  ExpectRefused(dir.File("sqlite"), db, "a SQLite database");
}

// A zero-length file may be treated as a new store or refused; either way
// clearly, and a store that opens must work.
TEST(NotAStoreTest, EmptyFile) {
  TempDir dir;
  std::string path = dir.File("empty");
  ASSERT_TRUE(WriteFile(path, ""));
  auto r = DB::Open(path, StoreOptions());
  if (!r.ok()) {
    std::printf("[ outcome  ] empty file refused: %s\n", r.status().ToString().c_str());
    EXPECT_FALSE(r.status().message().empty());
    return;
  }
  std::printf("[ outcome  ] empty file initialised as a new store\n");
  std::shared_ptr<DB> db = std::move(r).value();
  ASSERT_OK_AND_ASSIGN(auto w, db->BeginWrite());
  TreeId id;
  ASSERT_OK(w->CreateTree("t", &id));
  ASSERT_OK(w->Put(id, "k", "v"));
  ASSERT_OK(w->Commit());
  ASSERT_OK(db->Checkpoint());
}

// Superblock layout from engine/FORMAT.md (format version 1): magic u64 at 0,
// format version u32 at 8, XXH3-64 (seed 0) of bytes [0, 120) at 120.
constexpr size_t kSbVersionOffset = 8;
constexpr size_t kSbChecksumOffset = 120;

// Rewrites the format version of every non-empty superblock slot and
// re-seals its checksum, as a newer release would have written it.
std::string WithFormatVersion(std::string data, uint32_t version) {
  for (size_t slot = 0; slot < 2; ++slot) {
    char* p = data.data() + slot * 4096;
    if (std::all_of(p, p + 128, [](char c) { return c == 0; })) continue;
    std::memcpy(p + kSbVersionOffset, &version, 4);  // little-endian host
    uint64_t sum = XXH3_64bits(p, kSbChecksumOffset);
    std::memcpy(p + kSbChecksumOffset, &sum, 8);
  }
  return data;
}

TEST_F(CorruptionTest, NewerFormatVersionIsNotSupported) {
  uint32_t current = 0;
  std::memcpy(&current, data_->data() + kSbVersionOffset, 4);
  ASSERT_EQ(current, 1u) << "engine/FORMAT.md describes version 1; update this test";
  // Control: re-sealing with the same version changes nothing.
  ASSERT_TRUE(BytesEqual(WithFormatVersion(*data_, 1), *data_))
      << "superblock checksum differs from XXH3-64 of bytes [0,120) as FORMAT.md says";
  std::string newer = WithFormatVersion(*data_, 2);
  std::string path = Copy(newer, *wal_);
  auto r = DB::Open(path, StoreOptions());
  ASSERT_FALSE(r.ok()) << "a store of format version 2 opened";
  EXPECT_EQ(r.status().code(), Status::Code::kNotSupported) << r.status().ToString();
  EXPECT_TRUE(ContainsNoCase(r.status().message(), "version")) << r.status().ToString();
  std::printf("[ message  ] %s\n", r.status().ToString().c_str());
  EXPECT_TRUE(BytesEqual(ReadFile(path), newer)) << "a refused open changed the file";
}

}  // namespace
}  // namespace lightning::test

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--build-store") {
    return lightning::test::BuildStore(argv[2]);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
