#include "dlms/cosem/logical_device.h"

namespace vidyut::dlms::cosem {

LogicalDevice::LogicalDevice() = default;
LogicalDevice::~LogicalDevice() = default;

CosemObject* LogicalDevice::add(std::unique_ptr<CosemObject> object) {
  if (!object) return nullptr;
  Key key{object->class_id(), object->logical_name()};
  if (index_.count(key) != 0) return nullptr;
  CosemObject* raw = object.get();
  objects_.push_back(std::move(object));
  index_.emplace(key, raw);
  return raw;
}

CosemObject* LogicalDevice::find(std::uint16_t class_id, const Obis& logical_name) const {
  auto it = index_.find(Key{class_id, logical_name});
  return it == index_.end() ? nullptr : it->second;
}

CosemObject* LogicalDevice::find(const Obis& logical_name) const {
  for (const auto& o : objects_) {
    if (o->logical_name() == logical_name) return o.get();
  }
  return nullptr;
}

void LogicalDevice::set_client_defaults(std::uint16_t sap, AttributeAccess attributes,
                                        MethodAccess methods) {
  auto& c = clients_[sap];
  c.attribute_default = attributes;
  c.method_default = methods;
}

void LogicalDevice::set_attribute_access(std::uint16_t sap, std::uint16_t class_id, const Obis& ln,
                                         std::int8_t attribute, AttributeAccess access) {
  clients_[sap].attributes[{class_id, ln, attribute}] = access;
}

void LogicalDevice::set_method_access(std::uint16_t sap, std::uint16_t class_id, const Obis& ln,
                                      std::int8_t method, MethodAccess access) {
  clients_[sap].methods[{class_id, ln, method}] = access;
}

AttributeAccess LogicalDevice::attribute_access(std::uint16_t sap, const CosemObject& obj,
                                                std::int8_t attribute) const {
  auto c = clients_.find(sap);
  if (c == clients_.end()) return AttributeAccess::kNone;
  const auto& rules = c->second.attributes;
  auto it = rules.find({obj.class_id(), obj.logical_name(), attribute});
  if (it != rules.end()) return it->second;
  it = rules.find({obj.class_id(), obj.logical_name(), std::int8_t{0}});
  if (it != rules.end()) return it->second;
  return c->second.attribute_default;
}

MethodAccess LogicalDevice::method_access(std::uint16_t sap, const CosemObject& obj,
                                          std::int8_t method) const {
  auto c = clients_.find(sap);
  if (c == clients_.end()) return MethodAccess::kNone;
  const auto& rules = c->second.methods;
  auto it = rules.find({obj.class_id(), obj.logical_name(), method});
  if (it != rules.end()) return it->second;
  it = rules.find({obj.class_id(), obj.logical_name(), std::int8_t{0}});
  if (it != rules.end()) return it->second;
  return c->second.method_default;
}

bool LogicalDevice::visible(std::uint16_t sap, const CosemObject& obj) const {
  for (std::int8_t a = 1; a <= obj.attribute_count(); ++a) {
    if (attribute_access(sap, obj, a) != AttributeAccess::kNone) return true;
  }
  for (std::int8_t m = 1; m <= obj.method_count(); ++m) {
    if (method_access(sap, obj, m) != MethodAccess::kNone) return true;
  }
  return false;
}

std::variant<CosemObject*, DataAccessResult> LogicalDevice::resolve_attribute(
    const AccessContext& ctx, const AttributeDescriptor& attr) {
  if (!has_client(ctx.client_sap)) return DataAccessResult::kScopeOfAccessViolated;
  CosemObject* obj = find(attr.class_id, attr.instance);
  if (obj == nullptr) {
    return find(attr.instance) != nullptr && visible(ctx.client_sap, *find(attr.instance))
               ? DataAccessResult::kObjectClassInconsistent
               : DataAccessResult::kObjectUndefined;
  }
  if (!visible(ctx.client_sap, *obj)) return DataAccessResult::kObjectUndefined;
  if (attr.attribute < 1 || attr.attribute > obj->attribute_count()) {
    return DataAccessResult::kObjectUndefined;
  }
  return obj;
}

GetDataResult LogicalDevice::get(const AccessContext& ctx, const AttributeDescriptor& attr,
                                 const std::optional<SelectiveAccess>& access) {
  auto resolved = resolve_attribute(ctx, attr);
  if (auto* refusal = std::get_if<DataAccessResult>(&resolved)) return *refusal;
  CosemObject* obj = std::get<CosemObject*>(resolved);
  if (!can_read(attribute_access(ctx.client_sap, *obj, attr.attribute))) {
    return DataAccessResult::kReadWriteDenied;
  }
  return obj->get(attr.attribute, access, ctx);
}

DataAccessResult LogicalDevice::set(const AccessContext& ctx, const AttributeDescriptor& attr,
                                    const Data& value) {
  auto resolved = resolve_attribute(ctx, attr);
  if (auto* refusal = std::get_if<DataAccessResult>(&resolved)) return *refusal;
  CosemObject* obj = std::get<CosemObject*>(resolved);
  if (!can_write(attribute_access(ctx.client_sap, *obj, attr.attribute))) {
    return DataAccessResult::kReadWriteDenied;
  }
  return obj->set(attr.attribute, value, ctx);
}

ActionOutcome LogicalDevice::action(const AccessContext& ctx, const MethodDescriptor& method,
                                    const std::optional<Data>& params) {
  if (!has_client(ctx.client_sap)) {
    return ActionOutcome::fail(ActionResult::kScopeOfAccessViolated);
  }
  CosemObject* obj = find(method.class_id, method.instance);
  if (obj == nullptr) {
    return ActionOutcome::fail(find(method.instance) != nullptr &&
                                       visible(ctx.client_sap, *find(method.instance))
                                   ? ActionResult::kObjectClassInconsistent
                                   : ActionResult::kObjectUndefined);
  }
  if (!visible(ctx.client_sap, *obj)) return ActionOutcome::fail(ActionResult::kObjectUndefined);
  if (method.method < 1 || method.method > obj->method_count()) {
    return ActionOutcome::fail(ActionResult::kObjectUndefined);
  }
  if (method_access(ctx.client_sap, *obj, method.method) == MethodAccess::kNone) {
    return ActionOutcome::fail(ActionResult::kReadWriteDenied);
  }
  return obj->action(method.method, params, ctx);
}

Data LogicalDevice::object_list(std::uint16_t sap) const {
  DataList list;
  for (const auto& o : objects_) {
    if (!visible(sap, *o)) continue;
    DataList attrs;
    for (std::int8_t a = 1; a <= o->attribute_count(); ++a) {
      attrs.push_back(Data::structure(
          {Data::integer(a),
           Data::enumerated(static_cast<std::uint8_t>(attribute_access(sap, *o, a))),
           Data::null()}));
    }
    DataList methods;
    for (std::int8_t m = 1; m <= o->method_count(); ++m) {
      methods.push_back(Data::structure(
          {Data::integer(m),
           Data::enumerated(static_cast<std::uint8_t>(method_access(sap, *o, m)))}));
    }
    list.push_back(Data::structure(
        {Data::long_unsigned(o->class_id()), Data::unsigned_(o->version()),
         Data::octet_string(o->logical_name().to_bytes()),
         Data::structure({Data::array(std::move(attrs)), Data::array(std::move(methods))})}));
  }
  return Data::array(std::move(list));
}

}  // namespace vidyut::dlms::cosem
