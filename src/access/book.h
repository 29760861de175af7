// Who may sign in, and who is signed in (docs/access.md): operators with their roles and
// Argon2id password hashes, consumers' one-time sign-in codes, and sessions of both audiences.
// Kept in access.db in the data directory (SQLite WAL, synchronous=FULL); each call is one
// transaction. Every change and every sign-in (and each refused one) leaves a line in the
// store's audit trail with its actor.
//
// At rest: passwords only as Argon2id hashes, session tokens and sign-in codes only as SHA-256
// hashes; a stolen access.db gives no session and no password.
//
// Limits against guessing (named below): failed operator sign-ins per name and per address in a
// window, sign-in codes per consumer and per address in a window, attempts per code, and a
// code's lifetime. Sessions end after idle time and after a maximum age, or on sign-out.
//
// Thread-safety: safe to call from several threads (one connection behind a mutex).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "access/roles.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace vidyut::access {

inline constexpr std::size_t kMaxUsernameLength = 64;
inline constexpr int kMaxFailuresPerName = 5;      // in kFailureWindow, then 429 until it passes
inline constexpr int kMaxFailuresPerAddress = 20;  // in kFailureWindow
inline constexpr Millis kFailureWindow{15 * 60 * 1000};
inline constexpr Millis kOperatorIdle{30 * 60 * 1000};
inline constexpr Millis kOperatorMaxAge{12 * 60 * 60 * 1000};
inline constexpr Millis kConsumerIdle{7LL * 24 * 60 * 60 * 1000};
inline constexpr Millis kConsumerMaxAge{30LL * 24 * 60 * 60 * 1000};
inline constexpr Millis kCodeLifetime{5 * 60 * 1000};
inline constexpr int kMaxCodeAttempts = 5;      // wrong tries per code, then it is void
inline constexpr int kMaxCodesPerConsumer = 3;  // codes sent in kFailureWindow
inline constexpr int kMaxCodesPerAddress = 10;  // codes asked for in kFailureWindow

enum class Audience : std::uint8_t { kOperator = 0, kConsumer = 1 };
const char* to_string(Audience a);  // "operator", "consumer"

struct Operator {
  std::int64_t id = 0;
  std::string username;
  Roles roles;
  bool disabled = false;
  UtcTime created{};
  std::string created_by;
  UtcTime password_changed{};
};

struct Session {
  std::string token;  // only in the answer that created it; never stored
  std::string csrf;   // sent back by the client with every change (X-CSRF-Token)
  Audience audience = Audience::kOperator;
  std::string subject;  // the operator's name or the consumer's id
  Roles roles;          // operators only
  UtcTime created{};
  UtcTime expires{};  // the earlier of idle end and maximum age
  // The actor for the audit trail: "web:<name>" or "consumer:<id>".
  std::string actor() const;
};

class AccessBook {
 public:
  // Opens (creating) dir/access.db. `audit`: the store whose audit trail records what happens
  // here (may be null in tests that do not look at it).
  static Result<std::unique_ptr<AccessBook>> open(const std::filesystem::path& dir,
                                                  const Clock& clock, store::Store* audit);
  ~AccessBook();

  // Operators. kInvalidArgument for a bad name or weak password, kRefused for a name taken.
  Result<Operator> add_operator(const std::string& username, const std::string& password,
                                Roles roles, const std::string& actor);
  Status set_password(const std::string& username, const std::string& password,
                      const std::string& actor);
  Status set_roles(const std::string& username, Roles roles, const std::string& actor);
  // A disabled operator cannot sign in, and his sessions end at once.
  Status set_disabled(const std::string& username, bool disabled, const std::string& actor);
  Result<std::vector<Operator>> operators();
  Result<std::optional<Operator>> find_operator(const std::string& username);

  // An operator's sign-in: kAuthFailed for a wrong name or password (one message for both),
  // kLimitExceeded while too many recent failures stand against the name or the address,
  // kRefused for a disabled operator.
  Result<Session> sign_in(const std::string& username, const std::string& password,
                          const std::string& address);

  // A consumer's sign-in code: a fresh 6-digit code (the caller sends it to the registered
  // mobile), kLimitExceeded when the consumer or the address asked for too many recently.
  // The caller checks that the consumer exists and has a mobile before asking.
  Result<std::string> issue_code(const std::string& consumer_id, const std::string& address);
  // The consumer's session for a right code; kAuthFailed for a wrong, used, expired or voided
  // code (one message for all), kLimitExceeded after too many wrong tries.
  Result<Session> redeem_code(const std::string& consumer_id, const std::string& code,
                              const std::string& address);

  // The session for a token, extended by the idle time (up to its maximum age); nullopt when
  // there is none, it ended, or its operator was disabled.
  Result<std::optional<Session>> session(const std::string& token);
  Status sign_out(const std::string& token);

  // Test seam: fail after n more writes.
  void fail_after(std::int64_t n);

 private:
  AccessBook();
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vidyut::access
