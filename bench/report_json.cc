// The JSON side of bench/report.h, with nlohmann/json: rows over the child
// process pipe, the results file, and reading a results file back (--from_json,
// --baseline).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bench/report.h"

namespace lightning_bench {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

// A measured figure, or null for "not measured" (negative) and non-finite.
ordered_json Figure(double v) {
  return v < 0 || !std::isfinite(v) ? ordered_json() : ordered_json(v);
}

double NumberOr(const json& o, const char* key, double fallback) {
  auto it = o.find(key);
  return it != o.end() && it->is_number() ? it->get<double>() : fallback;
}

std::string StringOr(const json& o, const char* key) {
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool BoolOr(const json& o, const char* key, bool fallback) {
  auto it = o.find(key);
  return it != o.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

// One run (or median) of the results file.
ordered_json RunJson(const RowResult& r) {
  ordered_json j = {{"run", r.run}, {"ok", r.ok}, {"ops", r.ops}};
  for (const RowField& f : kRowFields) j[f.name] = Figure(r.*f.member);
  if (!r.error.empty()) j["error"] = r.error;
  return j;
}

// Reads and parses `path`; false with *error naming it.
bool ParseFile(const std::string& path, json* root, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read " + path;
    return false;
  }
  try {
    *root = json::parse(in);
  } catch (const json::exception& e) {
    *error = path + ": not valid JSON (" + e.what() + ")";
    return false;
  }
  auto results = root->find("results");
  if (!root->is_object() || results == root->end() || !results->is_array()) {
    *error = path + " has no \"results\" array";
    return false;
  }
  return true;
}

}  // namespace

std::string SerializeRow(const RowResult& r) {
  json j = {{"engine", r.engine}, {"workload", r.workload}, {"run", r.run}, {"ok", r.ok},
            {"error", r.error},   {"note", r.note},         {"ops", r.ops}};
  for (const RowField& f : kRowFields) j[f.name] = r.*f.member;
  // Replace, not throw, on invalid UTF-8 in an error message.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool ParseRow(const std::string& line, RowResult* r) {
  const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("engine") || !j.contains("workload")) return false;
  r->engine = StringOr(j, "engine");
  r->workload = StringOr(j, "workload");
  r->run = static_cast<int>(NumberOr(j, "run", 0));
  r->ok = BoolOr(j, "ok", false);
  r->error = StringOr(j, "error");
  r->note = StringOr(j, "note");
  r->ops = static_cast<uint64_t>(NumberOr(j, "ops", 0));
  for (const RowField& f : kRowFields) r->*f.member = NumberOr(j, f.name, -1);
  return true;
}

bool WriteJson(const std::string& path, const std::string& tool, const ordered_json& meta,
               const std::vector<Aggregate>& aggs, const std::vector<GoalResult>& goals,
               std::string* error) {
  ordered_json doc = {{"tool", tool}, {"format", 1}, {"meta", meta}};
  ordered_json& results = doc["results"] = ordered_json::array();
  for (const Aggregate& a : aggs) {
    ordered_json r = {{"engine", a.engine}, {"workload", a.workload}, {"ok", a.ok}};
    if (!a.ok) r["error"] = a.error;
    if (!a.median.note.empty()) r["note"] = a.median.note;
    r["median"] = RunJson(a.median);
    ordered_json& runs = r["runs"] = ordered_json::array();
    for (const RowResult& run : a.runs) runs.push_back(RunJson(run));
    results.push_back(std::move(r));
  }
  ordered_json& g = doc["goals"] = ordered_json::array();
  for (const GoalResult& goal : goals)
    g.push_back({{"goal", goal.goal}, {"measured", goal.measured}, {"verdict", goal.verdict}});
  std::ofstream out(path);
  if (!out) {
    *error = "cannot write " + path;
    return false;
  }
  out << doc.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  out.close();
  if (!out) {
    *error = "write failed: " + path;
    return false;
  }
  return true;
}

