// What meters push and what range reads return, decoded into the head end's terms: block-load
// intervals, alert pushes carrying the event status word (ESW), and the alerts an ESW change
// raises. Pure functions over decoded DLMS values; no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "dlms/apdu/xdlms.h"
#include "dlms/axdr/data.h"
#include "store/store.h"

namespace vidyut::headend {

// Most rows one push or one range read may carry into the store (45 days of 15-minute rows is
// 4,320; a meter that sends more is not believed).
inline constexpr std::size_t kMaxRowsPerRead = 10'000;

// One block-load row, in UTC, energy in Wh / VAh (scaler 0, as IS 15959 block energy is kept).
struct BlockInterval {
  UtcTime start{};
  std::int64_t import_wh = 0;
  std::int64_t import_vah = 0;
  std::int64_t export_wh = 0;
  std::int64_t export_vah = 0;
  bool operator==(const BlockInterval&) const = default;
};

// Where the energy columns sit in a block-load row. The IS 15959 column sets per meter kind
// (single-phase, three-phase, DT/feeder) come from the catalogue; a meter's own capture objects
// are the authority, so a layout can also be built from them.
struct BlockLayout {
  std::size_t columns = 0;
  std::size_t clock = 0;
  std::optional<std::size_t> import_wh, import_vah, export_wh, export_vah;
};
BlockLayout block_layout_for_kind(std::string_view kind);
BlockLayout block_layout_from(const std::vector<dlms::CaptureObjectDefinition>& columns);

struct RowOptions {
  std::int32_t period_s = 900;
  // The row's clock marks the end of its interval instead of its start.
  bool stamp_at_end = false;
};

// Decodes an array of row structures. Each start is aligned down to the period (meter clocks
// are not exact). kMalformed for a row that does not fit the layout; kLimitExceeded beyond
// kMaxRowsPerRead.
Result<std::vector<BlockInterval>> decode_block_rows(const dlms::Data& rows,
                                                     const BlockLayout& layout,
                                                     const RowOptions& options);

// A decoded push: the body of a Data-Notification from an IS 15959 meter.
struct PushContent {
  enum class Kind : std::uint8_t { kBlockLoad, kAlert };
  Kind kind = Kind::kBlockLoad;
  std::string logical_device_name;
  dlms::Obis push_object;
  std::vector<BlockInterval> rows;     // kBlockLoad
  UtcTime at{};                        // kAlert: the meter's time of the alert
  std::array<std::uint8_t, 16> esw{};  // kAlert: ESW bits, bit 0 = first bit on the wire
};

// The periodic block-load push object (docs/fleet-simulator.md) and the IS 15959 alert push.
// Body: structure { logical device name, push object OBIS, array of rows } for block load;
// structure { logical device name, push object OBIS, date-time, ESW bit-string } for alerts.
Result<PushContent> decode_push(const dlms::DataNotification& n, const BlockLayout& layout,
                                const RowOptions& options);

// Alerts for the changes between two ESWs: a condition bit (tamper) that rises (active) or falls
// (ended); last gasp, first breath and relay-state-changed whenever they are set (they are
// pulses: set for the push that reports the event). `meter_id`, `at` and
// `received` are copied into each.
std::vector<store::Alert> esw_alerts(std::int64_t meter_id,
                                     const std::array<std::uint8_t, 16>& old_esw,
                                     const std::array<std::uint8_t, 16>& new_esw, UtcTime at,
                                     UtcTime received);

bool esw_test(const std::array<std::uint8_t, 16>& esw, unsigned bit);

// A profile the head end reads on schedule when meters do not push it: the daily load profile,
// the billing profile and the seven IS 15959 event logs.
struct ProfileSpec {
  enum class Schedule : std::uint8_t {
    kDaily,    // after each IST midnight
    kMonthly,  // after each billing date (00:00 IST on the 1st)
  };
  std::string name;  // store::ProfileRow::profile
  dlms::Obis obis;
  Schedule schedule = Schedule::kDaily;
  std::optional<std::size_t> code_column;  // event logs: the event code's column
  std::int64_t window_s = 2 * 86'400;      // how far back one read reaches
  // Read the whole buffer instead of a range: the billing profile holds a dozen rows and its
  // first column is the billing date (class 1), on which meters seldom support range access.
  bool whole_buffer = false;
};
const std::vector<ProfileSpec>& scheduled_profiles();

// The hotspot token log (Vidyut-specific OBIS 0.128.99.98.0.255; docs/hotspot-tokens.md): the
// recharge tokens a meter accepted locally, columns clock, token sequence, amount in rupees. It
// is read on command (store::CommandKind::kRead with argument kTokenLogArgument), not on
// schedule: a range read of the last window_s (40 days). Rows are stored as profile "tokens",
// code = the token sequence, so a token read again is stored once.
inline constexpr std::string_view kTokenLogArgument = "tokens";
const ProfileSpec& token_log_profile();

// The rows of a profile read as the store keeps them: captured = the row's clock (column 1),
// code = the event code column for event logs, data = the row in A-XDR. kMalformed for a row
// without a clock or an oversized row; kLimitExceeded beyond kMaxRowsPerRead rows.
Result<std::vector<store::ProfileRow>> profile_rows_of(std::int64_t meter_id,
                                                       const ProfileSpec& spec,
                                                       const dlms::Data& rows);

}  // namespace vidyut::headend
