// Property tests: memcmp order of encoded keys == SQLite's order of the values.
#include "ext/vtab/key_codec.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "lightning/db.h"

namespace lightning::ext {
namespace {

int Sign(int v) { return (v > 0) - (v < 0); }

// SQLite's verdict on a < b / a = b, computed by SQLite itself.
class SqliteOrder {
 public:
  SqliteOrder() {
    EXPECT_EQ(sqlite3_open(":memory:", &db_), SQLITE_OK);
    EXPECT_EQ(sqlite3_prepare_v2(db_, "SELECT (?1 > ?2) - (?1 < ?2)", -1, &stmt_, nullptr),
              SQLITE_OK);
  }
  ~SqliteOrder() {
    sqlite3_finalize(stmt_);
    sqlite3_close(db_);
  }
  int Compare(const SqlValue& a, const SqlValue& b) {
    sqlite3_reset(stmt_);
    Bind(1, a);
    Bind(2, b);
    EXPECT_EQ(sqlite3_step(stmt_), SQLITE_ROW);
    return sqlite3_column_int(stmt_, 0);
  }

 private:
  void Bind(int i, const SqlValue& v) {
    switch (v.type) {
      case SqlValue::Type::kNull:
        sqlite3_bind_null(stmt_, i);
        break;
      case SqlValue::Type::kInteger:
        sqlite3_bind_int64(stmt_, i, v.i);
        break;
      case SqlValue::Type::kReal:
        sqlite3_bind_double(stmt_, i, v.r);
        break;
      case SqlValue::Type::kText:
        sqlite3_bind_text(stmt_, i, v.bytes.data(), static_cast<int>(v.bytes.size()),
                          SQLITE_TRANSIENT);
        break;
      case SqlValue::Type::kBlob:
        sqlite3_bind_blob(stmt_, i, v.bytes.data(), static_cast<int>(v.bytes.size()),
                          SQLITE_TRANSIENT);
        break;
    }
  }
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// Random values biased towards the boundaries where encodings go wrong.
class ValueGen {
 public:
  explicit ValueGen(uint32_t seed) : rng_(seed) {}
  SqlValue Next() {
    switch (rng_() % 9) {
      case 0:
        return SqlValue::Null();
      case 1:
        return SqlValue::Integer(static_cast<int64_t>(rng_()) % 200 - 100);
      case 2:
        return SqlValue::Integer(Edge());
      case 3:
        return SqlValue::Integer(static_cast<int64_t>(Wide()));
      case 4:
        return SqlValue::Real(static_cast<double>(static_cast<int64_t>(rng_() % 200) - 100) / 4);
      case 5:
        return SqlValue::Real(static_cast<double>(Edge()) + Pick({0.0, 0.5, -0.5, 1e-9}));
      case 6:
        return SqlValue::Real(RandomDouble());
      case 7:
        return SqlValue::Text(Store(RandomBytes(true)));
      default:
        return SqlValue::Blob(Store(RandomBytes(false)));
    }
  }

