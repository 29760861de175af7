// Vidyut's own COSEM objects: manufacturer-specific OBIS codes (value group B = 128, which the
// OBIS rules reserve for manufacturer-specific use), not part of IS 15959 and so kept out of
// is15959.h's catalogue. The simulated meter hosts them and the head end reads them; both take
// the codes from here.
//
// The hotspot token log (docs/hotspot-tokens.md): one row per recharge token the meter accepted
// locally (typed in through its Wi-Fi hotspot, with or without a network), oldest first, read by
// range on the clock column like the IS 15959 profiles.
#pragma once

#include <array>
#include <cstddef>

#include "dlms/apdu/xdlms.h"
#include "dlms/axdr/obis.h"

namespace vidyut::dlms::vidyut_objects {

// Data (class 1): the communication module's active SIM and its network operator, as
// structure {active SIM (unsigned: 1 or 2; 0 = none up), operator (visible-string, e.g. "JIO")}.
// IS 15959 has no object for a dual-SIM modem's active SIM; the DLMS GSM diagnostic object
// (class 47, 0.0.25.6.0.255) gives the operator of the one modem, not which SIM is in use. The
// head end reads this object to learn a meter's SIM path from the meter itself
// (docs/head-end.md, "SIM and operator").
inline constexpr Obis kActiveSim{0, 128, 25, 6, 0, 255};
inline constexpr std::size_t kActiveSimNumberField = 0;
inline constexpr std::size_t kActiveSimOperatorField = 1;

// Profile generic (class 7) holding the token log.
inline constexpr Obis kTokenLog{0, 128, 99, 98, 0, 255};
// Data (class 1): the sequence (long-unsigned) and amount in rupees (double-long-unsigned) of
// the last token accepted; the token log's columns 2 and 3 capture them.
inline constexpr Obis kTokenSequence{0, 128, 96, 98, 1, 255};
inline constexpr Obis kTokenAmount{0, 128, 96, 98, 2, 255};

// Token log columns: clock (date-time), token sequence, amount in rupees.
inline constexpr std::size_t kTokenLogClockColumn = 0;
inline constexpr std::size_t kTokenLogSequenceColumn = 1;
inline constexpr std::size_t kTokenLogAmountColumn = 2;
inline std::array<CaptureObjectDefinition, 3> token_log_columns() {
  return {kClockTimeColumn, CaptureObjectDefinition{1, kTokenSequence, 2, 0},
          CaptureObjectDefinition{1, kTokenAmount, 2, 0}};
}

}  // namespace vidyut::dlms::vidyut_objects
