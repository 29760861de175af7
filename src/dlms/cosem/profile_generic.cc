#include "dlms/cosem/profile_generic.h"

#include <algorithm>

namespace vidyut::dlms::cosem {

ProfileRowSource::~ProfileRowSource() = default;

// ---- StoredRowSource ----

StoredRowSource::StoredRowSource(std::uint32_t capacity, std::size_t time_column,
                                 std::int16_t assumed_deviation)
    : capacity_(capacity), time_column_(time_column), assumed_deviation_(assumed_deviation) {}

void StoredRowSource::append(ProfileRow row) {
  if (capacity_ == 0) return;
  if (rows_.size() >= capacity_) rows_.erase(rows_.begin());
  rows_.push_back(std::move(row));
}

std::uint32_t StoredRowSource::entries_in_use(const AccessContext&) const {
  return static_cast<std::uint32_t>(rows_.size());
}

std::vector<ProfileRow> StoredRowSource::rows(std::uint32_t first, std::uint32_t count,
                                              const AccessContext&) const {
  std::vector<ProfileRow> out;
  if (first >= rows_.size()) return out;
  std::size_t end = std::min<std::size_t>(rows_.size(), std::size_t{first} + count);
  out.assign(rows_.begin() + first, rows_.begin() + static_cast<std::ptrdiff_t>(end));
  return out;
}

std::vector<ProfileRow> StoredRowSource::rows_between(UtcTime from, UtcTime to,
                                                      std::uint32_t max_rows,
                                                      const AccessContext&) const {
  std::vector<ProfileRow> out;
  for (const auto& row : rows_) {
    if (time_column_ >= row.size()) continue;
    auto dt = row[time_column_].as_date_time();
    if (!dt) continue;
    auto t = dt->to_utc(assumed_deviation_);
    if (!t.ok() || *t < from || *t > to) continue;
    if (out.size() >= max_rows) break;
    out.push_back(row);
  }
  return out;
}

bool StoredRowSource::reset() {
  rows_.clear();
  return true;
}

bool StoredRowSource::capture(const AccessContext& ctx) {
  if (!capture_fn_) return false;
  append(capture_fn_(ctx));
  return true;
}

// ---- ProfileGeneric ----

ProfileGeneric::ProfileGeneric(const Obis& ln, std::vector<CaptureObjectDefinition> capture_objects,
                               std::shared_ptr<ProfileRowSource> source,
                               std::uint32_t capture_period_s, std::uint32_t profile_entries)
    : CosemObject(7, 1, ln),
      capture_objects_(std::move(capture_objects)),
      source_(std::move(source)),
      capture_period_(capture_period_s),
      profile_entries_(profile_entries) {
  if (capture_objects_.size() > kMaxCaptureObjects) capture_objects_.resize(kMaxCaptureObjects);
}

std::optional<std::size_t> ProfileGeneric::clock_column() const {
  for (std::size_t i = 0; i < capture_objects_.size(); ++i) {
    if (capture_objects_[i].class_id == 8 && capture_objects_[i].attribute == 2) return i;
  }
  return std::nullopt;
}

namespace {

// Keeps columns `cols` (0-based) of each row, in that order; missing cells become null-data.
Data project(std::vector<ProfileRow> rows, const std::vector<std::size_t>* cols) {
  DataList out;
  out.reserve(rows.size());
  for (auto& row : rows) {
    if (cols == nullptr) {
      out.push_back(Data::structure(std::move(row)));
      continue;
    }
    DataList cells;
    cells.reserve(cols->size());
    for (std::size_t c : *cols) cells.push_back(c < row.size() ? std::move(row[c]) : Data());
    out.push_back(Data::structure(std::move(cells)));
  }
  return Data::array(std::move(out));
}

}  // namespace

GetDataResult ProfileGeneric::get_attribute(std::int8_t attribute,
                                            const std::optional<SelectiveAccess>& access,
                                            const AccessContext& ctx) {
  if (attribute == 2) return read_buffer(access, ctx);
  if (access) return DataAccessResult::kOtherReason;
  switch (attribute) {
    case 3: {
      DataList list;
      for (const auto& c : capture_objects_) list.push_back(c.to_data());
      return Data::array(std::move(list));
    }
    case 4:
      return Data::double_long_unsigned(capture_period_);
    case 5:
      return Data::enumerated(static_cast<std::uint8_t>(sort_method_));
    case 6:
      return sort_object_.value_or(CaptureObjectDefinition{}).to_data();
    case 7:
      return Data::double_long_unsigned(source_->entries_in_use(ctx));
    case 8:
      return Data::double_long_unsigned(profile_entries_);
    default:
      return DataAccessResult::kObjectUndefined;
  }
}

DataAccessResult ProfileGeneric::set_attribute(std::int8_t attribute, const Data& value,
                                               const AccessContext&) {
  // Only capture_period is writable: changing columns or depth would invalidate the buffer,
  // which IS 15959 meters do not allow over the air.
  if (attribute != 4) return DataAccessResult::kReadWriteDenied;
  if (value.tag() != DataTag::kDoubleLongUnsigned) return DataAccessResult::kTypeUnmatched;
  capture_period_ = static_cast<std::uint32_t>(*value.as_uint());
  return DataAccessResult::kSuccess;
}

ActionOutcome ProfileGeneric::invoke_method(std::int8_t method, const std::optional<Data>&,
                                            const AccessContext& ctx) {
  bool done = false;
  if (method == 1) done = source_->reset();
  if (method == 2) done = source_->capture(ctx);
  return done ? ActionOutcome::ok() : ActionOutcome::fail(ActionResult::kOtherReason);
}

GetDataResult ProfileGeneric::read_buffer(const std::optional<SelectiveAccess>& access,
                                          const AccessContext& ctx) const {
  if (access) {
    if (access->selector == kSelectorRange) return read_by_range(*access, ctx);
    if (access->selector == kSelectorEntry) return read_by_entry(*access, ctx);
    return DataAccessResult::kOtherReason;
  }
  std::uint32_t n = source_->entries_in_use(ctx);
  if (n > kMaxRowsPerRead) return DataAccessResult::kOtherReason;
  return project(source_->rows(0, n, ctx), nullptr);
}

GetDataResult ProfileGeneric::read_by_range(const SelectiveAccess& access,
                                            const AccessContext& ctx) const {
  auto range = RangeDescriptor::from_access(access);
  if (!range.ok()) return DataAccessResult::kTypeUnmatched;
  const auto& r = range->restricting_object;
  auto clock = clock_column();
  if (!clock || r.class_id != 8 || r.attribute != 2 ||
      r.logical_name != capture_objects_[*clock].logical_name) {
    return DataAccessResult::kOtherReason;
  }
  auto from_dt = range->from_value.as_date_time();
  auto to_dt = range->to_value.as_date_time();
  if (!from_dt || !to_dt) return DataAccessResult::kTypeUnmatched;
  auto from = from_dt->to_utc();
  auto to = to_dt->to_utc();
  if (!from.ok() || !to.ok()) return DataAccessResult::kOtherReason;

  std::vector<std::size_t> cols;
  if (range->selected_values.size() > kMaxCaptureObjects) return DataAccessResult::kOtherReason;
  for (const auto& sel : range->selected_values) {
    auto it = std::find(capture_objects_.begin(), capture_objects_.end(), sel);
    if (it == capture_objects_.end()) return DataAccessResult::kOtherReason;
    cols.push_back(static_cast<std::size_t>(it - capture_objects_.begin()));
  }
  if (*from > *to) return Data::array({});
  auto rows = source_->rows_between(*from, *to, kMaxRowsPerRead + 1, ctx);
  if (rows.size() > kMaxRowsPerRead) return DataAccessResult::kOtherReason;
  return project(std::move(rows), cols.empty() ? nullptr : &cols);
}

GetDataResult ProfileGeneric::read_by_entry(const SelectiveAccess& access,
                                            const AccessContext& ctx) const {
  auto entry = EntryDescriptor::from_access(access);
  if (!entry.ok()) return DataAccessResult::kTypeUnmatched;
  const std::size_t ncols = capture_objects_.size();
  std::size_t first_col = std::max<std::size_t>(entry->from_selected_value, 1);
  std::size_t last_col = entry->to_selected_value == 0 ? ncols : entry->to_selected_value;
  if (first_col > last_col || last_col > ncols) return DataAccessResult::kOtherReason;

  const std::uint32_t n = source_->entries_in_use(ctx);
  std::uint32_t first = std::max<std::uint32_t>(entry->from_entry, 1);
  std::uint32_t last = entry->to_entry == 0 ? n : std::min(entry->to_entry, n);
  if (first > last) return Data::array({});
  std::uint32_t count = last - first + 1;
  if (count > kMaxRowsPerRead) return DataAccessResult::kOtherReason;

  std::vector<std::size_t> cols;
  for (std::size_t c = first_col; c <= last_col; ++c) cols.push_back(c - 1);
  bool all = first_col == 1 && last_col == ncols;
  return project(source_->rows(first - 1, count, ctx), all ? nullptr : &cols);
}

}  // namespace vidyut::dlms::cosem
