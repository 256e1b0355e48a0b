#include "ext/vtab/record.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "ext/vtab/key_codec.h"
#include "tests/common/random.h"

namespace lightning::ext {
namespace {

bool Same(const SqlValue& a, const SqlValue& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case SqlValue::Type::kNull:
      return true;
    case SqlValue::Type::kInteger:
      return a.i == b.i;
    case SqlValue::Type::kReal:
      return std::memcmp(&a.r, &b.r, sizeof a.r) == 0;
    default:
      return a.bytes == b.bytes;
  }
}

TEST(Record, RoundTripRandomRows) {
  // A new seed each run, printed; LIGHTNING_SEED repeats one.
  lightning::test::Rng rng(lightning::test::SeedFromEnv(std::random_device{}()));
  std::vector<std::string> storage(64);
  std::string rec;
  for (int iter = 0; iter < 20000; ++iter) {
    size_t n = rng() % 12;
    std::vector<SqlValue> row(n);
    for (size_t c = 0; c < n; ++c) {
      switch (rng() % 6) {
        case 0:
          row[c] = SqlValue::Null();
          break;
        case 1: {
          int shift = static_cast<int>(rng() % 64);
          row[c] = SqlValue::Integer(static_cast<int64_t>(rng()) >> shift);
          break;
        }
        case 2: {
          uint64_t u = rng();
          double d;
          std::memcpy(&d, &u, sizeof d);
          row[c] = SqlValue::Real(d);
          break;
        }
        case 3:
        case 4: {
          storage[c].assign(rng() % (rng() % 4 == 0 ? 300 : 5), static_cast<char>(rng()));
          row[c] = rng() % 2 ? SqlValue::Text(storage[c]) : SqlValue::Blob(storage[c]);
          break;
        }
        default:
          row[c] = SqlValue::Integer(static_cast<int64_t>(rng() % 3));
      }
    }
    uint8_t flags = rng() % 2 ? kRecordKeyIsReal : 0;
    EncodeRecord(row, flags, &rec);
    RecordReader reader;
    ASSERT_TRUE(reader.Parse(rec));
    ASSERT_EQ(reader.size(), n);
    ASSERT_EQ(reader.flags(), flags);
    for (size_t c = 0; c < n; ++c) {
      SqlValue v = reader.Column(c);
      if (row[c].type == SqlValue::Type::kReal && std::isnan(row[c].r)) {
        ASSERT_TRUE(v.type == SqlValue::Type::kReal && std::isnan(v.r));
        continue;
      }
      ASSERT_TRUE(Same(row[c], v)) << "iteration " << iter << " column " << c;
    }
    EXPECT_TRUE(reader.Column(n + 3).is_null());
  }
}

TEST(Record, IntegersUseFewBytes) {
  std::string rec;
  std::vector<SqlValue> row = {SqlValue::Integer(0), SqlValue::Integer(1), SqlValue::Integer(-1),
                               SqlValue::Integer(300)};
  EncodeRecord(row, 0, &rec);
  EXPECT_EQ(rec.size(), 1u + 1u + 4u + 0 + 0 + 1 + 2);
  for (int64_t v : {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                    int64_t{-128}, int64_t{127}, int64_t{-129}, int64_t{128}}) {
    EncodeRecord({SqlValue::Integer(v)}, 0, &rec);
    RecordReader r;
    ASSERT_TRUE(r.Parse(rec));
    EXPECT_EQ(r.Column(0).i, v);
  }
}

TEST(Record, RejectsTruncatedRecords) {
  std::string rec;
  std::string text = "hello world";
  EncodeRecord({SqlValue::Text(text), SqlValue::Integer(123456)}, 0, &rec);
  RecordReader r;
  for (size_t len = 0; len < rec.size(); ++len)
    EXPECT_FALSE(r.Parse(std::string_view(rec).substr(0, len)));
  EXPECT_TRUE(r.Parse(rec));
  EXPECT_FALSE(r.Parse(rec + "x"));
}

}  // namespace
}  // namespace lightning::ext
