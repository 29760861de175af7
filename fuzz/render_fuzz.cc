// Fuzz target for rendering values for people (dlms/cosem/render.h), the path `vidyut dlms read`
// prints a meter's answers through: any bytes that decode as A-XDR must render as text and as
// JSON, with and without a scaler-unit, without a crash, and the JSON must parse.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "dlms/axdr/data.h"
#include "dlms/cosem/render.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& json) {
  std::fprintf(stderr, "render fuzz: %s: %s\n", what, json.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vidyut;
  if (size == 0) return 0;
  // The first byte picks a scaler-unit (or none); the rest is the value.
  const std::uint8_t pick = data[0];
  auto value = dlms::axdr::decode_all(ByteView(data + 1, size - 1));
  if (!value.ok()) return 0;
  std::optional<dlms::cosem::ScalerUnit> su;
  if (pick & 1) {
    su = dlms::cosem::ScalerUnit{static_cast<std::int8_t>(static_cast<std::int8_t>(pick) >> 1),
                                 static_cast<dlms::cosem::Unit>(pick)};
  }
  for (const auto& s : {std::optional<dlms::cosem::ScalerUnit>(), su}) {
    (void)dlms::cosem::render_text(*value, s, true);
    const std::string json = dlms::cosem::render_json(*value, s);
    if (!nlohmann::json::accept(json)) fail("not valid JSON", json);
  }
  return 0;
}
