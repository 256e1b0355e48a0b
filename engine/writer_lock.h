// WriterLock: the single-writer lock, with a timeout.
//
// A mutex and a condition variable rather than std::timed_mutex: libstdc++'s
// timed_mutex waits with pthread_mutex_clocklock, which ThreadSanitizer (as
// shipped with GCC 12) does not intercept, so every timed acquisition looked
// like an unlock of an unlocked mutex. This one is plainly visible to TSan.
// Meets Lockable and TimedLockable, so std::unique_lock works with it.
//
// Thread safety: every method may be called from any thread; unlock() by the
// holder.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace lightning {

class WriterLock {
 public:
  void lock() {
    std::unique_lock<std::mutex> l(mu_);
    waiting_++;
    cv_.wait(l, [this] { return !held_; });
    waiting_--;
    held_ = true;
  }
  bool try_lock() {
    std::lock_guard<std::mutex> l(mu_);
    if (held_) return false;
    held_ = true;
    return true;
  }
  template <typename Rep, typename Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& timeout) {
    std::unique_lock<std::mutex> l(mu_);
    waiting_++;
    const bool got = cv_.wait_for(l, timeout, [this] { return !held_; });
    waiting_--;
    if (got) held_ = true;
    return got;
  }
  // Threads holding or waiting for the lock: how many write transactions are
  // on their way (group commit waits for them; see DBImpl::FlushWalLocked).
  int contenders() {
    std::lock_guard<std::mutex> l(mu_);
    return waiting_ + (held_ ? 1 : 0);
  }
  void unlock() {
    {
      std::lock_guard<std::mutex> l(mu_);
      held_ = false;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;  // GUARDED_BY(mu_)
  int waiting_ = 0;    // GUARDED_BY(mu_)
};

}  // namespace lightning
