// LogicalDevice: the COSEM objects of one logical device (a meter's management logical device,
// server SAP 1) and the access rights each client association has to them.
//
// The session layer calls get / set / action with the decoded request and the calling client's
// SAP (AccessContext::client_sap); LogicalDevice finds the object, checks rights and dispatches.
// Results follow the DLMS data-access-result / action-result codes:
//   - client SAP without any configured rights              -> kScopeOfAccessViolated
//   - object missing, or invisible to this client            -> kObjectUndefined
//     (an object is visible when the client has any attribute or method right on it; invisible
//      objects are left out of that client's object_list)
//   - object of another class at that logical name           -> kObjectClassInconsistent
//   - visible object, but this attribute/method not allowed  -> kReadWriteDenied
//
// Access rights per client SAP: a default for every attribute and method, then overrides per
// object (all attributes) and per attribute / method; the most specific rule wins.
//
// Ownership: LogicalDevice owns its objects; pointers returned by find() live as long as it.
// Thread-safety: none; callers serialise (see object.h).
#pragma once

#include <cassert>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "dlms/cosem/object.h"

namespace vidyut::dlms::cosem {

class LogicalDevice {
 public:
  LogicalDevice();
  ~LogicalDevice();
  LogicalDevice(const LogicalDevice&) = delete;
  LogicalDevice& operator=(const LogicalDevice&) = delete;

  // Adds an object. Returns nullptr (and drops `object`) when an object with the same class id
  // and logical name is already present. Objects keep their order of addition (object_list
  // order).
  CosemObject* add(std::unique_ptr<CosemObject> object);
  // Constructs and adds a T. REQUIRES: no object with T's class id and logical name yet. If
  // there is one, the new T is not added (find() keeps returning the first) but is kept alive,
  // so the returned reference stays valid; debug builds assert.
  template <typename T, typename... Args>
  T& emplace(Args&&... args) {
    auto obj = std::make_unique<T>(std::forward<Args>(args)...);
    T& ref = *obj;
    if (find(ref.class_id(), ref.logical_name()) != nullptr) {
      assert(false && "LogicalDevice::emplace: duplicate class id and logical name");
      rejected_.push_back(std::move(obj));
      return ref;
    }
    add(std::move(obj));
    return ref;
  }

  CosemObject* find(std::uint16_t class_id, const Obis& logical_name) const;
  // First object with that logical name, any class.
  CosemObject* find(const Obis& logical_name) const;
  // Typed lookup: nullptr when missing or not a T.
  template <typename T>
  T* find_as(const Obis& logical_name) const {
    return dynamic_cast<T*>(find(logical_name));
  }
  const std::vector<std::unique_ptr<CosemObject>>& objects() const { return objects_; }

  // ---- access rights -------------------------------------------------------------------
  // Registers client `sap` with defaults for all attributes and methods (replaces earlier
  // defaults, keeps overrides). A SAP never registered has no access at all.
  void set_client_defaults(std::uint16_t sap, AttributeAccess attributes, MethodAccess methods);
  // Overrides for one object: every attribute (attribute 0) or one attribute; every method
  // (method 0) or one method. REQUIRES: set_client_defaults(sap, ...) was called.
  void set_attribute_access(std::uint16_t sap, std::uint16_t class_id, const Obis& ln,
                            std::int8_t attribute, AttributeAccess access);
  void set_method_access(std::uint16_t sap, std::uint16_t class_id, const Obis& ln,
                         std::int8_t method, MethodAccess access);
  // Convenience: the object's attributes readable (and nothing writable) for `sap`.
  void allow_read(std::uint16_t sap, std::uint16_t class_id, const Obis& ln) {
    set_attribute_access(sap, class_id, ln, 0, AttributeAccess::kRead);
  }

  bool has_client(std::uint16_t sap) const { return clients_.count(sap) != 0; }
  AttributeAccess attribute_access(std::uint16_t sap, const CosemObject& obj,
                                   std::int8_t attribute) const;
  MethodAccess method_access(std::uint16_t sap, const CosemObject& obj, std::int8_t method) const;
  // True when `sap` has any attribute or method right on `obj` (it is in that object_list).
  bool visible(std::uint16_t sap, const CosemObject& obj) const;

  // ---- entry points for the session layer ------------------------------------------------
  GetDataResult get(const AccessContext& ctx, const AttributeDescriptor& attr,
                    const std::optional<SelectiveAccess>& access);
  DataAccessResult set(const AccessContext& ctx, const AttributeDescriptor& attr,
                       const Data& value);
  ActionOutcome action(const AccessContext& ctx, const MethodDescriptor& method,
                       const std::optional<Data>& params);

  // Association LN object_list for `sap` (Blue Book class 15 v1 attribute 2): array of
  // structure { class_id long-unsigned, version unsigned, logical_name octet-string,
  // access_rights structure { array of attribute_access_item, array of method_access_item } }
  // with attribute_access_item = structure { attribute_id integer, access_mode enum,
  // access_selectors null-data } and method_access_item = structure { method_id integer,
  // access_mode enum }. Only objects visible to `sap`, in order of addition.
  Data object_list(std::uint16_t sap) const;

 private:
  // Finds the object an attribute request names and checks that the client may see it and that
  // the attribute exists: the object, or the data-access-result to answer with. Shared by get
  // and set, which then check read or write access.
  std::variant<CosemObject*, DataAccessResult> resolve_attribute(const AccessContext& ctx,
                                                                 const AttributeDescriptor& attr);

  using Key = std::pair<std::uint16_t, Obis>;
  struct ClientRights {
    AttributeAccess attribute_default = AttributeAccess::kNone;
    MethodAccess method_default = MethodAccess::kNone;
    // (class, ln, attribute or 0) -> access
    std::map<std::tuple<std::uint16_t, Obis, std::int8_t>, AttributeAccess> attributes;
    std::map<std::tuple<std::uint16_t, Obis, std::int8_t>, MethodAccess> methods;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
      return std::hash<Obis>{}(k.second) * 31u + k.first;
    }
  };

  std::vector<std::unique_ptr<CosemObject>> objects_;
  std::unordered_map<Key, CosemObject*, KeyHash> index_;
  std::map<std::uint16_t, ClientRights> clients_;
  std::vector<std::unique_ptr<CosemObject>> rejected_;  // duplicates from emplace
};

}  // namespace vidyut::dlms::cosem
