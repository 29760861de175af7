// Fuzz target for the client role: bytes from a hostile meter (or a forged response) to the
// head end's client codec. The first input byte picks the state:
//   0: the bytes are the AARE to a fresh AARQ (client 16, then 32 LLS, then 48 HLS);
//   1/2/3: after a real association as client 16, 32 or 48 with the simulated meter, the rest is
//          the response to a GET, then to a SET, then to an ACTION, then a push.
// Nothing may crash or hang; errors are fine.
#include <cstddef>
#include <cstdint>

#include "dlms/cosem/is15959.h"
#include "session_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vidyut;
  if (size == 0) return 0;
  const std::uint8_t mode = data[0] % 4;
  ByteView rest(data + 1, size - 1);
  fuzz::MeterUnderTest mut;
  if (mode == 0) {
    for (std::uint16_t sap :
         {dlms::kPublicClientSap, dlms::kMeterReaderSap, dlms::kUtilitySettingsSap}) {
      dlms::ClientCodec codec(mut.client(sap));
      if (!codec.build_aarq().ok()) continue;
      if (codec.on_aare(rest).ok() && codec.hls_pending()) {
        (void)codec.build_hls_reply();
        (void)codec.on_hls_reply_response(rest);
      }
    }
    return 0;
  }
  const std::uint16_t sap = mode == 1   ? dlms::kPublicClientSap
                            : mode == 2 ? dlms::kMeterReaderSap
                                        : dlms::kUtilitySettingsSap;
  dlms::LoopbackTransport transport(*mut.connection, sap);
  dlms::Client client(transport, mut.client(sap));
  if (!client.associate().ok()) return 0;
  dlms::ClientCodec& codec = client.codec();
  const dlms::AttributeDescriptor clock_time{8, dlms::Obis(0, 0, 1, 0, 0, 255), 2};
  if (codec.build_get(clock_time).ok()) {
    auto progress = codec.on_get_response(rest);
    // A block transfer in progress: feed the same bytes as the next block.
    for (int i = 0; i < 4 && progress.ok() && !progress->complete; ++i) {
      progress = codec.on_get_response(rest);
    }
  }
  if (codec.build_set(clock_time, dlms::Data::null()).ok()) (void)codec.on_set_response(rest);
  const dlms::MethodDescriptor disconnect{70, dlms::Obis(0, 0, 96, 3, 10, 255), 1};
  if (codec.build_action(disconnect, dlms::Data::integer(0)).ok()) {
    (void)codec.on_action_response(rest);
  }
  (void)codec.decode_notification(rest);
  return 0;
}
