// Messages to consumers (docs/notify.md): their registered mobiles (contacts), the SMS channel
// (a gateway over HTTP), and the outbox that records every message with its delivery status.
// Kept in notify.db in the data directory. A message whose text is a secret (a sign-in code) is
// sent at once and recorded with the secret masked, so the code is never at rest. Notices (low
// balance, disconnection, outage ...) are queued with the key of what caused them (so a notice is
// queued once however often its cause is read) and delivered by deliver_due(), which retries a
// failed send after 1, 5, 15, 60 and 240 minutes and then gives up, recording each attempt.
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

// Attempts at a queued notice before it is given up (the delays between them: kRetryDelays).
inline constexpr int kMaxAttempts = 6;
inline constexpr Millis kRetryDelays[kMaxAttempts - 1] = {
    std::chrono::minutes(1), std::chrono::minutes(5), std::chrono::minutes(15),
    std::chrono::minutes(60), std::chrono::minutes(240)};
// Notices one deliver_due() call sends at most.
inline constexpr std::size_t kMaxDeliveryRound = 500;

struct Message {
  std::int64_t id = 0;
  std::string consumer_id;
  std::string mobile;
  std::string kind;  // "sign-in-code", "low-balance", ...
  std::string text;  // as sent, with secrets masked
  UtcTime created{};
  // "sent"; "failed" (a sign-in code's failure, or a notice after kMaxAttempts); "queued" (a
  // notice waiting for its next attempt); "no-mobile" (no registered mobile: never sent).
  std::string state;
  std::string result;  // the gateway's reference, or the last error
  std::string source;  // what caused a notice ("billing:42", "alert:7:C1001"); empty otherwise
  int attempts = 0;
  UtcTime next_attempt{};  // queued: when it is tried next
  UtcTime sent{};          // sent: when the gateway accepted it
};

// A notice's text in each language; the consumer's contact chooses.
struct NoticeText {
  std::string en;
  std::string hi;
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
  // A consumer's messages, the latest first, at most `limit` (<= 1,000).
  Result<std::vector<Message>> messages_of(const std::string& consumer_id, std::size_t limit);

  // Queues a notice for a consumer, in his contact's language, keyed by `source`: a source queued
  // before returns its message unchanged (`created` false). Without a registered mobile the
  // notice is recorded as "no-mobile" and never sent. kInvalidArgument for an empty source or a
  // text longer than kMaxSmsText.
  struct Queued {
    Message message;
    bool created = false;
  };
  Result<Queued> enqueue(const std::string& consumer_id, const std::string& kind,
                         const NoticeText& text, const std::string& source);
  // Sends the queued notices whose attempt is due (oldest first, at most kMaxDeliveryRound),
  // each outside the lock; a failure is retried after the next of kRetryDelays, and after
  // kMaxAttempts the notice is "failed". kUnsupported without a channel (nothing is attempted).
  struct Delivery {
    std::size_t sent = 0;
    std::size_t retrying = 0;  // failed this time, tried again later
    std::size_t failed = 0;    // given up
  };
  Result<Delivery> deliver_due();
  // Notices waiting for an attempt.
  Result<std::size_t> queued();

  // A follower's position in another record (billing's notifications, the store's alerts), kept
  // beside the outbox so that a restart neither repeats nor skips: 0 until first set.
  Result<std::int64_t> cursor(const std::string& name);
  Status set_cursor(const std::string& name, std::int64_t value);

  // Test seam: every write after the next n fails (kIo), as a full disk would.
  void fail_after_writes(std::int64_t n);

 private:
  Notifier();
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vidyut::notify
