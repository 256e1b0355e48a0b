#include "ext/diagnostics/cpu_sampler.h"

#include <cxxabi.h>
#include <dlfcn.h>
#include <elf.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
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

// ---- symbols

struct Symbol {
  uintptr_t start, size;
  std::string name;
};

struct Object {
  std::string path;  // file to read symbols from ("" if none)
  uintptr_t bias = 0;
  std::vector<std::pair<uintptr_t, uintptr_t>> ranges;  // loaded segments [lo, hi)
  std::vector<Symbol> symbols;                          // sorted by start
  bool loaded = false;
};

int CollectObject(dl_phdr_info* info, size_t, void* data) {
  auto* objects = static_cast<std::vector<Object>*>(data);
  Object o;
  o.path = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : "/proc/self/exe";
  o.bias = info->dlpi_addr;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_LOAD)
      o.ranges.emplace_back(o.bias + ph.p_vaddr, o.bias + ph.p_vaddr + ph.p_memsz);
  }
  objects->push_back(std::move(o));
  return 0;
}

// Reads the function symbols of an ELF file: .symtab when present (it names
// hidden and static functions too), else .dynsym.
void LoadSymbols(Object* o) {
  o->loaded = true;
  const int fd = ::open(o->path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof(Elf64_Ehdr))) {
    ::close(fd);
    return;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return;
  const char* base = static_cast<const char*>(map);
  const auto* eh = reinterpret_cast<const Elf64_Ehdr*>(base);
  const bool ok = std::memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 &&
                  eh->e_ident[EI_CLASS] == ELFCLASS64 && eh->e_shoff > 0 &&
                  eh->e_shoff + static_cast<uint64_t>(eh->e_shnum) * sizeof(Elf64_Shdr) <= size;
  if (ok) {
    const auto* sections = reinterpret_cast<const Elf64_Shdr*>(base + eh->e_shoff);
    const Elf64_Shdr* table = nullptr;
    for (int pass = 0; pass < 2 && table == nullptr; pass++) {
      for (int i = 0; i < eh->e_shnum; i++) {
        if (sections[i].sh_type == (pass == 0 ? SHT_SYMTAB : SHT_DYNSYM)) table = &sections[i];
      }
    }
    if (table != nullptr && table->sh_link < eh->e_shnum &&
        table->sh_offset + table->sh_size <= size) {
      const Elf64_Shdr& strtab = sections[table->sh_link];
      const auto* syms = reinterpret_cast<const Elf64_Sym*>(base + table->sh_offset);
      const size_t count = table->sh_size / sizeof(Elf64_Sym);
      for (size_t i = 0; i < count; i++) {
        const Elf64_Sym& s = syms[i];
        const int type = ELF64_ST_TYPE(s.st_info);
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_value == 0 ||
            s.st_shndx == SHN_UNDEF)
          continue;
        if (s.st_name >= strtab.sh_size || strtab.sh_offset + strtab.sh_size > size) continue;
        o->symbols.push_back(Symbol{s.st_value, s.st_size, base + strtab.sh_offset + s.st_name});
      }
    }
  }
  ::munmap(map, size);
  std::sort(o->symbols.begin(), o->symbols.end(),
            [](const Symbol& a, const Symbol& b) { return a.start < b.start; });
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
  std::replace(name.begin(), name.end(), ';', ':');
  return name;
}

class Symbolizer {
 public:
  Symbolizer() { dl_iterate_phdr(CollectObject, &objects_); }

  std::string Name(uintptr_t pc) {
    auto it = cache_.find(pc);
    if (it != cache_.end()) return it->second;
    std::string name = Lookup(pc);
    cache_.emplace(pc, name);
    return name;
  }

 private:
  std::string Lookup(uintptr_t pc) {
    for (Object& o : objects_) {
      bool inside = false;
      for (const auto& [lo, hi] : o.ranges) inside |= pc >= lo && pc < hi;
      if (!inside) continue;
      if (!o.loaded) LoadSymbols(&o);
      const uintptr_t addr = pc - o.bias;
      auto s = std::upper_bound(o.symbols.begin(), o.symbols.end(), addr,
                                [](uintptr_t a, const Symbol& sym) { return a < sym.start; });
      if (s != o.symbols.begin()) {
        --s;
        if (s->size == 0 || addr < s->start + s->size) return CleanName(s->name);
      }
      Dl_info info;
      if (dladdr(reinterpret_cast<void*>(pc), &info) && info.dli_sname)
        return CleanName(info.dli_sname);
      const size_t slash = o.path.rfind('/');
      char buf[32];
      std::snprintf(buf, sizeof buf, "+0x%lx", static_cast<unsigned long>(addr));
      return "[" + o.path.substr(slash == std::string::npos ? 0 : slash + 1) + buf + "]";
    }
    return "[unknown]";
  }

  std::vector<Object> objects_;
  std::unordered_map<uintptr_t, std::string> cache_;
};

}  // namespace

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
