#include "cli/reading.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

#include "dlms/cosem/is15959.h"
#include "dlms/cosem/register.h"
#include "dlms/cosem/render.h"

namespace vidyut::cli {
namespace {

using dlms::Data;
using dlms::DataTag;
using dlms::Obis;
using dlms::cosem::ScalerUnit;

constexpr std::uint16_t kClassRegister = 3;
constexpr std::uint16_t kClassExtendedRegister = 4;
constexpr std::uint16_t kClassProfileGeneric = 7;
constexpr std::uint16_t kClassClock = 8;
constexpr std::uint16_t kClassDisconnectControl = 70;

std::string name_of(const Obis& obis) {
  if (const auto* info = dlms::is15959::find_object(obis)) return info->name;
  return obis.to_string();
}

// The scaler profile the catalogue pairs with a profile, if any.
std::optional<Obis> scaler_profile_for(const Obis& profile) {
  namespace c = dlms::is15959;
  if (profile == c::kInstantaneousProfile) return c::kInstantaneousScaler;
  if (profile == c::kBlockLoadProfile) return c::kBlockLoadScaler;
  if (profile == c::kDailyLoadProfile) return c::kDailyLoadScaler;
  if (profile == c::kBillingProfile) return c::kBillingScaler;
  for (std::uint8_t log = 0; log <= 6; ++log) {
    if (profile == c::event_log_obis(static_cast<c::EventLog>(log))) return c::kEventScaler;
  }
  return std::nullopt;
}

using dlms::cosem::render_json;
using dlms::cosem::render_text;

std::string label(const Target& t) {
  return name_of(t.obis) + " [" + t.obis.to_string() + ":" + std::to_string(t.index) + "]";
}

std::string json_head(const Target& t) {
  return "{\"obis\":" + json_string(t.obis.to_string()) +
         ",\"attribute\":" + std::to_string(t.index) +
         ",\"class_id\":" + std::to_string(t.class_id) +
         ",\"name\":" + json_string(name_of(t.obis));
}

Reading refused(const Target& t, dlms::DataAccessResult r) {
  Reading out;
  out.success = false;
  out.text = label(t) + ": meter answered " + dlms::to_string(r) + "\n";
  out.json = json_head(t) + ",\"error\":" + json_string(dlms::to_string(r)) + "}";
  return out;
}

// GET that turns a data-access-result into nullopt.
Result<std::optional<Data>> get_value(dlms::Client& client, std::uint16_t class_id,
                                      const Obis& obis, std::int8_t attribute,
                                      const std::optional<dlms::SelectiveAccess>& access = {}) {
  VIDYUT_TRY(r, client.get(dlms::AttributeDescriptor{class_id, obis, attribute}, access));
  if (const auto* d = std::get_if<Data>(&*r)) return std::optional<Data>(*d);
  return std::optional<Data>();
}

std::string control_state_name(const Data& d) {
  switch (d.as_uint().value_or(255)) {
    case 0:
      return " (disconnected)";
    case 1:
      return " (connected)";
    case 2:
      return " (ready for reconnection)";
    default:
      return "";
  }
}

Result<Reading> read_scalar(dlms::Client& client, const Target& t,
                            const std::optional<dlms::SelectiveAccess>& access) {
  VIDYUT_TRY(r, client.get(dlms::AttributeDescriptor{t.class_id, t.obis, t.index}, access));
  if (const auto* denied = std::get_if<dlms::DataAccessResult>(&*r)) return refused(t, *denied);
  const Data& value = std::get<Data>(*r);
  std::optional<ScalerUnit> su;
  if ((t.class_id == kClassRegister || t.class_id == kClassExtendedRegister) && t.index == 2) {
    VIDYUT_TRY(s, get_value(client, t.class_id, t.obis, 3));
    if (*s) su = ScalerUnit::from_data(**s);
  } else if (t.class_id == kClassRegister && t.index == 3) {
    // scaler_unit itself: show it readably below.
  }
  Reading out;
  out.success = true;
  out.value = value;
  std::string text = render_text(value, su, true);
  if (t.class_id == kClassDisconnectControl && t.index == 3) text += control_state_name(value);
  if (t.class_id == kClassDisconnectControl && t.index == 2 && value.as_bool()) {
    text += *value.as_bool() ? " (relay closed, supply on)" : " (relay open, supply off)";
  }
  if (auto s = ScalerUnit::from_data(value);
      s && t.index == 3 && (t.class_id == kClassRegister || t.class_id == kClassExtendedRegister)) {
    text = "x10^" + std::to_string(s->scaler) + " " + dlms::cosem::unit_symbol(s->unit);
  }
  out.text = label(t) + ": " + text + "\n";
  out.json = json_head(t) + ",\"value\":" + render_json(value, su);
  if (su) out.json += ",\"unit\":" + json_string(dlms::cosem::unit_symbol(su->unit));
  out.json += "}";
  return out;
}

struct Column {
  std::string name;
  std::optional<ScalerUnit> scaler;
};

Result<Reading> read_profile(dlms::Client& client, const Target& t,
                             const std::optional<dlms::SelectiveAccess>& access) {
  // Columns from capture_objects (attribute 3).
  std::vector<Column> columns;
  std::vector<dlms::CaptureObjectDefinition> defs;
  VIDYUT_TRY(capture, get_value(client, kClassProfileGeneric, t.obis, 3));
  if (*capture && (*capture)->as_list()) {
    for (const Data& item : *(*capture)->as_list()) {
      auto def = dlms::CaptureObjectDefinition::from_data(item);
      if (!def.ok()) return Error(Errc::kMalformed, "capture_objects: " + def.error().message);
      defs.push_back(*def);
      columns.push_back({name_of(def->logical_name), std::nullopt});
    }
  }
  // Scalers from the scaler profile: its capture objects name registers' scaler_unit
  // attributes, its single buffer row holds the values.
  bool scaled = false;
  if (auto scaler_obis = scaler_profile_for(t.obis)) {
    VIDYUT_TRY(scols, get_value(client, kClassProfileGeneric, *scaler_obis, 3));
    VIDYUT_TRY(sbuf, get_value(client, kClassProfileGeneric, *scaler_obis, 2));
    if (*scols && *sbuf && (*scols)->as_list() && (*sbuf)->as_list() &&
        !(*sbuf)->as_list()->empty()) {
      const auto& names = *(*scols)->as_list();
      const Data* row = (*sbuf)->at(0);
      std::map<Obis, ScalerUnit> by_obis;
      for (std::size_t i = 0; row && i < names.size(); ++i) {
        auto def = dlms::CaptureObjectDefinition::from_data(names[i]);
        const Data* cell = row->at(i);
        if (!def.ok() || cell == nullptr) continue;
        if (auto su = ScalerUnit::from_data(*cell)) by_obis[def->logical_name] = *su;
      }
      for (std::size_t i = 0; i < defs.size(); ++i) {
        auto it = by_obis.find(defs[i].logical_name);
        if (it != by_obis.end()) columns[i].scaler = it->second;
      }
      scaled = true;
    }
  }
  VIDYUT_TRY(r, client.get(dlms::AttributeDescriptor{t.class_id, t.obis, t.index}, access));
  if (const auto* denied = std::get_if<dlms::DataAccessResult>(&*r)) return refused(t, *denied);
  const Data& buffer = std::get<Data>(*r);
  const dlms::DataList empty;
  const dlms::DataList& rows = buffer.as_list() ? *buffer.as_list() : empty;
  std::size_t width = columns.size();
  for (const Data& row : rows) {
    if (row.as_list()) width = std::max(width, row.as_list()->size());
  }
  while (columns.size() < width)
    columns.push_back({"column " + std::to_string(columns.size() + 1), {}});

  // Header and cells.
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header;
  for (const Column& c : columns) {
    std::string h = c.name;
    if (c.scaler) {
      const std::string unit = dlms::cosem::unit_symbol(c.scaler->unit);
      if (!unit.empty()) h += " (" + unit + ")";
    }
    header.push_back(h);
  }
  table.push_back(header);
  std::string json = json_head(t) + ",\"scaled\":" + (scaled ? "true" : "false") + ",\"columns\":[";
  for (std::size_t i = 0; i < header.size(); ++i) json += (i ? "," : "") + json_string(header[i]);
  json += "],\"rows\":[";
  std::size_t shown = 0;
  for (std::size_t ri = 0; ri < rows.size(); ++ri) {
    const Data& row = rows[ri];
    const dlms::DataList single{row};
    const dlms::DataList& cells = row.as_list() ? *row.as_list() : single;
    std::vector<std::string> line;
    json += ri ? ",[" : "[";
    for (std::size_t ci = 0; ci < cells.size(); ++ci) {
      const auto& su = ci < columns.size() ? columns[ci].scaler : std::nullopt;
      line.push_back(render_text(cells[ci], su, false));
      json += (ci ? "," : "") + render_json(cells[ci], su);
    }
    json += "]";
    if (shown < kMaxTableRows) {
      table.push_back(std::move(line));
      ++shown;
    }
  }
  json += "]}";
  std::vector<std::size_t> widths(width, 0);
  for (const auto& line : table) {
    for (std::size_t i = 0; i < line.size() && i < width; ++i) {
      widths[i] = std::max(widths[i], line[i].size());
    }
  }
  std::string text = label(t) + ": " + std::to_string(rows.size()) + " row(s)" +
                     (scaled ? "" : ", unscaled") + "\n";
  for (std::size_t li = 0; li < table.size(); ++li) {
    std::string s = "  ";
    for (std::size_t i = 0; i < table[li].size() && i < width; ++i) {
      std::string cell = table[li][i];
      if (i + 1 < table[li].size()) cell.resize(widths[i], ' ');
      s += cell + (i + 1 < table[li].size() ? " | " : "");
    }
    text += s + "\n";
  }
  if (shown < rows.size()) {
    text += "  ... " + std::to_string(rows.size() - shown) + " more row(s) (use --json)\n";
  }
  Reading out;
  out.success = true;
  out.value = buffer;
  out.rows = rows.size();
  out.text = std::move(text);
  out.json = std::move(json);
  return out;
}

}  // namespace

Result<Target> parse_target(std::string_view text, std::optional<std::uint16_t> class_override) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= text.size()) {
    return Error(Errc::kInvalidArgument,
                 "expected OBIS:INDEX such as 0.0.1.0.0.255:2, got '" + std::string(text) + "'");
  }
  VIDYUT_TRY(obis, Obis::parse(text.substr(0, colon)));
  int index = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9' || index > 127) {
      return Error(Errc::kInvalidArgument, "bad index in '" + std::string(text) + "'");
    }
    index = index * 10 + (c - '0');
  }
  if (index > 127) return Error(Errc::kInvalidArgument, "index over 127 in " + std::string(text));
  Target t;
  t.obis = *obis;
  t.index = static_cast<std::int8_t>(index);
  if (class_override) {
    t.class_id = *class_override;
  } else if (const auto* info = dlms::is15959::find_object(t.obis)) {
    t.class_id = info->class_id;
  } else {
    return Error(Errc::kInvalidArgument,
                 t.obis.to_string() + " is not in the IS 15959 catalogue: pass --class-id");
  }
  return t;
}

Result<dlms::SelectiveAccess> make_range(std::string_view from, std::string_view to) {
  auto f = parse_iso8601(from);
  if (!f.ok()) return Error(Errc::kInvalidArgument, "--from: " + f.error().message);
  auto t = parse_iso8601(to);
  if (!t.ok()) return Error(Errc::kInvalidArgument, "--to: " + t.error().message);
  if (*t < *f) return Error(Errc::kInvalidArgument, "--to is before --from");
  return dlms::make_range_access(dlms::CosemDateTime::from_utc(*f),
                                 dlms::CosemDateTime::from_utc(*t));
}

Result<Reading> read_and_format(dlms::Client& client, const Target& target,
                                const std::optional<dlms::SelectiveAccess>& access) {
  if (target.class_id == kClassProfileGeneric && target.index == 2) {
    return read_profile(client, target, access);
  }
  (void)kClassClock;
  return read_scalar(client, target, access);
}

}  // namespace vidyut::cli
