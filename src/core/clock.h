// Clock: the only source of time for Vidyut components.
//
// Every component takes a Clock& instead of calling now(): tests use ManualClock to step over
// tariff boundaries and time-outs without sleeping, and the simulator uses ScaledClock to run a
// day in minutes. Wall time (UTC) is for records and rules; monotonic time is for time-outs.
// Thread-safety: all implementations are safe to call from several threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace vidyut {

using UtcTime = std::chrono::sys_time<std::chrono::milliseconds>;
using MonoTime = std::chrono::time_point<std::chrono::steady_clock, std::chrono::milliseconds>;
using Millis = std::chrono::milliseconds;

// India Standard Time is UTC+05:30 all year (no daylight saving). Everything stored is UTC; the
// utility's rules and everything shown to people use IST. The one place this offset is written.
inline constexpr Millis kIstOffset{19'800'000};

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in UTC.
  virtual UtcTime now() const = 0;
  // Monotonic time for time-outs; never goes back.
  virtual MonoTime monotonic() const = 0;
};

// The machine's clocks.
class RealClock final : public Clock {
 public:
  UtcTime now() const override;
  MonoTime monotonic() const override;
  static RealClock& instance();
};

// Time moves only when a test says so. Starts at `start`.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UtcTime start);
  UtcTime now() const override;
  MonoTime monotonic() const override;
  void advance(Millis d);
  // REQUIRES: t >= now(); monotonic time advances by the same amount.
  void set(UtcTime t);

 private:
  std::atomic<std::int64_t> wall_ms_;
  std::atomic<std::int64_t> mono_ms_{0};
};

// Simulated time running `factor` times faster than the machine's monotonic clock, starting at
// `start` when constructed. factor 1 is real speed; 96 runs a day in 15 minutes.
class ScaledClock final : public Clock {
 public:
  ScaledClock(UtcTime start, double factor);
  // Simulated time that was `start` at the wall-clock instant `wall_epoch` (which may be in the
  // past or the future): two processes given the same three values share one simulated time.
  ScaledClock(UtcTime start, double factor, UtcTime wall_epoch);
  UtcTime now() const override;
  MonoTime monotonic() const override;
  double factor() const { return factor_; }

 private:
  UtcTime start_;
  std::chrono::steady_clock::time_point real_start_;
  double factor_;
};

// Parses "2026-11-23T10:15:00Z" (also with +05:30 offsets or no seconds); formats as ISO 8601 UTC.
Result<UtcTime> parse_iso8601(std::string_view text);
std::string format_iso8601(UtcTime t);

}  // namespace vidyut
