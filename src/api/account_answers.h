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
// GET .../statements: his monthly statements (prepaid) and bills (postpaid, final), newest
// first, with their totals.
http::Response statements_answer(const Platform& p, const std::string& consumer_id);
// GET .../statements/{month}/{kind}: one of them as the document billing issued (HTML, its own
// styles, no script), under a content security policy that allows nothing else.
http::Response statement_document(const Platform& p, const std::string& consumer_id,
                                  const std::string& month, const std::string& kind);
// GET .../notifications?limit=: the messages sent (or being sent) to him, newest first, with
// their delivery status.
http::Response notifications_answer(const Platform& p, const http::Request& r,
                                    const std::string& consumer_id);

}  // namespace vidyut::api
