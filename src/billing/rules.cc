#include "billing/rules.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "core/text.h"

namespace vidyut::billing {
namespace {

bool in_window(int minute, int start, int end) {
  if (start == end) return false;
  if (start < end) return minute >= start && minute < end;
  return minute >= start || minute < end;  // wraps past midnight
}

bool second_saturday(CivilDate d) { return tariff::weekday(d) == 6 && d.day >= 8 && d.day <= 14; }

// A JSON integer that fits in int64 (no fractions, no huge or negative-wrapped unsigned values).
bool whole(const nlohmann::json& v) {
  if (!v.is_number_integer()) return false;
  return !v.is_number_unsigned() || v.get<std::uint64_t>() <= static_cast<std::uint64_t>(INT64_MAX);
}

// Exactly "HH:MM" (two digits each), 00:00 to 24:00.
Result<int> parse_hhmm(const std::string& text, const char* field) {
  const auto digit = [&](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (text.size() != 5 || text[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4)) {
    return Error(Errc::kInvalidArgument, std::string("rules: ") + field + " must be HH:MM, got \"" +
                                             text.substr(0, 16) + "\"");
  }
  const int h = (text[0] - '0') * 10 + (text[1] - '0');
  const int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) {
    return Error(Errc::kInvalidArgument,
                 std::string("rules: ") + field + " must be HH:MM, got \"" + text + "\"");
  }
  return h * 60 + m;
}

const char* kDayNames[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                           "Thursday", "Friday", "Saturday"};

}  // namespace

std::string quiet_reason(const PrepaidRules& r, UtcTime t) {
  const CivilDate d = tariff::ist_date(t);
  if (r.holidays.count(d) != 0) return "holiday " + tariff::to_string(d);
  const int wd = tariff::weekday(d);
  if (r.quiet_weekdays.count(wd) != 0) return kDayNames[wd];
  if (r.quiet_second_saturday && second_saturday(d)) return "second Saturday";
  if (in_window(tariff::ist_minute_of_day(t), r.quiet_start_minute, r.quiet_end_minute)) {
    return "quiet hours " + tariff::format_hhmm(r.quiet_start_minute) + "-" +
           tariff::format_hhmm(r.quiet_end_minute) + " IST";
  }
  return {};
}

bool disconnection_allowed(const PrepaidRules& r, UtcTime t) { return quiet_reason(r, t).empty(); }

UtcTime next_disconnection_time(const PrepaidRules& r, UtcTime t) {
  // Allowed-ness changes only at IST minute boundaries; step by minutes within a day and skip
  // whole quiet days at once.
  const UtcTime limit = t + std::chrono::days(366);
  UtcTime x = t;
  while (x < limit) {
    if (disconnection_allowed(r, x)) return x;
    const CivilDate d = tariff::ist_date(x);
    const int wd = tariff::weekday(d);
    if (r.holidays.count(d) != 0 || r.quiet_weekdays.count(wd) != 0 ||
        (r.quiet_second_saturday && second_saturday(d))) {
      x = tariff::ist_midnight(tariff::add_days(d, 1));
      continue;
    }
    // Quiet hours: jump to the window's end (or to the next minute if the window is odd).
    const UtcTime midnight = tariff::ist_midnight(d);
    UtcTime end = midnight + std::chrono::minutes(r.quiet_end_minute);
    if (end <= x)
      end = tariff::ist_midnight(tariff::add_days(d, 1)) + std::chrono::minutes(r.quiet_end_minute);
    x = end > x ? end : x + std::chrono::minutes(1);
  }
  return limit;
}

Result<PrepaidRules> parse_rules(std::string_view text) {
  PrepaidRules r;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    return Error(Errc::kInvalidArgument, std::string("rules: not JSON: ") + e.what());
  }
  if (!j.is_object()) return Error(Errc::kInvalidArgument, "rules: must be a JSON object");
  // A misspelt field would otherwise leave its rule at the default without a word.
  static constexpr std::array<std::string_view, 14> kFields = {"utility",
                                                               "quiet_hours",
                                                               "quiet_weekdays",
                                                               "quiet_second_saturday",
                                                               "holidays",
                                                               "emergency_credit_hours",
                                                               "warn_at_percent",
                                                               "reconnect_at_paise",
                                                               "grace_days",
                                                               "arrears_share_bp",
                                                               "posting_delay_minutes",
                                                               "statement_delay_days",
                                                               "max_recharge_paise",
                                                               "comment"};
  for (const auto& [k, v] : j.items()) {
    (void)v;
    if (std::find(kFields.begin(), kFields.end(), k) == kFields.end()) {
      return Error(Errc::kInvalidArgument,
                   "rules: unknown field \"" + k.substr(0, 40) + "\" (docs/billing.md lists them)");
    }
  }
  if (j.contains("quiet_hours") && j.at("quiet_hours").is_object()) {
    for (const auto& [k, v] : j.at("quiet_hours").items()) {
      (void)v;
      if (k != "from" && k != "to") {
        return Error(Errc::kInvalidArgument,
                     "rules: quiet_hours: unknown field \"" + k.substr(0, 40) + "\"");
      }
    }
  }
  try {
    if (j.contains("utility")) {
      r.utility = j.at("utility").get<std::string>();
      VIDYUT_CHECK(check_text("rules: utility", r.utility, 128));
    }
    if (j.contains("quiet_hours")) {
      const auto& q = j.at("quiet_hours");
      VIDYUT_TRY(s, parse_hhmm(q.at("from").get<std::string>(), "quiet_hours.from"));
      VIDYUT_TRY(e, parse_hhmm(q.at("to").get<std::string>(), "quiet_hours.to"));
      r.quiet_start_minute = *s % 1440;
      r.quiet_end_minute = *e % 1440;
    }
    if (j.contains("quiet_weekdays")) {
      r.quiet_weekdays.clear();
      for (const auto& w : j.at("quiet_weekdays")) {
        const auto name = w.get<std::string>();
        int found = -1;
        for (int i = 0; i < 7; ++i) {
          if (name == kDayNames[i]) found = i;
        }
        if (found < 0) {
          return Error(Errc::kInvalidArgument,
                       "rules: quiet_weekdays: \"" + name + "\" is not a day name (Sunday...)");
        }
        r.quiet_weekdays.insert(found);
      }
    }
    if (j.contains("quiet_second_saturday")) {
      r.quiet_second_saturday = j.at("quiet_second_saturday").get<bool>();
    }
    if (j.contains("holidays")) {
      for (const auto& h : j.at("holidays")) {
        VIDYUT_TRY(d, tariff::parse_date(h.get<std::string>()));
        r.holidays.insert(*d);
      }
    }
    auto int_field = [&](const char* name, auto& out, std::int64_t lo, std::int64_t hi) -> Status {
      if (!j.contains(name)) return ok_status();
      const auto& raw = j.at(name);
      if (!whole(raw)) {
        return Error(Errc::kInvalidArgument,
                     std::string("rules: ") + name + " must be a whole number");
      }
      const auto v = raw.get<std::int64_t>();
      if (v < lo || v > hi) {
        return Error(Errc::kInvalidArgument, std::string("rules: ") + name + " must be " +
                                                 std::to_string(lo) + ".." + std::to_string(hi));
      }
      out = static_cast<std::remove_reference_t<decltype(out)>>(v);
      return ok_status();
    };
    std::int64_t emergency_hours = r.emergency_credit_s / 3600;
    VIDYUT_CHECK(int_field("emergency_credit_hours", emergency_hours, 0, 24 * 90));
    r.emergency_credit_s = emergency_hours * 3600;
    if (j.contains("warn_at_percent")) {
      r.warn_at_bp.clear();
      for (const auto& w : j.at("warn_at_percent")) {
        if (!whole(w)) {
          return Error(Errc::kInvalidArgument,
                       "rules: warn_at_percent values must be whole numbers");
        }
        const auto v = w.get<std::int64_t>();
        if (v < 0 || v > 100) {
          return Error(Errc::kInvalidArgument, "rules: warn_at_percent values must be 0..100");
        }
        r.warn_at_bp.push_back(static_cast<std::int32_t>(v * 100));
      }
      std::sort(r.warn_at_bp.rbegin(), r.warn_at_bp.rend());
    }
    VIDYUT_CHECK(int_field("reconnect_at_paise", r.reconnect_at_paise, -100'000'00, 100'000'00));
    VIDYUT_CHECK(int_field("grace_days", r.grace_days, 0, 365));
    VIDYUT_CHECK(int_field("arrears_share_bp", r.arrears_share_bp, 0, 10'000));
    std::int64_t posting_minutes = r.posting_delay_s / 60;
    VIDYUT_CHECK(int_field("posting_delay_minutes", posting_minutes, 0, 23 * 60));
    r.posting_delay_s = posting_minutes * 60;
    VIDYUT_CHECK(int_field("statement_delay_days", r.statement_delay_days, 0, 27));
    VIDYUT_CHECK(int_field("max_recharge_paise", r.max_recharge_paise, 100, 1'000'000'000));
  } catch (const std::exception& e) {
    return Error(Errc::kInvalidArgument, std::string("rules: ") + e.what());
  }
  return r;
}

std::string to_json(const PrepaidRules& r) {
  nlohmann::json j;
  j["utility"] = r.utility;
  j["quiet_hours"] = {{"from", tariff::format_hhmm(r.quiet_start_minute)},
                      {"to", tariff::format_hhmm(r.quiet_end_minute)}};
  auto days = nlohmann::json::array();
  for (int w : r.quiet_weekdays) days.push_back(kDayNames[w]);
  j["quiet_weekdays"] = days;
  j["quiet_second_saturday"] = r.quiet_second_saturday;
  auto hol = nlohmann::json::array();
  for (const auto& d : r.holidays) hol.push_back(tariff::to_string(d));
  j["holidays"] = hol;
  j["emergency_credit_hours"] = r.emergency_credit_s / 3600;
  auto warn = nlohmann::json::array();
  for (auto bp : r.warn_at_bp) warn.push_back(bp / 100);
  j["warn_at_percent"] = warn;
  j["reconnect_at_paise"] = r.reconnect_at_paise;
  j["grace_days"] = r.grace_days;
  j["arrears_share_bp"] = r.arrears_share_bp;
  j["posting_delay_minutes"] = r.posting_delay_s / 60;
  j["statement_delay_days"] = r.statement_delay_days;
  j["max_recharge_paise"] = r.max_recharge_paise;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace vidyut::billing
