// Files of a directory over HTTP (the built web front end): GET and HEAD of the path's file, a
// folder's index.html, content types by extension, a content security policy on HTML pages,
// and nothing outside the directory (the request rules already refuse dot segments; links that
// lead outside are refused here). Knows no domain.
#pragma once

#include <filesystem>
#include <string>

#include "core/result.h"
#include "http/message.h"

namespace vidyut::http {

inline constexpr std::uintmax_t kMaxStaticFile = 16u << 20;

class StaticFiles {
 public:
  // kNotFound when `root` is not a directory.
  static Result<StaticFiles> open(const std::filesystem::path& root, std::string html_policy);

  // The file at `relative` ("control/index.html", "" for the root's index.html): 200, or 404.
  Response serve(const std::string& relative) const;

 private:
  std::filesystem::path root_;
  std::string policy_;
};

// "text/html; charset=utf-8", "text/javascript", ... by the file's extension.
const char* content_type_of(const std::filesystem::path& p);

}  // namespace vidyut::http
