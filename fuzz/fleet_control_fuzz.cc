// Fuzz target for the fleet simulator's control commands and scenario files: each input, split
// into lines, goes line by line to Fleet::control and whole to Fleet::load_scenario; then the
// simulated clock moves on 1 to 16 minutes and the fleet advances, so that episodes end,
// scenario lines run and truth rows are written. The commands arrive after the clock has moved
// and before advance(), as they do from a network layer whose timer has not fired yet.
//
// ONE small fleet (26 meters, no random episodes) is built per process and shared by the inputs,
// so that state builds up as in a long simulator run: commands land on earlier episodes, and
// scenario lines of earlier inputs come due. A Fleet keeps every episode a command started and
// every scenario line it was given for its whole life, and its grid's outage and theft records
// make each advance() slower as they grow, so the harness replaces the fleet after
// kLinesPerFleet lines to keep memory and time per input bounded; reproduce a finding with the
// single crashing input. As the shared fleet grows by design, libFuzzer would run a leak scan
// after nearly every input (several times slower), so fuzz/run.sh runs this target with
// -detect_leaks=0. Nothing may crash or hang, and the truth must stay sane: no negative energy,
// supply time within the interval.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string_view>

#include "core/clock.h"
#include "core/log.h"
#include "fleet/fleet.h"

namespace {

using namespace vidyut;

// Lines (control commands and scenario lines) one fleet takes before it is replaced.
constexpr std::size_t kLinesPerFleet = 2000;
constexpr std::int64_t kPeriodMs = 900'000;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_fleet_control: %s\n", what);
  __builtin_trap();
}

// Checks what the fleet reports as truth, keeps nothing.
struct SaneTruth final : fleet::TruthSink {
  void on_interval(const fleet::IntervalTruth& t) override {
    if (t.recorded_mwh < 0 || t.theft_mwh < 0 || t.true_mwh != t.recorded_mwh + t.theft_mwh) {
      fail("interval truth with negative or inconsistent energy");
    }
    if (t.supplied_ms < 0 || t.supplied_ms > kPeriodMs) fail("supplied time outside interval");
  }
  void on_episode(const fleet::Episode& e, bool started, UtcTime at) override {
    if (started && e.end != fleet::kOpenEnd && e.end < at) fail("episode starts after its end");
  }
  void on_push(std::uint32_t, fleet::Outgoing::Kind, UtcTime, UtcTime, fleet::PushFate,
               std::uint8_t sim) override {
    if (sim > 1) fail("push over a third SIM");
  }
  void on_relay(std::uint32_t, UtcTime, bool, std::string_view) override {}
  void on_failover(std::uint32_t, UtcTime, std::uint8_t to_sim) override {
    if (to_sim > 1) fail("failover to a third SIM");
  }
};

struct SharedFleet {
  std::unique_ptr<ManualClock> clock;
  SaneTruth truth;
  std::unique_ptr<fleet::Fleet> fleet;
  std::size_t lines = 0;

  static SharedFleet& instance() {
    static SharedFleet shared;
    return shared;
  }

  void rebuild() {
    fleet.reset();  // it refers to the clock
    clock = std::make_unique<ManualClock>(UtcTime(Millis(1'790'000'000'000)));  // 2026-09-21
    fleet::FleetSpec spec;
    spec.seed = 7;
    spec.consumers = 20;
    spec.consumers_per_dt = 5;
    spec.dts_per_feeder = 2;
    fleet::FleetConfig config;
    config.rates = fleet::EventRates::none();  // only what the input asks for
    config.history_days = 2;
    fleet = std::make_unique<fleet::Fleet>(fleet::generate(spec), config, *clock, &truth);
    lines = 0;
  }

 private:
  SharedFleet() {
    set_log_level("off");  // a warning per refused scenario line would dominate the run time
    rebuild();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  SharedFleet& s = SharedFleet::instance();
  if (s.lines > kLinesPerFleet) s.rebuild();
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  // The clock moves on; commands come in before the fleet catches up.
  s.clock->advance(Millis((1 + static_cast<std::int64_t>(size % 16)) * 60'000));
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    auto answer = s.fleet->control(text.substr(pos, nl - pos));
    if (!answer.ok() && answer.error().message.empty()) fail("an error without a message");
    ++s.lines;
    pos = nl + 1;
  }
  (void)s.fleet->load_scenario(text);
  s.lines += static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;

  const auto out = s.fleet->advance(s.clock->now());
  for (const auto& o : out) {
    if (o.meter >= s.fleet->size() || o.frame.empty()) fail("an outgoing frame from nowhere");
  }
  if (s.fleet->next_event_time() <= s.clock->now()) fail("advance left a due event");
  return 0;
}
