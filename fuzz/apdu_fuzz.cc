// Fuzz target for the APDU codec (both roles: every request and response type, ACSE and the
// outer form of ciphered APDUs). A decoded APDU must describe itself, re-encode, and decode
// again to an APDU that encodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "dlms/apdu/apdu.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vidyut;
  auto apdu = dlms::decode_apdu(ByteView(data, size));
  if (!apdu.ok()) {
    if (apdu.error().code == Errc::kNeedMore) {
      std::fprintf(stderr, "apdu_fuzz: decode_apdu returned kNeedMore for a complete APDU\n");
      std::abort();
    }
    return 0;
  }
  (void)dlms::describe(*apdu);
  const Bytes first = dlms::encode(*apdu);
  auto again = dlms::decode_apdu(first);
  if (!again.ok()) {
    std::fprintf(stderr, "apdu_fuzz: re-encoded APDU does not decode: %s\n",
                 again.error().describe().c_str());
    std::abort();
  }
  if (dlms::encode(*again) != first) {
    std::fprintf(stderr, "apdu_fuzz: encoding is not stable\n");
    std::abort();
  }
  return 0;
}
