// COSEM values as people read them: one line of text, or JSON, for any A-XDR value a meter can
// send (every tag, nested lists, compact arrays, date-times with unspecified fields, strings
// that are not valid UTF-8, floats that are not finite), with an optional scaler-unit for
// integers. Never fails and never throws; the JSON is always valid (a fuzz target checks both:
// fuzz/render_fuzz.cc). Times are shown in IST (core/clock.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "dlms/axdr/data.h"
#include "dlms/cosem/register.h"

namespace vidyut::dlms::cosem {

// "{5, 2026-11-23 15:45:00 IST}"; an integer with a scaler-unit as "230.12 V" (`with_unit`).
std::string render_text(const Data& d, const std::optional<ScalerUnit>& su = std::nullopt,
                        bool with_unit = true);
// Integers as numbers (scaled when su is given), date-times as ISO 8601 in IST, lists as arrays,
// non-finite floats as null, everything else as a string.
std::string render_json(const Data& d, const std::optional<ScalerUnit>& su = std::nullopt);

// A JSON string literal: quotes, backslashes and control characters escaped, bytes that are not
// valid UTF-8 replaced by U+FFFD.
std::string json_string(std::string_view s);

// "2026-11-23 15:45:00 IST".
std::string format_ist(UtcTime t);
// "2026-11-23T15:45:00+05:30".
std::string iso_ist(UtcTime t);
// A COSEM date-time as IST text; with unspecified fields, its raw form.
std::string format_date_time(const CosemDateTime& dt);

}  // namespace vidyut::dlms::cosem
