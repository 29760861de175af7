#include "tariff/tariff_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <memory>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

namespace vidyut::tariff {
namespace internal {
// Defined in the generated builtin_tariffs.cc (src/tariff/CMakeLists.txt): the tariffs/ files,
// sorted by name, followed by one empty entry.
extern const BuiltinTariffFile kBuiltinTariffFiles[];
extern const std::size_t kBuiltinTariffFileCount;
}  // namespace internal

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

constexpr std::int64_t kWhPerKwh = 1'000;

Error field_error(const std::string& path, const std::string& what) {
  return Error(Errc::kInvalidArgument, fmt::format("tariff file: {}: {}", path, what));
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string index_path(const std::string& path, std::size_t i) {
  return fmt::format("{}[{}]", path, i);
}

const char* type_name(const json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number_float()) return "a decimal number";
  if (j.is_number()) return "an integer";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  if (j.is_object()) return "an object";
  return "something else";
}

Status require_object(const json& j, const std::string& path) {
  if (!j.is_object())
    return field_error(path, fmt::format("expected an object, got {}", type_name(j)));
  return ok_status();
}

// Refuses fields this format does not have: a misspelt key must not silently mean "absent".
Status check_keys(const json& obj, const std::string& path,
                  std::initializer_list<std::string_view> allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      std::string names;
      for (const auto a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
      return field_error(join(path, it.key()),
                         fmt::format("unknown field (fields here: {})", names));
    }
  }
  return ok_status();
}

// The member `key` of `obj`, nullptr when absent and optional.
Result<const json*> member(const json& obj, const std::string& path, std::string_view key,
                           bool required) {
  const auto it = obj.find(key);
  if (it == obj.end()) {
    if (required) return field_error(join(path, key), "missing");
    return static_cast<const json*>(nullptr);
  }
  return &*it;
}

Result<std::string> read_string(const json& obj, const std::string& path, std::string_view key,
                                bool required = true) {
  VIDYUT_TRY(m, member(obj, path, key, required));
  if (*m == nullptr) return std::string();
  if (!(*m)->is_string()) {
    return field_error(join(path, key), fmt::format("expected a string, got {}", type_name(**m)));
  }
  return (*m)->get<std::string>();
}

Result<std::int64_t> as_int(const json& j, const std::string& path, std::int64_t lo,
                            std::int64_t hi) {
  if (j.is_number_float()) {
    return field_error(path, fmt::format("expected an integer, got {} (every number in a tariff "
                                         "file is a whole number of the unit its name says)",
                                         j.dump()));
  }
  if (!j.is_number()) {
    return field_error(path, fmt::format("expected an integer, got {}", type_name(j)));
  }
  if (j.is_number_unsigned() &&
      j.get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return field_error(path, fmt::format("{} is out of range {}..{}", j.dump(), lo, hi));
  }
  const auto v = j.get<std::int64_t>();
  if (v < lo || v > hi)
    return field_error(path, fmt::format("{} is out of range {}..{}", v, lo, hi));
  return v;
}

Result<std::int64_t> read_int(const json& obj, const std::string& path, std::string_view key,
                              std::int64_t lo, std::int64_t hi) {
  VIDYUT_TRY(m, member(obj, path, key, true));
  return as_int(**m, join(path, key), lo, hi);
}

Result<const json*> read_array(const json& obj, const std::string& path, std::string_view key,
                               bool required = true) {
  VIDYUT_TRY(m, member(obj, path, key, required));
  if (*m != nullptr && !(*m)->is_array()) {
    return field_error(join(path, key), fmt::format("expected an array, got {}", type_name(**m)));
  }
  return *m;
}

// "HH:MM", 00:00-23:59; "24:00" too when `end`.
Result<int> read_time(const json& obj, const std::string& path, std::string_view key, bool end) {
  VIDYUT_TRY(s, read_string(obj, path, key));
  const std::string& t = *s;
  auto bad = [&] {
    return field_error(join(path, key),
                       fmt::format("\"{}\" is not an IST time HH:MM (00:00-23:59{})", t,
                                   end ? ", or 24:00 for midnight at the end of the day" : ""));
  };
  if (t.size() != 5 || t[2] != ':') return bad();
  for (const std::size_t i : {0u, 1u, 3u, 4u}) {
    if (t[i] < '0' || t[i] > '9') return bad();
  }
  const int h = (t[0] - '0') * 10 + (t[1] - '0');
  const int m = (t[3] - '0') * 10 + (t[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && (m != 0 || !end))) return bad();
  return h * 60 + m;
}

