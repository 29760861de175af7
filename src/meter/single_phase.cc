#include "meter/single_phase.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>

#include "dlms/cosem/is15959.h"
#include "dlms/cosem/vidyut_objects.h"

namespace vidyut::meter {
namespace {

using dlms::CaptureObjectDefinition;
using dlms::CosemDateTime;
using dlms::Data;
using dlms::DataAccessResult;
using dlms::DataTag;
using dlms::GetDataResult;
using dlms::Obis;
using dlms::cosem::AccessContext;
using dlms::cosem::ProfileRow;
using dlms::cosem::ScalerUnit;
using dlms::cosem::Unit;
namespace is = dlms::is15959;

// ---- wire values ----------------------------------------------------------------------------

// How the simulated meter encodes each register: wire type and scaler. Units come from the
// catalogue; scalers follow the catalogue's typical defaults.
struct Encoding {
  DataTag tag = DataTag::kDoubleLongUnsigned;
  std::int8_t scaler = 0;
};

Encoding encoding_of(const Obis& o) {
  const is::ObjectInfo* info = is::find_object(o);
  const std::int8_t scaler = info ? info->scaler : 0;
  if (o == is::kVoltage || o == is::kAvgVoltage || o == is::kFrequency || o == is::kVoltageL1 ||
      o == is::kVoltageL2 || o == is::kVoltageL3 || o == is::kAvgVoltageL1 ||
      o == is::kAvgVoltageL2 || o == is::kAvgVoltageL3) {
    return {DataTag::kLongUnsigned, scaler};
  }
  if (o == is::kPowerFactor || o == is::kPowerFactorL1 || o == is::kPowerFactorL2 ||
      o == is::kPowerFactorL3) {
    return {DataTag::kLong, scaler};  // signed: + lagging import
  }
  if (o == is::kBillingAveragePf) return {DataTag::kLongUnsigned, scaler};
  return {DataTag::kDoubleLongUnsigned, scaler};
}

ScalerUnit scaler_unit_of(const Obis& o) {
  const is::ObjectInfo* info = is::find_object(o);
  return ScalerUnit{encoding_of(o).scaler, info ? info->unit : Unit::kNone};
}

// `physical` in the register's units, scaled and clamped into its wire type.
Data encode_value(const Obis& o, double physical) {
  const Encoding e = encoding_of(o);
  const double raw = std::round(physical / std::pow(10.0, e.scaler));
  switch (e.tag) {
    case DataTag::kLongUnsigned:
      return Data::long_unsigned(static_cast<std::uint16_t>(std::clamp(raw, 0.0, 65'535.0)));
    case DataTag::kLong:
      return Data::long_(static_cast<std::int16_t>(std::clamp(raw, -32'768.0, 32'767.0)));
    default:
      return Data::double_long_unsigned(
          static_cast<std::uint32_t>(std::clamp(raw, 0.0, 4'294'967'295.0)));
  }
}
Data encode_count(std::int64_t v) {
  return Data::double_long_unsigned(
      static_cast<std::uint32_t>(std::clamp<std::int64_t>(v, 0, 4'294'967'295LL)));
}
Data date_time(UtcTime meter_time) {
  return Data::date_time_octets(CosemDateTime::from_utc(meter_time));
}
Data text(const std::string& s) { return Data::visible_string(s); }

// Phase index (0..2) of a per-phase OBIS among L1, L2, L3, if `o` is one of the three.
std::optional<std::size_t> phase_of(const Obis& o, const Obis& l1, const Obis& l2, const Obis& l3) {
  if (o == l1) return 0;
  if (o == l2) return 1;
  if (o == l3) return 2;
  return std::nullopt;
}

// The columns of the instantaneous and block-load profiles for a kind of meter.
std::span<const CaptureObjectDefinition> instant_columns(MeterKind k) {
  return k == MeterKind::kSinglePhase ? is::instantaneous_single_phase()
                                      : is::instantaneous_three_phase();
}
std::span<const CaptureObjectDefinition> block_columns(MeterKind k) {
  switch (k) {
    case MeterKind::kSinglePhase:
      return is::block_load_single_phase();
    case MeterKind::kThreePhase:
      return is::block_load_three_phase();
    case MeterKind::kDt:
    case MeterKind::kFeeder:
      return is::block_load_dt();
  }
  return is::block_load_single_phase();
}

// ToD zone index of a catalogue OBIS 1.0.1.8.z.255 (z = 1..8), if it is one.
std::optional<std::size_t> tod_zone_of(const Obis& o) {
  for (std::uint8_t z = 1; z <= kTodZones; ++z) {
    if (o == is::energy_import_kwh_tod(z)) return z - 1;
  }
  return std::nullopt;
}

bool is_event_code_obis(const Obis& o) {
  for (std::uint8_t l = 0; l < kEventLogCount; ++l) {
    if (o == is::event_code_obis(static_cast<is::EventLog>(l))) return true;
  }
  return false;
}

// What one profile row is about; cells are looked up by column.
struct RowFacts {
  UtcTime stamp;  // meter time of the row
  const BlockRow* block = nullptr;
  const DailyRow* daily = nullptr;
  const BillingRow* bill = nullptr;
  const TodRegisters* tod = nullptr;
  const MeterEvent* event = nullptr;
};

// The value of a block-load column for row `b`, if `o` is one.
std::optional<Data> block_cell(const Obis& o, const BlockRow& b) {
  if (o == is::kAvgVoltage) return encode_value(o, b.avg_voltage_v);
  if (o == is::kAvgCurrent) return encode_value(o, b.avg_current_a);
  if (o == is::kBlockImportKwh) return encode_count(b.import_wh);
  if (o == is::kBlockImportKvah) return encode_count(b.import_vah);
  if (o == is::kBlockExportKwh) return encode_count(b.export_wh);
  if (o == is::kBlockExportKvah) return encode_count(b.export_vah);
  if (auto i = phase_of(o, is::kAvgVoltageL1, is::kAvgVoltageL2, is::kAvgVoltageL3)) {
    return encode_value(o, b.phase_voltage_v[*i]);
  }
  if (auto i = phase_of(o, is::kAvgCurrentL1, is::kAvgCurrentL2, is::kAvgCurrentL3)) {
    return encode_value(o, b.phase_current_a[*i]);
  }
  if (o == is::kBlockKvarhQ1) return encode_count(b.kvarh[0]);
  if (o == is::kBlockKvarhQ2) return encode_count(b.kvarh[1]);
  if (o == is::kBlockKvarhQ3) return encode_count(b.kvarh[2]);
  if (o == is::kBlockKvarhQ4) return encode_count(b.kvarh[3]);
  return std::nullopt;
}

// The value of register `o` as the meter measured it at meter time `t` (energies, measurements
// at that instant; counters and settings as they are now).
Data value_at(const SimulatedMeter& m, const Obis& o, UtcTime t, bool live) {
  const UtcTime true_t = live ? m.true_now() : m.to_true(t);
  LoadSample s = m.sample(slot_of(true_t));
  if (!(live ? m.relay_connected() : m.relay_connected_at(true_t))) {
    s.power_w = 0;
    s.current_a = 0;
    s.power_factor = 1.0;
  }
  if (o == is::kVoltage || o == is::kAvgVoltage) return encode_value(o, s.voltage_v);
  if (o == is::kPhaseCurrent || o == is::kNeutralCurrent || o == is::kAvgCurrent) {
    return encode_value(o, s.current_a);
  }
  if (o == is::kPowerFactor) return encode_value(o, s.power_factor);
  if (o == is::kFrequency) return encode_value(o, s.frequency_hz);
  if (auto i = phase_of(o, is::kVoltageL1, is::kVoltageL2, is::kVoltageL3)) {
    return encode_value(
        o, s.voltage_v * phase_split(m.identity().seed, slot_of(true_t)).voltage_factor[*i]);
  }
  if (auto i = phase_of(o, is::kCurrentL1, is::kCurrentL2, is::kCurrentL3)) {
    const PhaseSplit ps = phase_split(m.identity().seed, slot_of(true_t));
    const double v = s.voltage_v * ps.voltage_factor[*i];
    return encode_value(o, v > 0 ? s.apparent_va() * ps.share[*i] / v : 0.0);
  }
  if (phase_of(o, is::kPowerFactorL1, is::kPowerFactorL2, is::kPowerFactorL3)) {
    return encode_value(o, s.power_factor);
  }
  if (o == is::kActivePower) return encode_value(o, s.power_w);
  if (o == is::kApparentPower) return encode_value(o, s.apparent_va());
  if (o == is::kReactivePower) {
    const double va = s.apparent_va();
    return encode_value(o, std::sqrt(std::max(0.0, va * va - s.power_w * s.power_w)));
  }
  const Registers r = m.registers_at(true_t);
  if (o == is::kEnergyImportKwh) return encode_value(o, static_cast<double>(r.import_wh));
  if (o == is::kEnergyImportKvah) return encode_value(o, static_cast<double>(r.import_vah));
  if (o == is::kEnergyExportKwh) return encode_value(o, static_cast<double>(r.export_wh));
  if (o == is::kEnergyExportKvah) return encode_value(o, static_cast<double>(r.export_vah));
  if (o == is::kPowerOnDuration) return encode_count(m.power_on_minutes_at(true_t));
  if (o == is::kTamperCount) return encode_count(m.tamper_count());
  if (o == is::kBillingCount) return encode_count(m.billing_count());
  if (o == is::kProgrammingCount) return encode_count(m.programming_count());
  if (o == is::kMaxDemandKw) return encode_count(m.max_demand(t).w);
  if (o == is::kMaxDemandKva) return encode_count(m.max_demand(t).va);
  if (auto z = tod_zone_of(o)) return encode_count(m.tod_import_wh({t}).front()[*z]);
  if (o == is::kBillingAveragePf) {
    const auto bills = m.billing(UtcTime::min(), t);
    return encode_value(o, bills.empty() ? 1.0 : bills.back().avg_power_factor);
  }
  {
    // Block registers: the last completed block.
    const std::int64_t p = m.capture_period_s();
    const auto rows = m.block_load(t - std::chrono::seconds(2 * p), t);
    const BlockRow b = rows.empty() ? BlockRow{} : rows.back();
    if (auto v = block_cell(o, b)) return *v;
  }
  return Data();
}

// One cell of a profile row.
Data cell(const SimulatedMeter& m, const CaptureObjectDefinition& c, const RowFacts& f) {
  const Obis& o = c.logical_name;
  if (c.class_id == 8 || o == is::kBillingDate) return date_time(f.stamp);
  if (f.event && is_event_code_obis(o)) return Data::long_unsigned(f.event->code);
  if (const BlockRow* b = f.block) {
    if (auto v = block_cell(o, *b)) return *v;
  }
  const Registers* r = f.daily ? &f.daily->registers : f.bill ? &f.bill->registers : nullptr;
  if (r) {
    if (o == is::kEnergyImportKwh) return encode_count(r->import_wh);
    if (o == is::kEnergyImportKvah) return encode_count(r->import_vah);
    if (o == is::kEnergyExportKwh) return encode_count(r->export_wh);
    if (o == is::kEnergyExportKvah) return encode_count(r->export_vah);
  }
  if (const BillingRow* b = f.bill) {
    if (o == is::kBillingAveragePf) return encode_value(o, b->avg_power_factor);
    if (o == is::kMaxDemandKw)
      return c.attribute == 5 ? date_time(b->md_w_time) : encode_count(b->md_w);
    if (o == is::kMaxDemandKva) {
      return c.attribute == 5 ? date_time(b->md_va_time) : encode_count(b->md_va);
    }
    if (o == is::kPowerOnDuration) return encode_count(b->power_on_minutes);
    if (auto z = tod_zone_of(o); z && f.tod) return encode_count((*f.tod)[*z]);
  }
  return value_at(m, o, f.stamp, false);
}

ProfileRow make_row(const SimulatedMeter& m, const std::vector<CaptureObjectDefinition>& cols,
                    const RowFacts& f) {
  ProfileRow row;
  row.reserve(cols.size());
  for (const auto& c : cols) row.push_back(cell(m, c, f));
  return row;
}

}  // namespace

dlms::Data block_row_structure(const SimulatedMeter& m, const BlockRow& row) {
  const auto span = block_columns(m.identity().kind);
  const std::vector<CaptureObjectDefinition> cols(span.begin(), span.end());
  RowFacts f;
  f.stamp = row.stamp;
  f.block = &row;
  return Data::structure(make_row(m, cols, f));
}

namespace {

// ---- row sources ----------------------------------------------------------------------------

// Rows produced by a function over a time range; index access slices the whole range. Used for
// profiles that hold few rows (daily, billing, events) and one-row snapshots.
class GeneratedRows final : public dlms::cosem::ProfileRowSource {
 public:
  using RangeFn =
      std::function<std::vector<ProfileRow>(UtcTime, UtcTime, std::uint32_t, const AccessContext&)>;
  explicit GeneratedRows(RangeFn fn) : fn_(std::move(fn)) {}

  std::uint32_t entries_in_use(const AccessContext& ctx) const override {
    return static_cast<std::uint32_t>(all(ctx).size());
  }
  std::vector<ProfileRow> rows(std::uint32_t first, std::uint32_t count,
                               const AccessContext& ctx) const override {
    std::vector<ProfileRow> v = all(ctx);
    if (first >= v.size()) return {};
    const auto end = v.begin() + std::min<std::size_t>(v.size(), std::size_t{first} + count);
    return std::vector<ProfileRow>(std::make_move_iterator(v.begin() + first),
                                   std::make_move_iterator(end));
  }
  std::vector<ProfileRow> rows_between(UtcTime from, UtcTime to, std::uint32_t max_rows,
                                       const AccessContext& ctx) const override {
    return fn_(from, to, max_rows, ctx);
  }

 private:
  std::vector<ProfileRow> all(const AccessContext& ctx) const {
    return fn_(UtcTime::min(), UtcTime::max(), std::numeric_limits<std::uint32_t>::max(), ctx);
  }
  RangeFn fn_;
};

// Block load: rows by index are computed directly from the row's start, never the whole range.
class BlockLoadRows final : public dlms::cosem::ProfileRowSource {
 public:
  BlockLoadRows(const SimulatedMeter& m, std::vector<CaptureObjectDefinition> cols)
      : m_(m), cols_(std::move(cols)) {}

  std::uint32_t entries_in_use(const AccessContext&) const override {
    return m_.block_load_extent().second;
  }
  std::vector<ProfileRow> rows(std::uint32_t first, std::uint32_t count,
                               const AccessContext&) const override {
    const auto [stamp0, n] = m_.block_load_extent();
    if (first >= n || count == 0) return {};
    const std::int64_t last = std::min<std::int64_t>(n, std::int64_t{first} + count) - 1;
    const std::chrono::seconds p(m_.capture_period_s());
    return convert(m_.block_load(stamp0 + p * first, stamp0 + p * last));
  }
  std::vector<ProfileRow> rows_between(UtcTime from, UtcTime to, std::uint32_t max_rows,
                                       const AccessContext&) const override {
    return convert(m_.block_load(from, to, max_rows));
  }

 private:
  std::vector<ProfileRow> convert(const std::vector<BlockRow>& blocks) const {
    std::vector<ProfileRow> out;
    out.reserve(blocks.size());
    for (const BlockRow& b : blocks) {
      RowFacts f;
      f.stamp = b.stamp;
      f.block = &b;
      out.push_back(make_row(m_, cols_, f));
    }
    return out;
  }
  const SimulatedMeter& m_;
  std::vector<CaptureObjectDefinition> cols_;
};

bool in_range(UtcTime t, UtcTime from, UtcTime to) { return t >= from && t <= to; }

// ---- interface classes bound to the meter ------------------------------------------------------

// Clock whose time is the SimulatedMeter's: synchronised before every request, and every change
// a client makes is passed back to the meter (which records it).
class MeterClock final : public dlms::cosem::ClockObject {
 public:
  MeterClock(SimulatedMeter& m, const Clock& source) : ClockObject(source), m_(m) {
    set_observer([this](UtcTime, UtcTime after) { m_.set_meter_time(after); });
  }
  void sync() { set_time(m_.meter_now()); }

 protected:
  GetDataResult get_attribute(std::int8_t a, const std::optional<dlms::SelectiveAccess>& acc,
                              const AccessContext& ctx) override {
    sync();
    return ClockObject::get_attribute(a, acc, ctx);
  }
  DataAccessResult set_attribute(std::int8_t a, const Data& v, const AccessContext& ctx) override {
    sync();
    return ClockObject::set_attribute(a, v, ctx);
  }
  dlms::cosem::ActionOutcome invoke_method(std::int8_t method, const std::optional<Data>& p,
                                           const AccessContext& ctx) override {
    sync();
    return ClockObject::invoke_method(method, p, ctx);
  }

 private:
  SimulatedMeter& m_;
};

// Disconnect control driving the meter's relay. If the relay was switched behind its back
// (simulator, limiter), the object is brought in line before it answers.
class MeterRelay final : public dlms::cosem::DisconnectControl {
 public:
  MeterRelay(SimulatedMeter& m, std::uint8_t mode)
      : DisconnectControl(mode,
                          m.relay_connected() ? dlms::cosem::ControlState::kConnected
                                              : dlms::cosem::ControlState::kDisconnected,
                          is::kDisconnectControl),
        m_(m) {
    set_observer([this](const DisconnectControl&, dlms::cosem::DisconnectTransition,
                        dlms::cosem::ControlState, dlms::cosem::ControlState after) {
      if (syncing_) return;
      if (after == dlms::cosem::ControlState::kConnected) {
        (void)m_.connect();
      } else {
        (void)m_.disconnect();
      }
    });
  }
  void sync() {
    if (output_state() == m_.relay_connected()) return;
    syncing_ = true;
    if (m_.relay_connected()) {
      if (!remote_reconnect() || !output_state()) {
        if (!manual_reconnect()) (void)local_reconnect();
      }
    } else {
      (void)remote_disconnect();
    }
    syncing_ = false;
  }

 protected:
  GetDataResult get_attribute(std::int8_t a, const std::optional<dlms::SelectiveAccess>& acc,
                              const AccessContext& ctx) override {
    sync();
    return DisconnectControl::get_attribute(a, acc, ctx);
  }
  dlms::cosem::ActionOutcome invoke_method(std::int8_t method, const std::optional<Data>& p,
                                           const AccessContext& ctx) override {
    sync();
    // A remote disconnect or reconnect is an operation on the relay even when it finds the relay
    // already in that state (opened by the limiter, say): the limiter must not reclose it after.
    m_.note_relay_operation();
    return DisconnectControl::invoke_method(method, p, ctx);
  }

 private:
  SimulatedMeter& m_;
  bool syncing_ = false;
};

// Limiter whose threshold_normal is the meter's load limit (W).
class MeterLimiter final : public dlms::cosem::Limiter {
 public:
  explicit MeterLimiter(SimulatedMeter& m) : Limiter(is::kLimiter), m_(m) {
    set_monitored_value({3, is::kActivePower, 2});
    set_thresholds(Data::double_long_unsigned(m.limiter_threshold_w()),
                   Data::double_long_unsigned(m.limiter_threshold_w()));
  }

 protected:
  DataAccessResult set_attribute(std::int8_t a, const Data& v, const AccessContext& ctx) override {
    const DataAccessResult r = Limiter::set_attribute(a, v, ctx);
    if (r == DataAccessResult::kSuccess && a == 4) {
      if (auto w = threshold_normal().as_uint()) {
        m_.set_limiter_threshold_w(
            static_cast<std::uint32_t>(std::min<std::uint64_t>(*w, 0xFFFF'FFFFu)));
      }
    }
    return r;
  }

 private:
  SimulatedMeter& m_;
};

// Block load profile whose capture_period (attribute 4) is the meter's.
class BlockLoadProfile final : public dlms::cosem::ProfileGeneric {
 public:
  BlockLoadProfile(SimulatedMeter& m, std::vector<CaptureObjectDefinition> cols)
      : ProfileGeneric(is::kBlockLoadProfile, cols, std::make_shared<BlockLoadRows>(m, cols),
                       m.capture_period_s(), 0),
        m_(m) {}

 protected:
  GetDataResult get_attribute(std::int8_t a, const std::optional<dlms::SelectiveAccess>& acc,
                              const AccessContext& ctx) override {
    set_capture_period(m_.capture_period_s());
    return ProfileGeneric::get_attribute(a, acc, ctx);
  }
  DataAccessResult set_attribute(std::int8_t a, const Data& v, const AccessContext& ctx) override {
    if (a == 4) {
      auto s = v.as_uint();
      if (v.tag() != DataTag::kDoubleLongUnsigned || !s) return DataAccessResult::kTypeUnmatched;
      if (!SimulatedMeter::valid_capture_period(static_cast<std::uint32_t>(*s))) {
        return DataAccessResult::kOtherReason;
      }
      m_.set_capture_period(static_cast<std::uint32_t>(*s));
    }
    return ProfileGeneric::set_attribute(a, v, ctx);
  }

 private:
  SimulatedMeter& m_;
};

// Demand register: value and capture_time (attribute 5) of this month's maximum so far.
class DemandRegister final : public dlms::cosem::ExtendedRegister {
 public:
  DemandRegister(const SimulatedMeter& m, const Obis& ln)
      : ExtendedRegister(ln, scaler_unit_of(ln)), m_(m) {
    set_source([this, ln](const AccessContext&) { return value_at(m_, ln, m_.meter_now(), true); });
  }

 protected:
  GetDataResult get_attribute(std::int8_t a, const std::optional<dlms::SelectiveAccess>& acc,
                              const AccessContext& ctx) override {
    if (a == 5 && !acc) {
      const Demand d = m_.max_demand(m_.meter_now());
      return date_time(logical_name() == is::kMaxDemandKw ? d.w_time : d.va_time);
    }
    return ExtendedRegister::get_attribute(a, acc, ctx);
  }

 private:
  const SimulatedMeter& m_;
};

std::vector<CaptureObjectDefinition> to_vector(std::span<const CaptureObjectDefinition> s) {
  return {s.begin(), s.end()};
}

}  // namespace

MeterSecrets default_secrets() {
  MeterSecrets s;
  for (std::uint8_t i = 0; i < 16; ++i) {
    s.encryption_key[i] = i;
    s.authentication_key[i] = static_cast<std::uint8_t>(0xD0 + i);
  }
  return s;
}

SinglePhaseMeter::SinglePhaseMeter(MeterIdentity identity, MeterConfig config, const Clock& clock,
                                   SinglePhaseOptions options)
    : owned_(std::make_unique<SimulatedMeter>(std::move(identity), std::move(config), clock)),
      meter_(owned_.get()),
      clock_(&clock),
      options_(options) {
  build();
}

SinglePhaseMeter::SinglePhaseMeter(SimulatedMeter& meter, const Clock& clock,
                                   SinglePhaseOptions options)
    : meter_(&meter), clock_(&clock), options_(options) {
  build();
}

SinglePhaseMeter::~SinglePhaseMeter() = default;

void SinglePhaseMeter::set_meter_time(UtcTime meter_time) { meter_->set_meter_time(meter_time); }

void SinglePhaseMeter::set_invocation_counter_source(std::function<std::uint32_t()> source) {
  invocation_counter_ = std::move(source);
}

std::string SinglePhaseMeter::logical_device_name() const {
  return meter::logical_device_name(meter_->identity());
}

std::string logical_device_name(const MeterIdentity& id) {
  std::string name = id.manufacturer.substr(0, 3);
  name.resize(3, ' ');
  std::string serial = id.serial.substr(0, 13);
  name += std::string(13 - serial.size(), '0') + serial;
  return name;
}

void SinglePhaseMeter::build() {
  device_ = std::make_unique<dlms::cosem::LogicalDevice>();
  build_associations();
  build_registers();
  build_profiles();
  build_control();
  grant_rights();
}

void SinglePhaseMeter::build_registers() {
  using namespace dlms::cosem;
  SimulatedMeter& m = *meter_;
  LogicalDevice& d = *device_;

  d.emplace<MeterClock>(m, *clock_);
  auto& ldn = d.emplace<DataObject>(is::kLogicalDeviceName);
  {
    const std::string name = logical_device_name();
    ldn.set_value(Data::octet_string(Bytes(name.begin(), name.end())));
  }
  auto& ic = d.emplace<DataObject>(is::kInvocationCounter);
  ic.set_source([this](const AccessContext&) {
    return Data::double_long_unsigned(invocation_counter_ ? invocation_counter_() : 0);
  });

  // Name plate: constants from the identity, matched by catalogue name where the header has no
  // constant for the OBIS.
  const MeterIdentity& id = m.identity();
  for (const auto& c : is::name_plate()) {
    const is::ObjectInfo* info = is::find_object(c.logical_name);
    const std::string_view name = info ? info->name : "";
    Data v;
    if (c.logical_name == is::kSerialNumber)
      v = text(id.serial);
    else if (c.logical_name == is::kManufacturer)
      v = text(id.manufacturer_name);
    else if (c.logical_name == is::kFirmwareVersion)
      v = text(id.firmware_version);
    else if (name == "Meter type")
      // 5 = single-phase, 6 = three-phase 4-wire, as seen in public implementations;
      // docs/simulated-meter.md marks the codes as unconfirmed.
      v = Data::unsigned_(id.kind == MeterKind::kSinglePhase ? 5 : 6);
    else if (name == "Meter category")
      v = text("C1");
    else if (name == "Current rating")
      v = text(id.current_rating);
    else if (name == "Year of manufacture")
      v = Data::long_unsigned(id.year_of_manufacture);
    else
      v = text("");
    d.emplace<DataObject>(c.logical_name, std::move(v));
  }

  // Measurement and energy registers: every register column of the instantaneous, block load,
  // daily and billing profiles, each live from the meter.
  std::vector<CaptureObjectDefinition> cols;
  const MeterKind kind = m.identity().kind;
  for (auto set :
       {instant_columns(kind), block_columns(kind), is::daily_load(), is::billing_single_phase()}) {
    for (const auto& c : set) {
      if (c.class_id == 8 || c.attribute != 2) continue;
      if (std::find_if(cols.begin(), cols.end(), [&](const auto& x) {
            return x.logical_name == c.logical_name;
          }) == cols.end()) {
        cols.push_back(c);
      }
    }
  }
  for (const auto& c : cols) {
    const Obis o = c.logical_name;
    auto live = [&m, o](const AccessContext&) { return value_at(m, o, m.meter_now(), true); };
    if (o == is::kBillingDate) {
      auto& obj = d.emplace<DataObject>(o);
      obj.set_source([&m](const AccessContext&) {
        const auto bills = m.billing(UtcTime::min(), m.meter_now());
        return date_time(bills.empty() ? m.history_origin() : bills.back().stamp);
      });
    } else if (c.class_id == 4) {
      d.emplace<DemandRegister>(m, o);
    } else if (c.class_id == 3) {
      d.emplace<Register>(o, scaler_unit_of(o)).set_source(live);
    } else {
      d.emplace<DataObject>(o).set_source(live);
    }
  }

  // Capture period, ESW, event codes.
  auto& period = d.emplace<DataObject>(is::kBlockLoadCapturePeriod);
  period.set_source([&m](const AccessContext&) {
    return Data::long_unsigned(static_cast<std::uint16_t>(m.capture_period_s()));
  });
  period.set_sink([&m](const Data& v, const AccessContext&) {
    auto s = v.as_uint();
    if (!s || !v.is_integer()) return DataAccessResult::kTypeUnmatched;
    if (*s > 86'400 || !SimulatedMeter::valid_capture_period(static_cast<std::uint32_t>(*s))) {
      return DataAccessResult::kOtherReason;
    }
    m.set_capture_period(static_cast<std::uint32_t>(*s));
    return DataAccessResult::kSuccess;
  });
  d.emplace<DataObject>(is::kEventStatusWord).set_source([&m](const AccessContext&) {
    return Data::bit_string(m.esw());
  });
  for (std::uint8_t l = 0; l < kEventLogCount; ++l) {
    const auto log = static_cast<EventLog>(l);
    d.emplace<DataObject>(is::event_code_obis(log)).set_source([&m, log](const AccessContext&) {
      const auto ev = m.events(log);
      return Data::long_unsigned(ev.empty() ? 0 : ev.back().code);
    });
  }

  // Prepaid objects: the head end owns the balance (managed prepayment); the meter stores what
  // it is told. Only the payment mode is writable (by the utility association).
  d.emplace<DataObject>(is::kMeteringMode).set_source([&m](const AccessContext&) {
    return Data::enumerated(m.prepaid().metering_mode);
  });
  auto& mode = d.emplace<DataObject>(is::kPaymentMode);
  mode.set_source(
      [&m](const AccessContext&) { return Data::enumerated(m.prepaid().payment_mode); });
  mode.set_sink([&m](const Data& v, const AccessContext&) {
    if (v.tag() != DataTag::kEnum) return DataAccessResult::kTypeUnmatched;
    const auto x = *v.as_uint();
    if (x > 1) return DataAccessResult::kOtherReason;
    PrepaidState p = m.prepaid();
    p.payment_mode = static_cast<std::uint8_t>(x);
    m.set_prepaid(p);
    return DataAccessResult::kSuccess;
  });
  auto money = [&m](std::int64_t PrepaidState::*field) {
    return [&m, field](const AccessContext&) {
      return Data::double_long(static_cast<std::int32_t>(
          std::clamp<std::int64_t>(m.prepaid().*field, INT32_MIN, INT32_MAX)));
    };
  };
  auto when = [&m](UtcTime PrepaidState::*field) {
    return [&m, field](const AccessContext&) { return date_time(m.prepaid().*field); };
  };
  d.emplace<Register>(is::kLastRechargeAmount, scaler_unit_of(is::kLastRechargeAmount))
      .set_source(money(&PrepaidState::last_recharge_amount));
  d.emplace<DataObject>(is::kLastRechargeTime).set_source(when(&PrepaidState::last_recharge_time));
  d.emplace<Register>(is::kTotalAmountAtLastRecharge,
                      scaler_unit_of(is::kTotalAmountAtLastRecharge))
      .set_source(money(&PrepaidState::total_amount_at_last_recharge));
  d.emplace<Register>(is::kCurrentBalance, scaler_unit_of(is::kCurrentBalance))
      .set_source(money(&PrepaidState::current_balance));
  d.emplace<DataObject>(is::kCurrentBalanceTime)
      .set_source(when(&PrepaidState::current_balance_time));
}

void SinglePhaseMeter::build_profiles() {
  using namespace dlms::cosem;
  SimulatedMeter& m = *meter_;
  LogicalDevice& d = *device_;

  // One-row snapshot of the columns' objects as a GET would read them now.
  auto snapshot = [&d](std::vector<CaptureObjectDefinition> cols, std::int8_t attribute) {
    return std::make_shared<GeneratedRows>(
        [&d, cols, attribute](UtcTime from, UtcTime to, std::uint32_t,
                              const AccessContext& ctx) -> std::vector<ProfileRow> {
          ProfileRow row;
          for (const auto& c : cols) {
            CosemObject* obj = d.find(c.class_id, c.logical_name);
            GetDataResult r =
                obj ? obj->get(attribute == 0 ? c.attribute : attribute, std::nullopt, ctx)
                    : GetDataResult(DataAccessResult::kObjectUndefined);
            row.push_back(std::holds_alternative<Data>(r) ? std::get<Data>(r) : Data());
          }
          // A snapshot is "now": inside any range that includes the request time.
          if (from != UtcTime::min() && !in_range(ctx.now, from, to)) return {};
          return {std::move(row)};
        });
  };
  // Scaler profile columns: attribute 3 of each register column.
  auto scaler_cols = [](std::span<const CaptureObjectDefinition> cols) {
    std::vector<CaptureObjectDefinition> out;
    for (const auto& c : cols) {
      if ((c.class_id == 3 || c.class_id == 4) && c.attribute == 2) {
        out.push_back({c.class_id, c.logical_name, 3, 0});
      }
    }
    return out;
  };
  auto add_scaler = [&](const Obis& ln, std::span<const CaptureObjectDefinition> cols) {
    auto sc = scaler_cols(cols);
    d.emplace<ProfileGeneric>(ln, sc, snapshot(sc, 0), 0, 1);
  };

  const MeterKind kind = m.identity().kind;
  const auto instant = to_vector(instant_columns(kind));
  d.emplace<ProfileGeneric>(is::kInstantaneousProfile, instant, snapshot(instant, 0), 0, 1);
  add_scaler(is::kInstantaneousScaler, instant_columns(kind));

  const auto plate = to_vector(is::name_plate());
  d.emplace<ProfileGeneric>(is::kNamePlateProfile, plate, snapshot(plate, 0), 0, 1);

  d.emplace<BlockLoadProfile>(m, to_vector(block_columns(kind)));
  add_scaler(is::kBlockLoadScaler, block_columns(kind));

  const auto daily = to_vector(is::daily_load());
  d.emplace<ProfileGeneric>(
      is::kDailyLoadProfile, daily,
      std::make_shared<GeneratedRows>(
          [&m, daily](UtcTime from, UtcTime to, std::uint32_t max, const AccessContext&) {
            std::vector<ProfileRow> out;
            for (const DailyRow& r : m.daily_load(from, to)) {
              if (out.size() >= max) break;
              RowFacts f;
              f.stamp = r.stamp;
              f.daily = &r;
              out.push_back(make_row(m, daily, f));
            }
            return out;
          }),
      86'400, m.config().daily_profile_days);
  add_scaler(is::kDailyLoadScaler, is::daily_load());

  const auto billing = to_vector(is::billing_single_phase());
  d.emplace<ProfileGeneric>(
      is::kBillingProfile, billing,
      std::make_shared<GeneratedRows>(
          [&m, billing](UtcTime from, UtcTime to, std::uint32_t max, const AccessContext&) {
            std::vector<ProfileRow> out;
            const auto bills = m.billing(from, to);
            std::vector<UtcTime> stamps;
            for (const auto& b : bills) stamps.push_back(b.stamp);
            const auto tod = m.tod_import_wh(stamps);
            for (std::size_t i = 0; i < bills.size() && out.size() < max; ++i) {
              RowFacts f;
              f.stamp = bills[i].stamp;
              f.bill = &bills[i];
              f.tod = &tod[i];
              out.push_back(make_row(m, billing, f));
            }
            return out;
          }),
      0, m.config().billing_months);
  add_scaler(is::kBillingScaler, is::billing_single_phase());

  // Event logs: columns per the catalogue; the clock column restricts ranges.
  std::vector<CaptureObjectDefinition> scaler_src;
  for (std::uint8_t l = 0; l < kEventLogCount; ++l) {
    const auto log = static_cast<EventLog>(l);
    const auto cols = is::event_log_columns(log);
    if (scaler_src.empty()) scaler_src = cols;
    d.emplace<ProfileGeneric>(
        is::event_log_obis(log), cols,
        std::make_shared<GeneratedRows>(
            [&m, cols, log](UtcTime from, UtcTime to, std::uint32_t max, const AccessContext&) {
              std::vector<ProfileRow> out;
              for (const MeterEvent& e : m.events(log)) {
                if (!in_range(e.meter_time, from, to) || out.size() >= max) continue;
                RowFacts f;
                f.stamp = e.meter_time;
                f.event = &e;
                out.push_back(make_row(m, cols, f));
              }
              return out;
            }),
        0, static_cast<std::uint32_t>(kMaxEventsPerLog));
  }
  add_scaler(is::kEventScaler, scaler_src);

  // The active SIM and its operator (Vidyut-specific OBIS): meters with a dual-SIM modem.
  if (m.sim_operators() != nullptr) {
    d.emplace<DataObject>(dlms::vidyut_objects::kActiveSim).set_source([&m](const AccessContext&) {
      const std::uint8_t sim = m.active_sim();
      std::string op;
      if (sim == 1 || sim == 2) op = (*m.sim_operators())[sim - 1];
      return Data::structure({Data::unsigned_(sim), Data::visible_string(std::move(op))});
    });
  }

  // Hotspot token log (Vidyut-specific OBIS, docs/hotspot-tokens.md): meters with a relay only,
  // the ones a consumer recharges.
  if (has_relay(kind)) {
    namespace vo = dlms::vidyut_objects;
    d.emplace<DataObject>(vo::kTokenSequence).set_source([&m](const AccessContext&) {
      const auto& log = m.token_log();
      return Data::long_unsigned(log.empty() ? std::uint16_t{0}
                                             : static_cast<std::uint16_t>(log.back().sequence));
    });
    d.emplace<DataObject>(vo::kTokenAmount).set_source([&m](const AccessContext&) {
      const auto& log = m.token_log();
      return Data::double_long_unsigned(log.empty() ? 0u : log.back().amount_rupees);
    });
    const auto cols = vo::token_log_columns();
    d.emplace<ProfileGeneric>(
        vo::kTokenLog, std::vector<CaptureObjectDefinition>(cols.begin(), cols.end()),
        std::make_shared<GeneratedRows>([&m](UtcTime from, UtcTime to, std::uint32_t max,
                                             const AccessContext&) {
          std::vector<ProfileRow> out;
          for (const TokenLogEntry& e : m.token_log()) {
            if (!in_range(e.meter_time, from, to)) continue;
            if (out.size() >= max) break;
            out.push_back(ProfileRow{date_time(e.meter_time),
                                     Data::long_unsigned(static_cast<std::uint16_t>(e.sequence)),
                                     Data::double_long_unsigned(e.amount_rupees)});
          }
          return out;
        }),
        0, static_cast<std::uint32_t>(kMaxTokenLog));
  }
}

void SinglePhaseMeter::build_control() {
  using namespace dlms::cosem;
  SimulatedMeter& m = *meter_;
  LogicalDevice& d = *device_;
  if (has_relay(m.identity().kind)) {
    d.emplace<MeterRelay>(m, options_.control_mode);
    d.emplace<MeterLimiter>(m);
  }

  const CaptureObjectDefinition ldn{1, is::kLogicalDeviceName, 2, 0};
  const CaptureObjectDefinition clock{8, is::kClock, 2, 0};
  // Alert push: {device id, push setup name, date-time, ESW} (india-ami.md section 4).
  d.emplace<PushSetup>(
      is::kAlertPush, std::vector<CaptureObjectDefinition>{
                          ldn, {40, is::kAlertPush, 1, 0}, clock, {1, is::kEventStatusWord, 2, 0}});
  // Instant push: device id, push setup name, then the instantaneous profile's columns.
  std::vector<CaptureObjectDefinition> instant{ldn, {40, is::kInstantPush, 1, 0}};
  for (const auto& c : instant_columns(m.identity().kind)) instant.push_back(c);
  d.emplace<PushSetup>(is::kInstantPush, std::move(instant));
}

void SinglePhaseMeter::build_associations() {
  using namespace dlms::cosem;
  LogicalDevice& d = *device_;
  d.emplace<AssociationLn>(is::kCurrentAssociation, d, std::nullopt);
  for (const is::AssociationInfo& a : is::associations()) {
    if (a.client_sap != is::kSapPublic && a.client_sap != is::kSapMeterReader &&
        a.client_sap != is::kSapUtility) {
      continue;  // push and firmware associations are not simulated
    }
    d.emplace<AssociationLn>(a.obis, d, a.client_sap, 1, a.mechanism_id,
                             a.client_sap == is::kSapUtility);
  }
}

void SinglePhaseMeter::grant_rights() {
  using namespace dlms::cosem;
  LogicalDevice& d = *device_;

  // Public client: an explicit allow-list.
  d.set_client_defaults(is::kSapPublic, AttributeAccess::kNone, MethodAccess::kNone);
  d.allow_read(is::kSapPublic, 1, is::kLogicalDeviceName);
  d.allow_read(is::kSapPublic, 8, is::kClock);
  d.allow_read(is::kSapPublic, 1, is::kInvocationCounter);
  d.allow_read(is::kSapPublic, 15, is::kCurrentAssociation);
  d.allow_read(is::kSapPublic, 15, is::kAssociationPublic);

  // Meter reader: read everything, nothing else.
  d.set_client_defaults(is::kSapMeterReader, AttributeAccess::kRead, MethodAccess::kNone);

  // Utility settings: read everything; the listed writes and actions.
  const auto us = is::kSapUtility;
  d.set_client_defaults(us, AttributeAccess::kRead, MethodAccess::kNone);
  d.set_attribute_access(us, 8, is::kClock, 2, AttributeAccess::kReadWrite);
  d.set_method_access(us, 8, is::kClock, 0, MethodAccess::kAccess);
  for (std::int8_t a = 4; a <= 11; ++a) {
    d.set_attribute_access(us, 71, is::kLimiter, a, AttributeAccess::kReadWrite);
  }
  d.set_attribute_access(us, 1, is::kBlockLoadCapturePeriod, 2, AttributeAccess::kReadWrite);
  d.set_attribute_access(us, 7, is::kBlockLoadProfile, 4, AttributeAccess::kReadWrite);
  d.set_attribute_access(us, 1, is::kPaymentMode, 2, AttributeAccess::kReadWrite);
  d.set_method_access(us, 70, is::kDisconnectControl, 0, MethodAccess::kAccess);
  // HLS pass 3/4 runs as ACTION reply_to_HLS_authentication on the association.
  d.set_method_access(us, 15, is::kCurrentAssociation, 1, MethodAccess::kAccess);
  d.set_method_access(us, 15, is::kAssociationUtility, 1, MethodAccess::kAccess);
}

}  // namespace vidyut::meter
