// InMemoryInvocationCounterStore and ServerSettings helpers (declared in server.h).
#include "dlms/session/server.h"

namespace vidyut::dlms {

InMemoryInvocationCounterStore::InMemoryInvocationCounterStore(std::uint32_t first_server_counter)
    : server_(first_server_counter) {}

Status InMemoryInvocationCounterStore::accept_client_counter(std::uint16_t client_sap,
                                                             const security::SystemTitle& title,
                                                             std::uint32_t counter) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto key = std::make_pair(client_sap, title);
  auto it = last_.find(key);
  if (it != last_.end()) {
    if (counter <= it->second) {
      return Error(Errc::kReplay, "invocation counter " + std::to_string(counter) +
                                      " not above last accepted " + std::to_string(it->second));
    }
    it->second = counter;
    return ok_status();
  }
  if (last_.size() >= kMaxRememberedClients) {
    return Error(Errc::kLimitExceeded, "too many client system titles remembered");
  }
  last_.emplace(key, counter);
  return ok_status();
}

std::optional<std::uint32_t> InMemoryInvocationCounterStore::last_client_counter(
    std::uint16_t client_sap, const security::SystemTitle& title) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = last_.find(std::make_pair(client_sap, title));
  if (it == last_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::uint32_t> InMemoryInvocationCounterStore::highest_client_counter(
    std::uint16_t client_sap) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::optional<std::uint32_t> best;
  for (const auto& [key, value] : last_) {
    if (key.first == client_sap && (!best || value > *best)) best = value;
  }
  return best;
}

Result<std::uint32_t> InMemoryInvocationCounterStore::next_server_counter() {
  std::lock_guard<std::mutex> lock(mu_);
  return server_.next();
}

std::uint32_t InMemoryInvocationCounterStore::peek_server_counter() const {
  std::lock_guard<std::mutex> lock(mu_);
  return server_.peek();
}

ServerSettings ServerSettings::is15959_defaults(const security::SystemTitle& title,
                                                const std::string& password,
                                                const security::SecurityKeys& keys) {
  ServerSettings s;
  s.server_title = title;
  AssociationPolicy pc;
  pc.client_sap = kPublicClientSap;
  pc.auth = Authentication::kNone;
  s.associations.push_back(pc);
  AssociationPolicy mr;
  mr.client_sap = kMeterReaderSap;
  mr.auth = Authentication::kLow;
  mr.password = password;
  s.associations.push_back(mr);
  AssociationPolicy us;
  us.client_sap = kUtilitySettingsSap;
  us.auth = Authentication::kHlsGmac;
  us.required_security = security::SecurityPolicy::kAuthenticatedEncrypted;
  us.keys = keys;
  s.associations.push_back(us);
  return s;
}

const AssociationPolicy* ServerSettings::find(std::uint16_t client_sap) const {
  for (const auto& a : associations) {
    if (a.client_sap == client_sap) return &a;
  }
  return nullptr;
}

}  // namespace vidyut::dlms
