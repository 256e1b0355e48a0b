// FlameGraph: renders folded stacks as an SVG flame graph.
//
// The layout of Brendan Gregg's flamegraph.pl: the root ("all") at the
// bottom, each frame a box as wide as its share of the samples, children
// above their caller, sorted by name; a box's tooltip (<title>) gives the
// frame, its samples and share. Boxes narrower than 0.1 px are left out;
// labels are drawn where they fit. Colours are warm hues chosen from a hash
// of the name, so a function keeps its colour across graphs.
//
// No SQLite, no I/O besides writing the file. Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "lightning/status.h"

namespace lightning::ext {

// The SVG document for `stacks` (folded stack -> samples).
std::string RenderFlameGraph(const std::map<std::string, uint64_t>& stacks,
                             const std::string& title);

Status WriteFlameGraph(const std::string& path, const std::map<std::string, uint64_t>& stacks,
                       const std::string& title);

}  // namespace lightning::ext
