// Runs a piece of a benchmark in a forked child process that reports back
// line by line over a pipe, so that a crash, a hang or the memory of one
// engine cannot spoil the others' results.
//
// The caller must have no other threads running (fork copies only the
// calling thread); engine_bench and sql_bench open no store in the parent.
#pragma once

#include <functional>
#include <string>

namespace lightning_bench {

// Forks; the child runs body(fd) (writing lines to fd with WriteLine) and
// exits 0. The parent calls on_line for each complete line, kills the child
// (by its pid) after timeout_s seconds, and reaps it. Returns "" if the child
// exited 0, else what happened ("killed by signal 11 (Segmentation fault)",
// "timed out after 600 s", "exited with status 1").
std::string RunInChild(const std::function<void(int fd)>& body, int timeout_s,
                       const std::function<void(const std::string& line)>& on_line);

// Writes `line` and a newline to fd, retrying on EINTR and short writes.
void WriteLine(int fd, const std::string& line);

}  // namespace lightning_bench
