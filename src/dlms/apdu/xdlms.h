// xDLMS services with logical-name referencing (IEC 62056-5-3 / DLMS UA Green Book, IS 15959):
// GET, SET, ACTION, Data-Notification, Exception-Response and Confirmed-Service-Error.
//
// Each request/response CHOICE of the standard is a std::variant of plain structs, one per
// choice; all of them are alternatives (directly or nested) of Apdu in apdu.h, whose
// encode()/decode_apdu() carry the wire codec. A peer's result code (read-write-denied, ...)
// is data inside a successfully decoded APDU, never an Error. Wire format: docs/dlms.md,
// "xDLMS APDUs".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/bytes.h"
#include "core/result.h"
#include "dlms/axdr/data.h"
#include "dlms/axdr/obis.h"

namespace vidyut::dlms {

// APDU tags of the plain xDLMS services (Green Book, "XDLMS-APDU" CHOICE).
namespace tag {
inline constexpr std::uint8_t kInitiateRequest = 0x01;
inline constexpr std::uint8_t kInitiateResponse = 0x08;
inline constexpr std::uint8_t kConfirmedServiceError = 0x0E;
inline constexpr std::uint8_t kDataNotification = 0x0F;
inline constexpr std::uint8_t kAarq = 0x60;
inline constexpr std::uint8_t kAare = 0x61;
inline constexpr std::uint8_t kRlrq = 0x62;
inline constexpr std::uint8_t kRlre = 0x63;
inline constexpr std::uint8_t kGetRequest = 0xC0;
inline constexpr std::uint8_t kSetRequest = 0xC1;
inline constexpr std::uint8_t kEventNotificationRequest = 0xC2;
inline constexpr std::uint8_t kActionRequest = 0xC3;
inline constexpr std::uint8_t kGetResponse = 0xC4;
inline constexpr std::uint8_t kSetResponse = 0xC5;
inline constexpr std::uint8_t kActionResponse = 0xC7;
inline constexpr std::uint8_t kExceptionResponse = 0xD8;
}  // namespace tag

// Most entries in one with-list request or response. The standard sets no bound and the count is
// also bounded by the APDU's length; meters accept at most a few dozen, so 1024 is generous.
inline constexpr std::size_t kMaxListItems = 1024;

// Invoke-Id-And-Priority (one byte): bits 0-3 invoke id, bit 6 service class (1 = confirmed),
// bit 7 priority (1 = high). Bits 4-5 are reserved and kept as received.
struct InvokeIdAndPriority {
  std::uint8_t raw = 0xC1;  // high priority, confirmed, invoke id 1

  static constexpr InvokeIdAndPriority make(std::uint8_t invoke_id, bool confirmed = true,
                                            bool high_priority = true) {
    return {static_cast<std::uint8_t>((invoke_id & 0x0F) | (confirmed ? 0x40 : 0) |
                                      (high_priority ? 0x80 : 0))};
  }
  constexpr std::uint8_t invoke_id() const { return raw & 0x0F; }
  constexpr bool confirmed() const { return (raw & 0x40) != 0; }
  constexpr bool high_priority() const { return (raw & 0x80) != 0; }
  bool operator==(const InvokeIdAndPriority&) const = default;
};

// Cosem-Attribute-Descriptor: class id, logical name, attribute index (1-based; 0 = all).
struct AttributeDescriptor {
  std::uint16_t class_id = 0;
  Obis instance;
  std::int8_t attribute = 0;
  bool operator==(const AttributeDescriptor&) const = default;
};

// Cosem-Method-Descriptor.
struct MethodDescriptor {
  std::uint16_t class_id = 0;
  Obis instance;
  std::int8_t method = 0;
  bool operator==(const MethodDescriptor&) const = default;
};

// Selective-Access-Descriptor: access selector and its parameters (class-specific).
struct SelectiveAccess {
  std::uint8_t selector = 0;
  Data parameters;
  bool operator==(const SelectiveAccess&) const = default;
};

// Profile generic (class 7) selectors.
inline constexpr std::uint8_t kSelectorRange = 1;
inline constexpr std::uint8_t kSelectorEntry = 2;

// capture_object_definition of profile generic: {class_id, logical_name, attribute, data_index}.
struct CaptureObjectDefinition {
  std::uint16_t class_id = 0;
  Obis logical_name;
  std::int8_t attribute = 0;
  std::uint16_t data_index = 0;
  bool operator==(const CaptureObjectDefinition&) const = default;
  Data to_data() const;
  static Result<CaptureObjectDefinition> from_data(const Data& d);  // kMalformed if not one
};

// The clock attribute 2 (time), which IS 15959 profiles are restricted on.
inline constexpr CaptureObjectDefinition kClockTimeColumn{8, Obis{0, 0, 1, 0, 0, 255}, 2, 0};

// range_descriptor (selector 1): rows whose restricting value lies in [from, to].
struct RangeDescriptor {
  CaptureObjectDefinition restricting_object = kClockTimeColumn;
  Data from_value;  // for the clock: a 12-byte date-time octet-string
  Data to_value;
  std::vector<CaptureObjectDefinition> selected_values;  // empty = all columns
  bool operator==(const RangeDescriptor&) const = default;

