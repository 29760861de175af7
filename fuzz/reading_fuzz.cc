// Fuzz target for the whole reading path of `vidyut dlms read` (cli/reading.h): a value a meter
// sends, served by an in-memory meter over the loopback transport (GET, block transfer when it
// is large), read back and printed as a scalar, as a register's value with the value as its own
// scaler_unit, as a profile buffer with the value as its capture objects, and as a profile with
// the value as its rows under no columns. Nothing may crash, and the JSON must parse.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "cli/reading.h"
#include "cli/test_meter.h"
#include "core/log.h"

namespace {

using namespace vidyut;

[[noreturn]] void fail(const char* what, const std::string& json) {
  std::fprintf(stderr, "reading fuzz: %s: %s\n", what, json.c_str());
  std::abort();
}

void read_and_check(dlms::Client& client, const cli::Target& t) {
  auto r = cli::read_and_format(client, t, std::nullopt);
  if (!r.ok()) return;  // a client error (e.g. capture objects that are not definitions)
  if (!nlohmann::json::accept(r->json)) fail("not valid JSON", r->json);
  if (r->text.empty() || r->text.back() != '\n') fail("text not one finished line", r->text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto value = dlms::axdr::decode_all(ByteView(data, size));
  if (!value.ok()) return 0;
  static const bool quiet = (set_log_level("off"), true);  // the meter logs every association
  (void)quiet;
  cli::testing::TestMeter m;
  cli::testing::Line line(m, dlms::kPublicClientSap);
  dlms::Client client(*line.transport, cli::testing::public_client());
  if (!client.associate().ok()) std::abort();
  m.anything.put(2, *value);
  m.anything.put(3, *value);
  read_and_check(client, {cli::testing::kAnything, 2, 1});
  read_and_check(client, {cli::testing::kAnything, 2, 3});
  read_and_check(client, {cli::testing::kAnything, 3, 3});
  m.profile.put(2, *value);
  m.profile.put(3, *value);
  read_and_check(client, {cli::testing::kProfile, 2, 7});
  m.profile.put(3, dlms::Data::array({}));
  read_and_check(client, {cli::testing::kProfile, 2, 7});
  return 0;
}
