#include "headend/profile.h"

#include <algorithm>

#include "dlms/cosem/is15959.h"
#include "dlms/cosem/vidyut_objects.h"

namespace vidyut::headend {

namespace is = dlms::is15959;
using dlms::Data;
using dlms::DataTag;

namespace {

Error malformed(std::string what) { return Error(Errc::kMalformed, std::move(what)); }

std::optional<std::int64_t> cell_int(const dlms::DataList& row, std::optional<std::size_t> i) {
  if (!i) return std::int64_t{0};
  if (*i >= row.size()) return std::nullopt;
  if (row[*i].tag() == DataTag::kNull) return std::int64_t{0};
  return row[*i].as_int();
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

BlockLayout block_layout_from(const std::vector<dlms::CaptureObjectDefinition>& columns) {
  BlockLayout l;
  l.columns = columns.size();
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const auto& o = columns[i].logical_name;
    if (o == is::kClock) l.clock = i;
    if (o == is::kBlockImportKwh) l.import_wh = i;
    if (o == is::kBlockImportKvah) l.import_vah = i;
    if (o == is::kBlockExportKwh) l.export_wh = i;
    if (o == is::kBlockExportKvah) l.export_vah = i;
  }
  return l;
}

BlockLayout block_layout_for_kind(std::string_view kind) {
  std::span<const dlms::CaptureObjectDefinition> cols = is::block_load_single_phase();
  if (kind == "three-phase") cols = is::block_load_three_phase();
  if (kind == "dt" || kind == "feeder") cols = is::block_load_dt();
  return block_layout_from({cols.begin(), cols.end()});
}

Result<std::vector<BlockInterval>> decode_block_rows(const Data& rows, const BlockLayout& layout,
                                                     const RowOptions& options) {
  if (options.period_s <= 0) return Error(Errc::kInvalidArgument, "period must be positive");
  const auto* list = rows.as_list();
  if (list == nullptr || rows.tag() != DataTag::kArray) {
    return malformed("block-load rows: not an array");
  }
  if (list->size() > kMaxRowsPerRead) {
    return Error(Errc::kLimitExceeded, "block-load rows: " + std::to_string(list->size()) +
                                           " rows, more than " + std::to_string(kMaxRowsPerRead));
  }
  std::vector<BlockInterval> out;
  out.reserve(list->size());
  const std::int64_t period_ms = std::int64_t{options.period_s} * 1000;
  for (std::size_t r = 0; r < list->size(); ++r) {
    const auto* row = (*list)[r].as_list();
    if (row == nullptr || row->size() != layout.columns || layout.clock >= row->size()) {
      return malformed("block-load row " + std::to_string(r) + ": expected " +
                       std::to_string(layout.columns) + " columns");
    }
    const auto dt = (*row)[layout.clock].as_date_time();
    if (!dt) return malformed("block-load row " + std::to_string(r) + ": no date-time");
    auto t = dt->to_utc();
    if (!t.ok()) return malformed("block-load row " + std::to_string(r) + ": " + t.error().message);
    std::int64_t ms = t->time_since_epoch().count();
    if (options.stamp_at_end) ms -= period_ms;
    ms = floor_div(ms, period_ms) * period_ms;
    BlockInterval b;
    b.start = UtcTime(Millis(ms));
    const auto iw = cell_int(*row, layout.import_wh);
    const auto iv = cell_int(*row, layout.import_vah);
    const auto ew = cell_int(*row, layout.export_wh);
    const auto ev = cell_int(*row, layout.export_vah);
    if (!iw || !iv || !ew || !ev || *iw < 0 || *iv < 0 || *ew < 0 || *ev < 0) {
      return malformed("block-load row " + std::to_string(r) + ": energy is not a count");
    }
    b.import_wh = *iw;
    b.import_vah = *iv;
    b.export_wh = *ew;
    b.export_vah = *ev;
    out.push_back(b);
  }
  return out;
}

Result<PushContent> decode_push(const dlms::DataNotification& n, const BlockLayout& layout,
                                const RowOptions& options) {
  const auto* body = n.body.as_list();
  if (body == nullptr || n.body.tag() != DataTag::kStructure || body->size() < 3) {
    return malformed("push body: not a structure of at least 3 elements");
  }
  PushContent p;
  if (const auto* ldn = (*body)[0].as_octets()) {
    p.logical_device_name.assign(ldn->begin(), ldn->end());
  } else if (const auto* t = (*body)[0].as_text()) {
    p.logical_device_name = *t;
  }
  const auto* obis = (*body)[1].as_octets();
  if (obis == nullptr || obis->size() != 6) return malformed("push body: no push object OBIS");
  p.push_object =
      dlms::Obis{(*obis)[0], (*obis)[1], (*obis)[2], (*obis)[3], (*obis)[4], (*obis)[5]};
  if (p.push_object == is::kAlertPush) {
    if (body->size() != 4) return malformed("alert push: expected 4 elements");
    p.kind = PushContent::Kind::kAlert;
    const auto dt = (*body)[2].as_date_time();
    if (!dt) return malformed("alert push: no date-time");
    auto t = dt->to_utc();
    if (!t.ok()) return malformed("alert push: " + t.error().message);
    p.at = *t;
    const auto* bits = (*body)[3].as_bits();
    if (bits == nullptr) return malformed("alert push: no ESW bit-string");
    for (std::size_t i = 0; i < p.esw.size() * 8; ++i) {
      if (bits->test(i)) p.esw[i / 8] |= static_cast<std::uint8_t>(0x80u >> (i % 8));
    }
    return p;
  }
  if (body->size() != 3) return malformed("block-load push: expected 3 elements");
  p.kind = PushContent::Kind::kBlockLoad;
  auto rows = decode_block_rows((*body)[2], layout, options);
  if (!rows.ok()) return rows.error();
  p.rows = std::move(*rows);
  return p;
}

bool esw_test(const std::array<std::uint8_t, 16>& esw, unsigned bit) {
  if (bit >= esw.size() * 8) return false;
  return ((esw[bit / 8] >> (7 - bit % 8)) & 1u) != 0;
}

std::vector<store::Alert> esw_alerts(std::int64_t meter_id,
                                     const std::array<std::uint8_t, 16>& old_esw,
                                     const std::array<std::uint8_t, 16>& new_esw, UtcTime at,
                                     UtcTime received) {
  std::vector<store::Alert> out;
  for (unsigned bit = 0; bit < is::kEswBits; ++bit) {
    const bool was = esw_test(old_esw, bit);
    const bool now = esw_test(new_esw, bit);
    // Last gasp, first breath and relay-state-changed are pulses: the meter sets the bit for
    // the push that reports the event and clears it afterwards, so two pushes in a row can both
    // carry it. Each push with the bit set is an event; conditions (tamper) are edges.
    const bool pulse = bit == is::esw::kLastGasp || bit == is::esw::kFirstBreath ||
                       bit == is::esw::kRelayStateChanged;
    if (pulse ? !now : was == now) continue;
    store::Alert a;
    a.meter_id = meter_id;
    a.at = at;
    a.received = received;
    a.active = now;
    const char* name = is::esw_bit_name(bit);
    switch (bit) {
      case is::esw::kLastGasp:
        if (!now) continue;
        a.kind = "outage";
        a.name = "last-gasp";
        break;
      case is::esw::kFirstBreath:
        if (!now) continue;
        a.kind = "restore";
        a.name = "first-breath";
        break;
      case is::esw::kRelayStateChanged:
        if (!now) continue;
        a.kind = "relay";
        a.name = "relay-state-changed";
        break;
      case is::esw::kMagnet:
        a.kind = "tamper";
        a.name = "magnet";
        break;
      case is::esw::kNeutralDisturbance:
        a.kind = "tamper";
        a.name = "neutral-disturbance";
        break;
      case is::esw::kCoverOpen:
        a.kind = "tamper";
        a.name = "cover-open";
        break;
      case 6:
        a.kind = "tamper";
        a.name = "current-reverse";
        break;
      case 10:
        a.kind = "tamper";
        a.name = "bypass";
        break;
      default:
        a.kind = "event";
        a.name = name != nullptr ? name : "esw-bit-" + std::to_string(bit);
        break;
    }
    a.detail = "ESW bit " + std::to_string(bit) +
               (name != nullptr ? std::string(" (") + name + ")" : "") +
               (now ? " set" : " cleared");
    out.push_back(std::move(a));
  }
  return out;
}

const std::vector<ProfileSpec>& scheduled_profiles() {
  static const std::vector<ProfileSpec> specs = [] {
    std::vector<ProfileSpec> v;
    v.push_back(
        {"daily", is::kDailyLoadProfile, ProfileSpec::Schedule::kDaily, std::nullopt, 2 * 86'400});
    v.push_back({"billing", is::kBillingProfile, ProfileSpec::Schedule::kMonthly, std::nullopt,
                 40 * 86'400, true});
    const std::pair<is::EventLog, const char*> logs[] = {
        {is::EventLog::kVoltage, "event-voltage"},
        {is::EventLog::kCurrent, "event-current"},
        {is::EventLog::kPower, "event-power"},
        {is::EventLog::kTransaction, "event-transaction"},
        {is::EventLog::kOther, "event-other"},
        {is::EventLog::kNonRollover, "event-non-rollover"},
        {is::EventLog::kControl, "event-control"},
    };
    for (const auto& [log, name] : logs) {
      std::optional<std::size_t> code;
      const auto cols = is::event_log_columns(log);
      for (std::size_t i = 0; i < cols.size(); ++i) {
        if (cols[i].logical_name == is::event_code_obis(log)) code = i;
      }
      v.push_back({name, is::event_log_obis(log), ProfileSpec::Schedule::kDaily, code, 2 * 86'400});
    }
    return v;
  }();
  return specs;
}

const ProfileSpec& token_log_profile() {
  static const ProfileSpec spec{std::string(kTokenLogArgument),
                                dlms::vidyut_objects::kTokenLog,
                                ProfileSpec::Schedule::kDaily,
                                dlms::vidyut_objects::kTokenLogSequenceColumn,
                                40 * 86'400,
                                false};
  return spec;
}

Result<std::vector<store::ProfileRow>> profile_rows_of(std::int64_t meter_id,
                                                       const ProfileSpec& spec,
                                                       const dlms::Data& rows) {
  const auto* list = rows.as_list();
  if (list == nullptr || rows.tag() != DataTag::kArray) {
    return malformed(spec.name + " rows: not an array");
  }
  if (list->size() > kMaxRowsPerRead) {
    return Error(Errc::kLimitExceeded, spec.name + " rows: too many");
  }
  std::vector<store::ProfileRow> out;
  out.reserve(list->size());
  for (std::size_t r = 0; r < list->size(); ++r) {
    const auto* row = (*list)[r].as_list();
    if (row == nullptr || row->empty()) {
      return malformed(spec.name + " row " + std::to_string(r) + ": not a structure");
    }
    const auto dt = (*row)[0].as_date_time();
    if (!dt) return malformed(spec.name + " row " + std::to_string(r) + ": no clock");
    auto t = dt->to_utc();
    if (!t.ok())
      return malformed(spec.name + " row " + std::to_string(r) + ": " + t.error().message);
    store::ProfileRow p;
    p.meter_id = meter_id;
    p.profile = spec.name;
    p.captured = *t;
    if (spec.code_column && *spec.code_column >= row->size()) {
      return malformed(spec.name + " row " + std::to_string(r) + ": no event code column");
    }
    if (spec.code_column) {
      const auto c = (*row)[*spec.code_column].as_int();
      if (!c || *c < 0 || *c > 0xFFFF) {
        return malformed(spec.name + " row " + std::to_string(r) + ": no event code");
      }
      p.code = static_cast<std::int32_t>(*c);
    }
    Bytes enc = dlms::axdr::encode((*list)[r]);
    if (enc.size() > store::kMaxProfileRowBytes) {
      return malformed(spec.name + " row " + std::to_string(r) + ": larger than " +
                       std::to_string(store::kMaxProfileRowBytes) + " bytes");
    }
    p.data.assign(enc.begin(), enc.end());
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace vidyut::headend
