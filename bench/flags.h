// Command-line flags of the bench tools, parsed by CLI11 (libcli11-dev).
//
//   CLI::App app("engine_bench: ...");
//   app.add_option("--num", c.num, "keys in the core workloads (1000000)")
//       ->check(CLI::Range(1ull, 1ull << 32));
//   app.add_option("--cache_size", c.cache_size, "cache of every engine (256MB)")
//       ->transform(ByteSize());
//   if (int rc = ParseCommandLine(app, argc, argv); rc >= 0) return rc;
//
// Every flag takes "--name value" and "--name=value". An unknown flag, a
// missing or malformed value, or a stray argument stops the tool with exit
// code 2 and a message naming the flag; --help prints every flag and exits 0.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <string>

#include "bench/bench_util.h"

namespace lightning_bench {

// A byte size ("4096", "512k", "64MB", "1GiB"; powers of 1024), turned into
// the number of bytes for an unsigned integer option.
inline CLI::Validator ByteSize() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        uint64_t bytes = 0;
        if (!ParseByteSize(text, &bytes))
          return "'" + text + "' is not a size (examples: 4096, 512k, 64MB, 1GiB)";
        text = std::to_string(bytes);
        return "";
      },
      "SIZE");
}

// Parses argv into the options of `app`. Returns -1 to go on, or the exit
// code to return at once: 0 after --help (printed on stdout), 2 after a bad
// command line (the reason, and a pointer to --help, on stderr).
inline int ParseCommandLine(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    app.exit(e);
    return 0;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: %s\nRun with --help for every flag.\n", app.get_name().c_str(),
                 e.what());
    return 2;
  }
  return -1;
}

}  // namespace lightning_bench
