// The CPU sampler's Symbolizer names addresses from the symbol tables of the
// loaded objects and from their separate debug files (libdwfl): hidden and
// static functions, and libc's internal functions when libc6-dbg is installed.
#include "ext/diagnostics/cpu_sampler.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <regex>
#include <string>
#include <thread>

#include "tests/engine/test_util.h"

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
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "ASan replaces memcpy with its interceptor";
#endif
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

// Symbolises, in a child process started with DEBUGINFOD_URLS set (libdw
// reads it when it loads), an address in libstdc++: a stripped library
// (no .symtab) without a debug file here, the case where libdw's standard
// search would go on to the network.
TEST(SymbolizerTest, ChildWithDebuginfodUrls) {
  if (std::getenv("LIGHTNING_SYMBOLIZER_CHILD") == nullptr) GTEST_SKIP() << "child only";
  void* terminate = dlsym(RTLD_DEFAULT, "_ZSt9terminatev");
  ASSERT_NE(terminate, nullptr);
  Symbolizer symbols;
  EXPECT_EQ(symbols.Name(reinterpret_cast<uintptr_t>(terminate) + 1), "std::terminate");
}

TEST(SymbolizerTest, NeverAsksADebuginfodServer) {
  // A "server" that counts connections and answers none.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 16), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::atomic<bool> done{false};
  std::atomic<int> connections{0};
  std::thread server([&] {
    while (!done.load()) {
      pollfd p{listener, POLLIN, 0};
      if (::poll(&p, 1, 50) == 1) {
        const int c = ::accept(listener, nullptr, nullptr);
        if (c >= 0) ::close(c);
        connections++;
      }
    }
  });
  test::TempDir cache;
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  ::setenv("DEBUGINFOD_URLS", url.c_str(), 1);
  ::setenv("DEBUGINFOD_CACHE_PATH", cache.path().c_str(), 1);
  ::setenv("LIGHTNING_SYMBOLIZER_CHILD", "1", 1);
  std::string out;
  const int status = test::RunSelf({"--gtest_filter=SymbolizerTest.ChildWithDebuginfodUrls"}, &out);
  ::unsetenv("DEBUGINFOD_URLS");
  ::unsetenv("DEBUGINFOD_CACHE_PATH");
  ::unsetenv("LIGHTNING_SYMBOLIZER_CHILD");
  done = true;
  server.join();
  ::close(listener);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
  EXPECT_NE(out.find("[       OK ] SymbolizerTest.ChildWithDebuginfodUrls"), std::string::npos)
      << out;
  EXPECT_EQ(connections.load(), 0) << "the symbolizer asked " << url << " for debug files";
}

TEST(SymbolizerTest, AnAddressOutsideEveryObjectIsUnknown) {
  Symbolizer symbols;
  EXPECT_EQ(symbols.Name(16), "[unknown]");
}

}  // namespace
}  // namespace lightning::ext
