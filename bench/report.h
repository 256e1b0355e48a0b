// Results of engine_bench: one RowResult per (run, engine, workload), their
// medians over runs, the printed table, the JSON file, the comparison with a
// baseline JSON and the evaluation of the project's performance goals.
//
// Negative numbers mean "not measured" and print as "-" (null in JSON).
#pragma once

#include <cstdint>
#include <cstdio>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace lightning_bench {

struct RowResult {
  std::string engine;
  std::string workload;
  int run = 0;
  bool ok = true;
  std::string error;  // why it failed (ok == false)
  std::string note;   // settings or caveats worth printing
  uint64_t ops = 0;
  double seconds = 0;
  double ops_per_sec = 0;
  double mb_per_sec = -1;  // payload bytes moved per second, MiB/s
  double p50_us = -1, p95_us = -1, p99_us = -1, p999_us = -1;
  double file_bytes = -1;      // files of the store after the workload
  double peak_rss_bytes = -1;  // VmHWM during the workload
};

// The numeric fields of a RowResult by name: the JSON keys, and the fields
// that get medians.
struct RowField {
  const char* name;
  double RowResult::*member;
};
inline constexpr RowField kRowFields[] = {
    {"seconds", &RowResult::seconds},
    {"ops_per_sec", &RowResult::ops_per_sec},
    {"mb_per_sec", &RowResult::mb_per_sec},
    {"p50_us", &RowResult::p50_us},
    {"p95_us", &RowResult::p95_us},
    {"p99_us", &RowResult::p99_us},
    {"p999_us", &RowResult::p999_us},
    {"file_bytes", &RowResult::file_bytes},
    {"peak_rss_bytes", &RowResult::peak_rss_bytes},
};

// One line of JSON (no newline; the child-to-parent pipe) and back. ParseRow
// is false for a line that is not a row.
std::string SerializeRow(const RowResult& row);
bool ParseRow(const std::string& line, RowResult* row);

// The rows of one (engine, workload) over all runs and their medians.
struct Aggregate {
  std::string engine;
  std::string workload;
  bool ok = true;     // every run ok
  std::string error;  // first error seen
  RowResult median;   // per-field median over the ok runs
  std::vector<RowResult> runs;
};

// Groups `rows` by (workload, engine) in the order given by the two lists.
std::vector<Aggregate> AggregateRows(const std::vector<RowResult>& rows,
                                     const std::vector<std::string>& workload_order,
                                     const std::vector<std::string>& engine_order);
const Aggregate* FindAggregate(const std::vector<Aggregate>& aggs, const std::string& engine,
                               const std::string& workload);

// The long table (workload x engine, every metric) and the ops/s matrix.
void PrintTable(FILE* out, const std::vector<Aggregate>& aggs);
void PrintMatrix(FILE* out, const std::vector<Aggregate>& aggs,
                 const std::vector<std::string>& workloads,
                 const std::vector<std::string>& engines);

struct GoalResult {
  std::string goal;      // "readrandom 1 thread >= 1.5x LMDB"
  std::string measured;  // "1.62x (1,620,000 vs 1,000,000 ops/s)"
  std::string verdict;   // "MET", "NOT MET", "not measured: ..."
};
// Evaluates the engine-level goals that these results can speak to.
std::vector<GoalResult> EvaluateGoals(const std::vector<Aggregate>& aggs, uint64_t small_cache);
// The SQL-level goals: faces "lightning" vs "native" (sql_bench).
std::vector<GoalResult> EvaluateSqlGoals(const std::vector<Aggregate>& aggs);
void PrintGoals(FILE* out, const std::vector<GoalResult>& goals);

// Compares medians with a baseline JSON written by WriteJson: prints one line
// per (engine, workload) present in both and flags ops/s more than `noise`
// (fraction) below the baseline, and p99 more than 2 x noise above it.
// Returns the number of regressions, or -1 if the file cannot be read.
int CompareWithBaseline(FILE* out, const std::string& path, const std::vector<Aggregate>& aggs,
                        double noise);

// Writes {"tool": tool, "format": 1, "meta": meta, "results": [...],
// "goals": [...]} (bench/report_json.cc, with nlohmann/json). `meta` holds
// the machine and the parameters. Figures not measured (negative) and
// non-finite ones are written as null. False with *error on failure.
bool WriteJson(const std::string& path, const std::string& tool, const nlohmann::ordered_json& meta,
               const std::vector<Aggregate>& aggs, const std::vector<GoalResult>& goals,
               std::string* error);

// Reads back every run of a JSON written by WriteJson: rows (null figures
// become -1), engines in file order, and the parsed document (for "meta").
// False with *error naming the file and the problem on failure.
bool ReadJsonRows(const std::string& path, std::vector<RowResult>* rows,
                  std::vector<std::string>* engines, nlohmann::json* root, std::string* error);

std::string FormatMetric(double v, int decimals);  // "-" for negative
std::string FormatMiB(double bytes);               // "123.4" MiB or "-"

}  // namespace lightning_bench
