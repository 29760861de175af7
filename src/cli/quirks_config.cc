#include "cli/quirks_config.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace vidyut::cli {

Result<std::map<std::string, dlms::QuirkSet>> parse_quirks_config(std::string_view text) {
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto bad = [](const std::string& what) {
    return Error(Errc::kInvalidArgument, "quirks file: " + what);
  };
  if (json.is_discarded() || !json.is_object()) return bad("not a JSON object");
  std::map<std::string, dlms::QuirkSet> out;
  for (const auto& [key, value] : json.items()) {
    if (key != "manufacturers") return bad("unknown key '" + key + "'");
    if (!value.is_object()) return bad("\"manufacturers\" must be an object");
    for (const auto& [maker, names] : value.items()) {
      if (maker.empty()) return bad("empty manufacturer code");
      if (!names.is_array()) return bad("the quirks of " + maker + " must be a list of names");
      dlms::QuirkSet set;
      for (const auto& name : names) {
        if (!name.is_string()) return bad("the quirks of " + maker + " must be names");
        const auto q = dlms::parse_quirk(name.get<std::string>());
        if (!q) {
          return bad("unknown quirk '" + name.get<std::string>() + "' for " + maker +
                     " (known: " + dlms::quirk_names() + ")");
        }
        set.add(*q);
      }
      out[maker] = set;
    }
  }
  return out;
}

Result<std::map<std::string, dlms::QuirkSet>> load_quirks_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error(Errc::kInvalidArgument, "cannot read the quirks file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse_quirks_config(text.str());
}

}  // namespace vidyut::cli
