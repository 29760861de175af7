#include "http/router.h"

#include <algorithm>

namespace vidyut::http {
namespace {

template <typename S>
std::vector<S> split_path(std::string_view path) {
  std::vector<S> out;
  std::size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    auto next = path.find('/', pos);
    if (next == std::string_view::npos) next = path.size();
    out.emplace_back(path.substr(pos, next - pos));
    pos = next;
  }
  return out;
}

bool is_var(std::string_view seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

}  // namespace

const std::string& Match::var(const std::string& name) const {
  static const std::string kEmpty;
  auto it = vars.find(name);
  return it == vars.end() ? kEmpty : it->second;
}

void Router::add(std::string method, std::string pattern, RouteHandler handler,
                 RouteOptions options) {
  Route r;
  r.method = std::move(method);
  r.segments = split_path<std::string>(pattern);
  r.pattern = std::move(pattern);
  r.handler = std::move(handler);
  r.options = std::move(options);
  routes_.push_back(std::move(r));
}

bool Router::match(const Route& r, const std::vector<std::string_view>& path, Match& m) {
  m.vars.clear();
  const bool rest = !r.segments.empty() && r.segments.back().size() > 3 &&
                    r.segments.back().compare(r.segments.back().size() - 2, 2, "*}") == 0;
  if (rest ? path.size() < r.segments.size() : path.size() != r.segments.size()) return false;
  for (std::size_t i = 0; i < r.segments.size(); ++i) {
    const std::string& seg = r.segments[i];
    if (rest && i + 1 == r.segments.size()) {
      std::string joined;
      for (std::size_t j = i; j < path.size(); ++j) {
        if (!joined.empty()) joined += '/';
        joined += path[j];
      }
      m.vars[seg.substr(1, seg.size() - 3)] = joined;
      return true;
    }
    if (is_var(seg)) {
      m.vars[seg.substr(1, seg.size() - 2)] = std::string(path[i]);
    } else if (seg != path[i]) {
      return false;
    }
  }
  return true;
}

Response Router::dispatch(const Request& request) const {
  const auto path = split_path<std::string_view>(request.path);
  std::vector<std::string> allowed;
  Match m;
  for (const auto& r : routes_) {
    if (!match(r, path, m)) continue;
    if (r.method != request.method && !(r.method == "GET" && request.method == "HEAD")) {
      if (std::find(allowed.begin(), allowed.end(), r.method) == allowed.end()) {
        allowed.push_back(r.method);
      }
      continue;
    }
    for (const auto& [name, value] : request.params) {
      (void)value;
      if (std::find(r.options.query.begin(), r.options.query.end(), name) ==
          r.options.query.end()) {
        Response bad = error_response(
            400, r.options.query.empty()
                     ? "this path takes no query parameters (got \"" + name.substr(0, 32) + "\")"
                     : "unknown query parameter \"" + name.substr(0, 32) + "\"");
        bad.route = r.pattern;
        return bad;
      }
    }
    Response out = r.handler(request, m);
    out.route = r.pattern;
    return out;
  }
  if (!allowed.empty()) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    Response out = error_response(405, "use " + list);
    out.with_header("Allow", list);
    out.route = "(wrong method)";
    return out;
  }
  Response out = error_response(404, "no such path: " + request.path.substr(0, 64));
  out.route = "(no route)";
  return out;
}

std::vector<std::string> Router::routes() const {
  std::vector<std::string> out;
  for (const auto& r : routes_) out.push_back(r.method + " " + r.pattern);
  return out;
}

}  // namespace vidyut::http
