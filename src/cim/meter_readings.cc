#include "cim/meter_readings.h"

#include <fmt/format.h>

#include "cim/message.h"
#include "cim/xml_io.h"

namespace vidyut::cim {

std::string kwh_text(std::int64_t wh) {
  const bool negative = wh < 0;
  const std::uint64_t m =
      negative ? static_cast<std::uint64_t>(-(wh + 1)) + 1 : static_cast<std::uint64_t>(wh);
  return fmt::format("{}{}.{:03}", negative ? "-" : "", m / 1000, m % 1000);
}

namespace {

void add_block(pugi::xml_node reading, const std::vector<IntervalValue>& values,
               const char* reading_type) {
  pugi::xml_node block = reading.append_child("IntervalBlocks");
  for (const auto& v : values) {
    pugi::xml_node iv = block.append_child("IntervalReadings");
    xml::add_text(iv, "timeStamp", format_iso8601(v.end), false);
    xml::add_text(iv, "value", kwh_text(v.wh), false);
    if (v.estimated) {
      xml::add_ref(iv.append_child("ReadingQualities"), "ReadingQualityType", kQualityEstimated);
    }
  }
  xml::add_ref(block, "ReadingType", reading_type);
}

}  // namespace

std::string meter_reading(const MeterReadingBlock& m) {
  pugi::xml_document doc;
  pugi::xml_node r = doc.append_child("MeterReading");
  add_block(r, m.import, kReadingType15MinImportKwh);
  if (!m.exported.empty()) add_block(r, m.exported, kReadingType15MinExportKwh);
  pugi::xml_node meter = r.append_child("Meter");
  xml::add_text(meter, "mRID", m.meter, false);
  xml::add_text(meter.append_child("Names"), "name", m.meter, false);
  if (!m.usage_point.empty()) xml::add_text(r.append_child("UsagePoint"), "mRID", m.usage_point);
  pugi::xml_node span = r.append_child("valuesInterval");
  xml::add_text(span, "end", format_iso8601(m.to), false);
  xml::add_text(span, "start", format_iso8601(m.from), false);
  return xml::print(r, 3);
}

}  // namespace vidyut::cim
