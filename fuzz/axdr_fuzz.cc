// Fuzz target for the A-XDR codec: decode arbitrary bytes; when they decode, the value must
// re-encode, decode again to the same value, and re-encode to the same bytes. Aborts otherwise.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "dlms/axdr/data.h"

namespace {

using vidyut::dlms::Data;
using vidyut::dlms::DataTag;

// NaN != NaN, so values holding one are compared by their encodings only. Depth is bounded by
// the decoder's kMaxDepth.
bool contains_nan(const Data& d) {
  if (d.tag() == DataTag::kFloat32 || d.tag() == DataTag::kFloat64) {
    return std::isnan(*d.as_double());
  }
  if (const auto* l = d.as_list()) {
    for (const auto& e : *l) {
      if (contains_nan(e)) return true;
    }
  }
  if (const auto* c = d.as_compact()) {
    for (const auto& e : c->elements) {
      if (contains_nan(e)) return true;
    }
  }
  return false;
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "axdr_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vidyut;
  const ByteView input(data, size);
  auto value = dlms::axdr::decode_all(input);

  // decode() on the same bytes must agree with decode_all().
  ByteReader reader(input);
  auto streamed = dlms::axdr::decode(reader);
  if (value.ok() && (!streamed.ok() || !reader.empty())) fail("decode disagrees with decode_all");
  if (!value.ok() && value.error().code == Errc::kNeedMore) fail("decode_all returned kNeedMore");
  if (!value.ok()) return 0;

  (void)dlms::axdr::to_text(*value);
  const Bytes encoded = dlms::axdr::encode(*value);
  auto again = dlms::axdr::decode_all(encoded);
  if (!again.ok()) {
    std::fprintf(stderr, "%s\n", again.error().describe().c_str());
    fail("re-encoded value does not decode");
  }
  if (!contains_nan(*value) && !(*again == *value)) fail("decode(encode(x)) != x");
  if (dlms::axdr::encode(*again) != encoded) fail("encoding is not stable");
  return 0;
}
