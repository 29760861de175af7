// CSV exports for the utility's other systems (docs/api.md, "Exports"): every meter's 15-minute
// readings of an IST day, and every account's statement or bill of a month. Each is a stream
// (http::Stream): the server sends a page of meters (accounts) at a time as it reads them, so an
// export of 100,000 meters never sits whole in memory. The body ends when the connection closes.
//
// Fields are RFC 4180: quoted when they hold a comma, a quote or a line break; a text field that
// begins with = + - @ (which a spreadsheet would run as a formula) is prefixed with '.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "http/message.h"
#include "store/store.h"

namespace vidyut::billing {
class BillingDb;
}  // namespace vidyut::billing

namespace vidyut::api {

// Meters (accounts) per poll of an export stream.
inline constexpr std::size_t kExportPage = 200;

std::string csv_field(std::string_view text);

// serial,consumer_id,feeder,dt,start_utc,start_ist,import_wh,import_vah,export_wh,export_vah,source
// for every meter of the registry, by meter id, over [from, to).
std::shared_ptr<http::Stream> readings_csv(store::Store& store, UtcTime from, UtcTime to);

// consumer_id,meter_serial,month,kind,bill_paise,posted_paise,adjustment_paise,issued_utc for
// every account's statements and bills of `month` (YYYY-MM).
std::shared_ptr<http::Stream> bills_csv(billing::BillingDb& db, std::string month);

}  // namespace vidyut::api