bool code_char_ok(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

Result<Slab> parse_slab(const json& j, const std::string& path, bool last) {
  VIDYUT_CHECK(require_object(j, path));
  VIDYUT_CHECK(check_keys(j, path, {"upto_kwh", "upto_wh", "rate_paise_per_kwh"}));
  Slab s;
  VIDYUT_TRY(rate, read_int(j, path, "rate_paise_per_kwh", 0, kMaxRatePaisePerKwh));
  s.rate_paise_per_kwh = *rate;
  const bool has_kwh = j.contains("upto_kwh");
  const bool has_wh = j.contains("upto_wh");
  if (has_kwh && has_wh) return field_error(path, "give upto_kwh or upto_wh, not both");
  if (last) {
    if (has_kwh || has_wh) {
      return field_error(join(path, has_kwh ? "upto_kwh" : "upto_wh"),
                         "the last slab is unbounded: leave its bound out");
    }
    return s;
  }
  if (!has_kwh && !has_wh) {
    return field_error(join(path, "upto_kwh"),
                       "missing: only the last slab may be unbounded (no upto_kwh / upto_wh)");
  }
  if (has_kwh) {
    VIDYUT_TRY(kwh, read_int(j, path, "upto_kwh", 1, kMaxUsageWh / kWhPerKwh));
    s.upto_wh = *kwh * kWhPerKwh;
  } else {
    VIDYUT_TRY(wh, read_int(j, path, "upto_wh", 1, kMaxUsageWh));
    s.upto_wh = *wh;
  }
  return s;
}

Result<TodBlock> parse_block(const json& j, const std::string& path) {
  VIDYUT_CHECK(require_object(j, path));
  VIDYUT_CHECK(check_keys(j, path, {"name", "start", "end", "multiplier_bp"}));
  TodBlock b;
  VIDYUT_TRY(name, read_string(j, path, "name"));
  b.name = *name;
  VIDYUT_TRY(start, read_time(j, path, "start", false));
  b.start_minute = *start;
  VIDYUT_TRY(end, read_time(j, path, "end", true));
  b.end_minute = *end;
  VIDYUT_TRY(mult, read_int(j, path, "multiplier_bp", 0, kMaxMultiplierBp));
  b.multiplier_bp = static_cast<std::int32_t>(*mult);
  return b;
}

Result<TodSeason> parse_season(const json& j, const std::string& path) {
  VIDYUT_CHECK(require_object(j, path));
  VIDYUT_CHECK(check_keys(j, path, {"name", "months", "blocks"}));
  TodSeason s;
  VIDYUT_TRY(name, read_string(j, path, "name"));
  s.name = *name;
  VIDYUT_TRY(months, read_array(j, path, "months"));
  for (std::size_t i = 0; i < (*months)->size(); ++i) {
    VIDYUT_TRY(m, as_int((**months)[i], index_path(join(path, "months"), i), 1, 12));
    s.months.push_back(static_cast<int>(*m));
  }
  VIDYUT_TRY(blocks, read_array(j, path, "blocks"));
  for (std::size_t i = 0; i < (*blocks)->size(); ++i) {
    VIDYUT_TRY(b, parse_block((**blocks)[i], index_path(join(path, "blocks"), i)));
    s.blocks.push_back(std::move(*b));
  }
  return s;
}

Result<TariffVersion> parse_version(const json& j, const std::string& path) {
  VIDYUT_CHECK(require_object(j, path));
  VIDYUT_CHECK(check_keys(j, path,
                          {"effective_from", "order", "slabs", "fixed_paise_per_kw_month",
                           "duty_bp", "prepaid_rebate_bp", "excess_demand_paise_per_kw", "tod"}));
  TariffVersion v;
  VIDYUT_TRY(date_text, read_string(j, path, "effective_from"));
  auto date = parse_date(*date_text);
  if (!date.ok()) return field_error(join(path, "effective_from"), date.error().message);
  v.effective_from = *date;
  VIDYUT_TRY(order, read_string(j, path, "order"));
  v.order = *order;
  VIDYUT_TRY(slabs, read_array(j, path, "slabs"));
  if ((*slabs)->empty()) return field_error(join(path, "slabs"), "needs at least one slab");
  for (std::size_t i = 0; i < (*slabs)->size(); ++i) {
    VIDYUT_TRY(
        s, parse_slab((**slabs)[i], index_path(join(path, "slabs"), i), i + 1 == (*slabs)->size()));
    v.slabs.push_back(*s);
  }
  VIDYUT_TRY(fixed, read_int(j, path, "fixed_paise_per_kw_month", 0, kMaxFixedPaisePerKwMonth));
  v.fixed_paise_per_kw_month = *fixed;
  VIDYUT_TRY(duty, read_int(j, path, "duty_bp", 0, kMaxPercentBp));
  v.duty_bp = static_cast<std::int32_t>(*duty);
  VIDYUT_TRY(rebate, read_int(j, path, "prepaid_rebate_bp", 0, kMaxPercentBp));
  v.prepaid_rebate_bp = static_cast<std::int32_t>(*rebate);
  VIDYUT_TRY(excess,
             read_int(j, path, "excess_demand_paise_per_kw", 0, kMaxExcessDemandPaisePerKw));
  v.excess_demand_paise_per_kw = *excess;
  VIDYUT_TRY(tod, read_array(j, path, "tod", false));
  if (*tod != nullptr) {
    for (std::size_t i = 0; i < (*tod)->size(); ++i) {
      VIDYUT_TRY(s, parse_season((**tod)[i], index_path(join(path, "tod"), i)));
      v.tod.push_back(std::move(*s));
    }
  }
  return v;
}

Result<Tariff> parse_document(const json& j) {
  VIDYUT_CHECK(require_object(j, "(top level)"));
  VIDYUT_CHECK(
      check_keys(j, "", {"format", "code", "name", "category", "utility", "notes", "versions"}));
  VIDYUT_TRY(format, read_string(j, "", "format"));
  if (*format != kTariffFormat) {
    return field_error("format", fmt::format("\"{}\" is not \"{}\", the only format this build "
                                             "reads",
                                             *format, kTariffFormat));
  }
  Tariff t;
  VIDYUT_TRY(code, read_string(j, "", "code"));
  if (code->empty() || !std::all_of(code->begin(), code->end(), code_char_ok)) {
    return field_error("code", fmt::format("\"{}\" must be non-empty letters, digits, '-', '_' "
                                           "or '.'",
                                           *code));
  }
  t.code = *code;
  VIDYUT_TRY(name, read_string(j, "", "name"));
  t.name = *name;
  VIDYUT_TRY(category, read_string(j, "", "category"));
  t.category = *category;
  VIDYUT_TRY(utility, read_string(j, "", "utility"));
  t.utility = *utility;
  VIDYUT_TRY(notes, read_string(j, "", "notes", false));
  t.notes = *notes;
  VIDYUT_TRY(versions, read_array(j, "", "versions"));
  if ((*versions)->empty()) return field_error("versions", "needs at least one version");
  for (std::size_t i = 0; i < (*versions)->size(); ++i) {
    VIDYUT_TRY(v, parse_version((**versions)[i], index_path("versions", i)));
    t.versions.push_back(std::move(*v));
  }
  VIDYUT_CHECK(validate(t));
  return t;
}

// Builds the document while noting the first key repeated within one object (nlohmann keeps the
// last silently).
class DuplicateKeyCheck {
 public:
  bool operator()(int /*depth*/, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        keys_.emplace_back();
        break;
      case json::parse_event_t::object_end:
        if (!keys_.empty()) keys_.pop_back();
        break;
      case json::parse_event_t::key:
        if (!keys_.empty() && !keys_.back().insert(parsed.get<std::string>()).second &&
            duplicate_.empty()) {
          duplicate_ = parsed.get<std::string>();
        }
        break;
      default:
        break;
    }
    return true;
  }
  const std::string& duplicate() const { return duplicate_; }

 private:
  std::vector<std::set<std::string>> keys_;
  std::string duplicate_;
};

}  // namespace

