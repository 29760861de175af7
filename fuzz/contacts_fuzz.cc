// Fuzz target for the contacts file (src/notify/notifier.h, parse_contacts_csv): a utility's
// export of consumers' mobiles, which may be malformed. Every accepted contact must have a
// non-empty consumer id of valid text, a mobile of exactly "+91" and ten digits starting 6-9,
// and the language "en" or "hi"; normalise_mobile must accept its own output unchanged. An
// error names a line. Traps otherwise.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "core/text.h"
#include "notify/notifier.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_contacts: %s %s\n", what, detail.c_str());
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto contacts = vidyut::notify::parse_contacts_csv(text);
  if (!contacts.ok()) {
    if (contacts.error().message.find("line ") == std::string::npos &&
        contacts.error().code != vidyut::Errc::kLimitExceeded) {
      fail("an error without its line", contacts.error().message);
    }
    return 0;
  }
  for (const auto& c : *contacts) {
    if (c.consumer_id.empty() || !vidyut::check_text("id", c.consumer_id, 64).ok()) {
      fail("a bad consumer id accepted");
    }
    const auto& m = c.mobile;
    if (m.size() != 13 || m.compare(0, 3, "+91") != 0 || m[3] < '6' || m[3] > '9' ||
        m.find_first_not_of("0123456789", 1) != std::string::npos) {
      fail("a bad mobile accepted", m);
    }
    auto again = vidyut::notify::normalise_mobile(m);
    if (!again.ok() || *again != m) fail("normalise_mobile is not stable", m);
    if (c.language != "en" && c.language != "hi") fail("a bad language accepted", c.language);
  }
  return 0;
}
