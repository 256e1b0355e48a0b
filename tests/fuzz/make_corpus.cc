// make_corpus: writes the binary seed corpora of the fuzz targets.
//
//   build-fuzz/tests/fuzz/make_corpus tests/fuzz/corpus
//
// fuzz_store  small stores made by the engine (codecs, checksums off, blob
//             values, several checkpoints, a dropped tree), each with flag
//             bytes 0 (as is) and 3 (repair checksums, then write)
// fuzz_wal    logs of commits on top of the base store (BuildBaseStore), as
//             files (modes 0 and 1) and as bare payloads (mode 2)
// fuzz_codec  encoded keys and records, and value lists
// The text corpora (fuzz_module_args, fuzz_sql) are written by hand or by
// make_corpus.sh. Everything here is deterministic except the WAL salts.
#include <cstdio>
#include <filesystem>
#include <string>

#include "ext/vtab/key_codec.h"
#include "ext/vtab/record.h"
#include "tests/fuzz/fuzz_common.h"

using namespace lightning;
using namespace lightning::fuzz;
namespace fs = std::filesystem;

namespace {

fs::path g_root;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(g_root / target);
  FILE* f = std::fopen((g_root / target / name).c_str(), "wb");
  if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size())
    Fail("cannot write " + name);
  std::fclose(f);
}

void Must(const Status& s) {
  if (!s.ok()) Fail(s.ToString());
}

// Runs `fn` on a fresh in-memory-file store and returns its closed data file.
template <typename Fn>
std::string MakeStore(Options o, Fn fn) {
  MemStore mem;
  Options m = MemOptions(mem);
  m.page_size = o.page_size;
  m.compression = o.compression;
  m.checksum = o.checksum;
  {
    auto opened = DB::Open(StorePath(), m);
    if (!opened.ok()) Fail(opened.status().ToString());
    std::shared_ptr<DB> db = std::move(opened).value();
    fn(db.get());
  }
  return *mem.data;
}

void Fill(DB* db, const std::string& tree, int n, int big_every) {
  auto w = db->BeginWrite();
  Must(w.status());
  auto txn = std::move(w).value();
  TreeId id;
  Status s = txn->OpenTree(tree, &id);
  if (s.IsNotFound()) s = txn->CreateTree(tree, &id);
  Must(s);
  for (int i = 0; i < n; i++) {
    std::string v(static_cast<size_t>(big_every && i % big_every == 0 ? 1200 : 8 + i % 20),
                  static_cast<char>('a' + i % 26));
    Must(txn->Put(id, tree + std::to_string(i), v));
  }
  Must(txn->Commit());
}

void StoreCorpus() {
  Options small;
  small.page_size = 4096;
  struct Case {
    const char* name;
    Codec codec;
    bool checksum;
  } cases[] = {{"plain", Codec::kNone, true},
               {"lz4", Codec::kLz4, true},
               {"zstd", Codec::kZstd, true},
               {"nosum", Codec::kNone, false}};
  for (const Case& c : cases) {
    Options o = small;
    o.compression = c.codec;
    o.checksum = c.checksum;
    std::string data = MakeStore(o, [](DB* db) {
      Fill(db, "t", 150, 25);
      Fill(db, "u", 20, 0);
    });
    Write("fuzz_store", std::string(c.name), std::string(1, '\0') + data);
    Write("fuzz_store", std::string(c.name) + "-repair-write", std::string(1, '\3') + data);
  }
  std::string empty = MakeStore(small, [](DB*) {});
  Write("fuzz_store", "empty", std::string(1, '\2') + empty);
  std::string churn = MakeStore(small, [](DB* db) {
    Fill(db, "a", 60, 0);
    Must(db->Checkpoint());
    Fill(db, "b", 30, 10);
    auto w = db->BeginWrite();
    Must(w.status());
    auto txn = std::move(w).value();
    Must(txn->DropTree("a"));
    Must(txn->RenameTree("b", "c"));
    Must(txn->Commit());
    Must(db->Checkpoint());
  });
  Write("fuzz_store", "churn", std::string(1, '\1') + churn);
}

