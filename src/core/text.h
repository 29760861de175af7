// Text that crosses a boundary (a file, the command line, an HTTP body, a meter): it must be
// valid UTF-8, and fields that end up in logs, audit lines and JSON carry no control characters
// (a newline in an actor's name would forge an audit line; bytes that are not UTF-8 make a JSON
// library throw). Checked where text enters, so that nothing downstream has to.
#pragma once

#include <cstddef>
#include <string_view>

#include "core/result.h"

namespace vidyut {

// The length of the valid UTF-8 sequence starting at s[i] (1 to 4), or 0 when it is not one
// (a stray continuation byte, an overlong form, a surrogate, beyond U+10FFFF, cut short).
// REQUIRES i < s.size().
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

bool valid_utf8(std::string_view s);

// kInvalidArgument naming `what` unless `s` is valid UTF-8, has no control characters (below
// U+0020, and U+007F) and is at most `max_bytes` long. Empty text passes (callers that need a
// value say so).
Status check_text(std::string_view what, std::string_view s, std::size_t max_bytes);

}  // namespace vidyut
