// Fuzz target for the IEC 62056-4-7 wrapper reassembler: arbitrary bytes fed in arbitrary
// chunks (the first input byte picks the chunk size). Every frame that comes out must re-wrap to
// exactly the bytes it came from, and nothing may crash or grow without bound.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "dlms/apdu/wrapper.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vidyut;
  if (size == 0) return 0;
  const std::size_t chunk = static_cast<std::size_t>(data[0] % 16) + 1;
  ByteView input(data + 1, size - 1);
  dlms::WrapperDecoder decoder(1024);
  Bytes reassembled;
  std::size_t consumed = 0;
  for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
    decoder.feed(input.subspan(pos, std::min(chunk, input.size() - pos)));
    for (;;) {
      auto frame = decoder.next();
      if (!frame.ok()) return 0;  // broken stream: the decoder must keep refusing, never crash
      if (!frame->has_value()) break;
      const auto& f = **frame;
      if (f.apdu.size() > 1024) std::abort();
      Bytes again = dlms::wrap(f.source, f.destination, f.apdu);
      reassembled.insert(reassembled.end(), again.begin(), again.end());
      consumed += again.size();
    }
  }
  // What came out, re-wrapped, is a prefix of what went in.
  for (std::size_t i = 0; i < consumed; ++i) {
    if (reassembled[i] != input[i]) {
      std::fprintf(stderr, "wrapper_fuzz: re-wrapped frame differs at byte %zu\n", i);
      std::abort();
    }
  }
  return 0;
}
