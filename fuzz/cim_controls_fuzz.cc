// Fuzz target for IEC 61968-9 EndDeviceControls requests (src/cim/end_device_controls.h): XML
// from another system, which may be malformed or hostile. An accepted request must respect every
// named limit (controls, meters, field length), name at least one meter per control, carry only
// valid text, and map exactly the two switch codes to actions; its reply must be well-formed XML.
// Traps otherwise.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "cim/end_device_controls.h"
#include "cim/message.h"
#include "core/text.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_cim_controls: %s %s\n", what, detail.c_str());
  __builtin_trap();
}

void check_field(const std::string& s) {
  if (s.size() > vidyut::cim::kMaxFieldBytes) fail("field beyond the limit", s);
  if (!vidyut::valid_utf8(s)) fail("invalid UTF-8 accepted");
  for (unsigned char c : s) {
    if (c < 0x20 && c != '\t') fail("control character accepted", s);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vidyut::cim;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = parse_end_device_controls(text);
  if (!r.ok()) {
    if (r.error().message.empty()) fail("an error without a message");
    return 0;
  }
  if (r->controls.empty() || r->controls.size() > kMaxControls) fail("controls out of bounds");
  std::size_t meters = 0;
  std::vector<ControlReply> replies;
  for (const auto& c : r->controls) {
    check_field(c.type_code);
    check_field(c.reason);
    check_field(c.issuer_tracking_id);
    if (c.meters.empty()) fail("a control without meters");
    const bool open = c.type_code == kOpenSwitch, close = c.type_code == kCloseSwitch;
    if (c.action.has_value() != (open || close)) fail("action and code disagree", c.type_code);
    ControlReply cr;
    cr.type_code = c.type_code;
    cr.issuer_tracking_id = c.issuer_tracking_id;
    for (const auto& m : c.meters) {
      check_field(m);
      if (m.empty()) fail("an empty meter id");
      cr.outcomes.push_back({m, "1", c.reason});
    }
    meters += c.meters.size();
    replies.push_back(std::move(cr));
  }
  if (meters > kMaxControlledMeters) fail("meters beyond the limit");
  Reply reply{ReplyResult::kPartial, {{"2.4", r->header.source, r->header.message_id}}};
  const std::string out = envelope_open(reply_header(r->header, {}, "Vidyut", "m"), &reply) +
                          end_device_controls_reply(replies) + envelope_close();
  pugi::xml_document doc;
  if (!doc.load_buffer(out.data(), out.size())) fail("the reply is not well-formed", out);
  return 0;
}
