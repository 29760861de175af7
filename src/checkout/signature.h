// The signatures of the hosted-checkout exchange (docs/checkout.md, "The contract"): HMAC-SHA256,
// keyed by the secret the utility and its gateway share, over the message's fields as
// "name=value" lines sorted by name and joined by "\n"; written as 64 lower-case hex digits.
// Both directions use it: the platform signs the redirect that carries the amount through the
// consumer's browser, the gateway signs its notification of the payment.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace vidyut::checkout {

using Fields = std::map<std::string, std::string>;

// `secret` is the shared key's bytes (the key file holds them as hex).
std::string sign(std::string_view secret, const Fields& fields);
// Compared in constant time; false for a signature of the wrong length or not hex.
bool verify(std::string_view secret, const Fields& fields, std::string_view signature);

// "a=1&b=x%20y" for a URL's query, each value percent-encoded (RFC 3986 unreserved kept).
std::string query_string(const Fields& fields);
std::string percent_encode(std::string_view text);

}  // namespace vidyut::checkout
