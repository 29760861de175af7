#include "testing/registry.h"

#include "meter/load_model.h"

namespace vidyut::testing {

std::pair<store::MeterInfo, store::MeterSecrets> to_registry(const fleet::MeterRecord& r) {
  store::MeterInfo m;
  m.serial = r.identity.serial;
  m.kind = meter::to_string(r.identity.kind);
  m.manufacturer = r.identity.manufacturer;
  m.system_title = r.identity.system_title;
  m.category = meter::to_string(r.identity.category);
  m.sanctioned_load_w = r.identity.sanctioned_load_w;
  m.feeder = r.feeder;
  m.dt = r.dt;
  m.consumer_id = r.consumer_id;
  m.sim_operator = r.sim_operator;
  m.static_ip = r.static_ip;
  store::MeterSecrets s;
  s.lls_password = r.secrets.lls_password;
  s.ek = r.secrets.ek;
  s.ak = r.secrets.ak;
  return {m, s};
}

}  // namespace vidyut::testing
