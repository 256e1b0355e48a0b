#include "engine/profile.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace lightning {
namespace {

struct ComponentInfo {
  const char* name;
  const char* description;
};

constexpr ComponentInfo kComponents[] = {
    {"tree_search", "descending and stepping B+tree pages for gets, seeks and scan steps"},
    {"tree_update",
     "changing B+tree pages for puts and deletes (copy-on-write, insert, split, merge)"},
    {"cache_load", "cache misses: reading a page's extent, validating and caching it"},
    {"decompress", "decompressing pages read from disk"},
    {"compress", "compressing pages written by checkpoints"},
    {"checksum", "XXH3 checksums of page extents, WAL records and superblocks"},
    {"wal_append", "encoding WAL records and writing them to the log"},
    {"fsync", "fsync/fdatasync of the WAL and the data file"},
    {"checkpoint",
     "checkpoint and compaction work outside the components above (placing and writing "
     "extents, the page table and superblock, moving extents)"},
    {"unattributed",
     "time inside measured commits, checkpoints and compactions that no component above "
     "claims (point operations count their own bookkeeping in their tree component)"},
};
static_assert(sizeof(kComponents) / sizeof(kComponents[0]) == ProfileStats::kComponents);

constexpr const char* kOpNames[] = {"get",       "put",    "delete",     "seek",
                                    "scan_step", "commit", "checkpoint", "compact"};
static_assert(sizeof(kOpNames) / sizeof(kOpNames[0]) == ProfileStats::kOps);

}  // namespace

namespace {

std::atomic<uint32_t> g_stripes_in_use{0};  // bit i: stripe i belongs to a live thread

// Gives the thread's stripe back when the thread exits.
struct StripeOwner {
  ~StripeOwner() {
    if (t_stripe < kOwnedStripes)
      g_stripes_in_use.fetch_and(~(1u << t_stripe), std::memory_order_release);
  }
};

}  // namespace

uint32_t AssignThreadStripe() {
  thread_local StripeOwner owner;  // registers the release at thread exit
  (void)owner;
  uint32_t used = g_stripes_in_use.load(std::memory_order_relaxed);
  for (;;) {
    const uint32_t free = ~used & ((1u << kOwnedStripes) - 1);
    if (free == 0) return t_stripe = kOwnedStripes;  // shared stripe, atomic adds
    const uint32_t bit = static_cast<uint32_t>(__builtin_ctz(free));
    if (g_stripes_in_use.compare_exchange_weak(used, used | (1u << bit),
                                               std::memory_order_acquire)) {
      return t_stripe = bit;
    }
  }
}

const char* ProfileComponentName(ProfileComponent c) {
  return kComponents[static_cast<int>(c)].name;
}
const char* ProfileComponentDescription(ProfileComponent c) {
  return kComponents[static_cast<int>(c)].description;
}
const char* ProfileOpName(ProfileOp op) { return kOpNames[static_cast<int>(op)]; }

const TscClock& CalibratedTsc() {
  static const TscClock clock = [] {
    TscClock c;
#if defined(__x86_64__)
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    // CPUID 0x80000007 EDX bit 8: the TSC runs at a constant rate in every
    // power state and is synchronised across cores.
    if (!__get_cpuid(0x80000007, &eax, &ebx, &ecx, &edx) || (edx & (1u << 8)) == 0) return c;
    // Count ticks over 2 ms of steady_clock, taking the clock reads that
    // bracket the interval as close to their TSC reads as possible.
    const uint64_t t0 = NowNanos(), c0 = __builtin_ia32_rdtsc();
    uint64_t t1 = t0, c1 = c0;
    while (t1 - t0 < 2'000'000) {
      t1 = NowNanos();
      c1 = __builtin_ia32_rdtsc();
    }
    if (c1 <= c0) return c;
    c.nanos_per_tick = static_cast<double>(t1 - t0) / static_cast<double>(c1 - c0);
    c.base_ticks = c1;
    c.base_nanos = t1;
    c.usable = true;
#endif
    return c;
  }();
  return clock;
}

uint64_t ClockReadNanos() {
  static const uint64_t cost = [] {
    uint64_t best = UINT64_MAX;
    for (int round = 0; round < 5; round++) {
      const uint64_t t0 = ProfileNanos();
      for (int i = 0; i < 200; i++) (void)ProfileNanos();
      const uint64_t t1 = ProfileNanos();
      best = std::min<uint64_t>(best, (t1 - t0) / 201);
    }
    return best;
  }();
  return cost;
}

void ProfileStats::Reset() {
  for (Stripe& s : stripes_) {
    for (auto& n : s.nanos) n.store(0, std::memory_order_relaxed);
    for (auto& n : s.total) n.store(0, std::memory_order_relaxed);
    for (auto& n : s.measured) n.store(0, std::memory_order_relaxed);
  }
}

std::vector<ProfileRow> ProfileReport(const ProfileStats& stats) {
  double total = 0;
  uint64_t total_measured = 0;
  for (int o = 0; o < ProfileStats::kOps; o++) {
    const auto op = static_cast<ProfileOp>(o);
    total += static_cast<double>(stats.total(op)) * ProfileStats::Scale(op) / 1e9;
    total_measured += stats.measured(op);
  }
  const std::string sampled_method =
      "gets, puts, deletes, seeks: 1 in " + std::to_string(LatencyStats::kSampleEvery) +
      " per thread and kind; scan steps: 1 in " + std::to_string(LatencyStats::kStepSampleEvery) +
      " per cursor; scaled up; commits, checkpoints, compactions: every one";
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
