// Value-holding interface classes: Data (class 1), Register (class 3), Extended register
// (class 4), and the physical units (Blue Book "unit" enumeration) their scaler_unit carries.
//
// A value is either stored (set_value; SET of attribute 2 replaces it) or produced on demand by
// a ValueSource (set_source), which is how the simulator exposes live measurements without
// pushing every change into the object. A sourced value is read-only over DLMS unless a
// ValueSink is installed too.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "dlms/cosem/object.h"

namespace vidyut::dlms::cosem {

// Physical units (DLMS UA Blue Book, table "Enumerated values for physical units"). Only the
// units electricity meters use are named; any other code is carried as its number.
enum class Unit : std::uint8_t {
  kYear = 1,
  kMonth = 2,
  kWeek = 3,
  kDay = 4,
  kHour = 5,
  kMinute = 6,
  kSecond = 7,
  kDegree = 8,  // phase angle
  kDegreeCelsius = 9,
  kCurrency = 10,
  kWatt = 27,
  kVoltAmpere = 28,
  kVar = 29,
  kWattHour = 30,
  kVoltAmpereHour = 31,
  kVarHour = 32,
  kAmpere = 33,
  kCoulomb = 34,
  kVolt = 35,
  kHertz = 44,
  kPercent = 56,
  kAmpereHour = 57,
  kOther = 254,
  kNone = 255,  // count / no unit
};

// Symbol for display: "V", "Wh", "°C"; "" for kNone; "?" for codes not listed above.
const char* unit_symbol(Unit u);

struct ScalerUnit {
  std::int8_t scaler = 0;  // value x 10^scaler
  Unit unit = Unit::kNone;

  // structure { integer scaler, enum unit }
  Data to_data() const;
  static std::optional<ScalerUnit> from_data(const Data& d);
  bool operator==(const ScalerUnit&) const = default;
};

// Produces a live value at request time.
using ValueSource = std::function<Data(const AccessContext&)>;
// Accepts a written value; returns the result the client sees.
using ValueSink = std::function<DataAccessResult(const Data&, const AccessContext&)>;

// Interface class 1 (Data), version 0: attribute 2 value (any type).
class DataObject : public CosemObject {
 public:
  DataObject(const Obis& ln, Data value = Data());

  std::int8_t attribute_count() const override { return 2; }

  // The value as a get would return it now (source result, or the stored value).
  Data value(const AccessContext& ctx) const;
  void set_value(Data v) { value_ = std::move(v); }
  void set_source(ValueSource source) { source_ = std::move(source); }
  void set_sink(ValueSink sink) { sink_ = std::move(sink); }

 protected:
  // Class 1-4 share attribute 2 handling.
  DataObject(std::uint16_t class_id, std::uint8_t version, const Obis& ln, Data value);
  GetDataResult get_attribute(std::int8_t attribute, const std::optional<SelectiveAccess>& access,
                              const AccessContext& ctx) override;
  DataAccessResult set_attribute(std::int8_t attribute, const Data& value,
                                 const AccessContext& ctx) override;
  // Sets the stored value to zero of the same type (reset method of classes 3 and 4).
  void reset_value();

 private:
  Data value_;
  ValueSource source_;
  ValueSink sink_;
};

// Interface class 3 (Register), version 0: 2 value, 3 scaler_unit (read-only here); method 1
// reset(integer 0) sets a stored integer value to zero.
class Register : public DataObject {
 public:
  Register(const Obis& ln, ScalerUnit scaler_unit, Data value = Data());

  std::int8_t attribute_count() const override { return 3; }
  std::int8_t method_count() const override { return 1; }
  const ScalerUnit& scaler_unit() const { return scaler_unit_; }

 protected:
  Register(std::uint16_t class_id, const Obis& ln, ScalerUnit scaler_unit, Data value);
  GetDataResult get_attribute(std::int8_t attribute, const std::optional<SelectiveAccess>& access,
                              const AccessContext& ctx) override;
  ActionOutcome invoke_method(std::int8_t method, const std::optional<Data>& params,
                              const AccessContext& ctx) override;

 private:
  ScalerUnit scaler_unit_;
};

// Interface class 4 (Extended register), version 0: Register plus 4 status (any type) and
// 5 capture_time (octet-string date-time). Method 1 reset also sets capture_time to the
// request time.
class ExtendedRegister : public Register {
 public:
  ExtendedRegister(const Obis& ln, ScalerUnit scaler_unit, Data value = Data());

  std::int8_t attribute_count() const override { return 5; }
  void set_status(Data status) { status_ = std::move(status); }
  void set_capture_time(const CosemDateTime& t) { capture_time_ = t; }
  const CosemDateTime& capture_time() const { return capture_time_; }

 protected:
  GetDataResult get_attribute(std::int8_t attribute, const std::optional<SelectiveAccess>& access,
                              const AccessContext& ctx) override;
  ActionOutcome invoke_method(std::int8_t method, const std::optional<Data>& params,
                              const AccessContext& ctx) override;

 private:
  Data status_;
  CosemDateTime capture_time_;
};

}  // namespace vidyut::dlms::cosem
