#include "http/static_files.h"

#include <fstream>
#include <iterator>
#include <system_error>

namespace vidyut::http {

const char* content_type_of(const std::filesystem::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".webmanifest") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

Result<StaticFiles> StaticFiles::open(const std::filesystem::path& root, std::string html_policy) {
  std::error_code ec;
  auto canonical = std::filesystem::canonical(root, ec);
  if (ec || !std::filesystem::is_directory(canonical, ec)) {
    return Error(Errc::kNotFound, root.string() + " is not a directory of web files" +
                                      " (build them with scripts/setup.sh: npm run build in web/)");
  }
  StaticFiles s;
  s.root_ = canonical;
  s.policy_ = std::move(html_policy);
  return s;
}

Response StaticFiles::serve(const std::string& relative) const {
  std::error_code ec;
  std::filesystem::path p = root_ / relative;
  if (std::filesystem::is_directory(p, ec)) p /= "index.html";
  const auto real = std::filesystem::canonical(p, ec);
  if (ec) return error_response(404, "no such page");
  // Inside the root, also after links are followed.
  const std::string r = root_.string(), f = real.string();
  if (f.compare(0, r.size(), r) != 0 || (f.size() > r.size() && f[r.size()] != '/')) {
    return error_response(404, "no such page");
  }
  if (!std::filesystem::is_regular_file(real, ec)) return error_response(404, "no such page");
  const auto size = std::filesystem::file_size(real, ec);
  if (ec || size > kMaxStaticFile) return error_response(404, "no such page");
  std::ifstream in(real, std::ios::binary);
  if (!in) return error_response(404, "no such page");
  Response out;
  out.content_type = content_type_of(real);
  out.body.assign(std::istreambuf_iterator<char>(in), {});
  const bool html = real.extension() == ".html";
  if (html) {
    out.headers.emplace_back("Content-Security-Policy", policy_);
    out.headers.emplace_back("Cache-Control", "no-cache");
  } else {
    // Built assets carry a content hash in their names: they never change under one name.
    const bool hashed = f.find("/assets/") != std::string::npos;
    out.headers.emplace_back("Cache-Control",
                             hashed ? "public, max-age=31536000, immutable" : "no-cache");
  }
  return out;
}

}  // namespace vidyut::http
