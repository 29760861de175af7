// CosemObject: one server-side COSEM object (an instance of an interface class) as a meter or
// the simulator exposes it, and the vocabulary shared by all interface classes in this folder.
//
// The session layer never calls objects directly: it calls LogicalDevice (logical_device.h),
// which finds the object, checks the calling client's access rights and then dispatches to
// CosemObject::get / set / action. Objects therefore do not check access rights themselves.
//
// Writing a new interface class: derive from CosemObject, pass class id / version / logical
// name to the constructor, and override get_attribute (attributes 2..attribute_count(); the base
// class answers attribute 1, logical_name), and set_attribute / invoke_method if the class has
// writable attributes or methods.
//
// Thread-safety: none. A LogicalDevice and its objects are used by one thread at a time (the
// session layer serialises requests per meter).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/clock.h"
#include "dlms/apdu/xdlms.h"
#include "dlms/axdr/data.h"
#include "dlms/axdr/obis.h"

namespace vidyut::dlms::cosem {

// Who is asking and when. `now` is the time of the request (the meter's own clock is a COSEM
// Clock object and may differ; classes that need "meter time" ask that object).
struct AccessContext {
  std::uint16_t client_sap = 0;
  UtcTime now{};
};

// Attribute access rights as the Association LN object_list reports them (Blue Book class 15,
// attribute_access_mode, without the authenticated variants).
enum class AttributeAccess : std::uint8_t { kNone = 0, kRead = 1, kWrite = 2, kReadWrite = 3 };
// Method access rights (Blue Book class 15, method_access_mode: 0 no_access, 1 access).
enum class MethodAccess : std::uint8_t { kNone = 0, kAccess = 1 };

inline bool can_read(AttributeAccess a) { return (static_cast<std::uint8_t>(a) & 1u) != 0; }
inline bool can_write(AttributeAccess a) { return (static_cast<std::uint8_t>(a) & 2u) != 0; }

// The result of ACTION on one method: the peer-visible result and the optional return
// parameters (e.g. the server's f(StoC) for reply_to_HLS_authentication).
struct ActionOutcome {
  ActionResult result = ActionResult::kSuccess;
  std::optional<Data> return_value;

  static ActionOutcome ok(std::optional<Data> value = std::nullopt) {
    return {ActionResult::kSuccess, std::move(value)};
  }
  static ActionOutcome fail(ActionResult r) { return {r, std::nullopt}; }
};

class CosemObject {
 public:
  CosemObject(std::uint16_t class_id, std::uint8_t version, const Obis& logical_name);
  virtual ~CosemObject();
  CosemObject(const CosemObject&) = delete;
  CosemObject& operator=(const CosemObject&) = delete;

  std::uint16_t class_id() const { return class_id_; }
  std::uint8_t version() const { return version_; }
  const Obis& logical_name() const { return logical_name_; }

  // Number of attributes / methods the interface class defines (attributes are 1-based and
  // attribute 1 is logical_name). Used to validate requests and to build object_list.
  virtual std::int8_t attribute_count() const = 0;
  virtual std::int8_t method_count() const { return 0; }

  // GET one attribute. Attribute 1 is answered here; attributes outside 1..attribute_count()
  // give kObjectUndefined; the rest go to get_attribute. Selective access is passed through;
  // classes without selective access answer kOtherReason when it is present (see the .cc).
  GetDataResult get(std::int8_t attribute, const std::optional<SelectiveAccess>& access,
                    const AccessContext& ctx);
  // SET one attribute. Attribute 1 is read-only (kReadWriteDenied).
  DataAccessResult set(std::int8_t attribute, const Data& value, const AccessContext& ctx);
  // ACTION on one method. Methods outside 1..method_count() give kObjectUndefined.
  ActionOutcome action(std::int8_t method, const std::optional<Data>& params,
                       const AccessContext& ctx);

 protected:
  // REQUIRES: 2 <= attribute <= attribute_count().
  virtual GetDataResult get_attribute(std::int8_t attribute,
                                      const std::optional<SelectiveAccess>& access,
                                      const AccessContext& ctx) = 0;
  // REQUIRES: 2 <= attribute <= attribute_count(). Default: kReadWriteDenied (read-only).
  virtual DataAccessResult set_attribute(std::int8_t attribute, const Data& value,
                                         const AccessContext& ctx);
  // REQUIRES: 1 <= method <= method_count(). Default: kObjectUndefined.
  virtual ActionOutcome invoke_method(std::int8_t method, const std::optional<Data>& params,
                                      const AccessContext& ctx);

 private:
  std::uint16_t class_id_;
  std::uint8_t version_;
  Obis logical_name_;
};

// Helpers for interface classes: the scalar value of `d` if it is an integer that fits.
std::optional<std::int64_t> int_of(const Data& d);
std::optional<std::uint64_t> uint_of(const Data& d);

}  // namespace vidyut::dlms::cosem