bool ReadJsonRows(const std::string& path, std::vector<RowResult>* rows,
                  std::vector<std::string>* engines, json* root, std::string* error) {
  if (!ParseFile(path, root, error)) return false;
  for (const json& r : (*root)["results"]) {
    if (!r.is_object()) continue;
    const std::string engine = StringOr(r, "engine"), workload = StringOr(r, "workload");
    if (std::find(engines->begin(), engines->end(), engine) == engines->end())
      engines->push_back(engine);
    auto runs = r.find("runs");
    if (runs == r.end() || !runs->is_array()) continue;
    for (const json& x : *runs) {
      RowResult row;
      row.engine = engine;
      row.workload = workload;
      row.run = static_cast<int>(NumberOr(x, "run", 0));
      row.ok = BoolOr(x, "ok", true);
      row.error = StringOr(x, "error");
      row.note = StringOr(r, "note");
      row.ops = static_cast<uint64_t>(NumberOr(x, "ops", 0));
      for (const RowField& f : kRowFields) row.*f.member = NumberOr(x, f.name, -1);
      rows->push_back(row);
    }
  }
  return true;
}

int CompareWithBaseline(FILE* out, const std::string& path, const std::vector<Aggregate>& aggs,
                        double noise) {
  json root;
  std::string error;
  if (!ParseFile(path, &root, &error)) {
    std::fprintf(out, "baseline: %s\n", error.c_str());
    return -1;
  }
  int regressions = 0;
  std::fprintf(
      out, "Comparison with baseline %s (noise threshold %.0f%% on median ops/s, %.0f%% on p99):\n",
      path.c_str(), noise * 100, noise * 200);
  std::fprintf(out, "  %-18s %-10s %14s %14s %8s %10s %10s  %s\n", "workload", "engine",
               "base ops/s", "now ops/s", "change", "base p99", "now p99", "verdict");
  for (const json& r : root["results"]) {
    if (!r.is_object()) continue;
    const std::string engine = StringOr(r, "engine"), workload = StringOr(r, "workload");
    const Aggregate* now = FindAggregate(aggs, engine, workload);
    auto med = r.find("median");
    if (!now || med == r.end() || !med->is_object()) continue;
    double base_ops = NumberOr(*med, "ops_per_sec", -1), base_p99 = NumberOr(*med, "p99_us", -1);
    bool base_ok = BoolOr(r, "ok", true);
    std::string verdict;
    double change = 0;
    if (!now->ok) {
      verdict = base_ok ? "REGRESSION (now failing)" : "still failing";
      if (base_ok) ++regressions;
    } else if (!base_ok || base_ops <= 0) {
      verdict = "new";
    } else {
      change = now->median.ops_per_sec / base_ops - 1;
      if (change < -noise) {
        verdict = "REGRESSION (ops/s)";
        ++regressions;
      } else if (change > noise) {
        verdict = "faster";
      } else {
        verdict = "same";
      }
      if (base_p99 > 0 && now->median.p99_us > base_p99 * (1 + 2 * noise)) {
        verdict += verdict.rfind("REGRESSION", 0) == 0 ? " + p99" : "; REGRESSION (p99)";
        if (verdict.find("REGRESSION (p99)") != std::string::npos) ++regressions;
      }
    }
    char pct[32];
    std::snprintf(pct, sizeof(pct), "%+.1f%%", change * 100);
    std::fprintf(out, "  %-18s %-10s %14s %14s %8s %10s %10s  %s\n", workload.c_str(),
                 engine.c_str(), FormatMetric(base_ops, 0).c_str(),
                 FormatMetric(now->ok ? now->median.ops_per_sec : -1, 0).c_str(), pct,
                 FormatMetric(base_p99, 2).c_str(), FormatMetric(now->median.p99_us, 2).c_str(),
                 verdict.c_str());
  }
  std::fprintf(out, "%d regression(s)\n", regressions);
  return regressions;
}

}  // namespace lightning_bench
