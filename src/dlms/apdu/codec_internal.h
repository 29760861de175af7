// Private to vidyut_dlms_apdu: pieces shared by the ACSE and xDLMS codecs. Not a public API.
#pragma once

#include <string>

#include "core/bytes.h"
#include "core/result.h"
#include "dlms/apdu/acse.h"

namespace vidyut::dlms::internal {

// kNeedMore -> kMalformed: used where the input is known to be the complete APDU.
inline Error as_complete(Error e) {
  if (e.code == Errc::kNeedMore) e.code = Errc::kMalformed;
  return e;
}

void encode_aarq(const Aarq& a, ByteWriter& out);
void encode_aare(const Aare& a, ByteWriter& out);
void encode_rlrq(const Rlrq& r, ByteWriter& out);
void encode_rlre(const Rlre& r, ByteWriter& out);
// Each decodes one whole APDU (tag included) that must fill `bytes` exactly.
Result<Aarq> decode_aarq(ByteView bytes);
Result<Aare> decode_aare(ByteView bytes);
Result<Rlrq> decode_rlrq(ByteView bytes);
Result<Rlre> decode_rlre(ByteView bytes);

void encode_confirmed_service_error(const ConfirmedServiceError& e, ByteWriter& out);
// After the 0x0E tag.
Result<ConfirmedServiceError> decode_confirmed_service_error_body(ByteReader& in);

}  // namespace vidyut::dlms::internal
