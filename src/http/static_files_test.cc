// Static files: a folder's index, content types, the page policy on HTML, nothing outside the
// root even through a link.
#include "http/static_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace vidyut::http {
namespace {

TEST(StaticFiles, ServesTheRootsFilesAndNothingElse) {
  const auto base =
      std::filesystem::temp_directory_path() / ("vidyut-static-" + std::to_string(::getpid()));
  std::filesystem::remove_all(base);
  const auto root = base / "dist";
  std::filesystem::create_directories(root / "assets");
  std::filesystem::create_directories(root / "control");
  std::ofstream(root / "index.html") << "<html>portal</html>";
  std::ofstream(root / "control" / "index.html") << "<html>control</html>";
  std::ofstream(root / "assets" / "app-1234.js") << "console.log(1)";
  std::ofstream(base / "secret.txt") << "do not serve";
  std::filesystem::create_symlink(base / "secret.txt", root / "leak.txt");

  EXPECT_FALSE(StaticFiles::open(base / "nothing", "x").ok());
  auto s = StaticFiles::open(root, "default-src 'self'");
  ASSERT_TRUE(s.ok());
  auto index = s->serve("");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<html>portal</html>");
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  bool policy = false;
  for (const auto& [n, v] : index.headers)
    policy |= n == "Content-Security-Policy" && v == "default-src 'self'";
  EXPECT_TRUE(policy);
  EXPECT_EQ(s->serve("control").body, "<html>control</html>");
  auto js = s->serve("assets/app-1234.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(s->serve("leak.txt").status, 404) << "a link out of the root";
  EXPECT_EQ(s->serve("missing.js").status, 404);
  std::filesystem::remove_all(base);
}

}  // namespace
}  // namespace vidyut::http
