// The IEC 61968-100 message envelope that carries Vidyut's IEC 61968-9 (CIM) messages
// (docs/cim.md): a Header (verb, noun, timestamp, source, message and correlation ids), a Reply
// (result and errors) in answers, and the Payload. Messages are XML; the envelope's namespace is
// kMessageNamespace and each payload has its own (kMeterReadingsNamespace ...).
//
// Parsing takes untrusted bytes: at most kMaxMessageBytes, no DTD and no entities beyond XML's
// five (pugixml expands nothing else), elements matched by their local name whatever their
// namespace prefix. Writing escapes every text it is given.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace vidyut::cim {

inline constexpr const char* kMessageNamespace = "http://iec.ch/TC57/2011/schema/message";
inline constexpr const char* kMeterReadingsNamespace = "http://iec.ch/TC57/2011/MeterReadings#";
inline constexpr const char* kEndDeviceEventsNamespace = "http://iec.ch/TC57/2011/EndDeviceEvents#";
inline constexpr const char* kEndDeviceControlsNamespace =
    "http://iec.ch/TC57/2011/EndDeviceControls#";

// Largest request message accepted, in bytes.
inline constexpr std::size_t kMaxMessageBytes = 1 << 20;
// Longest text accepted in any one field of a request.
inline constexpr std::size_t kMaxFieldBytes = 256;

// What the envelope's Header says. Times are UTC; ids are the sender's.
struct Header {
  std::string verb;  // "create", "get", "reply", "created" ...
  std::string noun;  // "MeterReadings", "EndDeviceEvents", "EndDeviceControls"
  std::string revision = "2.0";
  UtcTime timestamp{};
  std::string source;          // the sending system
  std::string message_id;      // unique per message
  std::string correlation_id;  // in a reply: the request's message id (or its correlation id)
  std::string reply_address;   // where a requester wants asynchronous answers (kept, not used)
};

// Reply.Result of an answer, as IEC 61968-100 names them.
enum class ReplyResult { kOk, kPartial, kFailed };
const char* to_string(ReplyResult r);

// One Reply.Error: a code ("2.4"; docs/cim.md lists those Vidyut sends), its details, and the
// object it is about (a meter's serial), if any.
struct ReplyError {
  std::string code;
  std::string details;
  std::string object_id;
};

struct Reply {
  ReplyResult result = ReplyResult::kOk;
  std::vector<ReplyError> errors;
};

// The reply Header for `request`: verb "reply", the request's noun, correlated to the request's
// correlation id when it has one and to its message id otherwise.
Header reply_header(const Header& request, UtcTime now, std::string source, std::string message_id);

// The XML declaration and the envelope's opening: <ResponseMessage> (or <EventMessage> when
// `event`) with its Header and Reply, and the opening of <Payload>. The caller appends the
// payload (one element, in its own namespace) and then envelope_close().
std::string envelope_open(const Header& h, const Reply* reply, bool event = false);
std::string envelope_close(bool event = false);

}  // namespace vidyut::cim
