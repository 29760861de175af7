#include "access/roles.h"

namespace vidyut::access {
namespace {
constexpr Role kAll[] = {Role::kViewer, Role::kOperator, Role::kBilling, Role::kAdmin};
}

const char* to_string(Role r) {
  switch (r) {
    case Role::kViewer:
      return "viewer";
    case Role::kOperator:
      return "operator";
    case Role::kBilling:
      return "billing";
    case Role::kAdmin:
      return "administrator";
  }
  return "?";
}

std::string to_string(Roles roles) {
  std::string out;
  for (Role r : kAll) {
    if (!roles.has(r)) continue;
    if (!out.empty()) out += ',';
    out += to_string(r);
  }
  return out;
}

std::optional<Roles> parse_roles(std::string_view text) {
  Roles out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    std::string_view name = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    bool known = false;
    for (Role r : kAll) {
      if (name == to_string(r) || (r == Role::kAdmin && name == "admin")) {
        out.add(r);
        known = true;
      }
    }
    if (!known) return std::nullopt;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

const char* to_string(Permission p) {
  switch (p) {
    case Permission::kView:
      return "view";
    case Permission::kCommand:
      return "command";
    case Permission::kBilling:
      return "billing";
    case Permission::kUsers:
      return "users";
  }
  return "?";
}

bool allows(Roles roles, Permission p) {
  switch (p) {
    case Permission::kView:
      return !roles.empty();
    case Permission::kCommand:
      return roles.has(Role::kOperator);
    case Permission::kBilling:
      return roles.has(Role::kBilling);
    case Permission::kUsers:
      return roles.has(Role::kAdmin);
  }
  return false;
}

}  // namespace vidyut::access
