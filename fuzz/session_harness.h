// Shared set-up for the session fuzz targets: one simulated IS 15959 single-phase meter served
// by a ServerConnection with the IS 15959 default associations, on a fixed manual clock.
// The meter is built once per process (building it per input made the targets ~50x slower);
// each input gets a fresh connection and invocation-counter store. Relay actions from earlier
// inputs persist in the meter, so reproduce a finding with the single crashing input.
#pragma once

#include <memory>

#include "core/clock.h"
#include "core/log.h"
#include "dlms/session/client.h"
#include "dlms/session/loopback.h"
#include "dlms/session/server.h"
#include "meter/single_phase.h"

namespace vidyut::fuzz {

struct SharedMeter {
  ManualClock clock{UtcTime(Millis(1'795'000'000'000))};  // 2026-11-18
  std::unique_ptr<meter::SinglePhaseMeter> meter;
  dlms::ServerSettings settings;

  static SharedMeter& instance() {
    static SharedMeter shared;
    return shared;
  }

  // Rebuilds the meter from scratch: earlier inputs may have changed its state (relay, clock,
  // secrets written through an association object) in ways that make a later association fail.
  void rebuild() {
    meter = std::make_unique<meter::SinglePhaseMeter>(meter::make_identity("VDY", "00012345", 7),
                                                      meter::MeterConfig{}, clock);
  }

 private:
  SharedMeter() {
    set_log_level("off");  // audit lines for every hostile input would dominate the run time
    meter = std::make_unique<meter::SinglePhaseMeter>(meter::make_identity("VDY", "00012345", 7),
                                                      meter::MeterConfig{}, clock);
    const meter::MeterSecrets secrets = meter::default_secrets();
    dlms::security::SecurityKeys keys;
    keys.block_key = secrets.encryption_key;
    keys.auth_key = secrets.authentication_key;
    settings = dlms::ServerSettings::is15959_defaults(meter->meter().identity().system_title,
                                                      secrets.lls_password, keys);
  }
};

struct MeterUnderTest {
  SharedMeter& shared = SharedMeter::instance();
  std::unique_ptr<dlms::InMemoryInvocationCounterStore> counters =
      std::make_unique<dlms::InMemoryInvocationCounterStore>();
  std::unique_ptr<dlms::ServerConnection> connection = std::make_unique<dlms::ServerConnection>(
      shared.settings, shared.meter->device(), *counters, shared.clock);

  // A fresh meter and connection (see SharedMeter::rebuild).
  void reset() {
    shared.rebuild();
    connection.reset();
    counters = std::make_unique<dlms::InMemoryInvocationCounterStore>();
    connection = std::make_unique<dlms::ServerConnection>(shared.settings, shared.meter->device(),
                                                          *counters, shared.clock);
  }

  // Client settings for one of the three associations (16, 32 or 48) with the right secrets.
  dlms::ClientSettings client(std::uint16_t sap) const {
    dlms::ClientSettings c;
    c.client_sap = sap;
    c.timeout = Millis(1);
    if (sap == dlms::kMeterReaderSap) {
      c.auth = dlms::Authentication::kLow;
      c.password = meter::default_secrets().lls_password;
    } else if (sap == dlms::kUtilitySettingsSap) {
      c.auth = dlms::Authentication::kHlsGmac;
      c.security = dlms::security::SecurityPolicy::kAuthenticatedEncrypted;
      c.client_title = {'V', 'D', 'Y', 'H', 'E', 'S', 0, 1};
      c.keys = shared.settings.find(sap)->keys;
    }
    return c;
  }
};

}  // namespace vidyut::fuzz
