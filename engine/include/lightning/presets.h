// Presets: named bundles of options for common workloads.
//
// A preset only sets options (engine/options.h); it changes nothing the
// option table could not. Each setting carries the reason it is in the
// bundle, and each preset says when to use it. No preset claims a speed-up:
// measure with lightning_stats/lightning_latency before and after.
//
// Values are absolute (cache_size = 256MiB, not "a quarter of RAM"): check
// them against the machine. page_size is never part of a preset, because it
// is fixed when a store is created.
//
// Thread safety: the table is immutable.
#pragma once

#include <string_view>
#include <vector>

namespace lightning {

struct PresetSetting {
  const char* option;
  const char* value;
  const char* why;
};

struct Preset {
  const char* name;
  const char* when_to_use;
  std::vector<PresetSetting> settings;
};

// Every preset, in a stable order: read_heavy, write_heavy, mixed, oltp,
// olap, timeseries, cache, low_memory, ssd, nvme.
const std::vector<Preset>& AllPresets();
// The preset named `name` (case-insensitive), or nullptr.
const Preset* FindPreset(std::string_view name);

}  // namespace lightning
