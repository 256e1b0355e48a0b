#include "ext/diagnostics/flame_graph.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

namespace lightning::ext {
namespace {

constexpr double kWidth = 1200, kPad = 10, kFrameHeight = 16, kTitleHeight = 40, kCharWidth = 6.6;

struct Node {
  std::string name;
  uint64_t samples = 0;
  std::map<std::string, std::unique_ptr<Node>> children;  // sorted by name, as flamegraph.pl
};

int Depth(const Node& n) {
  int d = 0;
  for (const auto& [name, child] : n.children) d = std::max(d, Depth(*child));
  return d + 1;
}

std::string Xml(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') out += c;
    }
  }
  return out;
}

std::string Color(const std::string& name) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  const int r = 205 + static_cast<int>(h % 50), g = static_cast<int>((h >> 8) % 230),
            b = static_cast<int>((h >> 16) % 55);
  char buf[32];
  std::snprintf(buf, sizeof buf, "rgb(%d,%d,%d)", r, g, b);
  return buf;
}

void Draw(const Node& n, double x, int level, double per_sample, uint64_t total, double height,
          std::string* out) {
  const double w = static_cast<double>(n.samples) * per_sample;
  if (w < 0.1) return;
  const double y = height - kPad - (level + 1) * kFrameHeight;
  char buf[256];
  std::snprintf(buf, sizeof buf, " (%llu samples, %.2f%%)",
                static_cast<unsigned long long>(n.samples),
                100.0 * static_cast<double>(n.samples) / static_cast<double>(total));
  *out += "<g><title>" + Xml(n.name) + buf + "</title>";
  std::snprintf(buf, sizeof buf,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"", x, y, w,
                kFrameHeight - 1);
  *out += buf + Color(n.name) + "\" rx=\"2\" ry=\"2\"/>";
  const size_t fits = static_cast<size_t>((w - 6) / kCharWidth);
  if (fits >= 3) {
    std::string label = n.name.size() <= fits ? n.name : n.name.substr(0, fits - 2) + "..";
    std::snprintf(buf, sizeof buf, "<text x=\"%.1f\" y=\"%.1f\">", x + 3, y + kFrameHeight - 5);
    *out += buf + Xml(label) + "</text>";
  }
  *out += "</g>\n";
  double cx = x;
  for (const auto& [name, child] : n.children) {
    Draw(*child, cx, level + 1, per_sample, total, height, out);
    cx += static_cast<double>(child->samples) * per_sample;
  }
}

}  // namespace

std::string RenderFlameGraph(const std::map<std::string, uint64_t>& stacks,
                             const std::string& title) {
  Node root;
  root.name = "all";
  for (const auto& [stack, count] : stacks) {
    root.samples += count;
    Node* n = &root;
    size_t start = 0;
    while (start <= stack.size()) {
      size_t end = stack.find(';', start);
      if (end == std::string::npos) end = stack.size();
      std::string frame = stack.substr(start, end - start);
      auto& child = n->children[frame];
      if (!child) {
        child = std::make_unique<Node>();
        child->name = frame;
      }
      child->samples += count;
      n = child.get();
      start = end + 1;
    }
  }
  const int depth = root.samples ? Depth(root) : 1;
  const double height = kTitleHeight + depth * kFrameHeight + 2 * kPad;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "<?xml version=\"1.0\" standalone=\"no\"?>\n"
                "<svg version=\"1.1\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
                "xmlns=\"http://www.w3.org/2000/svg\">\n"
                "<style>text { font-family: monospace; font-size: 11px; fill: #000; } "
                "g:hover rect { stroke: #000; stroke-width: 0.5; }</style>\n"
                "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#f8f8f4\"/>\n",
                kWidth, height, kWidth, height, kWidth, height);
  std::string out = buf;
  std::snprintf(buf, sizeof buf,
                "<text x=\"%.0f\" y=\"24\" text-anchor=\"middle\" style=\"font-size:16px\">",
                kWidth / 2);
  out += buf + Xml(title) + "</text>\n";
  if (root.samples > 0) {
    const double per_sample = (kWidth - 2 * kPad) / static_cast<double>(root.samples);
    Draw(root, kPad, 0, per_sample, root.samples, height, &out);
  }
  out += "</svg>\n";
  return out;
}

Status WriteFlameGraph(const std::string& path, const std::map<std::string, uint64_t>& stacks,
                       const std::string& title) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
  out << RenderFlameGraph(stacks, title);
  out.close();
  if (!out) return Status::IOError("cannot write " + path);
  return Status::OK();
}

}  // namespace lightning::ext