Result<Tariff> parse_tariff(std::string_view text) {
  if (text.size() > kMaxTariffFileBytes) {
    return Error(Errc::kLimitExceeded, fmt::format("tariff file: {} bytes is above the limit {}",
                                                   text.size(), kMaxTariffFileBytes));
  }
  try {
    auto check = std::make_shared<DuplicateKeyCheck>();
    json::parser_callback_t cb = [check](int depth, json::parse_event_t event, json& parsed) {
      return (*check)(depth, event, parsed);
    };
    const json j = json::parse(text.begin(), text.end(), cb);
    if (!check->duplicate().empty()) {
      return field_error(check->duplicate(), "field given twice in one object");
    }
    return parse_document(j);
  } catch (const json::exception& e) {
    // nlohmann's message names the byte offset: "parse error at line 3, column 7: ...".
    return Error(Errc::kInvalidArgument, fmt::format("tariff file: not valid JSON: {}", e.what()));
  } catch (const std::exception& e) {
    return Error(Errc::kInternal, fmt::format("tariff file: {}", e.what()));
  }
}

std::string to_json(const Tariff& t) {
  ojson doc;
  doc["format"] = kTariffFormat;
  doc["code"] = t.code;
  doc["name"] = t.name;
  doc["category"] = t.category;
  doc["utility"] = t.utility;
  if (!t.notes.empty()) doc["notes"] = t.notes;
  ojson versions = ojson::array();
  for (const TariffVersion& v : t.versions) {
    ojson jv;
    jv["effective_from"] = to_string(v.effective_from);
    jv["order"] = v.order;
    ojson slabs = ojson::array();
    for (const Slab& s : v.slabs) {
      ojson js;
      if (s.upto_wh != 0) {
        if (s.upto_wh % kWhPerKwh == 0) {
          js["upto_kwh"] = s.upto_wh / kWhPerKwh;
        } else {
          js["upto_wh"] = s.upto_wh;
        }
      }
      js["rate_paise_per_kwh"] = s.rate_paise_per_kwh;
      slabs.push_back(std::move(js));
    }
    jv["slabs"] = std::move(slabs);
    jv["fixed_paise_per_kw_month"] = v.fixed_paise_per_kw_month;
    jv["duty_bp"] = v.duty_bp;
    jv["prepaid_rebate_bp"] = v.prepaid_rebate_bp;
    jv["excess_demand_paise_per_kw"] = v.excess_demand_paise_per_kw;
    if (!v.tod.empty()) {
      ojson tod = ojson::array();
      for (const TodSeason& s : v.tod) {
        ojson js;
        js["name"] = s.name;
        js["months"] = s.months;
        ojson blocks = ojson::array();
        for (const TodBlock& b : s.blocks) {
          ojson jb;
          jb["name"] = b.name;
          jb["start"] = format_hhmm(b.start_minute);
          jb["end"] = format_hhmm(b.end_minute);
          jb["multiplier_bp"] = b.multiplier_bp;
          blocks.push_back(std::move(jb));
        }
        js["blocks"] = std::move(blocks);
        tod.push_back(std::move(js));
      }
      jv["tod"] = std::move(tod);
    }
    versions.push_back(std::move(jv));
  }
  doc["versions"] = std::move(versions);
  // Invalid UTF-8 in a name is replaced rather than thrown on.
  return doc.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

Result<Tariff> read_tariff_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Errc::kIo, fmt::format("cannot open tariff file {}", path));
  std::string text;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxTariffFileBytes) {
      return Error(Errc::kLimitExceeded,
                   fmt::format("{}: larger than {} bytes", path, kMaxTariffFileBytes));
    }
  }
  if (in.bad()) return Error(Errc::kIo, fmt::format("cannot read tariff file {}", path));
  auto t = parse_tariff(text);
  if (!t.ok()) return Error(t.error().code, fmt::format("{}: {}", path, t.error().message));
  return t;
}

