#include "cli/billing_service.h"

#include <fstream>
#include <sstream>

#include "core/log.h"
#include "tariff/tariff_file.h"

namespace vidyut::cli {

Result<billing::PrepaidRules> load_rules(const std::string& file) {
  if (file.empty()) return billing::PrepaidRules{};
  std::ifstream in(file);
  if (!in) return Error(Errc::kIo, "cannot read rules file " + file);
  std::stringstream text;
  text << in.rdbuf();
  auto r = billing::parse_rules(text.str());
  if (!r.ok()) return Error(r.error().code, file + ": " + r.error().message);
  return r;
}

Result<std::vector<tariff::Tariff>> load_tariffs(const std::vector<std::string>& files) {
  std::vector<tariff::Tariff> out = tariff::builtin_tariffs();
  for (const auto& f : files) {
    VIDYUT_TRY(t, tariff::read_tariff_file(f));
    auto same =
        std::find_if(out.begin(), out.end(), [&](const auto& x) { return x.code == t->code; });
    if (same != out.end()) {
      *same = std::move(*t);
    } else {
      out.push_back(std::move(*t));
    }
  }
  return out;
}

Result<std::unique_ptr<BillingService>> BillingService::start(BillingServiceOptions o,
                                                              store::Store& store,
                                                              const Clock& clock,
                                                              billing::RelayPort* relay) {
  std::unique_ptr<BillingService> s(new BillingService());
  if (!o.rules_file.empty()) {
    VIDYUT_TRY(rules, load_rules(o.rules_file));
    o.engine.rules = *rules;
  }
  VIDYUT_TRY(tariffs, load_tariffs(o.tariff_files));
  VIDYUT_TRY(db, billing::BillingDb::open(o.data_dir));
  s->db_ = std::move(*db);
  if (relay == nullptr) {
    s->store_port_ = std::make_unique<billing::StoreRelayPort>(store);
    relay = s->store_port_.get();
  }
  VIDYUT_TRY(usage, ValidatedUsage::open(o.data_dir, store, clock));
  s->usage_ = std::move(*usage);
  s->engine_ = std::make_unique<billing::Engine>(*s->db_, store, clock, std::move(*tariffs),
                                                 o.engine, relay, s->usage_.get());
  VIDYUT_CHECK(s->engine_->start());
  if (o.tick.count() > 0) {
    BillingService* self = s.get();
    s->thread_ = std::thread([self, tick = o.tick, on_tick = o.on_tick] {
      auto next = std::chrono::steady_clock::now();
      while (!self->stop_.load()) {
        if (std::chrono::steady_clock::now() >= next) {
          next += tick;
          const auto started = std::chrono::steady_clock::now();
          if (auto st = self->engine_->tick(); !st.ok()) {
            logger("billing")->warn("tick: {}", st.error().describe());
          }
          if (on_tick) {
            on_tick(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
          }
        }
        std::this_thread::sleep_for(Millis(20));
      }
    });
  }
  return s;
}

void BillingService::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

BillingService::~BillingService() { stop(); }

}  // namespace vidyut::cli
