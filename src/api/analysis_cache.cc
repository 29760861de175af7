#include "api/analysis_cache.h"

#include <algorithm>

namespace vidyut::api {

Result<AnalysisCache::Answer> AnalysisCache::get(
    const std::string& key, const std::function<Result<std::string>()>& compute) {
  const UtcTime now = clock_.now();
  {
    std::lock_guard lock(mu_);
    auto it = answers_.find(key);
    if (it != answers_.end() && now - it->second.computed_at < max_age_ &&
        it->second.computed_at <= now) {
      return it->second;
    }
  }
  VIDYUT_TRY(body, compute());
  Answer a{std::move(*body), now};
  std::lock_guard lock(mu_);
  if (answers_.size() >= kMaxAnalysisAnswers && !answers_.contains(key)) {
    auto oldest = std::min_element(
        answers_.begin(), answers_.end(),
        [](const auto& x, const auto& y) { return x.second.computed_at < y.second.computed_at; });
    answers_.erase(oldest);
  }
  answers_[key] = a;
  return a;
}

void AnalysisCache::clear() {
  std::lock_guard lock(mu_);
  answers_.clear();
}

}  // namespace vidyut::api
