// Apdu: any DLMS APDU the IS 15959 stack sends or receives, and its codec (both roles).
//
//   Bytes b = encode(Apdu{GetRequest{GetRequestNormal{inv, {8, Obis{0,0,1,0,0,255}, 2}, {}}}});
//   auto a = decode_apdu(b);                       // Result<Apdu>
//   if (auto* r = apdu_get<GetResponseNormal>(*a)) { ... }
//
// Sans-I/O; no logging. Wire formats: docs/dlms.md ("ACSE", "xDLMS APDUs").
#pragma once

#include <optional>
#include <string>
#include <type_traits>
#include <variant>

#include "core/bytes.h"
#include "core/result.h"
#include "dlms/apdu/acse.h"
#include "dlms/apdu/ciphered.h"
#include "dlms/apdu/xdlms.h"

namespace vidyut::dlms {

using Apdu = std::variant<Aarq, Aare, Rlrq, Rlre, GetRequest, GetResponse, SetRequest, SetResponse,
                          ActionRequest, ActionResponse, DataNotification, ExceptionResponse,
                          ConfirmedServiceError, CipheredApdu>;

// Encodes any APDU. Never fails for values built through the types' invariants; a broken
// invariant (with-list size mismatch, missing system title for 0xDB) is asserted in debug
// builds and encoded as given otherwise.
Bytes encode(const Apdu& apdu);

// Decodes one complete APDU (e.g. a WrapperFrame's apdu). Errors: kMalformed for truncation,
// trailing bytes, unknown tags or bad contents; kUnsupported for a tag or choice the standard
// defines but Vidyut does not implement (e.g. short-name read/write, GET with-list-and-
// first-datablock variants, ACTION with pblock); kLimitExceeded for the named limits.
Result<Apdu> decode_apdu(ByteView complete_apdu);

// Multi-line human-readable rendering (values via axdr::to_text), for `vidyut dlms decode`.
std::string describe(const Apdu& apdu);

// The APDU's kind as in the standard: "get-request-normal", "aare", "glo-get-request" ...
std::string apdu_name(const Apdu& apdu);

// The invoke-id-and-priority of a GET/SET/ACTION request or response; nullopt for others.
std::optional<InvokeIdAndPriority> invoke_id_of(const Apdu& apdu);

// Looks through the nested service variants: apdu_get<GetResponseNormal>(apdu) is non-null when
// the APDU is a Get-Response of the normal choice. T may also be a top-level alternative.
template <typename T>
const T* apdu_get(const Apdu& apdu) {
  return std::visit(
      [](const auto& a) -> const T* {
        using A = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<A, T>) {
          return &a;
        } else if constexpr (std::is_same_v<A, GetRequest> || std::is_same_v<A, GetResponse> ||
                             std::is_same_v<A, SetRequest> || std::is_same_v<A, SetResponse> ||
                             std::is_same_v<A, ActionRequest> ||
                             std::is_same_v<A, ActionResponse>) {
          return std::visit(
              [](const auto& inner) -> const T* {
                if constexpr (std::is_same_v<std::decay_t<decltype(inner)>, T>) {
                  return &inner;
                } else {
                  return nullptr;
                }
              },
              a);
        } else {
          return nullptr;
        }
      },
      apdu);
}

}  // namespace vidyut::dlms
