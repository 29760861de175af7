// Small pieces the API's routes share: an IST day parameter, "yesterday" on the platform's clock,
// and one record in the store's audit trail.
#pragma once

#include <string>

#include "api/platform.h"
#include "core/result.h"
#include "http/message.h"
#include "tariff/calendar.h"

namespace vidyut::api {

// The IST day in query parameter `name` (YYYY-MM-DD); `fallback` when absent; kInvalidArgument
// naming the parameter when malformed.
Result<tariff::CivilDate> day_param(const http::Request& r, const char* name,
                                    tariff::CivilDate fallback);

// The IST day before today's on the platform's clock: the last whole day.
tariff::CivilDate yesterday(const Platform& p);

// A hotspot token's 20 digits as people read and type them: in groups of four
// (docs/hotspot-tokens.md).
std::string token_in_fours(const std::string& digits);

// One audit record at the platform's time.
Status audit(const Platform& p, const std::string& actor, const std::string& action,
             const std::string& subject, const std::string& detail);

}  // namespace vidyut::api
