// CpuSampler: samples the whole process's CPU stacks, for flame graphs.
//
// Start() arms setitimer(ITIMER_PROF): every `hz`-th of a second of CPU time
// the process uses (any thread), the kernel sends SIGPROF to a running
// thread, whose handler records the stack with backtrace() into a
// preallocated buffer (one slot claimed by an atomic increment: no lock, no
// allocation in the handler; when the buffer is full, samples are counted as
// dropped). Stop() disarms the timer, symbolises each distinct address
// (Symbolizer below) and returns the stacks folded: "outermost;...;innermost"
// -> samples, the format flame-graph tools read.
//
// One profile at a time per process. The SIGPROF handler stays installed
// after Stop (idle) so that a signal still in flight never meets the default
// action (which would kill the process); a SIGPROF handler the host had
// before Start is put back by Stop.
//
// Thread safety: Start and Stop serialise themselves; the handler is
// async-signal-safe once Start has warmed backtrace() up.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>

#include "lightning/status.h"

struct Dwfl;  // elfutils/libdwfl.h

namespace lightning::ext {

struct CpuProfile {
  std::map<std::string, uint64_t> stacks;  // folded stack -> samples
  uint64_t samples = 0;                    // recorded
  uint64_t dropped = 0;                    // lost to a full buffer
  double seconds = 0;                      // wall time between Start and Stop
  int hz = 0;
};

class CpuSampler {
 public:
  // Busy (with the other profile's start) if one is running; InvalidArgument
  // for hz outside 1..10000; IOError if the timer cannot be armed.
  static Status Start(int hz);
  // NotFound if none is running.
  static Status Stop(CpuProfile* profile);
  static bool running();
};

// Names the code addresses of this process with elfutils' libdwfl: the
// function symbols of the loaded objects (.symtab when present, so that the
// extension's hidden functions have names, else .dynsym) and of their
// separate debug files under /usr/lib/debug/.build-id when installed
// (Debian's libc6-dbg names libc's internal functions, such as the memcpy
// variant chosen at load time). Never a debuginfod server: no network. C++ names are demangled,
// argument lists dropped. An address inside no symbol reads "[file+0xoffset]"; outside every loaded
// object, "[unknown]".
//
// Sees the objects loaded when it is constructed. Not thread-safe: one
// thread at a time.
class Symbolizer {
 public:
  Symbolizer();
  ~Symbolizer();
  Symbolizer(const Symbolizer&) = delete;
  Symbolizer& operator=(const Symbolizer&) = delete;

  std::string Name(uintptr_t pc);

 private:
  std::string Lookup(uintptr_t pc);

  ::Dwfl* dwfl_ = nullptr;  // null if /proc/self/maps could not be read
  std::unordered_map<uintptr_t, std::string> cache_;
};

// Writes `profile` as folded stacks ("a;b;c 12" lines).
Status WriteFoldedStacks(const std::string& path, const CpuProfile& profile);

}  // namespace lightning::ext
