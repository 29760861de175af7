#include "dlms/session/association.h"

namespace vidyut::dlms {

std::string_view to_string(Authentication auth) {
  switch (auth) {
    case Authentication::kNone:
      return "none";
    case Authentication::kLow:
      return "low";
    case Authentication::kHlsGmac:
      return "hls-gmac";
  }
  return "unknown";
}

bool parse_authentication(std::string_view text, Authentication& out) {
  if (text == "none") {
    out = Authentication::kNone;
  } else if (text == "low" || text == "lls") {
    out = Authentication::kLow;
  } else if (text == "hls-gmac" || text == "hls") {
    out = Authentication::kHlsGmac;
  } else {
    return false;
  }
  return true;
}

}  // namespace vidyut::dlms
