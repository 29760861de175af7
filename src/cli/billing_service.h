// The billing engine as `vidyut serve` and `vidyut demo` run it: billing.db in the data
// directory, the shipped (or given) tariffs and rules, relay commands through the head end in the
// same process, and a thread that ticks the engine.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "billing/engine.h"
#include "core/clock.h"
#include "core/result.h"
#include "headend/head_end.h"
#include "mdm/vee_book.h"
#include "store/store.h"

namespace vidyut::cli {

struct BillingServiceOptions {
  std::string data_dir;
  std::string rules_file;                 // empty: engine.rules as given (UP rules by default)
  std::vector<std::string> tariff_files;  // added to (or replacing by code) the shipped ones
  billing::EngineOptions engine;
  Millis tick{1'000};                           // real time between engine ticks
  std::function<void(double seconds)> on_tick;  // each tick's duration (metrics), may be empty
};

// Relay commands through a head end in this process (started at once when the meter is
// connected); states read back from the store.
class HeadEndRelayPort final : public billing::RelayPort {
 public:
  HeadEndRelayPort(headend::HeadEnd& he, store::Store& store) : he_(he), store_(store) {}
  Result<store::Command> submit(store::Command c) override { return he_.submit(std::move(c)); }
  Result<std::optional<store::Command>> command(std::int64_t id) override {
    return store_.command(id);
  }
  Result<std::map<std::int64_t, store::CommandState>> states(
      const std::vector<std::int64_t>& ids) override {
    return billing::states_from_store(store_, ids);
  }

 private:
  headend::HeadEnd& he_;
  store::Store& store_;
};

// What billing charges (billing/usage_source.h): the MDM's validated data - readings, estimates
// for what is missing, operators' edits - from mdm.db in the data directory beside the store.
// Without the MDM running, mdm.db holds nothing and this is the store's readings.
class ValidatedUsage final : public billing::UsageSource {
 public:
  static Result<std::unique_ptr<ValidatedUsage>> open(const std::string& data_dir,
                                                      store::Store& store, const Clock& clock) {
    VIDYUT_TRY(book, mdm::VeeBook::open(data_dir, clock));
    return std::unique_ptr<ValidatedUsage>(new ValidatedUsage(store, std::move(*book)));
  }
  Result<std::vector<store::MeterIntervalSummary>> summary(UtcTime from, UtcTime to) override {
    return mdm::validated_summary(store_, *book_, from, to);
  }

 private:
  ValidatedUsage(store::Store& store, std::unique_ptr<mdm::VeeBook> book)
      : store_(store), book_(std::move(book)) {}
  store::Store& store_;
  std::unique_ptr<mdm::VeeBook> book_;
};

// Loads rules (file or defaults) and tariffs (shipped plus files).
Result<billing::PrepaidRules> load_rules(const std::string& file);
Result<std::vector<tariff::Tariff>> load_tariffs(const std::vector<std::string>& files);

class BillingService {
 public:
  // `relay` may be null (decisions recorded, commands through the store's queue instead).
  static Result<std::unique_ptr<BillingService>> start(BillingServiceOptions options,
                                                       store::Store& store, const Clock& clock,
                                                       billing::RelayPort* relay);
  ~BillingService();  // stops the thread
  void stop();
  billing::Engine& engine() { return *engine_; }
  billing::BillingDb& db() { return *db_; }
  // Ticks the engine now, on the caller's thread.
  Status tick() { return engine_->tick(); }

 private:
  BillingService() = default;
  std::unique_ptr<billing::BillingDb> db_;
  std::unique_ptr<billing::StoreRelayPort> store_port_;
  std::unique_ptr<ValidatedUsage> usage_;
  std::unique_ptr<billing::Engine> engine_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
};

}  // namespace vidyut::cli