const std::vector<BuiltinTariffFile>& builtin_tariff_files() {
  static const std::vector<BuiltinTariffFile> files(
      internal::kBuiltinTariffFiles,
      internal::kBuiltinTariffFiles + internal::kBuiltinTariffFileCount);
  return files;
}

const std::vector<Tariff>& builtin_tariffs() {
  static const std::vector<Tariff> tariffs = [] {
    std::vector<Tariff> out;
    for (const auto& f : builtin_tariff_files()) {
      auto t = parse_tariff(f.text);
      if (t.ok()) out.push_back(std::move(*t));
    }
    return out;
  }();
  return tariffs;
}

Result<Tariff> find_tariff(std::string_view code, const std::vector<Tariff>& tariffs) {
  for (const Tariff& t : tariffs) {
    if (t.code == code) return t;
  }
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  for (const Tariff& t : tariffs) {
    if (t.code.size() == code.size() &&
        std::equal(t.code.begin(), t.code.end(), code.begin(),
                   [&](char a, char b) { return lower(a) == lower(b); })) {
      return t;
    }
  }
  std::string known;
  for (const Tariff& t : tariffs) known += (known.empty() ? "" : ", ") + t.code;
  return Error(Errc::kNotFound, fmt::format("no tariff with code \"{}\" (known: {})", code,
                                            known.empty() ? "none" : known));
}

}  // namespace vidyut::tariff
