// options_doc: docs/options.md's option table, generated from AllOptions().
//
//   options_doc --check docs/options.md   exit 1 (and say what differs) when the
//                                        file's table is not the generated one
//   options_doc --write docs/options.md   replace the table in the file
//
// The table sits between the two marker lines below; the rest of the file is
// prose. ctest runs --check (engine_options_doc); `cmake --build build
// --target update_options_doc` runs --write.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "lightning/options.h"

namespace {

constexpr char kBegin[] = "<!-- options table: generated from AllOptions() by options_doc -->\n";
constexpr char kEnd[] = "<!-- end of generated table -->\n";

int Usage() {
  std::fprintf(stderr, "usage: options_doc --check|--write FILE\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) return Usage();
  const bool write = std::strcmp(argv[1], "--write") == 0;
  if (!write && std::strcmp(argv[1], "--check") != 0) return Usage();
  std::ifstream in(argv[2]);
  if (!in) {
    std::fprintf(stderr, "options_doc: cannot read %s\n", argv[2]);
    return 2;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  const size_t begin = text.find(kBegin), end = text.find(kEnd);
  if (begin == std::string::npos || end == std::string::npos || end < begin) {
    std::fprintf(stderr, "options_doc: %s lacks the marker lines around the option table\n",
                 argv[2]);
    return 2;
  }
  const size_t from = begin + std::strlen(kBegin);
  const std::string current = text.substr(from, end - from);
  const std::string generated = lightning::OptionsMarkdown();
  if (!write) {
    if (current == generated) return 0;
    std::fprintf(stderr,
                 "options_doc: the option table of %s differs from AllOptions() "
                 "(engine/options.cc); regenerate it with `cmake --build build --target "
                 "update_options_doc`.\n--- in the file:\n%s--- generated:\n%s",
                 argv[2], current.c_str(), generated.c_str());
    return 1;
  }
  std::ofstream out(argv[2], std::ios::trunc);
  out << text.substr(0, from) << generated << text.substr(end);
  return out ? 0 : 2;
}
