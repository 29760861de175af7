// Messages to consumers (docs/notify.md): their registered mobiles (contacts), the SMS channel
// (a gateway over HTTP), and the outbox that records every message with its delivery status.
// Kept in notify.db in the data directory. A message whose text is a secret (a sign-in code) is
// sent at once and recorded with the secret masked, so the code is never at rest.
//
// Thread-safety: safe to call from several threads (one connection behind a mutex).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace vidyut::notify {

inline constexpr std::size_t kMaxSmsText = 480;  // three SMS segments
inline constexpr std::size_t kMaxContactsFile = 10'000'000;

struct Contact {
  std::string consumer_id;
  std::string mobile;           // +91 and ten digits
  std::string language = "en";  // "en" | "hi": the language of his messages
};

// "+919876543210" (spaces and dashes allowed in the input, removed); kInvalidArgument otherwise.
Result<std::string> normalise_mobile(std::string_view text);
// consumer_id,mobile[,language] per line, a header line allowed, '#' comments.
Result<std::vector<Contact>> parse_contacts_csv(std::string_view text);

// Where an SMS goes: the utility's gateway. Returns the gateway's reference for the message.
class SmsChannel {
 public:
  virtual ~SmsChannel() = default;
  virtual Result<std::string> send(const std::string& mobile, const std::string& text) = 0;
};

// The gateway over HTTP: POST {"to": mobile, "text": text} as JSON to the URL, with
// "Authorization: Bearer <key>" when a key is given; 2xx is accepted (its body's "id", if any, is
// the reference), anything else an error naming the status.
std::unique_ptr<SmsChannel> http_sms_gateway(std::string url, std::string key);

struct Message {
  std::int64_t id = 0;
  std::string consumer_id;
  std::string mobile;
  std::string kind;  // "sign-in-code", "low-balance", ...
  std::string text;  // as sent, with secrets masked
  UtcTime created{};
  std::string state;   // "sent", "failed"
  std::string result;  // the gateway's reference, or the error
};

// The sign-in code's SMS in the contact's language ("en" or "hi"), and the same with the code
// masked, for the outbox.
std::string sign_in_code_text(const std::string& language, const std::string& code);

class Notifier {
 public:
  // Opens (creating) dir/notify.db; `channel` may be null (nothing can be sent).
  static Result<std::unique_ptr<Notifier>> open(const std::filesystem::path& dir,
                                                const Clock& clock,
                                                std::unique_ptr<SmsChannel> channel);
  ~Notifier();

  // Adds or replaces contacts; returns how many.
  Result<std::size_t> import_contacts(const std::vector<Contact>& contacts);
  Result<std::optional<Contact>> contact(const std::string& consumer_id);

  // Sends `text` now and records it with `recorded` as its text (the same text, or with its
  // secret masked). kUnsupported without a channel; the channel's error when it fails (the
  // failure is recorded too).
  Result<Message> send_now(const std::string& consumer_id, const std::string& mobile,
                           const std::string& kind, const std::string& text,
                           const std::string& recorded);
  Result<std::vector<Message>> messages_after(std::int64_t after_id, std::size_t limit);

 private:
  Notifier();
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vidyut::notify
