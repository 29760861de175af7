// XML helpers of the CIM messages (pugixml), inside this module only.
#pragma once

#include <pugixml.hpp>
#include <string>
#include <string_view>

#include "cim/message.h"
#include "core/result.h"

namespace vidyut::cim::xml {

// The local name of an element ("ns0:Header" -> "Header").
std::string_view local_name(const char* qualified);
// The first child element of `n` with local name `name` (an empty node when none).
pugi::xml_node child(const pugi::xml_node& n, std::string_view name);
// The text of child element `name` of `n`, trimmed ("" when absent); kLimitExceeded beyond
// kMaxFieldBytes, kMalformed when not valid UTF-8 or when it holds control characters.
Result<std::string> child_text(const pugi::xml_node& n, std::string_view name);
// The attribute `ref` of child element `name` (an IEC 61968-9 type reference), checked alike.
Result<std::string> child_ref(const pugi::xml_node& n, std::string_view name);

// Parses a request document (at most kMaxMessageBytes; no DTD) and returns its root element,
// which must have local name `root_name`.
Result<pugi::xml_node> parse_document(pugi::xml_document& doc, std::string_view text,
                                      std::string_view root_name);

// The Header of a request envelope.
Result<Header> parse_header(const pugi::xml_node& root);

// `n` printed as indented XML at `depth` (two spaces a level), without a declaration.
std::string print(const pugi::xml_node& n, unsigned depth);

// Adds <name>text</name> to `parent` (nothing when `text` is empty and `skip_empty`).
pugi::xml_node add_text(pugi::xml_node parent, const char* name, const std::string& text,
                        bool skip_empty = true);
// Adds <name ref="ref"/> to `parent`.
pugi::xml_node add_ref(pugi::xml_node parent, const char* name, const std::string& ref);

}  // namespace vidyut::cim::xml
