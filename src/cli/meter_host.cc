#include "cli/meter_host.h"

namespace vidyut::cli {

Result<std::unique_ptr<MeterHost>> MeterHost::create(const MeterHostOptions& o,
                                                     const Clock& clock) {
  for (char c : o.serial) {
    if (c < '0' || c > '9') return Error(Errc::kInvalidArgument, "--serial takes digits only");
  }
  if (o.serial.empty() || o.serial.size() > 12) {
    return Error(Errc::kInvalidArgument, "--serial takes 1 to 12 digits");
  }
  std::unique_ptr<MeterHost> host(new MeterHost());
  host->clock_ = &clock;
  meter::MeterIdentity identity = meter::make_identity("VDY", o.serial, o.seed);
  meter::MeterConfig config;
  config.clock_offset = Millis(o.clock_offset_s * 1000);
  host->meter_ = std::make_unique<meter::SinglePhaseMeter>(identity, config, clock);

  const meter::MeterSecrets defaults = meter::default_secrets();
  dlms::security::SecurityKeys keys;
  keys.block_key = defaults.encryption_key;
  keys.auth_key = defaults.authentication_key;
  if (!o.block_key.empty()) {
    VIDYUT_TRY(k, dlms::security::parse_key(o.block_key));
    keys.block_key = *k;
  }
  if (!o.auth_key.empty()) {
    VIDYUT_TRY(k, dlms::security::parse_key(o.auth_key));
    keys.auth_key = *k;
  }
  dlms::security::SystemTitle title = identity.system_title;
  if (!o.system_title.empty()) {
    VIDYUT_TRY(t, dlms::security::parse_system_title(o.system_title));
    title = *t;
  }
  const std::string password = o.password.empty() ? defaults.lls_password : o.password;
  host->settings_ = dlms::ServerSettings::is15959_defaults(title, password, keys);
  if (!host->settings_.find(dlms::kMeterReaderSap) ||
      !host->settings_.find(dlms::kUtilitySettingsSap)) {
    return Error(Errc::kInternal, "IS 15959 defaults lack the three associations");
  }
  auto* counters = &host->counters_;
  host->meter_->set_invocation_counter_source([counters] {
    return counters->highest_client_counter(dlms::kUtilitySettingsSap).value_or(0);
  });

  net::TcpServerOptions server_options;
  server_options.bind_address = o.bind_address;
  server_options.port = o.port;
  MeterHost* self = host.get();
  host->server_ = std::make_unique<net::DlmsTcpServer>(
      server_options, net::dlms_handler_factory([self](const net::PeerInfo&) {
        return std::make_unique<dlms::ServerConnection>(self->settings_, self->meter_->device(),
                                                        self->counters_, *self->clock_);
      }));
  return host;
}

MeterHost::~MeterHost() { stop(); }

Status MeterHost::start() { return server_->start(); }

void MeterHost::stop() {
  if (server_) server_->stop();
}

}  // namespace vidyut::cli