  SelectiveAccess to_access() const;
  // kMalformed unless `access` is selector 1 with a well-formed range_descriptor.
  static Result<RangeDescriptor> from_access(const SelectiveAccess& access);
};

// Selector 1 on the clock, from/to as 12-byte date-time octet-strings, all columns.
SelectiveAccess make_range_access(const CosemDateTime& from, const CosemDateTime& to);

// entry_descriptor (selector 2): rows from_entry..to_entry (1-based; to_entry 0 = last),
// columns from_selected_value..to_selected_value (1-based; to 0 = last).
struct EntryDescriptor {
  std::uint32_t from_entry = 1;
  std::uint32_t to_entry = 0;
  std::uint16_t from_selected_value = 1;
  std::uint16_t to_selected_value = 0;
  bool operator==(const EntryDescriptor&) const = default;

  SelectiveAccess to_access() const;
  static Result<EntryDescriptor> from_access(const SelectiveAccess& access);
};

// Data-Access-Result (Green Book); the peer's answer to one GET/SET of one attribute.
enum class DataAccessResult : std::uint8_t {
  kSuccess = 0,
  kHardwareFault = 1,
  kTemporaryFailure = 2,
  kReadWriteDenied = 3,
  kObjectUndefined = 4,
  kObjectClassInconsistent = 9,
  kObjectUnavailable = 11,
  kTypeUnmatched = 12,
  kScopeOfAccessViolated = 13,
  kDataBlockUnavailable = 14,
  kLongGetAborted = 15,
  kNoLongGetInProgress = 16,
  kLongSetAborted = 17,
  kNoLongSetInProgress = 18,
  kDataBlockNumberInvalid = 19,
  kOtherReason = 250,
};
// "read-write-denied"; "data-access-result 77" for values the standard does not name.
std::string to_string(DataAccessResult r);

// Action-Result (Green Book); the peer's answer to one ACTION.
enum class ActionResult : std::uint8_t {
  kSuccess = 0,
  kHardwareFault = 1,
  kTemporaryFailure = 2,
  kReadWriteDenied = 3,
  kObjectUndefined = 4,
  kObjectClassInconsistent = 9,
  kObjectUnavailable = 11,
  kTypeUnmatched = 12,
  kScopeOfAccessViolated = 13,
  kDataBlockUnavailable = 14,
  kLongActionAborted = 15,
  kNoLongActionInProgress = 16,
  kOtherReason = 250,
};
std::string to_string(ActionResult r);

// Get-Data-Result CHOICE: the value, or why there is none.
using GetDataResult = std::variant<Data, DataAccessResult>;

// Cosem-Attribute-Descriptor with optional selective access (with-list entries).
struct AttributeWithSelection {
  AttributeDescriptor attribute;
  std::optional<SelectiveAccess> access;
  bool operator==(const AttributeWithSelection&) const = default;
};

// ---- GET (Get-Request 0xC0 / Get-Response 0xC4) ----

struct GetRequestNormal {  // choice 1
  InvokeIdAndPriority invoke;
  AttributeDescriptor attribute;
  std::optional<SelectiveAccess> access;
  bool operator==(const GetRequestNormal&) const = default;
};
struct GetRequestNext {  // choice 2: ask for the block after block_number
  InvokeIdAndPriority invoke;
  std::uint32_t block_number = 0;
  bool operator==(const GetRequestNext&) const = default;
};
struct GetRequestWithList {  // choice 3
  InvokeIdAndPriority invoke;
  std::vector<AttributeWithSelection> attributes;
  bool operator==(const GetRequestWithList&) const = default;
};
using GetRequest = std::variant<GetRequestNormal, GetRequestNext, GetRequestWithList>;

struct GetResponseNormal {  // choice 1
  InvokeIdAndPriority invoke;
  GetDataResult result;
  bool operator==(const GetResponseNormal&) const = default;
};
// Choice 2. `raw` is one slice of the A-XDR encoding of the whole result (a Get-Data-Result
// for a normal GET, a SEQUENCE OF Get-Data-Result for with-list): concatenate the slices of
// blocks 1..n and decode the whole, or the DataAccessResult that ended the transfer.
struct GetResponseWithDataBlock {
  InvokeIdAndPriority invoke;
  bool last_block = false;
  std::uint32_t block_number = 0;
  std::variant<Bytes, DataAccessResult> raw;
  bool operator==(const GetResponseWithDataBlock&) const = default;
};
struct GetResponseWithList {  // choice 3
  InvokeIdAndPriority invoke;
  std::vector<GetDataResult> results;
  bool operator==(const GetResponseWithList&) const = default;
};
using GetResponse = std::variant<GetResponseNormal, GetResponseWithDataBlock, GetResponseWithList>;

// ---- SET (Set-Request 0xC1 / Set-Response 0xC5) ----

// DataBlock-SA: one slice of the A-XDR encoding of the value(s) being set.
struct DataBlockSa {
  bool last_block = false;
  std::uint32_t block_number = 0;
  Bytes raw;
  bool operator==(const DataBlockSa&) const = default;
};

struct SetRequestNormal {  // choice 1
  InvokeIdAndPriority invoke;
  AttributeDescriptor attribute;
  std::optional<SelectiveAccess> access;
  Data value;
  bool operator==(const SetRequestNormal&) const = default;
};
struct SetRequestWithFirstDataBlock {  // choice 2
  InvokeIdAndPriority invoke;
  AttributeDescriptor attribute;
  std::optional<SelectiveAccess> access;
  DataBlockSa block;
  bool operator==(const SetRequestWithFirstDataBlock&) const = default;
};
struct SetRequestWithDataBlock {  // choice 3
  InvokeIdAndPriority invoke;
  DataBlockSa block;
  bool operator==(const SetRequestWithDataBlock&) const = default;
};
struct SetRequestWithList {  // choice 4; values.size() == attributes.size() (checked on encode)
  InvokeIdAndPriority invoke;
  std::vector<AttributeWithSelection> attributes;
  std::vector<Data> values;
  bool operator==(const SetRequestWithList&) const = default;
};
using SetRequest = std::variant<SetRequestNormal, SetRequestWithFirstDataBlock,
                                SetRequestWithDataBlock, SetRequestWithList>;

struct SetResponseNormal {  // choice 1
  InvokeIdAndPriority invoke;
  DataAccessResult result = DataAccessResult::kSuccess;
  bool operator==(const SetResponseNormal&) const = default;
};
struct SetResponseDataBlock {  // choice 2: block received, send the next
  InvokeIdAndPriority invoke;
  std::uint32_t block_number = 0;
  bool operator==(const SetResponseDataBlock&) const = default;
};
struct SetResponseLastDataBlock {  // choice 3
  InvokeIdAndPriority invoke;
  DataAccessResult result = DataAccessResult::kSuccess;
  std::uint32_t block_number = 0;
  bool operator==(const SetResponseLastDataBlock&) const = default;
};
struct SetResponseWithList {  // choice 5
  InvokeIdAndPriority invoke;
  std::vector<DataAccessResult> results;
  bool operator==(const SetResponseWithList&) const = default;
};
using SetResponse = std::variant<SetResponseNormal, SetResponseDataBlock, SetResponseLastDataBlock,
                                 SetResponseWithList>;

// ---- ACTION (Action-Request 0xC3 / Action-Response 0xC7) ----

struct ActionRequestNormal {  // choice 1
  InvokeIdAndPriority invoke;
  MethodDescriptor method;
  std::optional<Data> parameters;
  bool operator==(const ActionRequestNormal&) const = default;
};
struct ActionRequestWithList {  // choice 3; parameters.size() == methods.size() (checked)
  InvokeIdAndPriority invoke;
  std::vector<MethodDescriptor> methods;
  std::vector<Data> parameters;
  bool operator==(const ActionRequestWithList&) const = default;
};
using ActionRequest = std::variant<ActionRequestNormal, ActionRequestWithList>;

// Action-Response-With-Optional-Data.
struct ActionResponseItem {
  ActionResult result = ActionResult::kSuccess;
  std::optional<GetDataResult> return_parameters;
  bool operator==(const ActionResponseItem&) const = default;
};
struct ActionResponseNormal {  // choice 1
  InvokeIdAndPriority invoke;
  ActionResponseItem response;
  bool operator==(const ActionResponseNormal&) const = default;
};
struct ActionResponseWithList {  // choice 3
  InvokeIdAndPriority invoke;
  std::vector<ActionResponseItem> responses;
  bool operator==(const ActionResponseWithList&) const = default;
};
using ActionResponse = std::variant<ActionResponseNormal, ActionResponseWithList>;

// ---- Unsolicited and error APDUs ----

// Data-Notification (0x0F): pushes (IS 15959 alert and instant push).
struct DataNotification {
  // Long-Invoke-Id-And-Priority: bits 0-23 id, 28 self-descriptive, 29 processing-option
  // (break on error), 30 service class (1 = confirmed), 31 priority (1 = high).
  std::uint32_t long_invoke_id_and_priority = 0;
  std::optional<CosemDateTime> date_time;  // on the wire an octet-string of 0 or 12 bytes
  Data body;
  bool operator==(const DataNotification&) const = default;
};

// Exception-Response (0xD8): the server could not even parse or accept the request.
enum class StateError : std::uint8_t { kServiceNotAllowed = 1, kServiceUnknown = 2 };
enum class ServiceError : std::uint8_t {
  kOperationNotPossible = 1,
  kServiceNotSupported = 2,
  kOtherReason = 3,
  kPduTooLong = 4,
  kDecipheringError = 5,
  kInvocationCounterError = 6,  // carries the server's expected invocation counter
};
std::string to_string(StateError e);
std::string to_string(ServiceError e);

struct ExceptionResponse {
  StateError state_error = StateError::kServiceNotAllowed;
  ServiceError service_error = ServiceError::kOperationNotPossible;
  // Present exactly when service_error == kInvocationCounterError (checked on encode/decode).
  std::optional<std::uint32_t> invocation_counter;
  bool operator==(const ExceptionResponse&) const = default;
};

// Confirmed-Service-Error (0x0E): e.g. a refused InitiateRequest inside an AARE.
// Wire: service choice (1 = initiateError, 2 = getStatus, ... 5 = read, 6 = write),
// ServiceError type choice (0 application-reference ... 6 initiate ... 10 other), value (enum).
struct ConfirmedServiceError {
  static constexpr std::uint8_t kServiceInitiateError = 1;
  static constexpr std::uint8_t kServiceRead = 5;
  static constexpr std::uint8_t kServiceWrite = 6;
  static constexpr std::uint8_t kErrorTypeInitiate = 6;
  // Values of the `initiate` error type.
  static constexpr std::uint8_t kInitiateOther = 0;
  static constexpr std::uint8_t kInitiateDlmsVersionTooLow = 1;
  static constexpr std::uint8_t kInitiateIncompatibleConformance = 2;
  static constexpr std::uint8_t kInitiatePduSizeTooShort = 3;
  static constexpr std::uint8_t kInitiateRefusedByVdeHandler = 4;

  std::uint8_t service = kServiceInitiateError;
  std::uint8_t error_type = kErrorTypeInitiate;
  std::uint8_t value = kInitiateOther;
  bool operator==(const ConfirmedServiceError&) const = default;
};
std::string to_string(
    const ConfirmedServiceError& e);  // "initiateError: initiate dlms-version-too-low"

}  // namespace vidyut::dlms
