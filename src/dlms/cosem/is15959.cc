// IS 15959 catalogue data. Sources: /work/shared/domain/india-ami.md section 4 (the facts every
// entry not marked "typical" rests on). "typical": common in public descriptions of Indian
// meters but not given by the sheet; verify against the meter.
#include "dlms/cosem/is15959.h"

#include <cmath>
#include <cstdio>

namespace vidyut::dlms::is15959 {

namespace {

constexpr Obis kEnergyImportKvahTod(std::uint8_t zone) { return Obis{1, 0, 9, 8, zone, 255}; }

// Typical objects only the catalogue and name plate mention.
constexpr Obis kMeterType{0, 0, 94, 91, 9, 255};         // typical
constexpr Obis kMeterCategory{0, 0, 94, 91, 11, 255};    // typical
constexpr Obis kCurrentRating{0, 0, 94, 91, 12, 255};    // typical
constexpr Obis kYearOfManufacture{0, 0, 96, 1, 4, 255};  // typical

// Default display scalers (typical for IS 15959 meters).
constexpr std::int8_t kSV = -1;   // volts in 0.1 V
constexpr std::int8_t kSA = -3;   // amperes in mA
constexpr std::int8_t kSPf = -3;  // power factor in 0.001
constexpr std::int8_t kSHz = -2;  // hertz in 0.01 Hz
constexpr std::int8_t kSW = 0;    // W, VA, var and their hours in units

constexpr ObjectInfo kCatalogue[] = {
    // Management
    {kClock, "Clock", 8, Unit::kNone, 0, "Meter date and time (IST)"},
    {kLogicalDeviceName, "Logical device name", 1, Unit::kNone, 0,
     "Manufacturer code and serial, identifies the meter"},
    {kSerialNumber, "Meter serial number", 1, Unit::kNone, 0, "Serial number on the name plate"},
    {kManufacturer, "Manufacturer name", 1, Unit::kNone, 0, "Meter manufacturer"},
    {kFirmwareVersion, "Firmware version", 1, Unit::kNone, 0, "Meter firmware version"},
    {kMeterType, "Meter type", 1, Unit::kNone, 0, "Typical: 1-phase / 3-phase code"},
    {kMeterCategory, "Meter category", 1, Unit::kNone, 0, "Typical: category per IS 15959"},
    {kCurrentRating, "Current rating", 1, Unit::kNone, 0, "Typical: e.g. 5-30 A"},
    {kYearOfManufacture, "Year of manufacture", 1, Unit::kNone, 0, "Typical"},
    {kInvocationCounter, "Invocation counter", 1, Unit::kNone, 0,
     "Frame counter for AES-GCM; readable by the public client"},
    {kBlockLoadCapturePeriod, "Block load capture period", 1, Unit::kSecond, 0,
     "Interval of the block load profile: 900 or 1800 s"},
    {kBillingDate, "Billing date", 1, Unit::kNone, 0, "Date-time of the last billing reset"},
    {kBillingCount, "Cumulative billing count", 1, Unit::kNone, 0, "Typical"},
    {kPowerOnDuration, "Cumulative power-on duration", 3, Unit::kMinute, 0, "Typical"},
    {kTamperCount, "Cumulative tamper count", 1, Unit::kNone, 0, "Typical"},
    {kProgrammingCount, "Cumulative programming count", 1, Unit::kNone, 0, "Typical"},
    {kEventStatusWord, "Event status word", 1, Unit::kNone, 0,
     "128-bit alarm bit-string sent by the alert push"},
    {kDisconnectControl, "Disconnect control", 70, Unit::kNone, 0, "Load relay"},
    {kLimiter, "Limiter", 71, Unit::kNone, 0, "Load limit (sanctioned load)"},
    {kActivityCalendar, "Activity calendar", 20, Unit::kNone, 0, "Time-of-day zones"},
    {kAlertPush, "Alert push setup", 40, Unit::kNone, 0,
     "Pushes {device id, push setup, date-time, ESW} on events"},
    {kInstantPush, "Instant push setup", 40, Unit::kNone, 0, "Periodic push of instantaneous data"},
    // Associations
    {kCurrentAssociation, "Current association", 15, Unit::kNone, 0,
     "The association the caller is using"},
    {kAssociationPublic, "Association: public client", 15, Unit::kNone, 0,
     "Client SAP 16, no security"},
    {kAssociationMeterReader, "Association: meter reader", 15, Unit::kNone, 0,
     "Client SAP 32, LLS"},
    {kAssociationUtility, "Association: utility settings", 15, Unit::kNone, 0,
     "Client SAP 48, HLS-GMAC"},
    {kAssociationPush, "Association: push", 15, Unit::kNone, 0, "Client SAP 64, HLS"},
    {kAssociationFirmware, "Association: firmware upgrade", 15, Unit::kNone, 0,
     "Client SAP 80, HLS"},
    // Profiles
    {kInstantaneousProfile, "Instantaneous profile", 7, Unit::kNone, 0,
     "Snapshot of present values"},
    {kInstantaneousScaler, "Instantaneous scaler profile", 7, Unit::kNone, 0,
     "Scalers and units of the instantaneous profile"},
    {kBlockLoadProfile, "Block load profile", 7, Unit::kNone, 0, "Interval (15/30 min) data"},
    {kBlockLoadScaler, "Block load scaler profile", 7, Unit::kNone, 0, "Scalers of block load"},
    {kDailyLoadProfile, "Daily load profile", 7, Unit::kNone, 0, "Midnight energy registers"},
    {kDailyLoadScaler, "Daily load scaler profile", 7, Unit::kNone, 0, "Scalers of daily load"},
    {kBillingProfile, "Billing profile", 7, Unit::kNone, 0, "Month-end billing history"},
    {kBillingScaler, "Billing scaler profile", 7, Unit::kNone, 0, "Scalers of billing"},
    {kNamePlateProfile, "Name plate profile", 7, Unit::kNone, 0, "Serial, make, firmware, rating"},
    {kEventScaler, "Event scaler profile", 7, Unit::kNone, 0, "Scalers of the event logs"},
    {event_log_obis(EventLog::kVoltage), "Voltage event log", 7, Unit::kNone, 0, "Codes 1-50"},
    {event_log_obis(EventLog::kCurrent), "Current event log", 7, Unit::kNone, 0, "Codes 51-100"},
    {event_log_obis(EventLog::kPower), "Power event log", 7, Unit::kNone, 0, "Codes 101-150"},
    {event_log_obis(EventLog::kTransaction), "Transaction event log", 7, Unit::kNone, 0,
     "Codes 151-200 (configuration changes)"},
    {event_log_obis(EventLog::kOther), "Other (tamper) event log", 7, Unit::kNone, 0,
     "Codes 201-250"},
    {event_log_obis(EventLog::kNonRollover), "Non-rollover event log", 7, Unit::kNone, 0,
     "Codes 251-300 (cover open), never overwritten"},
    {event_log_obis(EventLog::kControl), "Control event log", 7, Unit::kNone, 0,
     "Codes 301-350 (relay)"},
    {event_code_obis(EventLog::kVoltage), "Voltage event code", 1, Unit::kNone, 0, "Typical"},
    {event_code_obis(EventLog::kCurrent), "Current event code", 1, Unit::kNone, 0, "Typical"},
    {event_code_obis(EventLog::kPower), "Power event code", 1, Unit::kNone, 0, "Typical"},
    {event_code_obis(EventLog::kTransaction), "Transaction event code", 1, Unit::kNone, 0,
     "Typical"},
    {event_code_obis(EventLog::kOther), "Other event code", 1, Unit::kNone, 0, "Typical"},
    {event_code_obis(EventLog::kNonRollover), "Non-rollover event code", 1, Unit::kNone, 0,
     "Typical"},
    {event_code_obis(EventLog::kControl), "Control event code", 1, Unit::kNone, 0, "Typical"},
    // Prepaid
    {kMeteringMode, "Metering mode", 1, Unit::kNone, 0, "Import only / net metering"},
    {kPaymentMode, "Payment mode", 1, Unit::kNone, 0, "Prepaid or postpaid"},
    {kLastRechargeAmount, "Last recharge amount", 3, Unit::kCurrency, -2, "Scaler typical"},
    {kLastRechargeTime, "Last recharge time", 1, Unit::kNone, 0, "Date-time"},
    {kTotalAmountAtLastRecharge, "Total amount at last recharge", 3, Unit::kCurrency, -2,
     "Scaler typical"},
    {kCurrentBalance, "Current balance", 3, Unit::kCurrency, -2, "Scaler typical"},
    {kCurrentBalanceTime, "Current balance time", 1, Unit::kNone, 0, "Date-time"},
    // Instantaneous measurements (typical OBIS, see header)
    {kVoltage, "Voltage", 3, Unit::kVolt, kSV, "Phase-neutral voltage"},
    {kPhaseCurrent, "Phase current", 3, Unit::kAmpere, kSA, "Current in the phase wire"},
    {kNeutralCurrent, "Neutral current", 3, Unit::kAmpere, kSA, "Current in the neutral wire"},
    {kPowerFactor, "Power factor", 3, Unit::kNone, kSPf, "Signed total power factor"},
    {kFrequency, "Frequency", 3, Unit::kHertz, kSHz, "Supply frequency"},
    {kApparentPower, "Apparent power", 3, Unit::kVoltAmpere, kSW, "kVA now"},
    {kActivePower, "Active power", 3, Unit::kWatt, kSW, "kW now"},
    {kReactivePower, "Reactive power", 3, Unit::kVar, kSW, "kvar now"},
    {kCurrentL1, "Current L1 (R)", 3, Unit::kAmpere, kSA, "Typical"},
    {kCurrentL2, "Current L2 (Y)", 3, Unit::kAmpere, kSA, "Typical"},
    {kCurrentL3, "Current L3 (B)", 3, Unit::kAmpere, kSA, "Typical"},
    {kVoltageL1, "Voltage L1 (R)", 3, Unit::kVolt, kSV, "Typical"},
    {kVoltageL2, "Voltage L2 (Y)", 3, Unit::kVolt, kSV, "Typical"},
    {kVoltageL3, "Voltage L3 (B)", 3, Unit::kVolt, kSV, "Typical"},
    {kPowerFactorL1, "Power factor L1 (R)", 3, Unit::kNone, kSPf, "Typical"},
    {kPowerFactorL2, "Power factor L2 (Y)", 3, Unit::kNone, kSPf, "Typical"},
    {kPowerFactorL3, "Power factor L3 (B)", 3, Unit::kNone, kSPf, "Typical"},
    // Energy and demand
    {kEnergyImportKwh, "Cumulative energy kWh import", 3, Unit::kWattHour, kSW, "Main register"},
    {kEnergyImportKvah, "Cumulative energy kVAh import", 3, Unit::kVoltAmpereHour, kSW, ""},
    {kEnergyExportKwh, "Cumulative energy kWh export", 3, Unit::kWattHour, kSW, "Net metering"},
    {kEnergyExportKvah, "Cumulative energy kVAh export", 3, Unit::kVoltAmpereHour, kSW, ""},
    {energy_import_kwh_tod(1), "Energy kWh import, ToD zone 1", 3, Unit::kWattHour, kSW, ""},
    {energy_import_kwh_tod(2), "Energy kWh import, ToD zone 2", 3, Unit::kWattHour, kSW, ""},
    {energy_import_kwh_tod(3), "Energy kWh import, ToD zone 3", 3, Unit::kWattHour, kSW, ""},
    {energy_import_kwh_tod(4), "Energy kWh import, ToD zone 4", 3, Unit::kWattHour, kSW, ""},
    {energy_import_kwh_tod(5), "Energy kWh import, ToD zone 5", 3, Unit::kWattHour, kSW, ""},
    {energy_import_kwh_tod(6), "Energy kWh import, ToD zone 6", 3, Unit::kWattHour, kSW, ""},
    {energy_import_kwh_tod(7), "Energy kWh import, ToD zone 7", 3, Unit::kWattHour, kSW, ""},
    {energy_import_kwh_tod(8), "Energy kWh import, ToD zone 8", 3, Unit::kWattHour, kSW, ""},
    {kEnergyImportKvahTod(1), "Energy kVAh import, ToD zone 1", 3, Unit::kVoltAmpereHour, kSW,
     "Typical"},
    {kEnergyImportKvahTod(2), "Energy kVAh import, ToD zone 2", 3, Unit::kVoltAmpereHour, kSW,
     "Typical"},
    {kEnergyImportKvahTod(3), "Energy kVAh import, ToD zone 3", 3, Unit::kVoltAmpereHour, kSW,
     "Typical"},
    {kEnergyImportKvahTod(4), "Energy kVAh import, ToD zone 4", 3, Unit::kVoltAmpereHour, kSW,
     "Typical"},
    {kEnergyImportKvahTod(5), "Energy kVAh import, ToD zone 5", 3, Unit::kVoltAmpereHour, kSW,
     "Typical"},
    {kEnergyImportKvahTod(6), "Energy kVAh import, ToD zone 6", 3, Unit::kVoltAmpereHour, kSW,
     "Typical"},
    {kEnergyImportKvahTod(7), "Energy kVAh import, ToD zone 7", 3, Unit::kVoltAmpereHour, kSW,
     "Typical"},
    {kEnergyImportKvahTod(8), "Energy kVAh import, ToD zone 8", 3, Unit::kVoltAmpereHour, kSW,
     "Typical"},
    {kMaxDemandKw, "Maximum demand kW", 4, Unit::kWatt, kSW, "With its date-time (attribute 5)"},
    {kMaxDemandKva, "Maximum demand kVA", 4, Unit::kVoltAmpere, kSW, "With its date-time"},
    {kBillingAveragePf, "Billing average power factor", 3, Unit::kNone, kSPf, "Typical"},
    // Block load columns
    {kAvgVoltage, "Average voltage (block)", 3, Unit::kVolt, kSV, ""},
    {kAvgCurrent, "Average current (block)", 3, Unit::kAmpere, kSA, ""},
    {kAvgCurrentL1, "Average current L1 (block)", 3, Unit::kAmpere, kSA, ""},
    {kAvgCurrentL2, "Average current L2 (block)", 3, Unit::kAmpere, kSA, ""},
    {kAvgCurrentL3, "Average current L3 (block)", 3, Unit::kAmpere, kSA, ""},
    {kAvgVoltageL1, "Average voltage L1 (block)", 3, Unit::kVolt, kSV, ""},
    {kAvgVoltageL2, "Average voltage L2 (block)", 3, Unit::kVolt, kSV, ""},
    {kAvgVoltageL3, "Average voltage L3 (block)", 3, Unit::kVolt, kSV, ""},
    {kBlockImportKwh, "Block energy kWh import", 3, Unit::kWattHour, kSW, "Energy in the interval"},
    {kBlockImportKvah, "Block energy kVAh import", 3, Unit::kVoltAmpereHour, kSW, ""},
    {kBlockExportKwh, "Block energy kWh export", 3, Unit::kWattHour, kSW, ""},
    {kBlockExportKvah, "Block energy kVAh export", 3, Unit::kVoltAmpereHour, kSW, ""},
    {kBlockKvarhQ1, "Block energy kvarh Q1 (lag, import)", 3, Unit::kVarHour, kSW, ""},
    {kBlockKvarhQ2, "Block energy kvarh Q2", 3, Unit::kVarHour, kSW, ""},
    {kBlockKvarhQ3, "Block energy kvarh Q3", 3, Unit::kVarHour, kSW, ""},
    {kBlockKvarhQ4, "Block energy kvarh Q4 (lead, import)", 3, Unit::kVarHour, kSW, ""},
};

constexpr CaptureObjectDefinition col(std::uint16_t class_id, const Obis& o, std::int8_t attr = 2) {
  return CaptureObjectDefinition{class_id, o, attr, 0};
}
constexpr CaptureObjectDefinition kClockCol = col(8, kClock);

constexpr CaptureObjectDefinition kBlockLoad1p[] = {
    kClockCol,
    col(3, kAvgVoltage),
    col(3, kBlockImportKwh),
    col(3, kBlockImportKvah),
    col(3, kBlockExportKwh),
    col(3, kBlockExportKvah),
    col(3, kAvgCurrent),
};
// Order typical; the sheet lists the columns, not their order.
constexpr CaptureObjectDefinition kBlockLoad3p[] = {
    kClockCol,
    col(3, kAvgCurrentL1),
    col(3, kAvgCurrentL2),
    col(3, kAvgCurrentL3),
    col(3, kAvgVoltageL1),
    col(3, kAvgVoltageL2),
    col(3, kAvgVoltageL3),
    col(3, kBlockImportKwh),
    col(3, kBlockKvarhQ1),
    col(3, kBlockKvarhQ2),
    col(3, kBlockKvarhQ3),
    col(3, kBlockKvarhQ4),
    col(3, kBlockImportKvah),
    col(3, kBlockExportKwh),
    col(3, kBlockExportKvah),
};
constexpr CaptureObjectDefinition kDailyLoad[] = {
    kClockCol,
    col(3, kEnergyImportKwh),
    col(3, kEnergyImportKvah),
    col(3, kEnergyExportKwh),
    col(3, kEnergyExportKvah),
};
constexpr CaptureObjectDefinition kBilling1p[] = {
    col(1, kBillingDate),
    col(3, kBillingAveragePf),
    col(3, kEnergyImportKwh),
    col(3, energy_import_kwh_tod(1)),
    col(3, energy_import_kwh_tod(2)),
    col(3, energy_import_kwh_tod(3)),
    col(3, energy_import_kwh_tod(4)),
    col(3, energy_import_kwh_tod(5)),
    col(3, energy_import_kwh_tod(6)),
    col(3, energy_import_kwh_tod(7)),
    col(3, energy_import_kwh_tod(8)),
    col(3, kEnergyImportKvah),
    col(4, kMaxDemandKw),
    col(4, kMaxDemandKw, 5),
    col(4, kMaxDemandKva),
    col(4, kMaxDemandKva, 5),
    col(3, kPowerOnDuration),
    col(3, kEnergyExportKwh),
    col(3, kEnergyExportKvah),
};
constexpr CaptureObjectDefinition kInstant1p[] = {
    kClockCol,
    col(3, kVoltage),
    col(3, kPhaseCurrent),
    col(3, kNeutralCurrent),
    col(3, kPowerFactor),
    col(3, kFrequency),
    col(3, kApparentPower),
    col(3, kActivePower),
    col(3, kEnergyImportKwh),
    col(3, kEnergyImportKvah),
    col(4, kMaxDemandKw),
    col(4, kMaxDemandKw, 5),
    col(4, kMaxDemandKva),
    col(4, kMaxDemandKva, 5),
    col(3, kPowerOnDuration),
    col(1, kTamperCount),
    col(1, kBillingCount),
    col(1, kProgrammingCount),
    col(3, kEnergyExportKwh),
    col(3, kEnergyExportKvah),
};
constexpr CaptureObjectDefinition kInstant3p[] = {
    kClockCol,
    col(3, kCurrentL1),
    col(3, kCurrentL2),
    col(3, kCurrentL3),
    col(3, kVoltageL1),
    col(3, kVoltageL2),
    col(3, kVoltageL3),
    col(3, kPowerFactorL1),
    col(3, kPowerFactorL2),
    col(3, kPowerFactorL3),
    col(3, kPowerFactor),
    col(3, kFrequency),
    col(3, kApparentPower),
    col(3, kActivePower),
    col(3, kReactivePower),
    col(3, kEnergyImportKwh),
    col(3, kEnergyImportKvah),
    col(4, kMaxDemandKw),
    col(4, kMaxDemandKw, 5),
    col(4, kMaxDemandKva),
    col(4, kMaxDemandKva, 5),
    col(3, kPowerOnDuration),
    col(1, kTamperCount),
    col(1, kBillingCount),
    col(1, kProgrammingCount),
    col(3, kEnergyExportKwh),
    col(3, kEnergyExportKvah),
};
constexpr CaptureObjectDefinition kNamePlate[] = {
    col(1, kSerialNumber),  col(1, kManufacturer),  col(1, kFirmwareVersion),   col(1, kMeterType),
    col(1, kMeterCategory), col(1, kCurrentRating), col(1, kYearOfManufacture),
};

constexpr EventInfo kEvents[] = {
    {1, "R-phase voltage missing - occurrence"},
    {2, "R-phase voltage missing - restoration"},
    {3, "Y-phase voltage missing - occurrence"},
    {4, "Y-phase voltage missing - restoration"},
    {5, "B-phase voltage missing - occurrence"},
    {6, "B-phase voltage missing - restoration"},
    {7, "Over-voltage - occurrence"},
    {8, "Over-voltage - restoration"},
    {9, "Low voltage - occurrence"},
    {10, "Low voltage - restoration"},
    {11, "Voltage unbalance - occurrence"},
    {12, "Voltage unbalance - restoration"},
    {51, "R-phase current reverse - occurrence"},
    {52, "R-phase current reverse - restoration"},
    {53, "Y-phase current reverse - occurrence"},
    {54, "Y-phase current reverse - restoration"},
    {55, "B-phase current reverse - occurrence"},
    {56, "B-phase current reverse - restoration"},
    {63, "Current unbalance - occurrence"},
    {64, "Current unbalance - restoration"},
    {65, "Current bypass - occurrence"},
    {66, "Current bypass - restoration"},
    {67, "Over-current - occurrence"},
    {68, "Over-current - restoration"},
    {69, "Earth loading - occurrence"},
    {70, "Earth loading - restoration"},
    {101, "Power failure - occurrence"},
    {102, "Power failure - restoration"},
    {151, "Real-time clock set"},
    {153, "Capture period set"},
    {155, "Activity calendar set"},
    {157, "Firmware activated"},
    {158, "Load limit set"},
    {159, "Load limit function enabled"},
    {160, "Load limit function disabled"},
    {161, "Secret / key change (161)"},
    {162, "Secret / key change (162)"},
    {163, "Secret / key change (163)"},
    {164, "Secret / key change (164)"},
    {201, "Magnetic influence - occurrence"},
    {202, "Magnetic influence - restoration"},
    {203, "Neutral disturbance - occurrence"},
    {204, "Neutral disturbance - restoration"},
    {205, "Low power factor - occurrence"},
    {206, "Low power factor - restoration"},
    {207, "Single-wire operation - occurrence"},
    {208, "Single-wire operation - restoration"},
    {209, "Communication module removed - occurrence"},
    {210, "Communication module removed - restoration"},
    {211, "Switched to postpaid mode"},
    {212, "Switched to prepaid mode"},
    {215, "Overload - occurrence"},
    {216, "Overload - restoration"},
    {251, "Meter cover open"},
    {301, "Load relay disconnected"},
    {302, "Load relay connected"},
};

constexpr EswBitInfo kEsw[] = {
    {0, "R-phase voltage missing"},
    {1, "Y-phase voltage missing"},
    {2, "B-phase voltage missing"},
    {3, "Over-voltage"},
    {4, "Low voltage"},
    {5, "Voltage unbalance"},
    {6, "R-phase current reverse"},
    {7, "Y-phase current reverse"},
    {8, "B-phase current reverse"},
    {9, "Current unbalance"},
    {10, "Current bypass"},
    {11, "Over-current"},
    {12, "Low power factor"},
    {51, "Earth loading"},
    {81, "Magnetic influence"},
    {82, "Neutral disturbance"},
    {83, "Meter cover open"},
    {84, "Load relay state changed"},
    {85, "Last gasp (power fail)"},
    {86, "First breath (power restored)"},
};

constexpr AssociationInfo kAssociations[] = {
    {kAssociationPublic, kSapPublic, "Public client", 0},
    {kAssociationMeterReader, kSapMeterReader, "Meter reader", 1},
    {kAssociationUtility, kSapUtility, "Utility settings", 5},
    {kAssociationPush, kSapPush, "Push", 5},
    {kAssociationFirmware, kSapFirmware, "Firmware upgrade", 5},
};

}  // namespace

std::span<const ObjectInfo> catalogue() { return kCatalogue; }

const ObjectInfo* find_object(const Obis& obis) {
  for (const auto& o : kCatalogue) {
    if (o.obis == obis) return &o;
  }
  return nullptr;
}

std::string describe_value(const Obis& obis, double raw, std::optional<std::int8_t> scaler) {
  const ObjectInfo* info = find_object(obis);
  std::int8_t s = scaler.value_or(info != nullptr ? info->scaler : std::int8_t{0});
  double v = raw * std::pow(10.0, s);
  int decimals = s < 0 ? -s : 0;
  char num[64];
  std::snprintf(num, sizeof num, "%.*f", decimals, v);
  if (info == nullptr) return obis.to_string() + " " + num;
  std::string out = info->name;
  const char* sym = cosem::unit_symbol(info->unit);
  if (*sym != '\0') out += std::string(" (") + sym + ")";
  return out + " " + num;
}

std::span<const CaptureObjectDefinition> block_load_single_phase() { return kBlockLoad1p; }
std::span<const CaptureObjectDefinition> block_load_three_phase() { return kBlockLoad3p; }
// Part 3 DT/feeder meters: the sheet gives no separate list; typical is the three-phase set.
std::span<const CaptureObjectDefinition> block_load_dt() { return kBlockLoad3p; }
std::span<const CaptureObjectDefinition> daily_load() { return kDailyLoad; }
std::span<const CaptureObjectDefinition> billing_single_phase() { return kBilling1p; }
std::span<const CaptureObjectDefinition> instantaneous_single_phase() { return kInstant1p; }
std::span<const CaptureObjectDefinition> instantaneous_three_phase() { return kInstant3p; }
std::span<const CaptureObjectDefinition> name_plate() { return kNamePlate; }

std::vector<CaptureObjectDefinition> event_log_columns(EventLog log) {
  return {kClockCol,        col(1, event_code_obis(log)), col(3, kPhaseCurrent),
          col(3, kVoltage), col(3, kPowerFactor),         col(3, kEnergyImportKwh)};
}

std::optional<EventLog> event_log_of(std::uint16_t code) {
  if (code == 0 || code > 350) return std::nullopt;
  return static_cast<EventLog>((code - 1) / 50);
}

std::span<const EventInfo> events() { return kEvents; }

const char* event_name(std::uint16_t code) {
  for (const auto& e : kEvents) {
    if (e.code == code) return e.name;
  }
  return nullptr;
}

std::span<const EswBitInfo> esw_bits() { return kEsw; }

const char* esw_bit_name(unsigned bit) {
  for (const auto& b : kEsw) {
    if (b.bit == bit) return b.name;
  }
  return nullptr;
}

std::span<const AssociationInfo> associations() { return kAssociations; }

}  // namespace vidyut::dlms::is15959
