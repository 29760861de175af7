// Who may do what. Operators have one or more roles; each action the API offers needs one
// permission. Consumers are another audience: they see only their own account, through routes
// of their own, and have no role here.
//
//   permission   viewer  operator  billing  administrator
//   view           x        x         x          x
//   command                 x                              disconnect, reconnect, limit, load
//   control billing                           x                    adjustments, reversals users x
//   operators and their roles
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vidyut::access {

enum class Role : std::uint8_t { kViewer = 1, kOperator = 2, kBilling = 4, kAdmin = 8 };
enum class Permission : std::uint8_t { kView, kCommand, kBilling, kUsers };

// A set of roles.
class Roles {
 public:
  Roles() = default;
  explicit Roles(std::uint8_t bits) : bits_(bits & 15) {}
  Roles& add(Role r) {
    bits_ = static_cast<std::uint8_t>(bits_ | static_cast<std::uint8_t>(r));
    return *this;
  }
  bool has(Role r) const { return (bits_ & static_cast<std::uint8_t>(r)) != 0; }
  bool empty() const { return bits_ == 0; }
  std::uint8_t bits() const { return bits_; }
  bool operator==(const Roles&) const = default;

 private:
  std::uint8_t bits_ = 0;
};

// "viewer", "operator", "billing", "administrator".
const char* to_string(Role r);
// "operator,billing" (in the order above); "" for none.
std::string to_string(Roles roles);
// A comma-separated list of role names; nullopt for an unknown name or an empty list.
std::optional<Roles> parse_roles(std::string_view text);
// "view", "command", "billing", "users".
const char* to_string(Permission p);

bool allows(Roles roles, Permission p);

}  // namespace vidyut::access
