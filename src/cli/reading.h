// Reading COSEM attributes for people: names, units and scalers from the IS 15959 catalogue and
// the meter's own scaler_unit / scaler profiles, profile buffers as tables with IST times.
// Shared by `vidyut dlms read`, `vidyut dlms action` and `vidyut selfcheck`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "dlms/apdu/xdlms.h"
#include "dlms/axdr/data.h"
#include "dlms/axdr/obis.h"
#include "dlms/cosem/render.h"
#include "dlms/session/client.h"

namespace vidyut::cli {

// Rows printed from one profile read; the rest are counted, not shown (a 45-day block-load read
// is 4,320 rows).
inline constexpr std::size_t kMaxTableRows = 10'000;

// "OBIS:N": an attribute (read) or method (action) of one object.
struct Target {
  dlms::Obis obis;
  std::int8_t index = 2;
  std::uint16_t class_id = 0;
};

// Parses "1.0.99.1.0.255:2". The class id comes from `class_override` when given, else from the
// catalogue; kInvalidArgument when neither knows it.
Result<Target> parse_target(std::string_view text, std::optional<std::uint16_t> class_override);

// Values, times and JSON strings as people read them (dlms/cosem/render.h).
using dlms::cosem::format_date_time;
using dlms::cosem::format_ist;
using dlms::cosem::json_string;

struct Reading {
  bool success = false;             // false when the meter answered a data-access-result
  std::string text;                 // ready to print, ends with '\n'
  std::string json;                 // one JSON object
  std::optional<dlms::Data> value;  // the raw value read, when success
  std::size_t rows = 0;             // profile rows (buffer reads)
};

// Reads `target` (and, for registers and profiles, what is needed to scale and name it).
// Errors are the client's (timeouts, closed links); a meter's refusal is a Reading with
// success == false.
Result<Reading> read_and_format(dlms::Client& client, const Target& target,
                                const std::optional<dlms::SelectiveAccess>& access);

// Range access on the clock column from ISO 8601 texts (IST offsets allowed).
Result<dlms::SelectiveAccess> make_range(std::string_view from, std::string_view to);

}  // namespace vidyut::cli
