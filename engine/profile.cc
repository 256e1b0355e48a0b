#include "engine/profile.h"

namespace lightning {
namespace {

struct ComponentInfo {
  const char* name;
  const char* description;
};

constexpr ComponentInfo kComponents[] = {
    {"tree_search", "descending and stepping B+tree pages for gets, seeks and scan steps"},
    {"tree_update", "changing B+tree pages for puts and deletes (copy-on-write, insert, split, merge)"},
    {"cache_load", "cache misses: reading a page's extent, validating and caching it"},
    {"decompress", "decompressing pages read from disk"},
    {"compress", "compressing pages written by checkpoints"},
    {"checksum", "XXH3 checksums of page extents, WAL records and superblocks"},
    {"wal_append", "encoding WAL records and writing them to the log"},
    {"fsync", "fsync/fdatasync of the WAL and the data file"},
    {"checkpoint", "checkpoint and compaction work outside the components above (placing and writing "
                   "extents, the page table and superblock, moving extents)"},
    {"unattributed", "time inside measured operations that no component above claims"},
};
static_assert(sizeof(kComponents) / sizeof(kComponents[0]) == ProfileStats::kComponents);

constexpr const char* kOpNames[] = {"get", "put", "delete", "seek", "scan_step",
                                    "commit", "checkpoint", "compact"};
static_assert(sizeof(kOpNames) / sizeof(kOpNames[0]) == ProfileStats::kOps);

}  // namespace

const char* ProfileComponentName(ProfileComponent c) { return kComponents[static_cast<int>(c)].name; }
const char* ProfileComponentDescription(ProfileComponent c) {
  return kComponents[static_cast<int>(c)].description;
}
const char* ProfileOpName(ProfileOp op) { return kOpNames[static_cast<int>(op)]; }

void ProfileStats::Reset() {
  for (auto& n : nanos_) n.store(0, std::memory_order_relaxed);
  for (auto& n : total_) n.store(0, std::memory_order_relaxed);
  for (auto& n : measured_) n.store(0, std::memory_order_relaxed);
}

std::vector<ProfileRow> ProfileReport(const ProfileStats& stats) {
  double total = 0;
  uint64_t total_measured = 0;
  for (int o = 0; o < ProfileStats::kOps; o++) {
    const auto op = static_cast<ProfileOp>(o);
    total += static_cast<double>(stats.total(op)) * ProfileStats::Scale(op) / 1e9;
    total_measured += stats.measured(op);
  }
  const std::string sampled_method = "point operations: 1 in " +
                                     std::to_string(LatencyStats::kSampleEvery) +
                                     " per thread and kind, scaled up; commits, checkpoints: every one";
  std::vector<ProfileRow> rows;
  for (int c = 0; c < ProfileStats::kComponents; c++) {
    const auto comp = static_cast<ProfileComponent>(c);
    ProfileRow row;
    row.component = ProfileComponentName(comp);
    row.description = ProfileComponentDescription(comp);
    row.method = sampled_method;
    for (int o = 0; o < ProfileStats::kOps; o++) {
      const auto op = static_cast<ProfileOp>(o);
      const uint64_t n = stats.nanos(op, comp);
      row.seconds += static_cast<double>(n) * ProfileStats::Scale(op) / 1e9;
      if (n > 0) row.measured += stats.measured(op);
    }
    row.share = total > 0 ? row.seconds / total : 0;
    rows.push_back(std::move(row));
  }
  ProfileRow sum;
  sum.component = "total";
  sum.seconds = total;
  sum.share = total > 0 ? 1.0 : 0.0;
  sum.measured = total_measured;
  sum.method = sampled_method;
  sum.description =
      "wall time of the measured operations (gets, puts, deletes, seeks, scan steps, commits, "
      "checkpoints, compactions) from entry to exit";
  rows.push_back(std::move(sum));
  return rows;
}

}  // namespace lightning
