#include "lightning/presets.h"

#include <strings.h>

#include <string>

namespace lightning {
namespace {

const std::vector<Preset> kPresets = {
    {"read_heavy",
     "most operations are point lookups and scans of data that should stay in memory",
     {{"cache_size", "512MiB",
       "keep the working set cached: a hit takes no lock and no system call"},
      {"compression", "none", "a cache miss then costs a read and no decompression"},
      {"max_readers", "4096",
       "room for many concurrent read transactions (applies at next open)"}}},
    {"write_heavy",
     "sustained inserts and updates, ideally in batches of many rows per transaction",
     {{"checkpoint_wal_size", "256MiB",
       "fewer checkpoints; a page changed many times is written once"},
      {"checkpoint_dirty_size", "128MiB", "same, bounded by 3/4 of cache_size"},
      {"cache_size", "512MiB", "dirty pages wait in the cache for the checkpoint"},
      {"compression", "lz4", "fewer bytes written per checkpoint for little CPU"},
      {"io", "io_uring", "checkpoint writes submitted as one batch (applies at next open)"}}},
    {"mixed",
     "reads and writes in similar measure; a balanced starting point",
     {{"cache_size", "256MiB", "a larger cache than the 64MiB default"},
      {"checkpoint_wal_size", "64MiB", "the default"},
      {"checkpoint_dirty_size", "32MiB", "the default"},
      {"compression", "lz4", "smaller file and fewer bytes read per miss for little CPU"}}},
    {"oltp",
     "many short transactions, each of which must be durable when it returns",
     {{"sync", "full",
       "every commit durable before it returns; concurrent commits share one fsync"},
      {"busy_timeout", "10000",
       "under bursts writers queue for the writer lock instead of failing"},
      {"cache_size", "256MiB", "keep hot rows cached"},
      {"checkpoint_wal_size", "32MiB", "smaller checkpoints: the commit that runs one waits less"},
      {"compression", "none", "no compression work inside the checkpoints commits trigger"}}},
    {"olap",
     "large scans and aggregates over data loaded in bulk",
     {{"cache_size", "1GiB", "hold as much of the scanned data as possible"},
      {"compression", "zstd", "fewer bytes read per page miss"},
      {"compression_level", "3", "a better ratio than level 1 for data written once"},
      {"checkpoint_wal_size", "256MiB", "bulk loads checkpoint less often"},
      {"io", "io_uring", "checkpoint writes submitted as one batch (applies at next open)"}}},
    {"timeseries",
     "append-mostly data with time-ordered keys, where recent rows are read most",
     {{"compression", "zstd", "time-ordered rows compress well and old pages are read rarely"},
      {"compression_level", "3", "a better ratio for pages written once"},
      {"checkpoint_wal_size", "256MiB", "appends checkpoint less often"},
      {"checkpoint_dirty_size", "64MiB", "more appended pages per checkpoint"},
      {"sync", "normal",
       "fsync at checkpoints only: power loss can lose the commits since the last checkpoint "
       "(never "
       "corrupt the store); use when the data can be ingested again"}}},
    {"cache",
     "a cache of data that can be rebuilt from elsewhere: speed over durability",
     {{"sync", "off", "never fsync: an OS crash or power loss can lose recent commits"},
      {"checksum", "off", "no checksum work on pages written; damage goes undetected"},
      {"compression", "none", "no codec work"},
      {"cache_size", "512MiB", "serve from memory"},
      {"checkpoint_wal_size", "256MiB", "checkpoint less often"}}},
    {"low_memory",
     "small machines, or many stores in one process",
     {{"cache_size", "8MiB", "bound the page cache"},
      {"checkpoint_dirty_size", "2MiB", "dirty pages (which cannot be evicted) stay few"},
      {"checkpoint_wal_size", "16MiB", "a smaller WAL between checkpoints"},
      {"compression", "lz4", "more data per byte read; the cache still holds pages uncompressed"},
      {"max_readers", "128", "a smaller reader table (applies at next open)"}}},
    {"ssd",
     "SATA or SAS solid-state drives",
     {{"io", "pread", "the synchronous path (applies at next open)"},
      {"compression", "lz4", "fewer bytes written, so less wear, for little CPU"},
      {"checkpoint_wal_size", "64MiB", "the default"}}},
    {"nvme",
     "NVMe drives, where the device is rarely the bottleneck",
     {{"io", "io_uring", "checkpoint writes submitted as one batch (applies at next open)"},
      {"compression", "none", "no codec work: the device outpaces it"},
      {"checkpoint_dirty_size", "64MiB", "larger checkpoint batches"},
      {"checkpoint_wal_size", "128MiB", "larger checkpoint batches"}}},
};

}  // namespace

const std::vector<Preset>& AllPresets() { return kPresets; }

const Preset* FindPreset(std::string_view name) {
  for (const Preset& p : kPresets) {
    if (name.size() == std::char_traits<char>::length(p.name) &&
        strncasecmp(p.name, name.data(), name.size()) == 0)
      return &p;
  }
  return nullptr;
}

}  // namespace lightning
