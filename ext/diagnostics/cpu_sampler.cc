#include "ext/diagnostics/cpu_sampler.h"

#include <cxxabi.h>
#include <elfutils/libdwfl.h>
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

namespace lightning::ext {
namespace {

constexpr int kMaxDepth = 64;
constexpr uint64_t kCapacity = 1 << 14;  // samples: 16 s of CPU at 1000 Hz, about 8 MiB
constexpr int kSkipFrames = 2;           // the handler and the kernel's signal trampoline

struct Slot {
  std::atomic<int> depth;
  void* pcs[kMaxDepth];
};

std::mutex g_mu;  // Start/Stop
Slot* g_slots = nullptr;
std::atomic<bool> g_active{false};
std::atomic<int> g_in_handler{0};
std::atomic<uint64_t> g_next{0}, g_dropped{0};
bool g_running = false;
bool g_handler_installed = false;
struct sigaction g_previous;  // the host's SIGPROF action before the first Start
std::chrono::steady_clock::time_point g_started;
int g_hz = 0;

void OnSigprof(int, siginfo_t*, void*) {
  const int saved_errno = errno;
  g_in_handler.fetch_add(1);
  if (g_active.load()) {
    const uint64_t i = g_next.fetch_add(1, std::memory_order_relaxed);
    if (i < kCapacity) {
      Slot& s = g_slots[i];
      s.depth.store(backtrace(s.pcs, kMaxDepth), std::memory_order_release);
    } else {
      g_dropped.fetch_add(1, std::memory_order_relaxed);
    }
  }
  g_in_handler.fetch_sub(1);
  errno = saved_errno;
}

// "ns::Class::method" from a mangled name: demangled, argument list dropped,
// ';' (the folded-stack separator) replaced.
std::string CleanName(const std::string& mangled) {
  int status = 0;
  char* d = abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status);
  std::string name = status == 0 && d ? d : mangled;
  std::free(d);
  int angle = 0, brace = 0;
  for (size_t i = 0; i < name.size(); i++) {
    if (name.compare(i, 21, "(anonymous namespace)") == 0) {
      i += 20;
      continue;
    }
    const char c = name[i];
    if (c == '<') angle++;
    if (c == '>' && angle > 0) angle--;
    if (c == '{') brace++;
    if (c == '}' && brace > 0) brace--;
    if (c == '(' && angle == 0 && brace == 0 && i > 0) {
      name.resize(i);
      break;
    }
  }
  // A symbol version ("__libc_start_main@@GLIBC_2.34") is not part of the name.
  if (const size_t at = name.find('@'); at != std::string::npos && at > 0) name.resize(at);
  std::replace(name.begin(), name.end(), ';', ':');
  return name;
}

}  // namespace

// ---- symbols, through elfutils' libdwfl

namespace {

// Separate debug files by build ID under /usr/lib/debug/.build-id (Debian's
// -dbg and -dbgsym packages), and nowhere else. dwfl_standard_find_debuginfo
// would also ask the debuginfod servers of DEBUGINFOD_URLS (Debian sets it
// in login shells) over the network, stalling lightning_profile_stop().
int FindLocalDebuginfo(Dwfl_Module* module, void**, const char*, Dwarf_Addr, const char*,
                       const char*, GElf_Word, char** debuginfo_file_name) {
  const unsigned char* id = nullptr;
  GElf_Addr vaddr = 0;
  const int len = dwfl_module_build_id(module, &id, &vaddr);
  if (len < 2) return -1;
  std::string path = "/usr/lib/debug/.build-id/";
  for (int i = 0; i < len; i++) {
    char hex[3];
    std::snprintf(hex, sizeof hex, "%02x", id[i]);
    path += hex;
    if (i == 0) path += '/';
  }
  path += ".debug";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) *debuginfo_file_name = ::strdup(path.c_str());
  return fd;
}

}  // namespace

Symbolizer::Symbolizer() {
  static const Dwfl_Callbacks kCallbacks = {
      .find_elf = dwfl_linux_proc_find_elf,
      .find_debuginfo = FindLocalDebuginfo,
      .section_address = nullptr,
      .debuginfo_path = nullptr,
  };
  dwfl_ = dwfl_begin(&kCallbacks);
  if (dwfl_ == nullptr) return;
  dwfl_report_begin(dwfl_);
  const int rc = dwfl_linux_proc_report(dwfl_, ::getpid());
  if (dwfl_report_end(dwfl_, nullptr, nullptr) != 0 || rc != 0) {
    dwfl_end(dwfl_);
    dwfl_ = nullptr;
  }
}

Symbolizer::~Symbolizer() {
  if (dwfl_ != nullptr) dwfl_end(dwfl_);
}

std::string Symbolizer::Name(uintptr_t pc) {
  auto it = cache_.find(pc);
  if (it != cache_.end()) return it->second;
  std::string name = Lookup(pc);
  cache_.emplace(pc, name);
  return name;
}

