// Routes: a method and a path pattern ("/api/v1/consumers/{id}/intervals") to a handler.
// Knows no domain. A path that matches no pattern is 404; one that matches with another method
// is 405 with the allowed methods. A route that takes no query parameters refuses a query by
// name (400) rather than making a valid path look unknown.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace vidyut::http {

struct Match {
  std::map<std::string, std::string> vars;  // {id} -> "C1"
  const std::string& var(const std::string& name) const;
};

using RouteHandler = std::function<Response(const Request&, const Match&)>;

struct RouteOptions {
  std::vector<std::string> query;  // query parameters the route takes; others are refused
};

class Router {
 public:
  // Pattern segments are literal or {name}; {name} matches one non-empty segment. A pattern
  // ending in "/{name*}" matches the rest of the path (static files).
  void add(std::string method, std::string pattern, RouteHandler handler,
           RouteOptions options = {});

  // The handler's response, 404, 405 or 400 (unknown query parameter).
  Response dispatch(const Request& request) const;

  // Every route as "METHOD pattern", in the order they were added (tests compare them with the
  // API's published description).
  std::vector<std::string> routes() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    RouteHandler handler;
    RouteOptions options;
  };
  static bool match(const Route& r, const std::vector<std::string_view>& path, Match& m);
  std::vector<Route> routes_;
};

}  // namespace vidyut::http
