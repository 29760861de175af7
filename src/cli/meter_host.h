// MeterHost: one simulated IS 15959 single-phase meter served over TCP, as `vidyut dlms
// serve-meter` and `vidyut selfcheck` run it.
//
// Associations: client 16 without authentication, 32 LLS with the password, 48 HLS-GMAC with
// authenticated encryption under the keys. All connections run on the server's single I/O
// thread, which is the only thread that touches the meter once start() returned.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/result.h"
#include "dlms/security/suite0.h"
#include "dlms/session/server.h"
#include "meter/single_phase.h"
#include "net/dlms_tcp.h"

namespace vidyut::cli {

struct MeterHostOptions {
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: ephemeral
  std::string serial = "00012345";
  std::uint64_t seed = 1;
  std::string password;             // empty: the simulator's default
  std::string system_title;         // empty: derived from manufacturer + serial
  std::string auth_key;             // empty: default
  std::string block_key;            // empty: default
  std::int64_t clock_offset_s = 0;  // meter clock minus true time
};

class MeterHost {
 public:
  // Builds the meter and binds the port; the server runs after start().
  static Result<std::unique_ptr<MeterHost>> create(const MeterHostOptions& options,
                                                   const Clock& clock = RealClock::instance());
  ~MeterHost();

  Status start();
  void stop();
  std::uint16_t port() const { return server_->port(); }

  // The LLS password of client 32 and the keys of client 48.
  const std::string& password() const { return settings_.find(dlms::kMeterReaderSap)->password; }
  const dlms::security::SecurityKeys& keys() const {
    return settings_.find(dlms::kUtilitySettingsSap)->keys;
  }
  const dlms::security::SystemTitle& server_title() const { return settings_.server_title; }
  // For tests and selfcheck. REQUIRES: stop() called, or only from the server's I/O thread.
  meter::SinglePhaseMeter& meter() { return *meter_; }
  dlms::InMemoryInvocationCounterStore& counters() { return counters_; }
  net::TcpServerStats stats() const { return server_->stats(); }

 private:
  MeterHost() = default;
  const Clock* clock_ = nullptr;
  std::unique_ptr<meter::SinglePhaseMeter> meter_;
  dlms::ServerSettings settings_;
  dlms::InMemoryInvocationCounterStore counters_;
  std::unique_ptr<net::DlmsTcpServer> server_;
};

}  // namespace vidyut::cli
