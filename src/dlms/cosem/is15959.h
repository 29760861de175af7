// The IS 15959 (Part 2 smart meters, Part 3 DT/feeder meters) object catalogue, defined once,
// as data. Facts come from /work/shared/domain/india-ami.md section 4; entries the sheet does
// not give are marked "typical" (seen in public descriptions of Indian meters, not guaranteed
// for every make). The operator-readable version is docs/is15959-objects.md; keep the two in
// sync (is15959_test.cc checks every OBIS in the doc is in the catalogue).
//
// Meters vary: a tool must read scaler_unit / the scaler profile from the meter; the default
// scalers here are only for display when the meter's scaler is not known.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dlms/apdu/xdlms.h"
#include "dlms/axdr/obis.h"
#include "dlms/cosem/register.h"

namespace vidyut::dlms::is15959 {

using cosem::Unit;

// ---- OBIS codes ------------------------------------------------------------------------------
// Abstract / management objects
inline constexpr Obis kClock{0, 0, 1, 0, 0, 255};
inline constexpr Obis kLogicalDeviceName{0, 0, 42, 0, 0, 255};
inline constexpr Obis kSerialNumber{0, 0, 96, 1, 0, 255};
inline constexpr Obis kManufacturer{0, 0, 96, 1, 1, 255};
inline constexpr Obis kFirmwareVersion{1, 0, 0, 2, 0, 255};
inline constexpr Obis kInvocationCounter{0, 0, 43, 1, 3, 255};
inline constexpr Obis kBlockLoadCapturePeriod{1, 0, 0, 8, 4, 255};
inline constexpr Obis kBillingDate{0, 0, 0, 1, 2, 255};
inline constexpr Obis kBillingCount{0, 0, 0, 1, 0, 255};  // typical
inline constexpr Obis kEventStatusWord{0, 0, 94, 91, 18, 255};
inline constexpr Obis kDisconnectControl{0, 0, 96, 3, 10, 255};
inline constexpr Obis kLimiter{0, 0, 17, 0, 0, 255};
inline constexpr Obis kActivityCalendar{0, 0, 13, 0, 0, 255};
inline constexpr Obis kAlertPush{0, 4, 25, 9, 0, 255};
inline constexpr Obis kInstantPush{0, 0, 25, 9, 0, 255};
inline constexpr Obis kPowerOnDuration{0, 0, 94, 91, 14, 255};  // typical
inline constexpr Obis kTamperCount{0, 0, 94, 91, 0, 255};       // typical
inline constexpr Obis kProgrammingCount{0, 0, 96, 2, 0, 255};   // typical

// Associations (class 15) and their client SAPs
inline constexpr Obis kCurrentAssociation{0, 0, 40, 0, 0, 255};
inline constexpr Obis kAssociationPublic{0, 0, 40, 0, 1, 255};
inline constexpr Obis kAssociationMeterReader{0, 0, 40, 0, 2, 255};
inline constexpr Obis kAssociationUtility{0, 0, 40, 0, 3, 255};
inline constexpr Obis kAssociationPush{0, 0, 40, 0, 4, 255};
inline constexpr Obis kAssociationFirmware{0, 0, 40, 0, 5, 255};
inline constexpr std::uint16_t kSapPublic = 16;
inline constexpr std::uint16_t kSapMeterReader = 32;
inline constexpr std::uint16_t kSapUtility = 48;
inline constexpr std::uint16_t kSapPush = 64;
inline constexpr std::uint16_t kSapFirmware = 80;

// Profiles (class 7) and their scaler profiles
inline constexpr Obis kInstantaneousProfile{1, 0, 94, 91, 0, 255};
inline constexpr Obis kInstantaneousScaler{1, 0, 94, 91, 3, 255};
inline constexpr Obis kBlockLoadProfile{1, 0, 99, 1, 0, 255};
inline constexpr Obis kBlockLoadScaler{1, 0, 94, 91, 4, 255};
inline constexpr Obis kDailyLoadProfile{1, 0, 99, 2, 0, 255};
inline constexpr Obis kDailyLoadScaler{1, 0, 94, 91, 5, 255};
inline constexpr Obis kBillingProfile{1, 0, 98, 1, 0, 255};
inline constexpr Obis kBillingScaler{1, 0, 94, 91, 6, 255};
inline constexpr Obis kNamePlateProfile{0, 0, 94, 91, 10, 255};
inline constexpr Obis kEventScaler{1, 0, 94, 91, 7, 255};
// Event logs 0.0.99.98.0..6.255 in this order.
enum class EventLog : std::uint8_t {
  kVoltage = 0,
  kCurrent = 1,
  kPower = 2,
  kTransaction = 3,
  kOther = 4,  // tamper
  kNonRollover = 5,
  kControl = 6,
};
constexpr Obis event_log_obis(EventLog log) {
  return Obis{0, 0, 99, 98, static_cast<std::uint8_t>(log), 255};
}
// The event log an event code belongs to, by its range (1-50 voltage, 51-100 current, 101-150
// power, 151-200 transaction, 201-250 other, 251-300 non-rollover, 301-350 control).
std::optional<EventLog> event_log_of(std::uint16_t code);
// The "last event code" Data object of each log (typical: 0.0.96.11.<log>.255).
constexpr Obis event_code_obis(EventLog log) {
  return Obis{0, 0, 96, 11, static_cast<std::uint8_t>(log), 255};
}

// Prepaid objects 0.0.94.96.19..25.255
inline constexpr Obis kMeteringMode{0, 0, 94, 96, 19, 255};
inline constexpr Obis kPaymentMode{0, 0, 94, 96, 20, 255};
inline constexpr Obis kLastRechargeAmount{0, 0, 94, 96, 21, 255};
inline constexpr Obis kLastRechargeTime{0, 0, 94, 96, 22, 255};
inline constexpr Obis kTotalAmountAtLastRecharge{0, 0, 94, 96, 23, 255};
inline constexpr Obis kCurrentBalance{0, 0, 94, 96, 24, 255};
inline constexpr Obis kCurrentBalanceTime{0, 0, 94, 96, 25, 255};

// Measurements
inline constexpr Obis kVoltage{1, 0, 12, 7, 0, 255};         // typical (single-phase)
inline constexpr Obis kPhaseCurrent{1, 0, 11, 7, 0, 255};    // typical
inline constexpr Obis kNeutralCurrent{1, 0, 91, 7, 0, 255};  // typical
inline constexpr Obis kPowerFactor{1, 0, 13, 7, 0, 255};     // typical
inline constexpr Obis kFrequency{1, 0, 14, 7, 0, 255};       // typical
inline constexpr Obis kApparentPower{1, 0, 9, 7, 0, 255};    // typical
inline constexpr Obis kActivePower{1, 0, 1, 7, 0, 255};      // typical
inline constexpr Obis kReactivePower{1, 0, 3, 7, 0, 255};    // typical
inline constexpr Obis kCurrentL1{1, 0, 31, 7, 0, 255};       // typical
inline constexpr Obis kCurrentL2{1, 0, 51, 7, 0, 255};       // typical
inline constexpr Obis kCurrentL3{1, 0, 71, 7, 0, 255};       // typical
inline constexpr Obis kVoltageL1{1, 0, 32, 7, 0, 255};       // typical
inline constexpr Obis kVoltageL2{1, 0, 52, 7, 0, 255};       // typical
inline constexpr Obis kVoltageL3{1, 0, 72, 7, 0, 255};       // typical
inline constexpr Obis kPowerFactorL1{1, 0, 33, 7, 0, 255};   // typical
inline constexpr Obis kPowerFactorL2{1, 0, 53, 7, 0, 255};   // typical
inline constexpr Obis kPowerFactorL3{1, 0, 73, 7, 0, 255};   // typical
// Three-phase block-load columns (india-ami.md section 4).
inline constexpr Obis kBlockKvarhQ1{1, 0, 5, 29, 0, 255};
inline constexpr Obis kBlockKvarhQ2{1, 0, 6, 29, 0, 255};
inline constexpr Obis kBlockKvarhQ3{1, 0, 7, 29, 0, 255};
inline constexpr Obis kBlockKvarhQ4{1, 0, 8, 29, 0, 255};
inline constexpr Obis kAvgCurrentL1{1, 0, 31, 27, 0, 255};
inline constexpr Obis kAvgCurrentL2{1, 0, 51, 27, 0, 255};
inline constexpr Obis kAvgCurrentL3{1, 0, 71, 27, 0, 255};
inline constexpr Obis kAvgVoltageL1{1, 0, 32, 27, 0, 255};
inline constexpr Obis kAvgVoltageL2{1, 0, 52, 27, 0, 255};
inline constexpr Obis kAvgVoltageL3{1, 0, 72, 27, 0, 255};
inline constexpr Obis kEnergyImportKwh{1, 0, 1, 8, 0, 255};
inline constexpr Obis kEnergyImportKvah{1, 0, 9, 8, 0, 255};
inline constexpr Obis kEnergyExportKwh{1, 0, 2, 8, 0, 255};
inline constexpr Obis kEnergyExportKvah{1, 0, 10, 8, 0, 255};
constexpr Obis energy_import_kwh_tod(std::uint8_t zone) { return Obis{1, 0, 1, 8, zone, 255}; }
inline constexpr Obis kMaxDemandKw{1, 0, 1, 6, 0, 255};
inline constexpr Obis kMaxDemandKva{1, 0, 9, 6, 0, 255};
inline constexpr Obis kBillingAveragePf{1, 0, 13, 0, 0, 255};  // typical
// Block-load (interval) columns
inline constexpr Obis kAvgVoltage{1, 0, 12, 27, 0, 255};
inline constexpr Obis kAvgCurrent{1, 0, 11, 27, 0, 255};
inline constexpr Obis kBlockImportKwh{1, 0, 1, 29, 0, 255};
inline constexpr Obis kBlockImportKvah{1, 0, 9, 29, 0, 255};
inline constexpr Obis kBlockExportKwh{1, 0, 2, 29, 0, 255};
inline constexpr Obis kBlockExportKvah{1, 0, 10, 29, 0, 255};

// ---- Catalogue -------------------------------------------------------------------------------

struct ObjectInfo {
  Obis obis;
  const char* name;
  std::uint16_t class_id;
  Unit unit;
  std::int8_t scaler;  // default for display only (typical); the meter's scaler wins
  const char* meaning;
};

// Every object this header names (and the ToD registers 1.0.1.8.1..8.255, 1.0.9.8.1..8.255),
// one entry each.
std::span<const ObjectInfo> catalogue();
// nullptr when the OBIS is not in the catalogue.
const ObjectInfo* find_object(const Obis& obis);
// "Voltage (V) 231.4": name, unit symbol in brackets when there is one, raw value scaled by
// `scaler` (the catalogue default when nullopt). Unknown OBIS: "1.0.12.7.0.255 2314".
std::string describe_value(const Obis& obis, double raw, std::optional<std::int8_t> scaler = {});

// ---- Profile column sets (capture objects) -----------------------------------------------------
// Column 1 is always the clock. Sets the sheet does not list in full are marked "typical" in the
// .cc; a meter's own capture_objects (attribute 3) is the authority.
std::span<const CaptureObjectDefinition> block_load_single_phase();
std::span<const CaptureObjectDefinition> block_load_three_phase();
std::span<const CaptureObjectDefinition> block_load_dt();  // Part 3 DT/feeder meters, typical
std::span<const CaptureObjectDefinition> daily_load();
std::span<const CaptureObjectDefinition> billing_single_phase();
std::span<const CaptureObjectDefinition> instantaneous_single_phase();  // typical
std::span<const CaptureObjectDefinition> instantaneous_three_phase();   // typical
std::span<const CaptureObjectDefinition> name_plate();                  // typical
// Clock, the log's event code object, then typical snapshot values (current, voltage, PF, kWh).
std::vector<CaptureObjectDefinition> event_log_columns(EventLog log);  // typical

// ---- Events and the event status word ---------------------------------------------------------

struct EventInfo {
  std::uint16_t code;
  const char* name;
};
std::span<const EventInfo> events();
// Name of an event code; nullptr when unknown.
const char* event_name(std::uint16_t code);

// Number of bits in the ESW bit-string.
inline constexpr unsigned kEswBits = 128;
struct EswBitInfo {
  unsigned bit;
  const char* name;
};
std::span<const EswBitInfo> esw_bits();
// Name of an ESW bit; nullptr when not assigned.
const char* esw_bit_name(unsigned bit);
namespace esw {
inline constexpr unsigned kOverVoltage = 3;
inline constexpr unsigned kLowVoltage = 4;
inline constexpr unsigned kOverCurrent = 11;
inline constexpr unsigned kLowPowerFactor = 12;
inline constexpr unsigned kEarthLoading = 51;
inline constexpr unsigned kMagnet = 81;
inline constexpr unsigned kNeutralDisturbance = 82;
inline constexpr unsigned kCoverOpen = 83;
inline constexpr unsigned kRelayStateChanged = 84;
inline constexpr unsigned kLastGasp = 85;
inline constexpr unsigned kFirstBreath = 86;
}  // namespace esw

// ---- Associations -----------------------------------------------------------------------------
struct AssociationInfo {
  Obis obis;
  std::uint16_t client_sap;
  const char* name;
  std::uint8_t mechanism_id;  // 0 none, 1 LLS, 5 HLS-GMAC
};
std::span<const AssociationInfo> associations();

}  // namespace vidyut::dlms::is15959
