// The platform API's consumer directory and sign-in code sender over the notification module:
// mobiles from notify.db's contacts, codes sent at once by SMS in the consumer's language and
// recorded with the code masked.
#pragma once

#include "api/platform.h"
#include "notify/notifier.h"

namespace vidyut::cli {

class NotifierCodes final : public api::ConsumerDirectory, public api::CodeSender {
 public:
  explicit NotifierCodes(notify::Notifier& n) : n_(n) {}
  Result<std::optional<std::string>> mobile_of(const std::string& consumer_id) override {
    VIDYUT_TRY(c, n_.contact(consumer_id));
    if (!*c) return std::optional<std::string>();
    return std::optional<std::string>((*c)->mobile);
  }
  Status send_code(const std::string& consumer_id, const std::string& mobile,
                   const std::string& code) override {
    VIDYUT_TRY(c, n_.contact(consumer_id));
    const std::string language = *c ? (*c)->language : "en";
    auto m =
        n_.send_now(consumer_id, mobile, "sign-in-code", notify::sign_in_code_text(language, code),
                    notify::sign_in_code_text(language, "******"));
    if (!m.ok()) return m.error();
    return ok_status();
  }

 private:
  notify::Notifier& n_;
};

}  // namespace vidyut::cli
