// The CPU sampler's Symbolizer names addresses from the symbol tables of the
// loaded objects and from their separate debug files (libdwfl): hidden and
// static functions, and libc's internal functions when libc6-dbg is installed.
#include "ext/diagnostics/cpu_sampler.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace lightning::ext {
namespace {

// Not exported (anonymous namespace): only .symtab names it.
__attribute__((noinline)) int SampledFunctionForTest(int x) {
  asm volatile("" ::: "memory");
  return x * 3 + 1;
}

TEST(SymbolizerTest, NamesAStaticFunctionOfThisProgram) {
  Symbolizer symbols;
  const auto pc = reinterpret_cast<uintptr_t>(&SampledFunctionForTest);
  const std::string name = symbols.Name(pc + 1);
  EXPECT_EQ(name, "lightning::ext::(anonymous namespace)::SampledFunctionForTest");
  EXPECT_EQ(symbols.Name(pc + 1), name);  // cached, same answer
  EXPECT_EQ(SampledFunctionForTest(1), 4);
}

TEST(SymbolizerTest, NamesLibcInternalsFromItsDebugFile) {
  // memcpy is an IFUNC: dlsym returns the variant picked for this CPU
  // (__memmove_avx_unaligned_erms, __memcpy_sse2_unaligned, ...), a local
  // symbol that only libc's debug file (libc6-dbg) names.
  void* chosen = dlsym(RTLD_DEFAULT, "memcpy");
  ASSERT_NE(chosen, nullptr);
  Symbolizer symbols;
  const std::string name = symbols.Name(reinterpret_cast<uintptr_t>(chosen) + 4);
  EXPECT_TRUE(std::regex_search(name, std::regex("^__mem(cpy|move)_")))
      << "memcpy's implementation named '" << name
      << "': is libc6-dbg installed (scripts/setup.sh installs it)?";
}

TEST(SymbolizerTest, ExportedNamesCarryNoSymbolVersion) {
  void* start = dlsym(RTLD_DEFAULT, "__libc_start_main");  // "__libc_start_main@@GLIBC_2.34"
  ASSERT_NE(start, nullptr);
  Symbolizer symbols;
  EXPECT_EQ(symbols.Name(reinterpret_cast<uintptr_t>(start) + 1), "__libc_start_main");
}

TEST(SymbolizerTest, AnAddressOutsideEveryObjectIsUnknown) {
  Symbolizer symbols;
  EXPECT_EQ(symbols.Name(16), "[unknown]");
}

}  // namespace
}  // namespace lightning::ext
