// Answers of the MDM's day-scale analyses (energy audit, theft, reliability, loading), kept for a
// few minutes: each reads a whole day or month of every meter's intervals, far too much to repeat
// for every operator who opens the page, and the figures of a past day move only when late data
// arrive. An answer is recomputed when it is older than the cache's age (on the platform clock),
// so an answer is never staler than that. At most kMaxAnalysisAnswers kept; the oldest goes first.
//
// Thread-safety: safe from several threads. Two requests for the same missing answer may both
// compute it (the second result replaces the first); nothing waits for another's computation.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "core/clock.h"
#include "core/result.h"

namespace vidyut::api {

inline constexpr std::size_t kMaxAnalysisAnswers = 64;

class AnalysisCache {
 public:
  AnalysisCache(const Clock& clock, Millis max_age) : clock_(clock), max_age_(max_age) {}

  // The answer (JSON text) kept under `key` when young enough; otherwise compute(), kept when it
  // succeeds. `computed_at` tells when the answer was computed.
  struct Answer {
    std::string body;
    UtcTime computed_at;
  };
  Result<Answer> get(const std::string& key, const std::function<Result<std::string>()>& compute);

  // Forgets every answer (after a change that moves the figures).
  void clear();

 private:
  const Clock& clock_;
  const Millis max_age_;
  std::mutex mu_;
  std::map<std::string, Answer> answers_;
};

}  // namespace vidyut::api