void WalCorpus() {
  const std::string base = BuildBaseStore();
  struct Step {
    const char* name;
    void (*fn)(DB*);
  } steps[] = {
      {"puts", [](DB* db) { Fill(db, "a", 5, 2); }},
      {"trees",
       [](DB* db) {
         Fill(db, "n", 3, 0);
         auto w = db->BeginWrite();
         Must(w.status());
         auto txn = std::move(w).value();
         TreeId b;
         Must(txn->OpenTree("b", &b));
         Must(txn->Delete(b, "b7"));
         Must(txn->ClearTree(b));
         Must(txn->RenameTree("n", "m"));
         Must(txn->DropTree("a"));
         Must(txn->Commit());
       }},
  };
  for (const Step& step : steps) {
    MemStore mem;
    *mem.data = base;
    std::string wal;
    {
      auto opened = DB::Open(StorePath(), MemOptions(mem));
      if (!opened.ok()) Fail(opened.status().ToString());
      std::shared_ptr<DB> db = std::move(opened).value();
      step.fn(db.get());
      Fill(db.get(), "b", 2, 0);
      wal = *mem.wal;  // before the clean close checkpoints it away
    }
    Write("fuzz_wal", std::string(step.name) + "-raw", std::string(1, '\0') + wal);
    Write("fuzz_wal", std::string(step.name) + "-repair", std::string(1, '\1') + wal);
    // The payloads alone, for mode 2.
    std::string framed(1, '\2');
    for (uint64_t off = kWalHeaderSize; off + kWalRecordHeader + 8 <= wal.size();) {
      const uint32_t len = DecodeFixed32(wal.data() + off);
      framed.push_back(static_cast<char>(len & 0xff));
      framed.push_back(static_cast<char>(len >> 8));
      framed.append(wal, off + kWalRecordHeader, len);
      off += kWalRecordHeader + len + 8;
    }
    Write("fuzz_wal", std::string(step.name) + "-payloads", framed);
  }
  Write("fuzz_wal", "empty", std::string(1, '\0'));
}

void CodecCorpus() {
  using ext::SqlValue;
  const SqlValue values[] = {SqlValue::Null(),
                             SqlValue::Integer(0),
                             SqlValue::Integer(-1),
                             SqlValue::Integer((int64_t{1} << 53) + 1),
                             SqlValue::Integer(INT64_MAX),
                             SqlValue::Integer(INT64_MIN),
                             SqlValue::Real(3.0),
                             SqlValue::Real(-0.5),
                             SqlValue::Text("hello"),
                             SqlValue::Blob(std::string_view("\0\1", 2))};
  int i = 0;
  for (const SqlValue& v : values) {
    std::string key;
    ext::EncodeKey(v, &key);
    Write("fuzz_codec", "key" + std::to_string(i++), std::string(1, '\0') + key);
  }
  std::string rec;
  ext::EncodeRecord(values, sizeof values / sizeof values[0], ext::kRecordKeyIsReal, &rec);
  Write("fuzz_codec", "record", std::string(1, '\2') + rec);
  // Value lists (ReadValues in fuzz_codec.cc).
  std::string list;
  list += '\0';  // NULL
  list += '\1';
  list += std::string("\0\0\0\0\0\0\0\5", 8);  // INTEGER 5
  list += '\2';
  list += std::string("\x40\x08\0\0\0\0\0\0", 8);  // REAL 3.0
  list += '\3';
  list += '\3';
  list += "abc";  // TEXT
  list += '\4';
  list += '\2';
  list += "\xff\x00";  // BLOB
  list += '\5';
  list += '\7';
  list += '\1';  // near 2^53
  list += '\6';
  list += '\3';
  list += '\0';  // near 2^63
  list += '\7';
  list += '\6';  // 3 (INTEGER)
  list += '\7';
  list += '\7';  // 3.0 (REAL)
  Write("fuzz_codec", "values-key", std::string(1, '\1') + list);
  Write("fuzz_codec", "values-record", std::string(1, '\3') + list);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  g_root = argv[1];
  StoreCorpus();
  WalCorpus();
  CodecCorpus();
  std::printf("corpora written under %s\n", argv[1]);
  return 0;
}
