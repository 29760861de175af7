// An in-memory meter for the CLI's tests and the reading fuzz target: objects of any class whose
// attributes hold whatever values a test sets (the values an independent meter sent), served
// over dlms::LoopbackTransport. Associations: IS 15959 16 (public), 32 (LLS), 48 (HLS-GMAC with
// authenticated encryption) and 64 (HLS-GMAC without ciphering) under kTestKeys.
#pragma once

#include <map>
#include <memory>
#include <optional>

#include "dlms/cosem/classes.h"
#include "dlms/session/client.h"
#include "dlms/session/loopback.h"
#include "dlms/session/server.h"

namespace vidyut::cli::testing {

inline constexpr dlms::Obis kDiagnostic{0, 1, 24, 9, 0, 255};  // an M-Bus diagnostic (class 77)
inline constexpr dlms::Obis kAnything{0, 0, 96, 128, 0, 255};  // class 1, any value
inline constexpr dlms::Obis kProfile{1, 0, 99, 128, 0, 255};   // class 7, any columns and rows
inline constexpr std::uint16_t kHlsPlainSap = 64;

// An object of any class whose attributes (2..10) hold given values.
class AnyObject final : public dlms::cosem::CosemObject {
 public:
  AnyObject(std::uint16_t class_id, const dlms::Obis& ln,
            std::map<std::int8_t, dlms::Data> values = {})
      : CosemObject(class_id, 0, ln), values_(std::move(values)) {}
  std::int8_t attribute_count() const override { return 10; }
  void put(std::int8_t attribute, dlms::Data v) { values_[attribute] = std::move(v); }

 protected:
  dlms::GetDataResult get_attribute(std::int8_t attribute,
                                    const std::optional<dlms::SelectiveAccess>&,
                                    const dlms::cosem::AccessContext&) override {
    auto it = values_.find(attribute);
    if (it == values_.end()) return dlms::DataAccessResult::kObjectUndefined;
    return it->second;
  }

 private:
  std::map<std::int8_t, dlms::Data> values_;
};

inline dlms::security::SecurityKeys test_keys() {
  dlms::security::SecurityKeys k;
  k.block_key = *dlms::security::parse_key("000102030405060708090A0B0C0D0E0F");
  k.auth_key = *dlms::security::parse_key("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF");
  return k;
}

struct TestMeter {
  ManualClock clock{UtcTime(Millis(1'795'428'900'000))};  // 2026-11-23T10:15:00Z
  dlms::cosem::LogicalDevice device;
  dlms::InMemoryInvocationCounterStore counters;
  dlms::ServerSettings settings = dlms::ServerSettings::is15959_defaults(
      *dlms::security::parse_system_title("4D4D4D0000BC614E"), "ABCDEFGH12345678", test_keys());
  AnyObject& diagnostic = device.emplace<AnyObject>(77, kDiagnostic);
  AnyObject& anything = device.emplace<AnyObject>(1, kAnything);
  AnyObject& profile = device.emplace<AnyObject>(7, kProfile);

  TestMeter() {
    for (std::uint16_t sap :
         {dlms::kPublicClientSap, dlms::kMeterReaderSap, dlms::kUtilitySettingsSap, kHlsPlainSap}) {
      device.set_client_defaults(sap, dlms::cosem::AttributeAccess::kRead,
                                 dlms::cosem::MethodAccess::kNone);
    }
    dlms::AssociationPolicy hls_plain;
    hls_plain.client_sap = kHlsPlainSap;
    hls_plain.auth = dlms::Authentication::kHlsGmac;
    hls_plain.keys = test_keys();
    settings.associations.push_back(hls_plain);
  }
};

// One connection to the meter: the server end and a loopback transport to it.
struct Line {
  dlms::ServerConnection server;
  std::unique_ptr<dlms::LoopbackTransport> transport;
  Line(TestMeter& m, std::uint16_t client_sap)
      : server(m.settings, m.device, m.counters, m.clock),
        transport(std::make_unique<dlms::LoopbackTransport>(server, client_sap)) {}
};

inline dlms::ClientSettings public_client() {
  dlms::ClientSettings s;
  s.client_sap = dlms::kPublicClientSap;
  s.timeout = Millis(50);
  return s;
}

}  // namespace vidyut::cli::testing