std::string Symbolizer::Lookup(uintptr_t pc) {
  Dwfl_Module* module = dwfl_ ? dwfl_addrmodule(dwfl_, pc) : nullptr;
  if (module == nullptr) return "[unknown]";
  GElf_Off offset = 0;
  GElf_Sym sym;
  const char* symbol = dwfl_module_addrinfo(module, pc, &offset, &sym, nullptr, nullptr, nullptr);
  // The closest symbol below pc counts only if pc lies inside it (or it has no size).
  if (symbol != nullptr && (sym.st_size == 0 || offset < sym.st_size)) return CleanName(symbol);
  Dwarf_Addr start = 0;
  const char* path =
      dwfl_module_info(module, nullptr, &start, nullptr, nullptr, nullptr, nullptr, nullptr);
  std::string file = path ? path : "?";
  const size_t slash = file.rfind('/');
  char buf[32];
  std::snprintf(buf, sizeof buf, "+0x%lx", static_cast<unsigned long>(pc - start));
  return "[" + file.substr(slash == std::string::npos ? 0 : slash + 1) + buf + "]";
}

Status CpuSampler::Start(int hz) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_running)
    return Status::Busy("a CPU profile is already running (lightning_profile_stop() ends it)");
  if (hz < 1 || hz > 10000)
    return Status::InvalidArgument("sampling rate must be 1 to 10000 Hz, got " +
                                   std::to_string(hz));
  g_slots = static_cast<Slot*>(std::calloc(kCapacity, sizeof(Slot)));
  if (g_slots == nullptr) return Status::NoMemory("cannot allocate the sample buffer");
  void* warm[4];
  (void)backtrace(warm, 4);  // loads the unwinder now, not inside the first signal
  g_next.store(0);
  g_dropped.store(0);
  if (!g_handler_installed) {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = OnSigprof;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPROF, &sa, &g_previous) != 0) {
      std::free(g_slots);
      g_slots = nullptr;
      return Status::IOError(std::string("sigaction(SIGPROF): ") + std::strerror(errno));
    }
    g_handler_installed = true;
  }
  g_active.store(true);
  struct itimerval timer;
  timer.it_interval.tv_sec = 0;
  timer.it_interval.tv_usec = hz == 1 ? 999999 : 1000000 / hz;
  timer.it_value = timer.it_interval;
  if (setitimer(ITIMER_PROF, &timer, nullptr) != 0) {
    g_active.store(false);
    return Status::IOError(std::string("setitimer(ITIMER_PROF): ") + std::strerror(errno));
  }
  g_running = true;
  g_hz = hz;
  g_started = std::chrono::steady_clock::now();
  return Status::OK();
}

Status CpuSampler::Stop(CpuProfile* profile) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_running)
    return Status::NotFound("no CPU profile is running (lightning_profile_start(path) starts one)");
  struct itimerval off;
  std::memset(&off, 0, sizeof off);
  (void)setitimer(ITIMER_PROF, &off, nullptr);
  g_active.store(false);
  for (int i = 0; i < 1000 && g_in_handler.load() != 0; i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  g_running = false;
  // A host that had its own SIGPROF handler gets it back; otherwise ours
  // stays, idle (g_active is false), so a late signal never kills the process.
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    (void)sigaction(SIGPROF, &g_previous, nullptr);
    g_handler_installed = false;
  }
  *profile = CpuProfile();
  profile->hz = g_hz;
  profile->seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - g_started).count();
  profile->dropped = g_dropped.load();
  const uint64_t n = std::min<uint64_t>(g_next.load(), kCapacity);
  Symbolizer symbols;
  for (uint64_t i = 0; i < n; i++) {
    const Slot& s = g_slots[i];
    const int depth = s.depth.load(std::memory_order_acquire);
    if (depth <= kSkipFrames) continue;
    std::string stack;
    for (int f = depth - 1; f >= kSkipFrames; f--) {
      // Frames above the interrupted one hold return addresses: look up the call.
      const uintptr_t pc = reinterpret_cast<uintptr_t>(s.pcs[f]) - (f > kSkipFrames ? 1 : 0);
      if (!stack.empty()) stack += ';';
      stack += symbols.Name(pc);
    }
    profile->stacks[stack]++;
    profile->samples++;
  }
  std::free(g_slots);
  g_slots = nullptr;
  return Status::OK();
}

bool CpuSampler::running() {
  std::lock_guard<std::mutex> lock(g_mu);
  return g_running;
}

Status WriteFoldedStacks(const std::string& path, const CpuProfile& profile) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  for (const auto& [stack, count] : profile.stacks) out << stack << ' ' << count << '\n';
  out.close();
  if (!out) return Status::IOError("cannot write " + path);
  return Status::OK();
}

}  // namespace lightning::ext