 private:
  double Pick(std::initializer_list<double> l) { return *(l.begin() + rng_() % l.size()); }
  int64_t Edge() {
    static const int64_t kEdges[] = {0,
                                     1,
                                     -1,
                                     (int64_t{1} << 53),
                                     (int64_t{1} << 53) + 1,
                                     -(int64_t{1} << 53) - 1,
                                     std::numeric_limits<int64_t>::max(),
                                     std::numeric_limits<int64_t>::max() - 1,
                                     std::numeric_limits<int64_t>::min(),
                                     std::numeric_limits<int64_t>::min() + 1,
                                     (int64_t{1} << 62) + 511,
                                     -(int64_t{1} << 62) - 513};
    return kEdges[rng_() % (sizeof kEdges / sizeof kEdges[0])];
  }
  uint64_t Wide() { return (static_cast<uint64_t>(rng_()) << 32) | rng_(); }
  double RandomDouble() {
    switch (rng_() % 5) {
      case 0:
        return Pick({0.0, -0.0, INFINITY, -INFINITY, 9223372036854775808.0, -9223372036854775808.0,
                     9223372036854775807.0, 1e300, -1e300, 4.9e-324, -4.9e-324, 0.1, -0.1});
      case 1: {
        double d;
        uint64_t u = Wide();
        std::memcpy(&d, &u, sizeof d);
        return std::isnan(d) ? 0.5 : d;
      }
      case 2:
        return std::ldexp(static_cast<double>(rng_()) + 0.25, static_cast<int>(rng_() % 80));
      case 3:
        return -std::ldexp(static_cast<double>(rng_()) + 0.75, static_cast<int>(rng_() % 80));
      default:
        return static_cast<double>(static_cast<int64_t>(Wide()));
    }
  }
  std::string RandomBytes(bool text) {
    std::string s;
    size_t n = rng_() % 6;
    for (size_t i = 0; i < n; ++i) {
      unsigned c = rng_() % 4 == 0 ? 0 : (text ? 'a' + rng_() % 3 : rng_() % 256);
      if (text && c == 0) c = 'a';  // SQLite TEXT with NUL compares oddly; keep TEXT NUL-free
      s.push_back(static_cast<char>(c));
    }
    if (text && rng_() % 8 == 0) s += "\xc3\xa9";  // UTF-8 beyond ASCII
    return s;
  }
  std::string_view Store(std::string s) {
    store_.push_back(std::make_unique<std::string>(std::move(s)));
    return *store_.back();
  }
  std::mt19937 rng_;
  std::vector<std::unique_ptr<std::string>> store_;
};

uint32_t Seed() {
  const char* env = std::getenv("LIGHTNING_TEST_SEED");
  uint32_t seed =
      env ? static_cast<uint32_t>(std::strtoul(env, nullptr, 10)) : std::random_device{}();
  std::printf("key_codec_test seed=%u (set LIGHTNING_TEST_SEED to replay)\n", seed);
  return seed;
}

TEST(KeyCodec, ByteOrderEqualsSqliteOrder) {
  SqliteOrder sqlite;
  ValueGen gen(Seed());
  std::string ka, kb;
  for (int iter = 0; iter < 200000; ++iter) {
    SqlValue a = gen.Next(), b = gen.Next();
    EncodeKey(a, &ka);
    EncodeKey(b, &kb);
    int expected = sqlite.Compare(a, b);
    if (a.is_null() || b.is_null()) {
      // SQL comparison with NULL is NULL; SQLite's sort order puts NULL first.
      expected = a.is_null() && b.is_null() ? 0 : (a.is_null() ? -1 : 1);
    }
    ASSERT_EQ(Sign(ka.compare(kb)), expected) << "iteration " << iter;
    ASSERT_EQ(CompareSqlValues(a, b), expected) << "iteration " << iter;
  }
}

TEST(KeyCodec, RoundTrip) {
  ValueGen gen(Seed());
  std::string k;
  for (int iter = 0; iter < 100000; ++iter) {
    SqlValue a = gen.Next();
    EncodeKey(a, &k);
    SqlValue back;
    bool prefer_real = a.type == SqlValue::Type::kReal;
    ASSERT_TRUE(DecodeKey(k, prefer_real, &back));
    if (a.type == SqlValue::Type::kReal && std::floor(a.r) == a.r && std::fabs(a.r) < 9.2e18 &&
        !KeyIsWholeNumber(k)) {
      FAIL() << "whole real " << a.r << " should be a whole-number key";
    }
    ASSERT_EQ(CompareSqlValues(a, back), 0) << "iteration " << iter;
    if (a.type == SqlValue::Type::kReal) {
      ASSERT_EQ(back.type, SqlValue::Type::kReal);
    }
    if (a.type == SqlValue::Type::kInteger) {
      ASSERT_EQ(back.type, SqlValue::Type::kInteger);
    }
  }
}

TEST(KeyCodec, EqualNumbersShareOneKey) {
  std::string a, b;
  EncodeKey(SqlValue::Integer(3), &a);
  EncodeKey(SqlValue::Real(3.0), &b);
  EXPECT_EQ(a, b);
  EncodeKey(SqlValue::Real(-0.0), &b);
  EXPECT_EQ(b, EncodeIntegerKey(0));
  EXPECT_EQ(EncodeIntegerKey(42).size(), 9u);
}

// DecodeIntegerKey is DecodeKey(key, false) restricted to INTEGER results,
// for encoded values and for arbitrary 9- and 11-byte numeric keys.
TEST(KeyCodec, DecodeIntegerKeyAgreesWithDecodeKey) {
  ValueGen gen(Seed());
  std::mt19937_64 rng(Seed());
  std::string k;
  for (int iter = 0; iter < 200000; ++iter) {
    if (iter % 2 == 0) {
      EncodeKey(gen.Next(), &k);
    } else {
      k.assign(1, static_cast<char>(kKeyTagNumber));
      uint64_t u = rng();
      for (int b = 0; b < 8; ++b) k.push_back(static_cast<char>(u >> (8 * b)));
      if (iter % 6 == 1) k += std::string("\x00\x01", 2);
      if (iter % 6 == 3) k[1] = static_cast<char>(0xc0 + rng() % 0x10);  // around small magnitudes
    }
    SqlValue v;
    bool want = DecodeKey(k, false, &v) && v.type == SqlValue::Type::kInteger;
    int64_t got = 0;
    ASSERT_EQ(DecodeIntegerKey(k, &got), want) << "iteration " << iter;
    if (want) {
      ASSERT_EQ(got, v.i) << "iteration " << iter;
    }
  }
  for (int64_t x : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{1} << 53, -(int64_t{1} << 53),
                    (int64_t{1} << 53) + 1, INT64_MAX, INT64_MIN}) {
    int64_t got = 0;
    ASSERT_TRUE(DecodeIntegerKey(EncodeIntegerKey(x), &got)) << x;
    ASSERT_EQ(got, x);
  }
  EncodeKey(SqlValue::Real(2.5), &k);
  int64_t got;
  EXPECT_FALSE(DecodeIntegerKey(k, &got));
  EncodeKey(SqlValue::Text("1"), &k);
  EXPECT_FALSE(DecodeIntegerKey(k, &got));
}

TEST(KeyCodec, RejectsMalformedKeys) {
  SqlValue v;
  EXPECT_FALSE(DecodeKey("", false, &v));
  EXPECT_FALSE(DecodeKey("\x7f", false, &v));
  EXPECT_FALSE(DecodeKey(std::string("\x11\x80", 2), false, &v));
  EXPECT_FALSE(DecodeKey(std::string("\x10\x01\x02", 3), false, &v));
}

// The documented limit (docs/vtab.md): a TEXT or BLOB key of page_size/4 - 1
// bytes encodes to exactly the engine's key limit, one byte more exceeds it.
TEST(KeyCodec, MaxKeyValueSizeIsTheEngineLimitLessTheTag) {
  EXPECT_EQ(MaxKeyValueSize(4096), 1023u);
  EXPECT_EQ(MaxKeyValueSize(8192), 2047u);
  EXPECT_EQ(MaxKeyValueSize(32768), 8191u);
  for (uint32_t page_size : {4096u, 8192u, 16384u, 32768u}) {
    const size_t engine_limit = std::min<size_t>(lightning::kMaxKeySize, page_size / 4);
    for (bool blob : {false, true}) {
      std::string bytes(MaxKeyValueSize(page_size), 'k'), key;
      EncodeKey(blob ? SqlValue::Blob(bytes) : SqlValue::Text(bytes), &key);
      EXPECT_EQ(key.size(), engine_limit);
      EXPECT_EQ(KeyValueSize(key), bytes.size());
      bytes.push_back('k');
      EncodeKey(blob ? SqlValue::Blob(bytes) : SqlValue::Text(bytes), &key);
      EXPECT_GT(key.size(), engine_limit);
    }
  }
}

}  // namespace
}  // namespace lightning::ext
