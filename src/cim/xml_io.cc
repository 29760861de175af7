#include "cim/xml_io.h"

#include <cstring>

#include "core/text.h"

namespace vidyut::cim::xml {

std::string_view local_name(const char* qualified) {
  std::string_view q(qualified);
  const auto colon = q.rfind(':');
  return colon == std::string_view::npos ? q : q.substr(colon + 1);
}

pugi::xml_node child(const pugi::xml_node& n, std::string_view name) {
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && local_name(c.name()) == name) return c;
  }
  return {};
}

namespace {

Result<std::string> checked(std::string_view what, std::string_view raw) {
  if (raw.size() > kMaxFieldBytes) {
    return Error(Errc::kLimitExceeded, std::string(what) + " is longer than " +
                                           std::to_string(kMaxFieldBytes) + " bytes");
  }
  const auto first = raw.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return std::string();
  const auto last = raw.find_last_not_of(" \t\r\n");
  std::string_view v = raw.substr(first, last - first + 1);
  if (auto t = check_text(what, v, kMaxFieldBytes); !t.ok()) {
    return Error(Errc::kMalformed, t.error().message);
  }
  return std::string(v);
}

}  // namespace

Result<std::string> child_text(const pugi::xml_node& n, std::string_view name) {
  pugi::xml_node c = child(n, name);
  if (!c) return std::string();
  return checked(name, c.child_value());
}

Result<std::string> child_ref(const pugi::xml_node& n, std::string_view name) {
  pugi::xml_node c = child(n, name);
  if (!c) return std::string();
  return checked(name, c.attribute("ref").value());
}

Result<pugi::xml_node> parse_document(pugi::xml_document& doc, std::string_view text,
                                      std::string_view root_name) {
  if (text.size() > kMaxMessageBytes) {
    return Error(Errc::kLimitExceeded,
                 "message larger than " + std::to_string(kMaxMessageBytes) + " bytes");
  }
  // Elements, attributes, text and XML's five entities; no DTD is processed, so no entity of
  // the sender's own is ever expanded.
  const unsigned options = pugi::parse_escapes | pugi::parse_eol | pugi::parse_wconv_attribute;
  const pugi::xml_parse_result r =
      doc.load_buffer(text.data(), text.size(), options, pugi::encoding_utf8);
  if (!r) {
    return Error(Errc::kMalformed, std::string("not well-formed XML: ") + r.description() +
                                       " at byte " + std::to_string(r.offset));
  }
  pugi::xml_node root = doc.document_element();
  if (!root || local_name(root.name()) != root_name) {
    return Error(Errc::kMalformed, "the document is not a " + std::string(root_name));
  }
  return root;
}

Result<Header> parse_header(const pugi::xml_node& root) {
  pugi::xml_node h = child(root, "Header");
  if (!h) return Error(Errc::kMalformed, "the message has no Header");
  Header out;
  VIDYUT_TRY(verb, child_text(h, "Verb"));
  VIDYUT_TRY(noun, child_text(h, "Noun"));
  VIDYUT_TRY(revision, child_text(h, "Revision"));
  VIDYUT_TRY(ts, child_text(h, "Timestamp"));
  VIDYUT_TRY(source, child_text(h, "Source"));
  VIDYUT_TRY(mid, child_text(h, "MessageID"));
  VIDYUT_TRY(cid, child_text(h, "CorrelationID"));
  VIDYUT_TRY(reply, child_text(h, "ReplyAddress"));
  if (verb->empty() || noun->empty()) {
    return Error(Errc::kMalformed, "the Header needs a Verb and a Noun");
  }
  out.verb = std::move(*verb);
  out.noun = std::move(*noun);
  if (!revision->empty()) out.revision = std::move(*revision);
  if (!ts->empty()) {
    auto t = parse_iso8601(*ts);
    if (!t.ok()) return Error(Errc::kMalformed, "Header Timestamp is not an ISO 8601 time");
    out.timestamp = *t;
  }
  out.source = std::move(*source);
  out.message_id = std::move(*mid);
  out.correlation_id = std::move(*cid);
  out.reply_address = std::move(*reply);
  return out;
}

namespace {

struct StringWriter final : pugi::xml_writer {
  std::string out;
  void write(const void* data, size_t size) override {
    out.append(static_cast<const char*>(data), size);
  }
};

}  // namespace

std::string print(const pugi::xml_node& n, unsigned depth) {
  StringWriter w;
  n.print(w, "  ", pugi::format_indent, pugi::encoding_utf8, depth);
  return std::move(w.out);
}

pugi::xml_node add_text(pugi::xml_node parent, const char* name, const std::string& text,
                        bool skip_empty) {
  if (text.empty() && skip_empty) return {};
  pugi::xml_node n = parent.append_child(name);
  n.text().set(text.c_str());
  return n;
}

pugi::xml_node add_ref(pugi::xml_node parent, const char* name, const std::string& ref) {
  pugi::xml_node n = parent.append_child(name);
  n.append_attribute("ref").set_value(ref.c_str());
  return n;
}

}  // namespace vidyut::cim::xml
