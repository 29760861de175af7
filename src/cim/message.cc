#include "cim/message.h"

#include "cim/xml_io.h"

namespace vidyut::cim {

const char* to_string(ReplyResult r) {
  switch (r) {
    case ReplyResult::kOk:
      return "OK";
    case ReplyResult::kPartial:
      return "PARTIAL";
    case ReplyResult::kFailed:
      return "FAILED";
  }
  return "FAILED";
}

Header reply_header(const Header& request, UtcTime now, std::string source,
                    std::string message_id) {
  Header h;
  h.verb = "reply";
  h.noun = request.noun;
  h.timestamp = now;
  h.source = std::move(source);
  h.message_id = std::move(message_id);
  h.correlation_id = request.correlation_id.empty() ? request.message_id : request.correlation_id;
  return h;
}

std::string envelope_open(const Header& h, const Reply* reply, bool event) {
  const char* root = event ? "EventMessage" : "ResponseMessage";
  pugi::xml_document doc;
  pugi::xml_node header = doc.append_child("Header");
  xml::add_text(header, "Verb", h.verb, false);
  xml::add_text(header, "Noun", h.noun, false);
  xml::add_text(header, "Revision", h.revision);
  xml::add_text(header, "Timestamp", format_iso8601(h.timestamp), false);
  xml::add_text(header, "Source", h.source);
  xml::add_text(header, "MessageID", h.message_id);
  xml::add_text(header, "CorrelationID", h.correlation_id);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<";
  out += root;
  out += " xmlns=\"";
  out += kMessageNamespace;
  out += "\">\n";
  out += xml::print(header, 1);
  if (reply != nullptr) {
    pugi::xml_node r = doc.append_child("Reply");
    xml::add_text(r, "Result", to_string(reply->result), false);
    for (const auto& e : reply->errors) {
      pugi::xml_node en = r.append_child("Error");
      xml::add_text(en, "code", e.code, false);
      xml::add_text(en, "details", e.details);
      if (!e.object_id.empty()) {
        pugi::xml_node id = xml::add_text(en, "ID", e.object_id);
        id.append_attribute("kind").set_value("name");
      }
    }
    out += xml::print(r, 1);
  }
  out += "  <Payload>\n";
  return out;
}

std::string envelope_close(bool event) {
  return event ? "  </Payload>\n</EventMessage>\n" : "  </Payload>\n</ResponseMessage>\n";
}

}  // namespace vidyut::cim
