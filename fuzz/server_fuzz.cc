// Fuzz target for the server role: bytes from a hostile TCP peer to a simulated meter.
// The first input byte picks the state the bytes arrive in:
//   0: raw TCP bytes to a fresh connection, fed in chunks (wrapper + AARQ + anything);
//   1/2/3: after a real association as client 16 (none), 32 (LLS) or 48 (HLS-GMAC, auth+enc),
//          the rest of the input is one APDU from that client.
// Nothing may crash, hang or grow without bound; every answer must be a well-formed APDU.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "dlms/apdu/apdu.h"
#include "session_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vidyut;
  if (size == 0) return 0;
  fuzz::MeterUnderTest mut;
  const std::uint8_t mode = data[0] % 4;
  ByteView rest(data + 1, size - 1);
  if (mode == 0) {
    for (std::size_t pos = 0; pos < rest.size() && !mut.connection->wants_close(); pos += 7) {
      auto out =
          mut.connection->on_bytes(rest.subspan(pos, std::min<std::size_t>(7, rest.size() - pos)));
      if (!out.ok()) break;
    }
    return 0;
  }
  const std::uint16_t sap = mode == 1   ? dlms::kPublicClientSap
                            : mode == 2 ? dlms::kMeterReaderSap
                                        : dlms::kUtilitySettingsSap;
  auto transport = std::make_unique<dlms::LoopbackTransport>(*mut.connection, sap);
  auto client = std::make_unique<dlms::Client>(*transport, mut.client(sap));
  if (!client->associate().ok()) {
    // Earlier inputs may have changed the shared meter; a fresh one must accept us.
    mut.reset();
    transport = std::make_unique<dlms::LoopbackTransport>(*mut.connection, sap);
    client = std::make_unique<dlms::Client>(*transport, mut.client(sap));
    if (!client->associate().ok()) {
      std::fprintf(stderr, "server_fuzz: the harness could not associate as client %u\n", sap);
      std::abort();
    }
  }
  const std::size_t answered = transport->received().size();
  if (!transport->send(rest).ok()) return 0;
  for (std::size_t i = answered; i < transport->received().size(); ++i) {
    auto reply = dlms::decode_apdu(transport->received()[i]);
    if (!reply.ok()) {
      std::fprintf(stderr, "server_fuzz: the server answered an undecodable APDU: %s\n",
                   reply.error().describe().c_str());
      std::abort();
    }
  }
  return 0;
}
