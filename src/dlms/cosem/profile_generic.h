// Interface class 7 (Profile generic), version 1: load profiles, billing history and event logs.
//
// Attributes: 2 buffer, 3 capture_objects, 4 capture_period (s), 5 sort_method, 6 sort_object,
// 7 entries_in_use, 8 profile_entries. Methods: 1 reset(integer 0), 2 capture(integer 0).
//
// The buffer is not stored here: a ProfileRowSource supplies rows, so the simulator can generate
// 45 days of block load on demand instead of keeping it. StoredRowSource is a plain in-memory
// ring for objects that do keep their rows (event logs, billing).
//
// Selective access on the buffer (Blue Book class 7):
//   selector 1, range_descriptor: structure { restricting_object capture_object_definition,
//     from_value, to_value, selected_values array of capture_object_definition }.
//     Rows whose restricting column lies in [from_value, to_value] (both inclusive). Only the
//     clock column (class 8, attribute 2) is supported as restricting object; from/to are
//     date-time octet-strings. from > to selects nothing (empty array). An empty
//     selected_values means all columns; otherwise every entry must be a capture object.
//   selector 2, entry_descriptor: structure { from_entry double-long-unsigned, to_entry
//     double-long-unsigned, from_selected_value long-unsigned, to_selected_value long-unsigned }.
//     Entries and columns are 1-based; to_entry 0 / to_selected_value 0 mean "the last".
//     from_entry 0 is read as 1. A range beyond entries_in_use, or to_entry < from_entry,
//     selects nothing. Column bounds outside the capture objects are kOtherReason.
// Malformed parameters give kTypeUnmatched; other selectors and restricting objects give
// kOtherReason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "dlms/cosem/object.h"

namespace vidyut::dlms::cosem {

// Most rows one GET of the buffer returns: 90 days of 15-minute block load (8,640 rows) with
// room to spare; larger reads must be split by range. Bounds memory per request.
inline constexpr std::uint32_t kMaxRowsPerRead = 10'000;
// Most capture objects (columns) a profile may define or a selected_values list may name:
// IS 15959 three-phase profiles have about 30 columns.
inline constexpr std::size_t kMaxCaptureObjects = 128;

using ProfileRow = DataList;  // one buffer entry: one value per capture object

// Supplies the buffer of one profile. Rows are numbered 0..entries_in_use()-1 in buffer order
// (oldest first, as IS 15959 meters sort by time).
class ProfileRowSource {
 public:
  virtual ~ProfileRowSource();
  virtual std::uint32_t entries_in_use(const AccessContext& ctx) const = 0;
  // Rows [first, first + count) (REQUIRES: first + count <= entries_in_use()).
  virtual std::vector<ProfileRow> rows(std::uint32_t first, std::uint32_t count,
                                       const AccessContext& ctx) const = 0;
  // Rows whose time (the clock column) lies in [from, to], oldest first, at most `max_rows`.
  virtual std::vector<ProfileRow> rows_between(UtcTime from, UtcTime to, std::uint32_t max_rows,
                                               const AccessContext& ctx) const = 0;
  // Method 1 reset / method 2 capture. Return false when the source cannot (e.g. generated).
  virtual bool reset() { return false; }
  virtual bool capture(const AccessContext& /*ctx*/) { return false; }
};

// In-memory ring of at most `capacity` rows; the oldest row is dropped when full. Time of a row
// is read from column `time_column` (a date-time octet-string; rows whose cell is not a valid
// date-time never match a time range). capture() appends the row the capture function returns.
class StoredRowSource : public ProfileRowSource {
 public:
  using CaptureFn = std::function<ProfileRow(const AccessContext&)>;
  StoredRowSource(std::uint32_t capacity, std::size_t time_column = 0,
                  std::int16_t assumed_deviation = -330);

  void append(ProfileRow row);
  void set_capture(CaptureFn fn) { capture_fn_ = std::move(fn); }
  std::uint32_t capacity() const { return capacity_; }

  std::uint32_t entries_in_use(const AccessContext& ctx) const override;
  std::vector<ProfileRow> rows(std::uint32_t first, std::uint32_t count,
                               const AccessContext& ctx) const override;
  std::vector<ProfileRow> rows_between(UtcTime from, UtcTime to, std::uint32_t max_rows,
                                       const AccessContext& ctx) const override;
  bool reset() override;
  bool capture(const AccessContext& ctx) override;

 private:
  std::uint32_t capacity_;
  std::size_t time_column_;
  std::int16_t assumed_deviation_;
  std::vector<ProfileRow> rows_;  // oldest first
  CaptureFn capture_fn_;
};

// sort_method (Blue Book class 7): 1 fifo, 2 lifo, 3 largest, 4 smallest, 5 nearest_to_zero,
// 6 farest_from_zero. Reported only; sources decide their order.
enum class SortMethod : std::uint8_t {
  kFifo = 1,
  kLifo = 2,
  kLargest = 3,
  kSmallest = 4,
  kNearestToZero = 5,
  kFarthestFromZero = 6
};

class ProfileGeneric : public CosemObject {
 public:
  // REQUIRES: source != nullptr; capture_objects.size() <= kMaxCaptureObjects.
  ProfileGeneric(const Obis& ln, std::vector<CaptureObjectDefinition> capture_objects,
                 std::shared_ptr<ProfileRowSource> source, std::uint32_t capture_period_s = 0,
                 std::uint32_t profile_entries = 0);

  std::int8_t attribute_count() const override { return 8; }
  std::int8_t method_count() const override { return 2; }

  const std::vector<CaptureObjectDefinition>& capture_objects() const { return capture_objects_; }
  std::uint32_t capture_period() const { return capture_period_; }
  void set_capture_period(std::uint32_t s) { capture_period_ = s; }
  void set_sort(SortMethod m, std::optional<CaptureObjectDefinition> sort_object) {
    sort_method_ = m;
    sort_object_ = std::move(sort_object);
  }
  ProfileRowSource& source() { return *source_; }
  // Index of the clock column (class 8, attribute 2), if any.
  std::optional<std::size_t> clock_column() const;

 protected:
  GetDataResult get_attribute(std::int8_t attribute, const std::optional<SelectiveAccess>& access,
                              const AccessContext& ctx) override;
  DataAccessResult set_attribute(std::int8_t attribute, const Data& value,
                                 const AccessContext& ctx) override;
  ActionOutcome invoke_method(std::int8_t method, const std::optional<Data>& params,
                              const AccessContext& ctx) override;

 private:
  GetDataResult read_buffer(const std::optional<SelectiveAccess>& access,
                            const AccessContext& ctx) const;
  GetDataResult read_by_range(const SelectiveAccess& access, const AccessContext& ctx) const;
  GetDataResult read_by_entry(const SelectiveAccess& access, const AccessContext& ctx) const;

  std::vector<CaptureObjectDefinition> capture_objects_;
  std::shared_ptr<ProfileRowSource> source_;
  std::uint32_t capture_period_;
  std::uint32_t profile_entries_;
  SortMethod sort_method_ = SortMethod::kFifo;
  std::optional<CaptureObjectDefinition> sort_object_;
};

}  // namespace vidyut::dlms::cosem
