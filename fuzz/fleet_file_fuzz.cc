// Fuzz target for the fleet file reader: parse arbitrary text as a fleet file; when it parses,
// the topology must write back (write_fleet_csv), the written text must parse again to the same
// meters, and writing that must give the same text. Traps otherwise.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "fleet/fleet_file.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_fleet_file: %s%s%s\n", what, detail.empty() ? "" : ": ",
               detail.c_str());
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vidyut;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto first = fleet::parse_fleet_csv(text);
  if (!first.ok()) {
    if (first.error().message.empty()) fail("an error without a message", "");
    return 0;
  }

  auto written = fleet::write_fleet_csv(*first);
  if (!written.ok()) fail("a parsed fleet does not write back", written.error().describe());
  auto second = fleet::parse_fleet_csv(*written);
  if (!second.ok()) fail("the written fleet does not parse", second.error().describe());
  if (second->meters.size() != first->meters.size()) fail("meter count differs", "");
  if (second->feeders.size() != first->feeders.size() || second->dts.size() != first->dts.size()) {
    fail("feeder or DT count differs", "");
  }
  for (std::size_t i = 0; i < first->meters.size(); ++i) {
    const auto& a = first->meters[i];
    const auto& b = second->meters[i];
    if (a.identity.serial != b.identity.serial || a.identity.kind != b.identity.kind ||
        a.identity.system_title != b.identity.system_title || a.secrets.ek != b.secrets.ek ||
        a.secrets.ak != b.secrets.ak || a.secrets.lls_password != b.secrets.lls_password ||
        a.feeder != b.feeder || a.dt != b.dt || a.consumer_id != b.consumer_id ||
        a.sim_operator != b.sim_operator || a.static_ip != b.static_ip ||
        a.identity.seed != b.identity.seed || a.identity.category != b.identity.category ||
        a.identity.sanctioned_load_w != b.identity.sanctioned_load_w ||
        a.identity.manufacturer != b.identity.manufacturer) {
      fail("a meter reads back differently", a.identity.serial);
    }
  }
  auto again = fleet::write_fleet_csv(*second);
  if (!again.ok() || *again != *written) fail("writing is not stable", "");
  return 0;
}
