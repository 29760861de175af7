// What the head end's scheduled reads cost the simulated fleet: the billing profile of a feeder
// meter, a DT meter and a consumer meter, read the first time (every month of history scanned,
// a feeder's blocks summing every consumer below it) and again (from the meter's caches), on a
// fleet advanced a few hours. Plain main() with arguments:
//   fleet_read_bench [consumers=3000] [hours=6]
// Prints real milliseconds per read.
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "core/clock.h"
#include "fleet/fleet.h"

using namespace vidyut;

int main(int argc, char** argv) {
  const std::uint32_t consumers = argc > 1 ? static_cast<std::uint32_t>(std::atoi(argv[1])) : 3000;
  const int hours = argc > 2 ? std::atoi(argv[2]) : 6;
  fleet::FleetSpec spec;
  spec.consumers = consumers;
  ManualClock clock(parse_iso8601("2026-11-20T00:00:00Z").value());
  fleet::FleetConfig fc;
  fc.truth_intervals = false;
  const auto t0 = std::chrono::steady_clock::now();
  fleet::Fleet f(fleet::generate(spec), fc, clock);
  for (int h = 0; h < hours * 4; ++h) {
    clock.advance(Millis(900'000));
    (void)f.advance(clock.now());
  }
  const auto t1 = std::chrono::steady_clock::now();
  std::printf("fleet of %zu meters built and advanced %d h in %.0f ms\n", f.size(), hours,
              std::chrono::duration<double, std::milli>(t1 - t0).count());
  const std::uint32_t targets[] = {f.topology().feeders[0].meter, f.topology().dts[0].meter,
                                   f.topology().dts[0].consumers[0]};
  const char* names[] = {"feeder", "dt", "consumer"};
  for (int i = 0; i < 3; ++i) {
    meter::SimulatedMeter& m = f.meter(targets[i]);
    for (const char* pass : {"first", "again"}) {
      const auto a = std::chrono::steady_clock::now();
      const auto rows = m.billing(UtcTime::min(), m.meter_now());
      std::vector<UtcTime> stamps;
      for (const auto& r : rows) stamps.push_back(r.stamp);
      (void)m.tod_import_wh(stamps);
      const auto b = std::chrono::steady_clock::now();
      std::printf("%-8s billing profile (%zu rows, ToD) %s read: %.1f ms\n", names[i], rows.size(),
                  pass, std::chrono::duration<double, std::milli>(b - a).count());
    }
  }
  return 0;
}
