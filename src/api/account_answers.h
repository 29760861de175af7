// Answers about one consumer's account that both audiences give: the portal for the signed-in
// consumer, the control room for the consumer an operator opened. The caller's guard has already
// decided whose account it may read.
#pragma once

#include <string>

#include "api/platform.h"
#include "http/message.h"

namespace vidyut::api {

// GET .../usage?resolution=&from=&to=: the consumption series.
http::Response usage_answer(const Platform& p, const http::Request& r,
                            const std::string& consumer_id);
// GET .../payments?limit=: the account's history, newest first.
http::Response payments_answer(const Platform& p, const http::Request& r,
                               const std::string& consumer_id);
// GET .../notifications?limit=: the messages sent (or being sent) to him, newest first, with
// their delivery status.
http::Response notifications_answer(const Platform& p, const http::Request& r,
                                    const std::string& consumer_id);

}  // namespace vidyut::api
