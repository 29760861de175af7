// SinglePhaseMeter: a SimulatedMeter exposed as an IS 15959 Part 2 single-phase consumer meter,
// i.e. a COSEM management logical device (server SAP 1) the session layer can serve.
//
// The logical device holds the catalogue's objects (dlms/cosem/is15959.h) with values produced
// on demand from the SimulatedMeter: nothing is copied into the objects, so the device can be
// built when a connection arrives and dropped afterwards (the fleet simulator keeps only the
// SimulatedMeter per meter). Writes and actions go back into the SimulatedMeter:
//   - clock SET / clock methods        -> SimulatedMeter::set_meter_time
//   - disconnect control methods       -> SimulatedMeter::disconnect / connect
//   - capture period (1.0.0.8.4.255, block load attribute 4) -> set_capture_period
//   - limiter threshold_normal         -> set_limiter_threshold_w
//   - payment mode 0.0.94.96.20.255    -> set_prepaid
//
// Meters with a relay also hold the hotspot token log (profile generic 0.128.99.98.0.255, with
// its columns' objects 0.128.96.98.1/2.255; dlms/cosem/vidyut_objects.h): the tokens
// SimulatedMeter::enter_token accepted, read by range on the clock like the other profiles.
//
// Access rights (client SAP, IS 15959):
//   16 public          reads logical device name, clock, invocation counter, its own and the
//                      current association object; nothing else is visible.
//   32 meter reader    reads everything, writes nothing, no methods.
//   48 utility         reads everything; writes clock, limiter, capture period, payment mode;
//                      runs disconnect control methods and HLS pass 3/4 on its association.
//
// Credentials are not checked here (the session layer does that from its ServerSettings);
// default_secrets() gives the ones docs/simulated-meter.md documents.
//
// Ownership: the SinglePhaseMeter owns its LogicalDevice; the SimulatedMeter is owned or
// borrowed (see constructors). Thread-safety: none (see logical_device.h).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "dlms/cosem/classes.h"
#include "meter/simulated_meter.h"

namespace vidyut::meter {

// Secrets the session layer should use for this meter. Test values only.
struct MeterSecrets {
  std::string lls_password = "ABCDEFGHIJKLMNOP";      // SAP 32, 16 characters
  std::array<std::uint8_t, 16> encryption_key{};      // global unicast key (EK), SAP 48
  std::array<std::uint8_t, 16> authentication_key{};  // AK, SAP 48
};
// EK = 00 01 .. 0F, AK = D0 D1 .. DF, LLS "ABCDEFGHIJKLMNOP".
MeterSecrets default_secrets();

struct SinglePhaseOptions {
  // Disconnect control mode (Blue Book class 70): 1 = remote reconnect closes the relay
  // directly, which is what managed prepayment needs.
  std::uint8_t control_mode = 1;
};

// One block-load row as the profile's buffer holds it (the IS 15959 single-phase block-load
// columns, values as their scaler profile states): a structure, which is what block-load pushes
// carry too.
dlms::Data block_row_structure(const SimulatedMeter& m, const BlockRow& row);
// The 16-character logical device name: manufacturer code + serial, zero-padded.
std::string logical_device_name(const MeterIdentity& id);

class SinglePhaseMeter {
 public:
  // Owns a new SimulatedMeter. `clock` (true time) must outlive this object.
  SinglePhaseMeter(MeterIdentity identity, MeterConfig config, const Clock& clock,
                   SinglePhaseOptions options = {});
  // Borrows `meter`, which must outlive this object (fleet use: build on connect, drop after).
  SinglePhaseMeter(SimulatedMeter& meter, const Clock& clock, SinglePhaseOptions options = {});
  ~SinglePhaseMeter();
  SinglePhaseMeter(const SinglePhaseMeter&) = delete;
  SinglePhaseMeter& operator=(const SinglePhaseMeter&) = delete;

  dlms::cosem::LogicalDevice& device() { return *device_; }
  SimulatedMeter& meter() { return *meter_; }
  const SimulatedMeter& meter() const { return *meter_; }

  // Sets the meter clock as a clock SET would (records event 151).
  void set_meter_time(UtcTime meter_time);
  // What 0.0.43.1.3.255 reports; by default a counter of 0 (wire it to the session layer's
  // InvocationCounterStore, e.g. highest_client_counter(48)).
  void set_invocation_counter_source(std::function<std::uint32_t()> source);

  // The 16-character logical device name: manufacturer code + serial, zero-padded.
  std::string logical_device_name() const;
  // The ESW as pushed: a 128-bit bit-string.
  dlms::BitString esw() const { return meter_->esw(); }

 private:
  void build();
  void build_registers();
  void build_profiles();
  void build_control();
  void build_associations();
  void grant_rights();

  std::unique_ptr<SimulatedMeter> owned_;
  SimulatedMeter* meter_;
  const Clock* clock_;
  SinglePhaseOptions options_;
  std::unique_ptr<dlms::cosem::LogicalDevice> device_;
  std::function<std::uint32_t()> invocation_counter_;
};

}  // namespace vidyut::meter
