// IEC 61968-9 MeterReadings (docs/cim.md, "Meter readings"): a meter's 15-minute energy as
// IntervalBlocks of a ReadingType, each interval stamped at its end (the CIM convention), in kWh
// with three decimals written from integer Wh (never through floating point), estimated values
// marked with a ReadingQuality.
//
// Written a meter at a time, so that the readings of a whole fleet can be streamed:
// envelope_open(header, &reply) + kOpen + meter_reading(...) ... + kClose + envelope_close().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.h"

namespace vidyut::cim {

// ReadingType codes (the 18 fields of IEC 61968-9 Annex C): 15-minute delta data, electricity
// secondary metered, energy, kWh; forward (import) and reverse (export).
inline constexpr const char* kReadingType15MinImportKwh = "0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0";
inline constexpr const char* kReadingType15MinExportKwh = "0.0.2.4.19.1.12.0.0.0.0.0.0.0.0.3.72.0";
// ReadingQualityType of a value the MDM estimated (system 2, MDM; category 8, projected).
inline constexpr const char* kQualityEstimated = "2.8.0";

struct IntervalValue {
  UtcTime end{};           // the interval's end
  std::int64_t wh = 0;     // energy in the interval
  bool estimated = false;  // estimated or edited by the MDM, not measured
};

struct MeterReadingBlock {
  std::string meter;        // the meter's serial: its mRID and its name
  std::string usage_point;  // the consumer id (empty for DT and feeder meters)
  UtcTime from{}, to{};     // the period read: valuesInterval
  std::vector<IntervalValue> import;
  std::vector<IntervalValue> exported;  // empty: no export block
};

inline constexpr const char* kMeterReadingsOpen =
    "    <MeterReadings xmlns=\"http://iec.ch/TC57/2011/MeterReadings#\">\n";
inline constexpr const char* kMeterReadingsClose = "    </MeterReadings>\n";

// One <MeterReading> element, indented for its place inside the envelope.
std::string meter_reading(const MeterReadingBlock& m);

// 1234 -> "1.234", -5 -> "-0.005".
std::string kwh_text(std::int64_t wh);

}  // namespace vidyut::cim
