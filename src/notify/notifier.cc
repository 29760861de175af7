#include "notify/notifier.h"

#include <mutex>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/text.h"
#include "http/client.h"
#include "store/sqlite_db.h"

namespace vidyut::notify {
namespace {

using store::sql::Database;
using store::sql::from_ms;
using store::sql::to_ms;
using store::sql::Use;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS contacts (
  consumer_id TEXT PRIMARY KEY,
  mobile TEXT NOT NULL,
  language TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY,
  consumer_id TEXT NOT NULL,
  mobile TEXT NOT NULL,
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  state TEXT NOT NULL,
  result TEXT NOT NULL,
  source TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_ms INTEGER NOT NULL DEFAULT 0,
  sent_ms INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_source ON messages (source) WHERE source IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_due ON messages (next_ms) WHERE state = 'queued';
CREATE INDEX IF NOT EXISTS messages_by_consumer ON messages (consumer_id, id);
CREATE TABLE IF NOT EXISTS cursors (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL);
)sql";

// Version 2: notices queued with their source, attempts and delivery times.
constexpr const char* kUpgradeTo2 = R"sql(
ALTER TABLE messages ADD COLUMN source TEXT;
ALTER TABLE messages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN next_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN sent_ms INTEGER NOT NULL DEFAULT 0;
)sql";

constexpr const char* kMessageColumns =
    "id, consumer_id, mobile, kind, text, created_ms, state, result, COALESCE(source, ''), "
    "attempts, next_ms, sent_ms";

Message message_from_row(Use& u) {
  Message m;
  m.id = u.i64(0);
  m.consumer_id = u.text(1);
  m.mobile = u.text(2);
  m.kind = u.text(3);
  m.text = u.text(4);
  m.created = from_ms(u.i64(5));
  m.state = u.text(6);
  m.result = u.text(7);
  m.source = u.text(8);
  m.attempts = static_cast<int>(u.i64(9));
  m.next_attempt = from_ms(u.i64(10));
  m.sent = from_ms(u.i64(11));
  return m;
}

Result<std::vector<Message>> messages_of_rows(Use& u) {
  std::vector<Message> out;
  while (true) {
    VIDYUT_TRY(row, u.step());
    if (!*row) break;
    out.push_back(message_from_row(u));
  }
  return out;
}

class HttpGateway final : public SmsChannel {
 public:
  HttpGateway(std::string url, std::string key) : url_(std::move(url)), key_(std::move(key)) {}
  Result<std::string> send(const std::string& mobile, const std::string& text) override {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!key_.empty()) headers.emplace_back("Authorization", "Bearer " + key_);
    const std::string body = nlohmann::json{{"to", mobile}, {"text", text}}.dump();
    VIDYUT_TRY(r, http::post(url_, "application/json", body, headers, Millis(10'000)));
    if (r->status < 200 || r->status > 299) {
      return Error(Errc::kRefused, "the SMS gateway answered " + std::to_string(r->status));
    }
    const auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (j.is_object() && j.contains("id")) {
      return j["id"].is_string() ? j["id"].get<std::string>() : j["id"].dump();
    }
    return std::string("accepted");
  }

 private:
  std::string url_, key_;
};

}  // namespace

Result<std::string> normalise_mobile(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (c == ' ' || c == '-') continue;
    digits.push_back(c);
  }
  if (digits.size() == 10) digits = "+91" + digits;
  const bool ok = digits.size() == 13 && digits.compare(0, 3, "+91") == 0 && digits[3] >= '6' &&
                  digits.find_first_not_of("0123456789", 1) == std::string::npos;
  if (!ok) {
    return Error(Errc::kInvalidArgument,
                 "\"" + std::string(text.substr(0, 20)) + "\" is not an Indian mobile number");
  }
  return digits;
}

Result<std::vector<Contact>> parse_contacts_csv(std::string_view text) {
  if (text.size() > kMaxContactsFile) return Error(Errc::kLimitExceeded, "contacts file too large");
  std::vector<Contact> out;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> f;
    std::size_t pos = 0;
    while (true) {
      const auto comma = line.find(',', pos);
      f.emplace_back(line.substr(pos, comma == std::string_view::npos ? line.npos : comma - pos));
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
    if (line_no == 1 && f[0] == "consumer_id") continue;
    auto bad = [&](const std::string& why) {
      return Error(Errc::kInvalidArgument, "contacts line " + std::to_string(line_no) + ": " + why);
    };
    if (f.size() < 2 || f.size() > 3) return bad("expected consumer_id,mobile[,language]");
    if (auto st = check_text("consumer id", f[0], 64); !st.ok() || f[0].empty()) {
      return bad("bad consumer id");
    }
    auto mobile = normalise_mobile(f[1]);
    if (!mobile.ok()) return bad(mobile.error().message);
    Contact c{f[0], *mobile, f.size() == 3 ? f[2] : "en"};
    if (c.language != "en" && c.language != "hi") return bad("language is en or hi");
    out.push_back(std::move(c));
  }
  return out;
}

std::string sign_in_code_text(const std::string& language, const std::string& code) {
  if (language == "hi") {
    return "आपका Vidyut साइन-इन कोड " + code + " है। यह 5 मिनट तक मान्य है। इसे किसी को न बताएं।";
  }
  return "Your Vidyut sign-in code is " + code +
         ". It is valid for 5 minutes. Do not share it with anyone.";
}

std::unique_ptr<SmsChannel> http_sms_gateway(std::string url, std::string key) {
  return std::make_unique<HttpGateway>(std::move(url), std::move(key));
}

class Notifier::Impl {
 public:
  Impl(const Clock& c, std::unique_ptr<SmsChannel> ch) : clock(c), channel(std::move(ch)) {}
  // Records a new message (every column; an empty source is stored as NULL); returns its id.
  // REQUIRES: mu held.
  Result<std::int64_t> insert(const Message& m) {
    VIDYUT_TRY(s,
               db.stmt("INSERT INTO messages (consumer_id, mobile, kind, text, created_ms, state, "
                       "result, source, attempts, next_ms, sent_ms) VALUES (?, ?, ?, ?, ?, ?, ?, "
                       "NULLIF(?, ''), ?, ?, ?)"));
    Use u(**s);
    u.bind(m.consumer_id)
        .bind(m.mobile)
        .bind(m.kind)
        .bind(m.text)
        .bind(to_ms(m.created))
        .bind(m.state)
        .bind(m.result.substr(0, 256))
        .bind(m.source)
        .bind(static_cast<std::int64_t>(m.attempts))
        .bind(to_ms(m.next_attempt))
        .bind(to_ms(m.sent));
    VIDYUT_TRY(done, u.step());
    (void)done;
    return sqlite3_last_insert_rowid(db.db());
  }
  const Clock& clock;
  std::unique_ptr<SmsChannel> channel;
  Database db;
  std::mutex mu;
};

Notifier::Notifier() = default;
Notifier::~Notifier() = default;

Result<std::unique_ptr<Notifier>> Notifier::open(const std::filesystem::path& dir,
                                                 const Clock& clock,
                                                 std::unique_ptr<SmsChannel> channel) {
  std::unique_ptr<Notifier> n(new Notifier());
  n->impl_ = std::make_unique<Impl>(clock, std::move(channel));
  VIDYUT_CHECK(n->impl_->db.open(dir, "notify.db", "notify", 2, kSchema, {{2, kUpgradeTo2}}));
  return n;
}

Result<std::size_t> Notifier::import_contacts(const std::vector<Contact>& contacts) {
  std::lock_guard l(impl_->mu);
  return impl_->db.txn([&]() -> Result<std::size_t> {
    VIDYUT_TRY(s, impl_->db.stmt(
                      "INSERT OR REPLACE INTO contacts (consumer_id, mobile, language) VALUES (?, "
                      "?, ?)"));
    for (const auto& c : contacts) {
      VIDYUT_CHECK(impl_->db.fault());
      Use u(**s);
      u.bind(c.consumer_id).bind(c.mobile).bind(c.language);
      VIDYUT_TRY(done, u.step());
      (void)done;
    }
    return contacts.size();
  });
}

Result<std::optional<Contact>> Notifier::contact(const std::string& consumer_id) {
  std::lock_guard l(impl_->mu);
  VIDYUT_TRY(s, impl_->db.stmt("SELECT mobile, language FROM contacts WHERE consumer_id = ?"));
  Use u(**s);
  u.bind(consumer_id);
  VIDYUT_TRY(row, u.step());
  if (!*row) return std::optional<Contact>();
  return std::optional<Contact>(Contact{consumer_id, u.text(0), u.text(1)});
}

Result<Message> Notifier::send_now(const std::string& consumer_id, const std::string& mobile,
                                   const std::string& kind, const std::string& text,
                                   const std::string& recorded) {
  if (impl_->channel == nullptr) {
    return Error(Errc::kUnsupported, "no SMS gateway is configured (serve --sms-gateway URL)");
  }
  if (text.size() > kMaxSmsText) return Error(Errc::kInvalidArgument, "message too long");
  Message m;
  m.consumer_id = consumer_id;
  m.mobile = mobile;
  m.kind = kind;
  m.text = recorded;
  m.created = impl_->clock.now();
  // Sent outside the lock: a slow gateway does not hold up the others.
  auto sent = impl_->channel->send(mobile, text);
  m.state = sent.ok() ? "sent" : "failed";
  m.result = sent.ok() ? *sent : sent.error().message;
  m.attempts = 1;
  if (sent.ok()) m.sent = impl_->clock.now();
  {
    std::lock_guard l(impl_->mu);
    VIDYUT_TRY(id, impl_->insert(m));
    m.id = *id;
  }
  if (!sent.ok()) {
    logger("notify")->warn("{} to {} failed: {}", kind, consumer_id, sent.error().message);
    return sent.error();
  }
  return m;
}

Result<std::vector<Message>> Notifier::messages_after(std::int64_t after_id, std::size_t limit) {
  std::lock_guard l(impl_->mu);
  VIDYUT_TRY(s, impl_->db.stmt(std::string("SELECT ") + kMessageColumns +
                               " FROM messages WHERE id > ? ORDER BY id LIMIT ?"));
  Use u(**s);
  u.bind(after_id).bind(static_cast<std::int64_t>(std::min<std::size_t>(limit, 10'000)));
  return messages_of_rows(u);
}

Result<std::vector<Message>> Notifier::messages_of(const std::string& consumer_id,
                                                   std::size_t limit) {
  std::lock_guard l(impl_->mu);
  VIDYUT_TRY(s, impl_->db.stmt(std::string("SELECT ") + kMessageColumns +
                               " FROM messages WHERE consumer_id = ? ORDER BY id DESC LIMIT ?"));
  Use u(**s);
  u.bind(consumer_id).bind(static_cast<std::int64_t>(std::min<std::size_t>(limit, 1'000)));
  return messages_of_rows(u);
}

Result<Notifier::Queued> Notifier::enqueue(const std::string& consumer_id, const std::string& kind,
                                           const NoticeText& text, const std::string& source) {
  if (source.empty()) return Error(Errc::kInvalidArgument, "a notice needs its source");
  if (text.en.size() > kMaxSmsText || text.hi.size() > kMaxSmsText) {
    return Error(Errc::kInvalidArgument, "notice too long for " + kind);
  }
  std::lock_guard l(impl_->mu);
  return impl_->db.txn([&]() -> Result<Queued> {
    {
      VIDYUT_TRY(s, impl_->db.stmt(std::string("SELECT ") + kMessageColumns +
                                   " FROM messages WHERE source = ?"));
      Use u(**s);
      u.bind(source);
      VIDYUT_TRY(row, u.step());
      if (*row) return Queued{message_from_row(u), false};
    }
    Message m;
    m.consumer_id = consumer_id;
    m.kind = kind;
    m.source = source;
    m.created = impl_->clock.now();
    m.next_attempt = m.created;
    std::string language = "en";
    {
      VIDYUT_TRY(s, impl_->db.stmt("SELECT mobile, language FROM contacts WHERE consumer_id = ?"));
      Use u(**s);
      u.bind(consumer_id);
      VIDYUT_TRY(row, u.step());
      if (*row) {
        m.mobile = u.text(0);
        language = u.text(1);
      }
    }
    m.text = language == "hi" && !text.hi.empty() ? text.hi : text.en;
    m.state = m.mobile.empty() ? "no-mobile" : "queued";
    VIDYUT_CHECK(impl_->db.fault());
    VIDYUT_TRY(id, impl_->insert(m));
    m.id = *id;
    return Queued{std::move(m), true};
  });
}

Result<Notifier::Delivery> Notifier::deliver_due() {
  if (impl_->channel == nullptr) {
    return Error(Errc::kUnsupported, "no SMS gateway is configured (serve --sms-gateway URL)");
  }
  std::vector<Message> due;
  {
    std::lock_guard l(impl_->mu);
    VIDYUT_TRY(s, impl_->db.stmt(std::string("SELECT ") + kMessageColumns +
                                 " FROM messages INDEXED BY messages_due WHERE state = 'queued' "
                                 "AND next_ms <= ? ORDER BY next_ms, id LIMIT ?"));
    Use u(**s);
    u.bind(to_ms(impl_->clock.now())).bind(static_cast<std::int64_t>(kMaxDeliveryRound));
    while (true) {
      VIDYUT_TRY(row, u.step());
      if (!*row) break;
      due.push_back(message_from_row(u));
    }
  }
  Delivery d;
  for (auto& m : due) {
    // Sent outside the lock: a slow gateway does not hold up the others.
    auto sent = impl_->channel->send(m.mobile, m.text);
    const UtcTime now = impl_->clock.now();
    ++m.attempts;
    if (sent.ok()) {
      m.state = "sent";
      m.result = *sent;
      m.sent = now;
      ++d.sent;
    } else {
      m.result = sent.error().message;
      if (m.attempts >= kMaxAttempts) {
        m.state = "failed";
        ++d.failed;
        logger("notify")->warn("{} to {} given up after {} attempts: {}", m.kind, m.consumer_id,
                               m.attempts, m.result);
      } else {
        m.next_attempt = now + kRetryDelays[m.attempts - 1];
        ++d.retrying;
      }
    }
    std::lock_guard l(impl_->mu);
    VIDYUT_CHECK(impl_->db.fault());
    VIDYUT_TRY(
        s, impl_->db.stmt("UPDATE messages SET state = ?, result = ?, attempts = ?, next_ms = ?, "
                          "sent_ms = ? WHERE id = ?"));
    Use u(**s);
    u.bind(m.state)
        .bind(m.result.substr(0, 256))
        .bind(static_cast<std::int64_t>(m.attempts))
        .bind(to_ms(m.next_attempt))
        .bind(to_ms(m.sent))
        .bind(m.id);
    VIDYUT_TRY(done, u.step());
    (void)done;
  }
  return d;
}

Result<std::size_t> Notifier::queued() {
  std::lock_guard l(impl_->mu);
  VIDYUT_TRY(s, impl_->db.stmt("SELECT COUNT(*) FROM messages WHERE state = 'queued'"));
  Use u(**s);
  VIDYUT_TRY(row, u.step());
  return static_cast<std::size_t>(u.i64(0));
}

Result<std::int64_t> Notifier::cursor(const std::string& name) {
  std::lock_guard l(impl_->mu);
  VIDYUT_TRY(s, impl_->db.stmt("SELECT value FROM cursors WHERE name = ?"));
  Use u(**s);
  u.bind(name);
  VIDYUT_TRY(row, u.step());
  return *row ? u.i64(0) : std::int64_t{0};
}

Status Notifier::set_cursor(const std::string& name, std::int64_t value) {
  std::lock_guard l(impl_->mu);
  VIDYUT_CHECK(impl_->db.fault());
  VIDYUT_TRY(s, impl_->db.stmt("INSERT OR REPLACE INTO cursors (name, value) VALUES (?, ?)"));
  Use u(**s);
  u.bind(name).bind(value);
  VIDYUT_TRY(done, u.step());
  (void)done;
  return ok_status();
}

void Notifier::fail_after_writes(std::int64_t n) {
  std::lock_guard l(impl_->mu);
  impl_->db.fail_after(n);
}

}  // namespace vidyut::notify
