#include "billing/usage_source.h"

#include <algorithm>
#include <set>

namespace vidyut::billing {

const tariff::TodSeason* season_of(const tariff::TariffVersion& v, int month) {
  for (const auto& s : v.tod) {
    if (std::find(s.months.begin(), s.months.end(), month) != s.months.end()) return &s;
  }
  return nullptr;
}

Result<DayRead> read_day(UsageSource& source, const std::map<std::string, tariff::Tariff>& tariffs,
                         tariff::CivilDate day, UtcTime until) {
  const tariff::YearMonth m = tariff::month_of(day);
  std::set<int> cuts{0, 1440};
  for (const auto& [code, t] : tariffs) {
    const auto* v = t.version_at(tariff::first_day(m));
    if (v == nullptr) continue;
    if (const auto* s = season_of(*v, m.month)) {
      for (const auto& b : s->blocks) {
        cuts.insert(b.start_minute % 1440);
        cuts.insert(b.end_minute % 1440);
      }
    }
  }
  DayRead out;
  const UtcTime midnight = tariff::ist_midnight(day);
  const std::vector<int> edges(cuts.begin(), cuts.end());
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
    const UtcTime from = midnight + std::chrono::minutes(edges[i]);
    const UtcTime to = std::min(midnight + std::chrono::minutes(edges[i + 1]), until);
    if (from >= to) continue;
    VIDYUT_TRY(sum, source.summary(from, to));
    out.push_back(SegmentRead{from, std::move(*sum)});
  }
  return out;
}

}  // namespace vidyut::billing
